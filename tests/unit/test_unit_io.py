import pytest

from mosaik_components.mas.model.errors import StateError
from mosaik_components.mas.model.flexibility import Flex, Target, UnitState
from mosaik_components.mas.mosaik.unit_io import unit_outputs, unit_state


def test_producer_defaults_to_curtailable():
    assert unit_state("pv", "producer", {"current": 3.0}, {}) == UnitState(Flex(3, 0, 3))


def test_consumer_defaults_to_fixed_and_params_give_bounds():
    assert unit_state("l", "consumer", {"current": 2.0}, {}) == UnitState(
        consumption=Flex(2, 2, 2))
    assert unit_state("l", "consumer", {"current": 2.0}, {"min": 1, "max": 4}) == UnitState(
        consumption=Flex(2, 1, 4))


def test_net_inputs_and_prosumer():
    state = unit_state("bat", "prosumer", {"P[MW]": -0.5, "P_min[MW]": -2, "P_max[MW]": 1}, {})
    assert state == UnitState(Flex(0, 0, 1), Flex(0.5, 0, 2))
    assert unit_state("s", "prosumer", {"current": 1.0, "min": -1, "max": 1}, {}).net == 1.0


def test_split_inputs_win():
    values = {"production[MW]": 1.0, "production_max[MW]": 2.0, "consumption[MW]": 0.5}
    assert unit_state("x", "producer", values, {}) == UnitState(Flex(1, 1, 2), Flex(0.5, 0.5, 0.5))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"power": 1.0}, r"unit 'u': unknown input attribute\(s\) \['power'\]"),
        ({}, "unit 'u' \\(producer\\): no power input this step"),
        ({"P_min[MW]": 1.0}, r"P_min\[MW\]/P_max\[MW\] given without P\[MW\]"),
        ({"current": -1.0}, "u.production: production/consumption magnitudes must be >= 0"),
        ({"current": 1.0, "min": 2.0}, r"u.production: min \(2.0\) is greater than max"),
    ],
)
def test_bad_unit_inputs(values, message):
    with pytest.raises(StateError, match=message):
        unit_state("u", "producer", values, {})


def test_outputs_are_changes_against_the_base():
    base = UnitState(Flex(3, 0, 3), Flex(0, 0, 0))
    out = unit_outputs("producer", Target(2.0, 0.0), base)
    assert out["P_set[MW]"] == 2.0 and out["delta[MW]"] == -1.0
    assert out["scale_factor"] == -1.0 and out["production_delta[MW]"] == -1.0
    load = unit_outputs("consumer", Target(0.0, 5.0), UnitState(consumption=Flex(4, 2, 8)))
    assert load["scale_factor"] == 1.0 and load["delta[MW]"] == -1.0
