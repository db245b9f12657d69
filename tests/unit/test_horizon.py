"""The horizon state model: validation, round trip, feasibility of plans."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.mas.model import (
    Band,
    EnergyLimit,
    Flex,
    HorizonFlex,
    Plan,
    StateError,
    Target,
    UnitState,
)

BATTERY = {
    "step_h": 0.25,
    "production": [[0, 0, 0], [0, 0, 0], [1, 1, 1]],
    "consumption": [[0, 0, 0], [0, 0, 0], [2, 2, 2]],
    "energy": [{"name": "soc", "initial": 1.0, "lower": [0.2] * 3, "upper": [2.0] * 3,
                "charge_efficiency": 0.95, "discharge_efficiency": 0.95}],
    "costs": {"shed": 0.0, "curtail": 0.0},
}


def test_round_trip_and_interval_zero():
    horizon = HorizonFlex.from_dict(BATTERY)
    assert HorizonFlex.from_dict(horizon.to_dict()) == horizon
    state = UnitState.of_horizon(horizon)
    assert state.production == Flex(0.0, 0.0, 1.0)
    assert state.consumption == Flex(0.0, 0.0, 2.0)
    assert state.horizon is horizon
    # the single interval stays the special case: sums drop the horizon
    assert (state + state).horizon is None
    assert Target(1.0, 0.0).plan is None


def test_energy_levels_follow_efficiencies():
    limit = HorizonFlex.from_dict(BATTERY).energy[0]
    levels = limit.levels(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 2.0]), 0.25)
    assert levels == pytest.approx([1 - 0.25 / 0.95, 1 - 0.25 / 0.95,
                                    1 - 0.25 / 0.95 + 0.5 * 0.95])


def test_violation_names_the_worst_breach():
    horizon = HorizonFlex.from_dict(BATTERY)
    assert horizon.violation(Plan(np.zeros(3), np.zeros(3))) == 0.0
    assert horizon.violation(Plan(np.array([1.5, 0, 0]), np.zeros(3))) == pytest.approx(0.5)
    # discharging 1 MW for 0.75 h draws 0.789 MWh: from 0.9 MWh that ends below the floor
    low = HorizonFlex.from_dict({**BATTERY, "energy": [{**BATTERY["energy"][0], "initial": 0.9}]})
    drained = low.violation(Plan(np.ones(3), np.zeros(3)))
    assert drained == pytest.approx(0.2 - (0.9 - 0.75 / 0.95))


@pytest.mark.parametrize("field, value, message", [
    ("step_h", 0, "flex.step_h must be > 0"),
    ("production", [[0, 0], [0, 0], [1, 1]], "consumption"),
    ("production", [[0, 0, 0], [1, 0, 0], [0, 1, 1]], "min[0] (1.0) is greater than max[0]"),
    ("production", [[0, 0, -1], [0, 0, 0], [1, 1, 1]], "flex.production.expected[2]"),
    ("production", [[0, 0, float("nan")], [0, 0, 0], [1, 1, 1]], "expected[2] must be finite"),
    ("energy", [{"name": "soc", "initial": 0, "lower": [1] * 3, "upper": [0] * 3}],
     "flex.energy[0][soc]: lower[0] (1.0) is greater than upper[0]"),
    ("energy", [{"name": "soc", "initial": 0, "lower": [0] * 3, "upper": [1] * 3,
                 "charge_efficiency": -0.9}], "charge_efficiency must be in (0, 1]"),
    ("energy", [{"name": "soc", "lower": [0] * 3, "upper": [1] * 3}], "no field 'initial'"),
    ("costs", {"shed": -1}, "flex.costs.shed must be >= 0"),
    ("costs", {"spill": 1}, "flex.costs must be a dict"),
])
def test_bad_horizons_name_the_field(field, value, message):
    with pytest.raises(StateError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        HorizonFlex.from_dict({**BATTERY, field: value})


def test_unknown_fields_and_wrong_types_are_errors():
    with pytest.raises(StateError, match="unknown field"):
        HorizonFlex.from_dict({**BATTERY, "sco": 1})
    with pytest.raises(StateError, match="must be a dict"):
        HorizonFlex.from_dict([1, 2])
    with pytest.raises(StateError, match="has no field 'step_h'"):
        HorizonFlex.from_dict({k: v for k, v in BATTERY.items() if k != "step_h"})


@given(st.lists(st.floats(0, 10), min_size=1, max_size=48), st.floats(0.01, 1))
def test_plan_within_its_bands_and_a_generous_limit_is_feasible(values, share):
    expected = np.array(values)
    band = Band.checked(expected, expected * (1 - share), expected, "p")
    total = float(expected.sum()) * 0.25
    limit = EnergyLimit.checked("spent", 0.0, [-total - 1] * expected.size,
                                [1.0] * expected.size, length=expected.size)
    horizon = HorizonFlex(0.25, band, Band.zeros(expected.size), (limit,))
    assert horizon.violation(Plan(band.baseline, np.zeros(expected.size))) == 0.0
