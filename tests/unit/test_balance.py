"""Invariants of the default strategy, checked with hypothesis."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mosaik_components.mas.model.errors import StrategyError
from mosaik_components.mas.model.flexibility import Flex, Target, UnitState, aggregate
from mosaik_components.mas.strategies.balance import (
    BalanceStrategy,
    decide_balance,
    split_direction,
    split_proportional,
)

TOL = 1e-6


@st.composite
def flexes(draw):
    a, b = draw(st.floats(0, 100)), draw(st.floats(0, 100))
    lo, hi = min(a, b), max(a, b)
    current = draw(st.one_of(st.floats(lo, hi), st.floats(0, 120)))
    return Flex(current, lo, hi)


@st.composite
def states(draw):
    return UnitState(draw(flexes()), draw(flexes()))


children_lists = st.lists(states(), min_size=1, max_size=12)


def exchange(target: Target, offset: float) -> float:
    return target.consumption - target.production + offset


@given(states(), st.floats(-50, 50), st.sampled_from(["consume", "curtail"]))
def test_decide_stays_in_bounds_and_never_worsens_the_exchange(system, offset, priority):
    target = decide_balance(system, offset, priority)
    p, c = system.production, system.consumption
    assert p.min - TOL <= target.production <= p.max + TOL
    assert c.min - TOL <= target.consumption <= c.max + TOL
    baseline = Target(p.baseline, c.baseline)
    assert abs(exchange(target, offset)) <= abs(exchange(baseline, offset)) + TOL
    # the exchange keeps its sign: flexibility never overshoots into the other direction
    assert exchange(target, offset) * exchange(baseline, offset) >= -TOL


@given(states(), st.floats(-50, 50))
def test_decide_balances_fully_when_flexibility_suffices(system, offset):
    p, c = system.production, system.consumption
    need = c.baseline - p.baseline + offset
    room = (p.max - p.baseline) + (c.baseline - c.min) if need > 0 else (
        (c.max - c.baseline) + (p.baseline - p.min))
    assume(abs(need) <= room)
    assert abs(exchange(decide_balance(system, offset), offset)) <= TOL


@given(children_lists)
def test_no_flexibility_is_used_when_already_balanced(children):
    children = [UnitState(Flex(s.production.baseline, s.production.min, s.production.max),
                          Flex(s.consumption.baseline, s.consumption.min, s.consumption.max))
                for s in children]
    system = aggregate(children)
    offset = system.production.current - system.consumption.current
    strategy = BalanceStrategy()
    target = strategy.decide(system, offset)
    assert target == Target(system.production.current, system.consumption.current)
    for child, t in zip(children, strategy.split(target, children), strict=True):
        assert t.production == pytest.approx(child.production.current, abs=TOL)
        assert t.consumption == pytest.approx(child.consumption.current, abs=TOL)


@given(children_lists, st.floats(0, 1), st.floats(0, 1))
def test_split_sums_to_the_parent_and_respects_every_band(children, fp, fc):
    total = aggregate(children)
    p, c = total.production, total.consumption
    target = Target(p.min + fp * (p.max - p.min), c.min + fc * (c.max - c.min))
    parts = split_proportional(target, children)
    assert math.isclose(sum(t.production for t in parts), target.production, abs_tol=TOL)
    assert math.isclose(sum(t.consumption for t in parts), target.consumption, abs_tol=TOL)
    for child, t in zip(children, parts, strict=True):
        assert child.production.min - TOL <= t.production <= child.production.max + TOL
        assert child.consumption.min - TOL <= t.consumption <= child.consumption.max + TOL


@given(children_lists, st.floats(0, 1), st.randoms(use_true_random=False))
def test_split_is_deterministic_and_independent_of_child_order(children, f, rnd):
    band = aggregate(children).production
    target = Target(band.min + f * (band.max - band.min), aggregate(children).consumption.min)
    order = list(range(len(children)))
    rnd.shuffle(order)
    shuffled = [children[i] for i in order]
    straight = split_proportional(target, children)
    assert straight == split_proportional(target, children)
    for position, index in enumerate(order):
        assert split_proportional(target, shuffled)[position].production == pytest.approx(
            straight[index].production, abs=TOL)


def test_split_is_proportional_to_headroom():
    children = [Flex(1, 0, 3), Flex(1, 0, 5), Flex(1, 1, 1)]  # headroom up: 2, 4, 0
    assert split_direction(6.0, children, "p") == pytest.approx([2.0, 3.0, 1.0])
    # downwards the room is current - min: 1, 1, 0
    assert split_direction(2.0, children, "p") == pytest.approx([0.5, 0.5, 1.0])


def test_split_rejects_targets_outside_the_band():
    with pytest.raises(StrategyError, match=r"production target 9 MW lies outside .*\[0, 8\]"):
        split_direction(9, [Flex(1, 0, 3), Flex(1, 0, 5)], "production")
    with pytest.raises(StrategyError, match="zero children"):
        split_proportional(Target(0, 0), [])


def test_decide_example_surplus_priorities():
    system = UnitState(Flex(10, 0, 10), Flex(4, 2, 7))  # 6 MW surplus
    assert decide_balance(system, 0, "consume") == Target(7, 7)  # load +3, then curtail 3
    assert decide_balance(system, 0, "curtail") == Target(4, 4)  # curtail 6 first
    assert decide_balance(system, 0.5, "consume") == Target(7.5, 7)
