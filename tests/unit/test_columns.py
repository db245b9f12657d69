"""Column blocks of states and targets (what crosses to and from worker processes)."""

import base64
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.mas.model import Flex, HorizonFlex, Plan, Target, UnitState
from mosaik_components.mas.protocol.codec import pack_state, pack_target
from mosaik_components.mas.protocol.columns import (
    pack_states,
    pack_targets,
    unpack_states,
    unpack_targets,
)
from tests.unit.test_horizon import BATTERY

values = st.floats(min_value=0, max_value=1e6, allow_nan=False)
flexes = st.builds(Flex, values, values, values)
states = st.builds(UnitState, flexes, flexes)
targets = st.one_of(st.none(), st.builds(Target, values, values))


@given(st.lists(states, max_size=50))
def test_states_round_trip_exactly(batch):
    assert unpack_states(pack_states(batch), len(batch)) == batch


@given(st.lists(targets, max_size=50))
def test_targets_round_trip_exactly(batch):
    assert unpack_targets(pack_targets(batch), len(batch)) == batch


def test_horizons_and_plans_travel_with_their_rows():
    horizon = HorizonFlex.from_dict(BATTERY)
    plan = Plan(np.array([0.5, 0.0, 1.0]), np.zeros(3))
    batch = [UnitState(Flex(1, 0, 2)), UnitState.of_horizon(horizon), UnitState()]
    back = unpack_states(pack_states(batch), 3)
    # each row equals what the single-state packing gives (the codec of every message)
    assert [pack_state(s) for s in back] == [pack_state(s) for s in batch]
    assert back[0].horizon is None and back[2].horizon is None
    results = [None, Target(1.0, 0.0, plan), Target(0.0, 2.0)]
    back_targets = unpack_targets(pack_targets(results), 3)
    assert [pack_target(t) for t in back_targets] == [pack_target(t) for t in results]


def test_eight_bytes_per_value():
    packed = pack_states([UnitState(Flex(1, 0, 2))] * 100)
    assert len(base64.b64decode(packed["f"])) == 100 * 6 * 8


def malformed_states():
    good = pack_states([UnitState(Flex(1, 0, 2)), UnitState(Flex(0, 0, 1))])
    nan = base64.b64encode(np.array([math.nan] + [0.0] * 11).tobytes()).decode()
    return [
        ([1, 2], 2, "must be a packed column block"),
        ({**good, "n": 3}, 2, "n is 3, expected 2"),
        (good, 3, "n is 2, expected 3"),
        ({**good, "f": 7}, 2, "f must be a base64 string"),
        ({**good, "f": "not base64!"}, 2, "f is not valid base64"),
        ({**good, "f": good["f"][:-8]}, 2, "expected 2 x 6 float64 values"),
        ({**good, "f": nan}, 2, "value nan of row 0 is not finite"),
        ({**good, "h": []}, 2, "h must be a dict by index"),
        ({**good, "h": {"2": BATTERY}}, 2, "index '2' is outside 0..1"),
        ({**good, "h": {"-1": BATTERY}}, 2, "'-1' is not an index"),
        ({**good, "h": {"0": {"step_h": 1}}}, 2, "states.h[0] has no field"),
    ]


@pytest.mark.parametrize(("packed", "count", "message"), malformed_states())
def test_malformed_states_are_refused_naming_the_field(packed, count, message):
    with pytest.raises(ValueError, match="^states") as error:
        unpack_states(packed, count)
    assert message in str(error.value)


def test_malformed_targets_are_refused_naming_the_field():
    good = pack_targets([None, Target(1.0, 0.0)])
    plan = [[1.0], [0.0]]
    for packed, message in [
        ({**good, "none": {}}, "targets.none must be a list"),
        ({**good, "none": [1.0]}, "targets.none: 1.0 is not an index"),
        ({**good, "none": [True]}, "targets.none: True is not an index"),
        ({**good, "p": {"0": plan}}, "targets.p[0]: a plan for a unit without a target"),
        ({**good, "p": {"1": [[1.0]]}}, "targets.p[1] must be [production, consumption"),
    ]:
        with pytest.raises(ValueError) as error:
            unpack_targets(packed, 2)
        assert message in str(error.value), str(error.value)
