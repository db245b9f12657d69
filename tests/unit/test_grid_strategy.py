"""The grid-aware strategy on small feeders with real AC power flows, against pandapower's OPF.

    ext grid -- trafo -- b1 -- b2 -- b3 -- b4 -- b5      10 MW PV at b5 (noon),
                               load       load+X   PV     X: battery or flexible load

The system has a deficit elsewhere (offset +50 MW), so the inner ``balance`` wants every
MW of PV: only the grid limits it. The loop iterates like mosaik's same-time loop
(``grid_cases.closed_loop``). Reference: pandapower's AC OPF maximising PV output with
the same bands and limits (interior point, converged to ~1e-6). Tolerances: the final
AC power flow keeps ``v <= 1.05 + 1e-6`` pu and loading ``<= 100 + 1e-4`` %; curtailment
is at most the OPF's + 0.005 MW (measured: 0.0007 MW *less* than the OPF's, whose
interior point stops just inside the limit).
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.mas.model.errors import StrategyError
from mosaik_components.mas.model.flexibility import Flex, Target, UnitState
from mosaik_components.mas.model.grid import GridLimits, GridView
from mosaik_components.mas.strategies import STRATEGIES, BalanceStrategy, GridAware
from mosaik_components.mas.strategies.base import View
from mosaik_components.mas.strategies.grid_lp import allocate, feasible_box

from .grid_cases import closed_loop, opf_optimum, pv_curtailment, pv_feeder

DEFICIT = 50.0  # MW of net demand outside the cell


@pytest.mark.parametrize("case, max_i_ka, binding", [
    ("battery", 0.4, "v_max"),  # overvoltage: the battery charges, the rest is curtailed
    ("flexload", 0.4, "v_max"),  # overvoltage: the load rises, the rest is curtailed
    ("battery", 0.12, "loading"),  # the PV's line overloads before the voltage binds
])
def test_limits_kept_with_no_more_curtailment_than_the_opf(case, max_i_ka, binding):
    net, units = pv_feeder(case, max_i_ka)
    result = closed_loop(GridAware(), net, units, DEFICIT)
    first = result.reports[0]
    assert binding in {v.kind for v in first.measured}  # the uncontrolled noon breaks it
    assert result.iterations < 8  # converged (Newton-like: 3-5 power flows)
    assert result.vm_max <= 1.05 + 1e-6
    assert result.loading_max <= 100.0 + 1e-4
    reference = opf_optimum(*pv_feeder(case, max_i_ka))
    assert pv_curtailment(result.x, units) <= pv_curtailment(reference, units) + 0.005
    assert pv_curtailment(result.x, units) > 1.0  # the case really needs curtailment
    assert result.reports[-1].ok
    flexible = next(name for name in units if name[:-1] in ("bat", "flex"))
    if binding == "v_max":  # battery/load absorb fully before curtailment (as in the OPF)
        low, _ = units[flexible].band
        assert result.x[flexible] == pytest.approx(low, abs=1e-4)
        assert reference[flexible] == pytest.approx(low, abs=1e-2)


def test_a_limit_no_flexibility_can_meet_is_reported_with_its_excess():
    # slack at 1.07 pu: every feeder bus is above 1.05 whatever the units do
    net, units = pv_feeder("battery", slack_vm=1.07)
    result = closed_loop(GridAware(), net, units, DEFICIT)
    last = result.reports[-1]
    assert not last.ok
    worst = max(last.remaining, key=lambda v: v.excess)
    assert worst.kind == "v_max" and worst.limit == 1.05
    # the predicted excess is what the final AC power flow shows, within the linear error
    assert worst.excess == pytest.approx(result.vm_max - 1.05, abs=2e-4)
    # least violation: all PV curtailed, the battery charging, the flexible loads up
    assert result.x["pv5"] == pytest.approx(0.0, abs=1e-5)
    assert result.x["bat4"] == pytest.approx(-1.5, abs=1e-5)
    assert last.to_dict()["remaining"][0]["excess"] > 0


def test_without_binding_limits_the_inner_strategy_decides_alone():
    net, units = pv_feeder("battery")
    net.sgen.loc[net.sgen.name == "pv5", "p_mw"] = 1.0
    small = {**units, "pv5": replace(units["pv5"], size=1.0)}  # 1 MW PV: no limit near
    grid_aware = closed_loop(GridAware(), net, small, DEFICIT)
    balance = closed_loop(BalanceStrategy(), net, small, DEFICIT)
    assert grid_aware.x == balance.x
    assert all(report.moved_mw == 0 and not report.measured for report in grid_aware.reports)


def test_registered_and_view_free_calls_are_the_inner_strategy():
    assert STRATEGIES["grid_aware"] is GridAware
    states = [UnitState(Flex(2.0, 0.0, 2.0)), UnitState(consumption=Flex(3.0, 1.0, 3.0))]
    inner, wrapped = BalanceStrategy(), GridAware()
    assert wrapped.aggregate(states) == inner.aggregate(states)
    target = wrapped.decide(wrapped.aggregate(states), 0.0)
    assert target == inner.decide(inner.aggregate(states), 0.0)
    assert wrapped.split(target, states, View("c")) == inner.split(target, states)


def _view(units=("a", "b")):
    grid = GridView(("Bus-1",), np.array([1.06]), (), np.zeros(0), units,
                    np.array([[0.01] * len(units)]), np.zeros((0, len(units))))
    return grid


def test_children_must_be_named_and_known():
    states = [UnitState(Flex(2.0, 0.0, 2.0)), UnitState(consumption=Flex(1.0, 0.0, 3.0))]
    with pytest.raises(StrategyError, match=r"view.children names 0 children but 2"):
        GridAware().aggregate(states, View("cell", grid=_view()))
    with pytest.raises(StrategyError, match=r"children \['x'\] are not units of its grid"):
        GridAware().aggregate(states, View("cell", grid=_view(), children=("a", "x")))


def test_box_and_split_on_a_hand_made_view():
    # one bus at 1.06 pu; 0.01 pu per MW from both children: net injection must drop 1 MW
    states = [UnitState(Flex(2.0, 0.0, 2.0)), UnitState(consumption=Flex(1.0, 0.0, 3.0))]
    view = View("cell", grid=_view(), children=("a", "b"))
    own = GridAware().aggregate(states, view)
    # the load absorbs first (consumption forced up by 1 MW), nothing is curtailed
    assert (own.production.min, own.production.max) == pytest.approx((0.0, 2.0))
    assert (own.consumption.min, own.consumption.max) == pytest.approx((2.0, 3.0))
    targets, report = GridAware().split_with_report(Target(2.0, 2.0), states, view)
    assert [v for t in targets for v in (t.production, t.consumption)] == pytest.approx(
        [2.0, 0.0, 0.0, 2.0])
    assert report.ok and report.curtailed_mw == pytest.approx(0.0)
    assert [v.element for v in report.measured] == ["Bus-1"]


def test_limits_of_the_strategy_override_the_views():
    states = [UnitState(Flex(2.0, 0.0, 2.0)), UnitState(consumption=Flex(1.0, 0.0, 3.0))]
    view = View("cell", grid=_view(), children=("a", "b"))
    loose = GridAware(limits=GridLimits(0.9, 1.1, 100.0))
    assert loose.aggregate(states, view) == BalanceStrategy().aggregate(states)


@st.composite
def problems(draw):
    """Random children (PV, loads, batteries) under random linear limits."""
    from mosaik_components.mas.strategies.grid_lp import CellProblem, Rows

    n = draw(st.integers(2, 5))
    kinds = draw(st.lists(st.sampled_from(["pv", "load", "battery"]), min_size=n, max_size=n))
    size = np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n)))
    gen, load = np.array([k == "pv" for k in kinds]), np.array([k == "load" for k in kinds])
    p_max = np.where(load, 0.0, size)
    c_max = np.where(gen, 0.0, size)
    c_min = np.where(load, 0.5 * size, 0.0)
    m = draw(st.integers(1, 4))
    matrix = np.array(draw(st.lists(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n),
                                    min_size=m, max_size=m)))
    bound = np.array(draw(st.lists(st.floats(-1.0, 4.0), min_size=m, max_size=m)))
    rows = Rows(np.array(["loading"] * m), np.array([f"L{i}" for i in range(m)]), np.ones(m),
                np.full(m, 100.0), np.full(m, 50.0), np.ones(m))
    return CellProblem(np.zeros(n), p_max, c_min, c_max, np.zeros(n), matrix, bound, rows,
                       gen, load, np.ones(n))


@settings(max_examples=40, deadline=None)
@given(problems(), st.floats(0, 1), st.floats(0, 1))
def test_every_point_of_the_box_has_an_allocation_that_keeps_the_limits(problem, u, v):
    box = feasible_box(problem)
    if box is None:  # then not even the unconstrained least-violation point is clean
        assert allocate(problem, None, None, problem.p_min, problem.c_min).excess.max() > 1e-7
        return
    p_lo, p_hi, c_lo, c_hi = box
    assert problem.p_min.sum() - 1e-9 <= p_lo <= p_hi <= problem.p_max.sum() + 1e-9
    assert problem.c_min.sum() - 1e-9 <= c_lo <= c_hi <= problem.c_max.sum() + 1e-9
    production, consumption = p_lo + u * (p_hi - p_lo), c_lo + v * (c_hi - c_lo)
    result = allocate(problem, production, consumption, problem.p_min, problem.c_min)
    assert result.excess.max() <= 1e-5
    assert result.production.sum() == pytest.approx(production, abs=1e-6)
    assert result.consumption.sum() == pytest.approx(consumption, abs=1e-6)
    assert (result.production >= problem.p_min - 1e-7).all()
    assert (result.production <= problem.p_max + 1e-7).all()
    assert (result.consumption >= problem.c_min - 1e-7).all()
    assert (result.consumption <= problem.c_max + 1e-7).all()


def test_wraps_the_look_ahead_strategy():
    """PV 2 MW and a battery under a bus that allows 1 MW of net injection at interval 0.

    The look-ahead top plans on the cell's horizon, whose interval 0 the grid narrowed:
    the battery must take at least 1 MW before any curtailment; later intervals stay free.
    """
    from mosaik_components.mas.model.horizon import Costs
    from mosaik_components.mas.strategies import LookaheadStrategy
    from mosaik_components.massca_units.battery import battery_flex
    from mosaik_components.massca_units.unitflex import producer_flex

    length, step_h = 4, 0.25
    battery = battery_flex(0.5, {"capacity_mwh": 2.0, "soc_min": 0.1, "soc_max": 1.0,
                                 "p_charge_mw": 1.5, "p_discharge_mw": 1.5, "eta_c": 1.0,
                                 "eta_d": 1.0}, length, step_h, Costs(), cyclic=False)
    states = [UnitState.of_horizon(producer_flex(step_h, np.full(length, 2.0), 5.0)),
              UnitState.of_horizon(battery)]
    strategy = GridAware(inner=LookaheadStrategy(objective="exchange", unit_plans=True))
    view = View("cell", 0, 0, 900.0, _view(), ("a", "b"))
    own = strategy.aggregate(states, view)
    assert own.horizon.consumption.min[0] == pytest.approx(1.0)  # forced charging ...
    assert own.horizon.production.max[0] == pytest.approx(2.0)  # ... instead of curtailing
    assert own.horizon.consumption.min[1] == 0.0  # later intervals untouched
    system = strategy.aggregate([own], View("core", 0, 0, 900.0))
    target = strategy.decide(system, 0.0, View("core", 0, 0, 900.0))
    cell_target = strategy.split(target, [own], View("core", 0, 0, 900.0))[0]
    targets, report = strategy.split_with_report(cell_target, states, view)
    net = sum(t.production - t.consumption for t in targets)
    assert net <= 1.0 + 1e-6 and report.ok
    assert targets[1].consumption >= 1.0 - 1e-6  # the battery absorbs what the grid needs
    assert report.curtailed_mw <= report.inner_curtailed_mw + 1e-6  # no grid curtailment
    for t in targets:  # the units' whole plans start where the corrected targets are
        assert (t.plan.production[0], t.plan.consumption[0]) == (t.production, t.consumption)


def test_built_by_name_with_options_and_bad_options_are_named():
    from mosaik_components.mas.model.errors import ConfigError
    from mosaik_components.mas.strategies import LookaheadStrategy
    from mosaik_components.mas.strategies.registry import build_strategy

    built = build_strategy("grid_aware", {"inner": "lookahead", "inner_options": {
        "objective": "peak"}, "limits": {"v_max": 1.04}})
    assert isinstance(built.inner, LookaheadStrategy) and built.inner.objective == "peak"
    assert built.limits == GridLimits(0.95, 1.04, 100.0)
    for options, message in (
            ({"limits": {"v_min": 1.05, "v_max": 1.0}},
             r"grid_aware.limits: need 0.5 <= v_min < v_max <= 1.5 pu, got v_min=1.05"),
            ({"limits": {"loading_max": -3}}, r"grid_aware.limits.loading_max must be in"),
            ({"limits": {"vmax": 1.0}}, r"grid_aware.limits: unknown field\(s\) \['vmax'\]"),
            ({"inner": "nope"}, r"strategy: unknown name 'nope'"),
            ({"inner": 3}, r"grid_aware.inner must be a strategy, got 3")):
        with pytest.raises(ConfigError, match=message):
            build_strategy("grid_aware", options)
