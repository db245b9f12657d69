"""Creating and wiring the agents of one container.

Shared by the MAS runtime (the core's process) and by worker processes
(:mod:`.worker`), so an agent is built and linked the same way wherever it lives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from mango import AgentAddress

from ..model.hierarchy import Role
from ..strategies.cohda.protocol import Participant
from ..strategies.cohda.tree import CohdaSettings, TreeNegotiation, overlay_for
from ..strategies.coordination import Coordination, CycleInfo
from .agents import AggregatingAgent, ControllerAgent, CoreAgent, TreeAgent, UnitAgent
from .transport import MessageStats

__all__ = ["Links", "create_agent", "connect_agents", "wire_negotiation"]

#: eid -> (parent eid or None, children eids)
Links = Mapping[str, tuple[str | None, list[str]]]


def create_agent(eid: str, role: Role, coordination: Coordination, info: CycleInfo,
                 stats: MessageStats, members: set[Any] | None = None) -> TreeAgent:
    """The agent for one node (``members``: the core's set of accepted senders)."""
    if role == "core":
        return CoreAgent(eid, coordination, info, stats, members if members is not None else set())
    if role == "controller":
        return ControllerAgent(eid, coordination, info, stats)
    return UnitAgent(eid, coordination, info, stats)


def connect_agents(agents: Mapping[str, TreeAgent], links: Links,
                   addresses: Mapping[str, AgentAddress], core: AgentAddress) -> None:
    """Give every agent in ``agents`` its parent's and children's addresses."""
    for eid, agent in agents.items():
        parent, children = links[eid]
        agent.connect(addresses[parent] if parent is not None else None, core,
                      {child: addresses[child] for child in children})


def wire_negotiation(eid: str, children: list[str], controller: TreeAgent | None,
                     local: Mapping[str, TreeAgent], addresses: Mapping[str, AgentAddress],
                     settings: CohdaSettings) -> None:
    """Make ``eid`` split with COHDA: its negotiation and the local children's overlay.

    ``controller`` is ``None`` when it lives elsewhere; children not in ``local``
    are wired where they live (same overlay: it only depends on eids and the seed).
    """
    if controller is not None:
        assert isinstance(controller, AggregatingAgent), f"{eid!r} has no children"
        controller.negotiation = TreeNegotiation(list(children))
    for index, (child, neighbours) in enumerate(overlay_for(eid, children, settings).items()):
        if child in local:
            peers = {n: addresses[n] for n in neighbours}
            participant = Participant(index, np.empty((0, 1)), list(peers), settings.max_updates)
            local[child].join_negotiations(participant, peers, settings.levels)


def units_of(agents: Iterable[TreeAgent]) -> list[UnitAgent]:
    """The unit agents among ``agents``."""
    return [a for a in agents if isinstance(a, UnitAgent)]
