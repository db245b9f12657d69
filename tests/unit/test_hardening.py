"""Mistaken input, handled: numpy numbers, huge systems, overflow, deep trees."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.mas.model.errors import StateError
from mosaik_components.mas.model.flexibility import Flex, Target, UnitState, aggregate, is_number
from mosaik_components.mas.model.hierarchy import build_tree
from mosaik_components.mas.mosaik.simulator import MosaikAgents, _summed
from mosaik_components.mas.mosaik.unit_io import unit_state
from mosaik_components.mas.strategies.balance import BalanceStrategy
from mosaik_components.mas.strategies.coordination import CycleInfo, StrategyCoordination

NUMPY_NUMBERS = [np.float32(1.5), np.float64(1.5), np.int64(2), np.int32(2), np.uint8(2)]


@pytest.mark.parametrize("value", NUMPY_NUMBERS, ids=lambda v: type(v).__name__)
def test_numpy_scalars_are_numbers_everywhere_a_unit_input_goes(value):
    assert is_number(value)
    assert _summed("u", "current", {"src": value, "other": 1}) == float(value) + 1
    state = unit_state("u", "producer", {"current": value, "max": value * 2}, {})
    assert state.production == Flex(float(value), 0.0, float(value) * 2)
    sim = MosaikAgents()
    sim.init("MAS-0", step_size=900)
    sim.create(1, "MosaikAgents")
    sim.create(1, "Unit", controller=None, current=value, max=value)


@pytest.mark.parametrize("value", [True, np.bool_(True), "1", None, [1.0]],
                         ids=lambda v: repr(v))
def test_non_numbers_stay_refused(value):
    assert not is_number(value)
    with pytest.raises(StateError, match="must be a finite number"):
        _summed("u", "current", {"src": value})


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=2,
                max_size=40),
       st.integers(0, 14), st.floats(-1, 1))
def test_invariant_checks_scale_with_the_system(bands, exponent, offset):
    """1 MW or 1e14 MW: the same system, scaled, passes the same checks."""
    scale = 10.0 ** exponent
    children = {}
    for index, (a, b, c) in enumerate(bands):
        low, current, high = sorted((a * scale, b * scale, c * scale))
        children[f"u{index}"] = UnitState(Flex(current, low, high), Flex(current, low, high))
    coordination = StrategyCoordination(BalanceStrategy())
    targets = coordination.decide("core", children, CycleInfo(offset=offset * scale))
    assert set(targets) == set(children)


def test_units_that_overflow_are_an_input_error_naming_them():
    huge = UnitState(Flex(1e308, 0.0, 1e308))
    children = {"pv1": huge, "pv2": huge, "load": UnitState(Flex(1.0, 0.0, 1.0))}
    coordination = StrategyCoordination(BalanceStrategy())
    with pytest.raises(StateError, match=r"add up to inf MW, beyond the 4\.49e\+307 MW .* "
                                         r"largest: 'pv1' \(1e\+308 MW production.*'pv2'"):
        coordination.aggregate("cell", None, children, CycleInfo())
    with pytest.raises(StateError, match="'pv1'"):
        coordination.decide("core", children, CycleInfo())
    # large but summable is fine
    big = UnitState(Flex(1e300, 0.0, 1e300))
    assert coordination.aggregate("cell", None, {"a": big, "b": big}, CycleInfo()) == big + big


def test_tree_validation_is_linear_in_depth():
    """A chain 20,000 controllers deep (the old check walked every node's ancestors
    through a list: cubic, ~53 s at depth 1,600 on the CI machine; now ~0.03 s)."""
    depth = 20_000
    parents: dict[str, str | None] = {"core": None, "c0": None}
    parents.update({f"c{i}": f"c{i - 1}" for i in range(1, depth)})
    parents["unit"] = f"c{depth - 1}"
    tree = build_tree(parents, {"core": "core"})
    assert tree.nodes["unit"].depth == depth + 1
    assert tree.bottom_up[0] == "unit" and tree.bottom_up[-1] == "core"


def test_a_cycle_deep_down_is_still_named():
    parents = {"core": None, "a": None, "b": "a", "c": "b", "d": "c", "x": "z", "z": "y",
               "y": "x"}
    with pytest.raises(Exception, match=r"cycle in the controller tree: x -> z -> y -> x"):
        build_tree(parents, {"core": "core"})


def test_targets_at_a_terawatt_scale_pass_the_checks():
    """The issue's case: at ~1e12 MW the absolute 1e-6 MW tolerance failed (rounding of
    the 29 targets' sum: 13705500000000.002 against 13705500000000.0)."""
    n = 29
    children = {f"u{i}": UnitState(Flex(1e12 * (i + 1) / n / 3, 0.0, 1e12 * (i + 1) / n))
                for i in range(n)}
    own = aggregate(children.values())
    target = own.production.max * 0.9137
    targets = StrategyCoordination(BalanceStrategy()).split(
        "cell", Target(target, 0.0), own, children, CycleInfo())
    assert sum(t.production for t in targets.values()) == pytest.approx(target, rel=1e-12)
