import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.mas.model.errors import StateError
from mosaik_components.mas.model.flexibility import Flex, UnitState, aggregate, from_net, net_band

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
magnitude = st.floats(min_value=0, max_value=1e4, allow_nan=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((math.nan, 0, 1), "unit.current must be finite, got nan"),
        ((1, math.inf, 1), "unit.min must be finite, got inf"),
        (("1", 0, 1), "unit.current must be a number, got '1'"),
        ((True, 0, 1), "unit.current must be a number, got True"),
        ((1, 2, 1), "unit: min (2.0) is greater than max (1.0)"),
        ((-1, 0, 1), "magnitudes must be >= 0"),
    ],
)
def test_flex_checked_rejects_bad_values_naming_them(args, message):
    with pytest.raises(StateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Flex.checked(*args, what="unit")


def test_baseline_moves_current_into_band():
    assert Flex(5, 0, 3).baseline == 3
    assert Flex(1, 2, 3).baseline == 2
    assert Flex(2.5, 2, 3).baseline == 2.5


def test_aggregate_adds_every_field():
    a = UnitState(Flex(1, 0, 2), Flex(3, 1, 4))
    b = UnitState(Flex(2, 1, 5), Flex(0, 0, 1))
    assert aggregate([a, b]) == UnitState(Flex(3, 1, 7), Flex(3, 1, 5))
    assert aggregate([]) == UnitState()
    assert a + b == aggregate([a, b])


@given(finite, finite, finite, st.floats(0, 1), st.floats(0, 1))
def test_from_net_keeps_every_setpoint_pair_inside_the_net_band(cur, lo, hi, fp, fc):
    lo, hi = min(lo, hi), max(lo, hi)
    state = from_net(cur, lo, hi)
    p, c = state.production, state.consumption
    assert math.isclose(state.net, cur, abs_tol=1e-9)
    produced = p.min + fp * (p.max - p.min)
    consumed = c.min + fc * (c.max - c.min)
    assert lo - 1e-9 <= produced - consumed <= hi + 1e-9
    assert net_band(state) == pytest.approx((lo, hi))


def test_from_net_rejects_swapped_bounds():
    with pytest.raises(StateError, match=r"battery: P_min\[MW\] \(2.0\) is greater than "):
        from_net(0, 2, 1, "battery")


def test_massca_dict_round_trip_and_errors():
    state = UnitState(Flex(1, 0, 2), Flex(3, 1, 4))
    assert UnitState.from_massca(state.to_massca()) == state
    with pytest.raises(StateError, match="state.consumption has no field 'max'"):
        UnitState.from_massca({"production": {"min": 0, "max": 1, "current": 0},
                               "consumption": {"min": 0, "current": 0}})
    with pytest.raises(StateError, match="state.production must be a dict"):
        UnitState.from_massca({"production": 3})
