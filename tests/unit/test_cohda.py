"""COHDA's pure parts: weights, working-memory rules, termination, optimality.

Optimality is checked against brute force on problem families where COHDA's
one-agent-at-a-time improvements provably reach the optimum (contiguous integer
options per interval), and within a stated tolerance on the options the MAS uses
(evenly spaced levels across each unit's band plus its baseline).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.mas.model.errors import StrategyError
from mosaik_components.mas.model.flexibility import Flex, UnitState, net_band
from mosaik_components.mas.protocol.codec import make_codec
from mosaik_components.mas.strategies.cohda import (
    Candidate,
    Done,
    Initiator,
    Objective,
    Participant,
    Start,
    SystemConfig,
    Update,
    WorkingMemory,
    negotiate,
    neighbour_lists,
    options_for,
    small_world,
    target_for_net,
)
from mosaik_components.mas.strategies.cohda.model import better, decide, merge_candidates
from mosaik_components.mas.strategies.cohda.weight import ONE, ZERO, Weight

SEEDS = [None, 0, 1, 2, 3]


# -- weights --------------------------------------------------------------------------
@given(st.lists(st.integers(1, 9), min_size=1, max_size=30))
def test_weight_splits_always_add_up_to_exactly_one(degrees):
    # GIVEN weight 1 thrown along a chain of splits
    held, returned = ONE, ZERO
    for parts in degrees:
        shares = held.split(parts)
        assert all(shares) and len(shares) == parts
        returned = sum(shares[1:], returned)
        held = shares[0]
    # THEN what was handed out plus what is held is exactly 1, never more
    assert (returned + held).compare_one() == 0
    assert returned.compare_one() < 0


def test_weight_rejects_negative_and_empty_splits():
    with pytest.raises(ValueError, match="must be >= 0"):
        Weight.of(-1, 0)
    with pytest.raises(ValueError, match="cannot split"):
        ZERO.split(2)


# -- working memory rules -------------------------------------------------------------
def test_config_merge_takes_newer_entries_only():
    a = SystemConfig.empty(3, 1).with_schedule(0, np.array([1.0]))
    b = SystemConfig.empty(3, 1).with_schedule(1, np.array([2.0]))
    b = b.with_schedule(0, np.array([5.0])).with_schedule(0, np.array([6.0]))
    merged = a.merge(b)
    assert merged.schedules[:, 0].tolist() == [6.0, 2.0, 0.0]
    assert merged.counters.tolist() == [2, 1, -1]
    assert merged.merge(a) is merged  # nothing newer: unchanged object


def test_candidate_order_superset_then_performance_then_creator():
    objective = Objective.of([3.0])
    s = np.array([[1.0], [2.0]])
    partial = Candidate.build(s, np.array([True, False]), 0, objective)
    full_bad = Candidate.build(np.array([[0.0], [0.0]]), np.array([True, True]), 1, objective)
    full_good = Candidate.build(s, np.array([True, True]), 1, objective)
    full_good_low_id = Candidate.build(s, np.array([True, True]), 0, objective)
    assert better(full_bad, partial) and not better(partial, full_bad)
    assert better(full_good, full_bad)
    assert better(full_good_low_id, full_good) and not better(full_good, full_good_low_id)


def test_merge_combines_disjoint_partial_candidates():
    objective = Objective.of([3.0])
    mine = Candidate.build(np.array([[1.0], [0.0]]), np.array([True, False]), 0, objective)
    other = Candidate.build(np.array([[0.0], [2.0]]), np.array([False, True]), 1, objective)
    merged = merge_candidates(mine, other, 0, objective)
    assert merged.known.all() and merged.creator == 0
    assert merged.performance == 0.0


def test_decide_picks_the_best_option_given_the_candidate():
    objective = Objective.of([5.0])
    others = Candidate.build(np.array([[0.0], [3.0]]), np.array([False, True]), 1, objective)
    memory = WorkingMemory(SystemConfig.empty(2, 1), others)
    decided = decide(0, np.array([[0.0], [1.0], [2.0], [4.0]]), memory, objective)
    assert decided.candidate.schedules[0, 0] == 2.0 and decided.candidate.complete
    assert decided.config.counters[0] == 1


def test_objective_rejects_bad_targets_and_weights():
    with pytest.raises(ValueError, match="equal length"):
        Objective.of([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        Objective.of([float("nan")])
    with pytest.raises(ValueError, match=">= 0"):
        Objective.of([1.0], [-1.0])


# -- optimality against brute force ---------------------------------------------------
def interval_ranges(rng, agents, horizon):
    """Per agent and interval a contiguous integer range (options: their product)."""
    lows = rng.integers(-4, 3, size=(agents, horizon))
    highs = lows + rng.integers(0, 4, size=(agents, horizon))
    options = [np.array(list(itertools.product(*[range(lo, hi + 1) for lo, hi in
                                                  zip(lows[a], highs[a], strict=True)])),
                        dtype=float)
               for a in range(agents)]
    return lows, highs, options


@pytest.mark.parametrize("problem", range(40))
def test_finds_the_brute_force_optimum_on_contiguous_options(problem):
    rng = np.random.default_rng(problem)
    agents, horizon = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    lows, highs, options = interval_ranges(rng, agents, horizon)
    objective = Objective.of(rng.integers(-12, 13, size=horizon).astype(float),
                             rng.integers(1, 4, size=horizon).astype(float))
    # brute force: the intervals are independent, so enumerate each interval's sums
    optimum = 0.0
    for t in range(horizon):
        sums = {sum(c) for c in itertools.product(*[range(lo, hi + 1) for lo, hi in
                                                   zip(lows[:, t], highs[:, t], strict=True)])}
        optimum -= objective.weights[t] * min(abs(objective.target[t] - s) for s in sums)
    overlay = neighbour_lists(small_world(agents, seed=problem))
    for seed in SEEDS:
        run = negotiate(options, overlay, objective, shuffle_seed=seed)
        assert run.solution.performance == pytest.approx(optimum, abs=1e-9), seed
        chosen = run.solution.schedules
        assert all(any(np.array_equal(row, o) for o in opts)
                   for row, opts in zip(chosen, options, strict=True))


@st.composite
def bands(draw):
    agents = draw(st.integers(1, 6))
    states = []
    for _ in range(agents):
        p_max = draw(st.floats(0, 3))
        c_max = draw(st.floats(0, 3))
        states.append(UnitState(Flex(draw(st.floats(0, p_max)), 0.0, p_max),
                                Flex(draw(st.floats(0, c_max)), 0.0, c_max)))
    return states, draw(st.floats(-8, 8)), draw(st.integers(0, 1000))


@settings(max_examples=60, deadline=None)
@given(bands())
def test_band_options_reach_the_optimum_within_half_the_coarsest_step(problem):
    states, target, seed = problem
    options = [options_for(s, 5) for s in states]
    objective = Objective.of([target])
    optimum = max(objective.performance(sum(c)) for c in itertools.product(*options))
    steps = [(net_band(s)[1] - net_band(s)[0]) / 4 for s in states]
    run = negotiate(options, neighbour_lists(small_world(len(states), seed=seed)), objective,
                    shuffle_seed=seed)
    assert run.solution.performance >= optimum - max(steps) / 2 - 1e-9


# -- termination and overlay ----------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(st.integers(1, 25), st.integers(0, 10_000), st.integers(1, 50) | st.just(10_000))
def test_always_terminates_and_talks_only_to_overlay_neighbours(agents, seed, max_updates):
    rng = np.random.default_rng(seed)
    options = [rng.integers(-3, 4, size=(int(rng.integers(1, 5)), 2)).astype(float)
               for _ in range(agents)]
    graph = small_world(agents, seed=seed)
    try:
        run = negotiate(options, neighbour_lists(graph), Objective.of([2.0, -1.0]),
                        shuffle_seed=seed, max_updates=max_updates)
    except StrategyError as exc:  # only a cap that cut the spreading may leave gaps
        assert max_updates < 10_000 and "update cap" in str(exc)
        return
    assert run.solution.schedules.shape == (agents, 2)
    assert all(graph.has_edge(a, b) for a, b in run.edges_used)
    if not run.solution.capped:
        assert run.returns >= 1


def test_update_cap_still_ends_the_negotiation_and_says_so():
    options = [np.linspace(-1, 1, 21).reshape(-1, 1) * (1 + i / 7) for i in range(30)]
    run = negotiate(options, neighbour_lists(small_world(30, seed=1)), Objective.of([3.3]),
                    max_updates=1)
    assert run.solution.capped


def test_early_updates_wait_for_the_start():
    # GIVEN participant 1 gets its neighbour's update before its own start message
    objective = Objective.of([2.0])
    initiator = Initiator(2)
    starts = initiator.start(objective)
    parts = [Participant(i, np.array([[0.0], [1.0]]), [1 - i]) for i in range(2)]
    parts[0].start(starts[0])
    flight, _ = parts[0].flush()
    parts[1].receive(flight.pop()[1])
    assert parts[1].memory is None  # kept, not dropped with its weight
    parts[1].start(starts[1])
    # WHEN the rest is delivered in order
    solution = None
    flight, done = parts[1].flush()
    while True:
        if done is not None:
            solution = initiator.receive(done) or solution
        if not flight:
            break
        target, update = flight.pop(0)
        parts[target].receive(update)
        more, done = parts[target].flush()
        flight.extend(more)
    # THEN all weight came back and the optimum (1 + 1) was found
    assert solution is not None and solution.performance == 0.0


def test_disconnected_overlay_is_an_error_not_a_wrong_answer():
    options = [np.array([[0.0], [1.0]])] * 3
    with pytest.raises(StrategyError, match="overlay connected"):
        negotiate(options, [[1], [0], []], Objective.of([3.0]))


# -- schedules <-> targets ------------------------------------------------------------
@given(st.floats(0, 5), st.floats(0, 5), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_target_for_net_stays_in_band_and_hits_the_net(p_max, c_max, p_at, c_at, where):
    state = UnitState(Flex(p_max * p_at, 0.0, p_max), Flex(c_max * c_at, 0.0, c_max))
    low, high = net_band(state)
    net = low + (high - low) * where
    target = target_for_net(state, net)
    assert target.net == pytest.approx(net, abs=1e-9)
    assert -1e-12 <= target.production <= p_max + 1e-12
    assert -1e-12 <= target.consumption <= c_max + 1e-12
    assert any(abs(o[0] - (state.production.current - state.consumption.current)) < 1e-9
               for o in options_for(state, 3))  # "change nothing" is always an option


def test_target_outside_the_band_is_refused():
    with pytest.raises(ValueError, match="outside the band"):
        target_for_net(UnitState(Flex(1.0, 0.0, 2.0)), 3.0)


# -- wire format ----------------------------------------------------------------------
def test_messages_survive_the_json_codec():
    codec = make_codec()
    objective = Objective.of([1.0, 2.0], [1.0, 0.5])
    memory = decide(0, np.array([[1.0, 2.0]]),
                    WorkingMemory(SystemConfig.empty(2, 2),
                                  Candidate(np.zeros((2, 2)), np.zeros(2, bool), 0, -np.inf)),
                    objective)
    weight = ONE.split(3)[1]
    for message in (Start(4, objective, 2, weight), Update(4, 0, memory, weight),
                    Done(4, 0, memory.candidate, weight, True)):
        decoded = codec.decode(codec.encode(message))
        assert type(decoded) is type(message)
        assert decoded.weight == weight and decoded.negotiation == 4
    decoded = codec.decode(codec.encode(Update(4, 0, memory, weight)))
    assert np.array_equal(decoded.memory.candidate.schedules, memory.candidate.schedules)
    assert np.array_equal(decoded.memory.config.counters, memory.config.counters)
