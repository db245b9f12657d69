"""Horizon model extensions: parts, cost terms, reachable levels, tightening interval 0."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.mas.model import StateError
from mosaik_components.mas.model.horizon import (
    Band,
    Costs,
    EnergyLimit,
    HorizonFlex,
    Plan,
    forward_levels,
    reachable_levels,
)
from mosaik_components.massca_units.battery import battery_band
from scalability import lookahead_systems as units


def test_parts_round_trip_and_must_add_up():
    pv, battery = units.pv(6, 1.0), units.battery(6, 2.0, 0.5, 1.0)
    whole = HorizonFlex(0.25, pv.production + battery.production,
                        pv.consumption + battery.consumption, parts=(("pv", pv), ("bat", battery)))
    assert HorizonFlex.from_dict(whole.to_dict()) == whole
    assert whole.part("bat") == battery
    plan = Plan(pv.production.max, np.zeros(6), (("pv", Plan(pv.production.max, np.zeros(6))),
                                                 ("bat", Plan(np.zeros(6), np.zeros(6)))))
    assert Plan.from_dict(plan.to_dict()) == plan
    assert Plan.from_lists(plan.to_lists()) == plan  # the codec's form keeps the parts
    assert whole.violation(plan) == 0.0
    bad = whole.to_dict()
    bad["production"][2] = [x + 1 for x in bad["production"][2]]
    with pytest.raises(StateError, match="flex: production.max is not the sum"):
        HorizonFlex.from_dict(bad)
    nested = whole.to_dict()
    nested["parts"][0][1]["parts"] = []
    with pytest.raises(StateError, match=r"flex.parts\[0\] \('pv'\) has parts of its own"):
        HorizonFlex.from_dict(nested)
    with pytest.raises(StateError, match="plan: production is not the sum"):
        Plan.from_dict({**plan.to_dict(), "production": [9.0] * 6})


def test_costs_have_four_terms():
    costs = Costs.checked(1, 2, shift=3, wear=4)
    assert costs.to_dict() == {"shed": 1.0, "curtail": 2.0, "shift": 3.0, "wear": 4.0}
    with pytest.raises(StateError, match="flex.costs.wear must be >= 0"):
        HorizonFlex.from_dict({**units.pv(2, 1.0).to_dict(), "costs": {"wear": -1}})


def _brute_backward(lower, upper, fmin, fmax, dt):
    low, high = lower.copy(), upper.copy()
    for k in range(len(low) - 1, 0, -1):
        low[k - 1] = max(low[k - 1], low[k] - dt * fmax[k])
        high[k - 1] = min(high[k - 1], high[k] - dt * fmin[k])
    return low, high


def _brute_forward(initial, lower, upper, fmin, fmax, dt):
    low, high = np.empty_like(lower), np.empty_like(upper)
    lo = hi = initial
    for k in range(len(low)):
        lo, hi = max(lower[k], lo + dt * fmin[k]), min(upper[k], hi + dt * fmax[k])
        low[k], high[k] = lo, hi
    return low, high


@settings(max_examples=40)
@given(st.lists(st.tuples(st.floats(0, 5), st.floats(0, 5), st.floats(-2, 0), st.floats(0, 2)),
                min_size=1, max_size=30), st.floats(0, 5))
def test_reachable_levels_follow_the_recursions(rows, initial):
    lower, upper, fmin, fmax = (np.array(col) for col in zip(*rows, strict=True))
    lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
    for got, want in zip(reachable_levels(lower, upper, fmin, fmax, 0.5),
                         _brute_backward(lower, upper, fmin, fmax, 0.5), strict=True):
        assert got == pytest.approx(want, abs=1e-9)
    for got, want in zip(forward_levels(initial, lower, upper, fmin, fmax, 0.5),
                         _brute_forward(initial, lower, upper, fmin, fmax, 0.5), strict=True):
        assert got == pytest.approx(want, abs=1e-9)


@given(st.floats(0.2, 1.8), st.sampled_from([0.25, 1.0]))
def test_one_interval_tightening_is_the_battery_band(soc, hours):
    params = {"capacity_mwh": 2.0, "p_charge_mw": 0.5, "p_discharge_mw": 0.8,
              "eta_c": 0.9, "eta_d": 0.95, "soc_min": 0.1, "soc_max": 0.9}
    one = HorizonFlex(hours, Band(np.zeros(1), np.zeros(1), np.array([0.8])),
                      Band(np.zeros(1), np.zeros(1), np.array([0.5])),
                      (EnergyLimit("soc", soc, np.array([0.2]), np.array([1.8]), 0.9, 0.95),))
    tight = one.tightened()
    low, high = battery_band(soc, hours, params)
    assert -tight.consumption.max[0] == pytest.approx(low, abs=1e-9)
    assert tight.production.max[0] == pytest.approx(high, abs=1e-9)


def test_tightening_keeps_the_future_feasible_and_rejects_the_impossible():
    # must end at >= 1.0 MWh from 0.5 within 2 intervals of 1 h, charging <= 0.3 MW:
    # interval 0 must already charge at least 0.2 MW (0.5 + 0.2 + 0.3 = 1.0)
    zeros = np.zeros(2)
    flex = HorizonFlex(1.0, Band(zeros, zeros, np.ones(2)), Band(zeros, zeros, np.full(2, 0.3)),
                       (EnergyLimit("soc", 0.5, zeros, np.array([2.0, 2.0]), 1.0, 1.0),))
    needy = HorizonFlex(1.0, flex.production, flex.consumption,
                        (EnergyLimit("soc", 0.5, np.array([0.0, 1.0]), np.full(2, 2.0)),))
    tight = needy.tightened()
    assert tight.consumption.min[0] == pytest.approx(0.2)
    assert tight.production.max[0] == 0.0
    impossible = HorizonFlex(1.0, flex.production, flex.consumption,
                             (EnergyLimit("soc", 0.5, np.array([0.0, 1.5]), np.full(2, 2.0)),))
    with pytest.raises(StateError, match=r"unit.energy\[soc\]: no schedule keeps the level"):
        impossible.tightened("unit")
