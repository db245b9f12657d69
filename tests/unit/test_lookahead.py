"""The look-ahead strategy: invariants (hypothesis), optimality on cases solved by hand,
validation of its parameters."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.mas.model import ConfigError, StrategyError, Target, UnitState
from mosaik_components.mas.model.horizon import Band, Costs, EnergyLimit, HorizonFlex, Plan
from mosaik_components.mas.strategies import STRATEGIES
from mosaik_components.mas.strategies.base import View
from mosaik_components.mas.strategies.lookahead import LookaheadStrategy, split_plan
from mosaik_components.mas.strategies.lookahead.classes import envelope
from scalability import lookahead_systems as units

TOL = 1e-6


def plan_tree(strategy, cells, offset=0.0, time=0):
    """Aggregate cells -> core, decide, split down both levels."""
    aggregates = [strategy.aggregate(c, View(f"cell{i}", time)) for i, c in enumerate(cells)]
    system = strategy.aggregate(aggregates, View("core", time))
    target = strategy.decide(system, offset, View("core", time))
    cell_targets = strategy.split(target, aggregates, View("core", time))
    unit_targets = [strategy.split(t, c, View(f"cell{i}", time))
                    for i, (t, c) in enumerate(zip(cell_targets, cells, strict=True))]
    return system, target, aggregates, cell_targets, unit_targets


def assert_adds_up(parent: Plan, children: list[Plan]) -> None:
    for side in ("production", "consumption"):
        total = np.sum([getattr(c, side) for c in children], axis=0)
        assert np.allclose(total, getattr(parent, side), atol=TOL), side


def assert_in_bands(target: Target, state: UnitState) -> None:
    flex = state.horizon
    assert state.production.min - TOL <= target.production <= state.production.max + TOL
    assert state.consumption.min - TOL <= target.consumption <= state.consumption.max + TOL
    for band, values in ((flex.production, target.plan.production),
                         (flex.consumption, target.plan.consumption)):
        assert (values >= band.min - TOL).all() and (values <= band.max + TOL).all()
    assert target.plan.production[0] == target.production
    assert target.plan.consumption[0] == target.consumption


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 3), st.integers(4, 14),
       st.sampled_from(["cost", "peak", "exchange"]), st.floats(-2, 4))
def test_plans_add_up_stay_in_bands_and_repeat(seed, n_cells, n_units, objective, offset):
    rng = np.random.default_rng(seed)
    cells = [units.cell(rng, 24, n_units) for _ in range(n_cells)]
    strategy = LookaheadStrategy(objective=objective, price=[50] * 6 + [120] * 12 + [300] * 6,
                                 feed_in=10.0, start="06:00", unit_plans=True)
    system, target, aggregates, cell_targets, unit_targets = plan_tree(strategy, cells, offset)
    # children's plans add up to the parent's in every interval, part by part too
    assert_adds_up(target.plan, [t.plan for t in cell_targets])
    parts = dict(target.plan.parts)
    for key in parts:
        assert_adds_up(parts[key], [dict(t.plan.parts)[key] for t in cell_targets
                                    if key in dict(t.plan.parts)])
    for cell_target, cell, targets, aggregate in zip(cell_targets, cells, unit_targets,
                                                     aggregates, strict=True):
        assert_adds_up(cell_target.plan, [t.plan for t in targets])
        assert_in_bands(cell_target, aggregate)
        for t, state in zip(targets, cell, strict=True):
            assert_in_bands(t, state)  # every setpoint (interval 0) and the plan in band
    # same inputs, same outputs
    again = plan_tree(strategy, cells, offset)
    assert again[1].plan == target.plan
    assert [t.plan for t in again[3]] == [t.plan for t in cell_targets]
    assert [[t.plan for t in c] for c in again[4]] == [[t.plan for t in c] for c in unit_targets]
    # by default the units get interval 0 alone: exactly that of their whole plans
    setpoints = plan_tree(replace(strategy, unit_plans=False), cells, offset)[4]
    assert [[(t.production, t.consumption, t.plan) for t in c] for c in setpoints] == [
        [(t.production, t.consumption, None) for t in c] for c in unit_targets]


def test_battery_buys_cheap_and_sells_dear():
    """One battery, a constant load, two prices: the optimum is worked out by hand."""
    # 8 intervals of 1 h: price 10 for four, then 100 for four; 1 MW load throughout;
    # battery 2 MWh usable, 1 MW each way, lossless, starts empty, cyclic terminal off
    length, step = 8, 1.0
    zeros = np.zeros(length)
    battery = HorizonFlex(step, Band(zeros, zeros, np.ones(length)),
                          Band(zeros, zeros, np.ones(length)),
                          (EnergyLimit("soc", 0.0, zeros, np.full(length, 2.0)),))
    demand = np.ones(length)
    load = HorizonFlex(step, Band.zeros(length), Band(demand, demand, demand))
    children = [UnitState.of_horizon(battery.tightened()), UnitState.of_horizon(load)]
    strategy = LookaheadStrategy(price=[10.0] * 12 + [100.0] * 12, start="08:00",
                                 unit_plans=True)
    system = strategy.aggregate(children, View("core"))
    target = strategy.decide(system, 0.0, View("core", time=0))
    net_import = target.plan.consumption - target.plan.production
    # charging 2 MWh at 10 and saving 2 MWh at 100: import 1+x at 10, 1-y at 100
    cost = float(np.dot(net_import, [10] * 4 + [100] * 4))
    assert cost == pytest.approx(4 * 10 + 2 * 10 + 4 * 100 - 2 * 100, abs=1e-6)
    battery_plan = strategy.split(target, children, View("core"))[0].plan
    assert battery_plan.consumption[:4].sum() == pytest.approx(2.0)
    assert battery_plan.production[4:].sum() == pytest.approx(2.0)


def test_peak_objective_shaves_to_the_level_the_energy_allows():
    """A 2 MW peak on a 1 MW base; 1 MWh to discharge: the peak drops to 1.5 MW."""
    length = 4
    demand = np.array([1.0, 2.0, 2.0, 1.0])
    zeros = np.zeros(length)
    battery = HorizonFlex(1.0, Band(zeros, zeros, np.full(length, 5.0)), Band.zeros(length),
                          (EnergyLimit("soc", 1.0, zeros, np.full(length, 1.0)),))
    load = HorizonFlex(1.0, Band.zeros(length), Band(demand, demand, demand))
    children = [UnitState.of_horizon(battery), UnitState.of_horizon(load)]
    strategy = LookaheadStrategy(objective="peak")
    target = strategy.decide(strategy.aggregate(children, View("c")), 0.0, View("c"))
    imports = target.plan.consumption - target.plan.production
    # sum(max(demand - L, 0)) = 1 MWh gives L = 1.5
    assert imports.max() == pytest.approx(1.5, abs=1e-6)


def test_exchange_objective_stores_the_surplus_and_sheds_nothing_it_need_not():
    length = 4
    zeros = np.zeros(length)
    sun = np.array([2.0, 2.0, 0.0, 0.0])
    demand = np.ones(length)
    children = [
        UnitState.of_horizon(HorizonFlex(1.0, Band(sun, zeros, sun), Band.zeros(length))),
        UnitState.of_horizon(HorizonFlex(1.0, Band.zeros(length),
                                         Band(demand, 0.5 * demand, demand),
                                         costs=Costs(shed=1000.0))),
        UnitState.of_horizon(HorizonFlex(1.0, Band(zeros, zeros, np.ones(length)),
                                         Band(zeros, zeros, np.ones(length)),
                                         (EnergyLimit("soc", 0.0, zeros, np.full(length, 4.0)),
                                          ))),
    ]
    strategy = LookaheadStrategy(objective="exchange", unit_plans=True)
    target = strategy.decide(strategy.aggregate(children, View("c")), 0.0, View("c"))
    exchange = target.plan.consumption - target.plan.production
    assert np.abs(exchange).max() == pytest.approx(0.0, abs=1e-6)  # stored and used later
    plans = strategy.split(target, children, View("c"))
    assert plans[1].plan.consumption == pytest.approx(demand)  # nothing shed


def test_identical_members_split_without_error_and_the_envelope_is_tighter():
    length = 24
    twins = [units.battery(length, 2.0, 0.5, 1.0) for _ in range(2)]
    strategy = LookaheadStrategy(price=[10] * 8 + [100] * 8 + [10] * 8)
    children = [UnitState.of_horizon(f) for f in twins]
    target = strategy.decide(strategy.aggregate(children, View("c")), 0.0, View("c"))
    plans, error = split_plan(target.plan, children, None, None, "c")
    assert error == pytest.approx(0.0, abs=1e-9)
    assert plans[0] == plans[1]
    # a full and an empty battery: their envelope is narrower than the summed bounds
    full, empty = units.battery(length, 2.0, 0.5, 2.0), units.battery(length, 2.0, 0.5, 0.2)
    low, high = envelope([full, empty])
    summed_low = full.energy[0].lower + empty.energy[0].lower
    summed_high = full.energy[0].upper + empty.energy[0].upper
    assert (low >= summed_low - 1e-12).all() and (high <= summed_high + 1e-12).all()
    assert (low > summed_low + 1e-9).any() and (high < summed_high - 1e-9).any()


def test_offset_forecast_and_missing_horizon():
    strategy = LookaheadStrategy(objective="exchange")
    cell = units.cell(np.random.default_rng(3), 8, 6)
    system = strategy.aggregate(cell, View("c"))
    target = strategy.decide(system, [1.0] * 8, View("c"))
    assert target.plan is not None
    with pytest.raises(StrategyError, match="offset forecast must hold 8 finite values"):
        strategy.decide(system, [1.0] * 3, View("c"))
    with pytest.raises(StrategyError, match="system state has no horizon"):
        strategy.decide(UnitState(), 0.0, View("core"))
    with pytest.raises(StrategyError, match="no child reports a horizon"):
        strategy.aggregate([UnitState()], View("c"))
    with pytest.raises(StrategyError, match="child 1 reports 4 intervals, the horizon is 8"):
        strategy.aggregate([cell[0], UnitState.of_horizon(units.pv(4, 1.0))], View("c"))
    # a longer horizon is cut to the configured one; a unit without one keeps its band
    short = LookaheadStrategy(objective="exchange", horizon=4)
    aggregate = short.aggregate([cell[0], UnitState()], View("c"))
    assert len(aggregate.horizon) == 4


@pytest.mark.parametrize(("options", "message"), [
    ({"objective": "cheap"}, "lookahead.objective must be one of"),
    ({"objective": "cost"}, "objective 'cost' needs a price"),
    ({"price": [1, 2, 3, 4, 5, 6, 7]}, "lookahead.price must divide the day evenly"),
    ({"price": [10, "x"]}, r"lookahead.price\[1\] must be a finite number"),
    ({"price": 10, "feed_in": [5] * 23 + [11]}, r"lookahead.feed_in \(11.0\) exceeds"),
    ({"objective": "peak", "peak_price": -1}, "lookahead.peak_price must be >= 0"),
    ({"objective": "peak", "horizon": 0}, "lookahead.horizon must be an integer >= 1"),
    ({"objective": "peak", "start": "noon"}, "lookahead.start must be 'HH:MM'"),
    ({"objective": "exchange", "shed_penalty": float("nan")},
     "lookahead.shed_penalty must be a finite number"),
    ({"objective": "peak", "unit_plans": "yes"}, "lookahead.unit_plans must be true or false"),
])
def test_bad_parameters_name_the_field(options, message):
    with pytest.raises(ConfigError, match=message):
        LookaheadStrategy(**options)


def test_registered_and_prices_follow_the_time_of_day():
    assert STRATEGIES["lookahead"] is LookaheadStrategy
    s = LookaheadStrategy(price=list(range(24)), start="2019-06-21 22:00").settings
    # 4 intervals of 1 h from simulation time 3600 s: 23:00, 00:00, 01:00, 02:00
    assert s.prices(s.price, 3600, 3600, 4).tolist() == [23, 0, 1, 2]
