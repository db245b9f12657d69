"""COHDA as mango 2 roles in real containers (one, or two talking TCP on loopback).

Two containers talk only if they share a :class:`Session` (its secret seals every
message between them).
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from mango import activate

from mosaik_components.mas.model.errors import NegotiationTimeoutError
from mosaik_components.mas.runtime.cohda_roles import CohdaParticipantRole, create_cohda_agents
from mosaik_components.mas.runtime.transport import (
    MessageStats,
    Session,
    TransportConfig,
    create_container,
)
from mosaik_components.mas.strategies.cohda import Objective


def contiguous_options(agents: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.arange(lo, lo + width + 1, dtype=float).reshape(-1, 1)
            for lo, width in zip(rng.integers(-3, 2, agents), rng.integers(0, 4, agents),
                                 strict=True)]


def optimum(options: list[np.ndarray], target: float) -> float:
    low = sum(o.min() for o in options)
    high = sum(o.max() for o in options)
    return -max(low - target, target - high, 0.0)  # every integer in between is a sum


async def negotiate_once(options, target, seed, trace=None):
    container = create_container(TransportConfig())
    built = create_cohda_agents(container, options, seed=seed,
                                stats=MessageStats(trace=trace))
    async with activate(container):
        solution = await built.initiator.negotiate(Objective.of([target]), timeout=30)
    return built, solution


@pytest.mark.parametrize("seed", range(5))
def test_roles_find_the_optimum_and_only_talk_on_the_overlay(seed):
    options = contiguous_options(40, seed)
    target = float(np.random.default_rng(seed).integers(-30, 30))
    trace: list[tuple[str, str, str]] = []
    built, solution = asyncio.run(negotiate_once(options, target, seed, trace))
    assert solution.performance == pytest.approx(optimum(options, target))
    assert not solution.capped
    aid_node = {role.context.aid: i for i, role in enumerate(built.participants)}
    initiator = built.initiator.context.aid
    kinds = {kind for _, _, kind in trace}
    assert kinds == {"Start", "Update", "Done"}
    for sender, receiver, kind in trace:
        if kind == "Update":
            assert built.graph.has_edge(aid_node[sender], aid_node[receiver])
        elif kind == "Done":
            assert receiver == initiator and sender in aid_node
        else:
            assert sender == initiator and receiver in aid_node
    assert built.stats.rejected == 0


def test_roles_are_deterministic_for_a_seed():
    options = [np.linspace(-1, 1, 11).reshape(-1, 1) * (0.5 + i / 20) for i in range(60)]
    first = asyncio.run(negotiate_once(options, 2.345, seed=9))[1]
    again = asyncio.run(negotiate_once(options, 2.345, seed=9))[1]
    assert np.array_equal(first.schedules, again.schedules)
    assert first.performance == again.performance


def test_a_silent_participant_times_out_naming_it():
    async def run() -> None:
        container = create_container(TransportConfig())
        built = create_cohda_agents(container, contiguous_options(6, 0), seed=0)
        deaf: CohdaParticipantRole = built.participants[3]
        deaf._flush = lambda: None  # this one agent perceives but never decides or answers
        async with activate(container):
            await built.initiator.negotiate(Objective.of([1.0]), timeout=0.5)

    with pytest.raises(NegotiationTimeoutError, match=r"among them\): .*agent3@127\.0\.0\.1:"):
        asyncio.run(run())


def test_participants_in_two_tcp_containers_negotiate_over_json():
    async def run():
        session = Session()
        left = create_container(TransportConfig(), 0, session)
        right = create_container(TransportConfig(), 1, session)
        options = contiguous_options(12, 4)
        built = create_cohda_agents([left, right], options, seed=4)
        async with activate(left, right):
            solution = await built.initiator.negotiate(Objective.of([5.0]), timeout=30)
        return options, solution, built

    options, solution, built = asyncio.run(run())
    assert solution.performance == pytest.approx(optimum(options, 5.0))
    addresses = {role.context.addr.protocol_addr for role in built.participants}
    assert len(addresses) == 2  # really spread over both containers
