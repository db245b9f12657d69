"""COHDA as mango 2 roles, for negotiations outside the MAS tree.

* :class:`CohdaParticipantRole` — one participant; its index is its node id in the
  mango topology ``tid`` and its neighbours are that topology's neighbours.
* :class:`CohdaInitiatorRole` — starts a negotiation among a list of participants
  and awaits its end (exact termination detection, see :mod:`.protocol`).
* :func:`create_cohda_agents` — builds both plus a seeded small-world overlay with
  mango's topology helpers, in a container the caller owns.

Everything runs in the caller's container(s); no extra ports are opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from mango import (
    Agent,
    AgentAddress,
    Role,
    RoleAgent,
    graph_topology,
    per_node,
    topology_neighbors,
    topology_node_id,
)
from mango.container.core import Container

from ..model.errors import MasError, NegotiationTimeoutError
from ..strategies.cohda.model import Objective
from ..strategies.cohda.overlay import small_world
from ..strategies.cohda.protocol import Done, Initiator, Participant, Solution, Start, Update
from .transport import MessageStats, address_key, post, sender_key

__all__ = ["CohdaParticipantRole", "CohdaInitiatorRole", "CohdaAgents", "create_cohda_agents"]

TID = "cohda"


def _name(address: AgentAddress) -> str:
    host_port = address.protocol_addr
    where = f"{host_port[0]}:{host_port[1]}" if isinstance(host_port, tuple | list) else host_port
    return f"{address.aid}@{where}"


class CohdaParticipantRole(Role):
    """A COHDA participant choosing one row of ``options`` (shape ``(m, H)``)."""

    def __init__(self, options: np.ndarray, *, stats: MessageStats, tid: str = TID,
                 max_updates: int = 10_000) -> None:
        super().__init__()
        self.options = np.asarray(options, dtype=float)
        self.stats = stats
        self.tid = tid
        self.max_updates = max_updates
        self.participant: Participant | None = None
        self.initiator: AgentAddress | None = None
        self._neighbours: dict[tuple[Any, str], AgentAddress] = {}

    def setup(self) -> None:
        """Subscribe to the protocol's messages."""
        self.context.subscribe_message(self, self._on_start, lambda c, m: type(c) is Start)
        self.context.subscribe_message(self, self._on_update, lambda c, m: type(c) is Update)

    def _participant(self) -> Participant:
        if self.participant is None:  # the topology is injected after the roles exist
            neighbours = topology_neighbors(self, tid=self.tid)
            self._neighbours = {address_key(a): a for a in neighbours}
            self.participant = Participant(topology_node_id(self, tid=self.tid), self.options,
                                           list(self._neighbours), self.max_updates)
        return self.participant

    def _on_start(self, content: Start, meta: dict[str, Any]) -> None:
        self.initiator = AgentAddress(*sender_key(meta))
        self._participant().start(content)
        self._flush()

    def _on_update(self, content: Update, meta: dict[str, Any]) -> None:
        participant = self._participant()
        if sender_key(meta) not in self._neighbours:
            self.stats.rejected += 1
            return
        participant.receive(content)
        self._flush()

    def _flush(self) -> None:
        if self.context.inbox_length() or self.participant is None:
            return  # more to perceive first
        out, done = self.participant.flush()
        for key, update in out:
            post(self.context, update, self._neighbours[key], self.stats)  # type: ignore[index]
        if done is not None and self.initiator is not None:
            post(self.context, done, self.initiator, self.stats)


class CohdaInitiatorRole(Role):
    """Starts negotiations among ``participants`` (index order) and awaits the result.

    ``participants`` are agents or addresses; an agent's address is read when the
    negotiation starts (a container on an automatic port knows it only then).
    """

    def __init__(self, participants: Sequence[AgentAddress | Agent], *,
                 stats: MessageStats) -> None:
        super().__init__()
        self.participants = list(participants)
        self.stats = stats
        self.initiator = Initiator(len(self.participants))
        self._future: asyncio.Future[Solution] | None = None
        self._answered: set[int] = set()

    def setup(self) -> None:
        """Subscribe to returned weights."""
        self.context.subscribe_message(self, self._on_done, lambda c, m: type(c) is Done)

    async def negotiate(self, objective: Objective, timeout: float = 60.0) -> Solution:
        """Run one negotiation; :class:`NegotiationTimeoutError` after ``timeout`` s."""
        self._future = asyncio.get_running_loop().create_future()
        self._answered = set()
        addresses = [p.addr if isinstance(p, Agent) else p for p in self.participants]
        for start, address in zip(self.initiator.start(objective), addresses, strict=True):
            post(self.context, start, address, self.stats)
        try:
            return await asyncio.wait_for(self._future, timeout)
        except TimeoutError:
            silent = ", ".join(_name(a) for i, a in enumerate(addresses)
                               if i not in self._answered)
            raise NegotiationTimeoutError(
                f"COHDA negotiation {self.initiator.negotiation} did not end within {timeout} s; "
                f"participants that never returned weight (a silent one is among them): "
                f"{silent or 'none'}"
            ) from None

    def _on_done(self, content: Done, meta: dict[str, Any]) -> None:
        future = self._future
        if future is None or future.done():
            return
        self._answered.add(content.sender)
        try:
            solution = self.initiator.receive(content)
        except MasError as exc:
            future.set_exception(exc)
            return
        if solution is not None:
            future.set_result(solution)


@dataclass(frozen=True, slots=True)
class CohdaAgents:
    """What :func:`create_cohda_agents` built."""

    initiator: CohdaInitiatorRole
    participants: list[CohdaParticipantRole]
    graph: Any
    stats: MessageStats


def create_cohda_agents(
    container: Container | Sequence[Container], options: Sequence[np.ndarray], *,
    seed: int = 0, neighbours: int = 4, rewire: float = 0.1, max_updates: int = 10_000,
    stats: MessageStats | None = None,
) -> CohdaAgents:
    """Register one participant agent per options matrix plus an initiator agent.

    The overlay is :func:`.overlay.small_world` (``neighbours``, ``rewire``, ``seed``)
    injected with mango's topology helpers under the topology id ``"cohda"``. Given
    several containers, participants go to them in contiguous blocks (ring neighbours
    mostly share a container); the initiator lives in the first.
    """
    containers = [container] if isinstance(container, Container) else list(container)
    stats = stats if stats is not None else MessageStats()
    graph = small_world(len(options), neighbours, rewire, seed)
    roles = []
    agents = []
    topology = graph_topology(graph, tid=TID)
    blocks = len(containers)
    for index, (node, matrix) in enumerate(zip(per_node(topology), options, strict=True)):
        agent = RoleAgent()  # per_node injects the neighbourhoods after the last node
        role = CohdaParticipantRole(matrix, stats=stats, max_updates=max_updates)
        agent.add_role(role)
        containers[index * blocks // len(options)].register(agent)
        node.add(agent)
        roles.append(role)
        agents.append(agent)
    starter = RoleAgent()
    initiator = CohdaInitiatorRole(agents, stats=stats)
    starter.add_role(initiator)
    containers[0].register(starter)
    return CohdaAgents(initiator, roles, graph, stats)
