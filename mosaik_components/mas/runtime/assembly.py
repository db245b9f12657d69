"""Creating and wiring the agents of one container.

Shared by the MAS runtime (the core's process) and by worker processes
(:mod:`.workers.worker`), so an agent is built and linked the same way wherever it lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mango import AgentAddress

from ..model.hierarchy import Role
from ..strategies.coordination import Coordination, CycleInfo
from ..strategies.negotiation import Negotiation
from .agents import AggregatingAgent, ControllerAgent, CoreAgent, TreeAgent, UnitAgent
from .transport import MessageStats

__all__ = ["Links", "create_agent", "connect_agents", "wire_negotiation"]

#: eid -> (parent eid or None, children eids)
Links = Mapping[str, tuple[str | None, list[str]]]


def create_agent(eid: str, role: Role, coordination: Coordination, info: CycleInfo,
                 stats: MessageStats, members: dict[Any, str] | None = None) -> TreeAgent:
    """The agent for one node (``members``: the core's accepted senders and their names)."""
    if role == "core":
        return CoreAgent(eid, coordination, info, stats, members if members is not None else {})
    if role == "controller":
        return ControllerAgent(eid, coordination, info, stats)
    return UnitAgent(eid, coordination, info, stats)


def connect_agents(agents: Mapping[str, TreeAgent], links: Links,
                   addresses: Mapping[str, AgentAddress], core: AgentAddress) -> None:
    """Give every agent in ``agents`` its parent's and children's addresses."""
    for eid, agent in agents.items():
        parent, children = links[eid]
        agent.connect(parent, core, addresses, children)  # type: ignore[arg-type]


def wire_negotiation(negotiation: Negotiation, eid: str, children: list[str],
                     controller: TreeAgent | None, local: Mapping[str, TreeAgent],
                     addresses: Mapping[str, AgentAddress]) -> None:
    """Make ``eid`` split by leading ``negotiation``; its local children become members.

    ``controller`` is ``None`` when it lives elsewhere; children not in ``local`` are
    wired where they live (the neighbours depend only on the eids and the settings).
    """
    if controller is not None:
        assert isinstance(controller, AggregatingAgent), f"{eid!r} has no children"
        controller.lead_negotiation(negotiation.lead(eid, children), negotiation.messages)
    if not any(child in local for child in children):
        return
    for child, member in negotiation.members(eid, children).items():
        if child in local:
            peers = {n: addresses[n] for n in member.neighbours}
            local[child].join_negotiation(member, peers, negotiation.messages)
