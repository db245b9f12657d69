"""The agent system of one MAS simulator: a mango container, the agents, the cycles.

Independent of mosaik's API (the simulator in :mod:`.simulator` is a thin layer
over it), so it can be driven directly from asyncio code and benchmarks::

    runtime = MasRuntime(coordination, host="127.0.0.1", port=0, timeout=10)
    await runtime.start()
    runtime.build(tree)
    report = await runtime.run_cycle(lambda unit: states[unit.eid])
    runtime.close()

A cycle ends when every unit is done, when an agent reports a failure (raised as
:class:`~.errors.AgentFailedError`), or after ``timeout`` seconds with a
:class:`~.errors.CycleTimeoutError` naming the agents that went silent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
from mango.container.core import Container

from .agents import AggregatingAgent, ControllerAgent, CoreAgent, TreeAgent, UnitAgent
from .cohda.protocol import Participant
from .cohda.tree import CohdaSettings, TreeNegotiation, overlay_for
from .coordination import Coordination, CycleInfo
from .errors import CycleTimeoutError
from .hierarchy import Tree
from .transport import MessageStats, close_container, create_container

__all__ = ["MasRuntime", "CycleReport"]


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle cost."""

    cycle: int
    seconds: float
    messages: int
    #: COHDA negotiations in this cycle and their summed deviation from target (MW)
    negotiations: int = 0
    deviation: float = 0.0


class MasRuntime:
    """Owns the container and the agents; runs coordination cycles."""

    def __init__(
        self, coordination: Coordination, host: str = "127.0.0.1", port: int = 0,
        timeout: float = 30.0,
    ) -> None:
        self.coordination = coordination
        self.host = host
        self.port = port
        self.timeout = timeout
        self.info = CycleInfo()
        self.stats = MessageStats()
        self.container: Container | None = None
        self.tree: Tree | None = None
        self.agents: dict[str, TreeAgent] = {}
        self.units: list[UnitAgent] = []
        self.core: CoreAgent | None = None
        self.cycle = -1

    @property
    def address(self) -> tuple[str, int]:
        """The container's (host, port); the port is known after :meth:`start`."""
        assert self.container is not None, "start() first"
        return self.container.addr

    async def start(self) -> None:
        """Create and start the container (binds the socket)."""
        self.container = create_container(self.host, self.port)
        await self.container.start()
        self.container.on_ready()

    def build(self, tree: Tree, negotiators: Collection[str] = (),
              cohda: CohdaSettings | None = None) -> None:
        """Create and register one agent per node of the validated ``tree``.

        The controllers (or core) in ``negotiators`` split with COHDA among their
        children, with ``cohda`` settings.
        """
        assert self.container is not None, "start() first"
        self.tree = tree
        members: set[str] = set()
        for eid, node in tree.nodes.items():
            agent: TreeAgent
            if node.role == "core":
                agent = self.core = CoreAgent(eid, self.coordination, self.info, self.stats,
                                              members)
            elif node.role == "controller":
                agent = ControllerAgent(eid, self.coordination, self.info, self.stats)
            else:
                agent = UnitAgent(eid, self.coordination, self.info, self.stats)
                self.units.append(agent)
            self.container.register(agent)  # mango's own ids: O(1) per agent
            members.add(agent.aid)
            self.agents[eid] = agent
        assert self.core is not None, "the tree has no core"
        for unit in self.units:
            unit.finished = self.core.unit_done
        agents = self.agents
        core = agents[tree.root].addr
        for eid, node in tree.nodes.items():
            parent = agents[node.parent].addr if node.parent is not None else None
            children = {child: agents[child].addr for child in node.children}
            agents[eid].connect(parent, core, children)
        for eid in negotiators:
            self._negotiate_at(eid, cohda or CohdaSettings())

    def _negotiate_at(self, eid: str, settings: CohdaSettings) -> None:
        assert self.tree is not None
        controller = self.agents[eid]
        assert isinstance(controller, AggregatingAgent), f"{eid!r} has no children to negotiate"
        children = self.tree.nodes[eid].children
        controller.negotiation = TreeNegotiation(list(children))
        for index, (child, neighbours) in enumerate(overlay_for(eid, children, settings).items()):
            peers = {n: self.agents[n].addr for n in neighbours}
            participant = Participant(index, np.empty((0, 1)), list(peers), settings.max_updates)
            self.agents[child].join_negotiations(participant, peers, settings.levels)

    async def run_cycle(self, begin: Callable[[UnitAgent], Any]) -> CycleReport:
        """Run one cycle; ``begin(unit)`` gives each unit's state for it."""
        assert self.core is not None, "build() first"
        self.cycle += 1
        stats = self.stats
        sent_before, negotiations_before = stats.sent, stats.negotiations
        deviation_before = stats.deviation
        started = time.perf_counter()
        future = self.core.start_cycle(self.cycle, self.units, begin)
        try:
            await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            silent = self.silent_agents()
            raise CycleTimeoutError(
                f"coordination cycle {self.cycle} (time {self.info.time}) did not finish "
                f"within {self.timeout} s; silent agents: {', '.join(silent) or 'none found'}"
            ) from None
        return CycleReport(self.cycle, time.perf_counter() - started, stats.sent - sent_before,
                           stats.negotiations - negotiations_before,
                           stats.deviation - deviation_before)

    def silent_agents(self) -> list[str]:
        """Agents that had everything they needed in this cycle but did not act."""
        assert self.tree is not None
        cycle = self.cycle
        silent = []
        for eid in self.tree.bottom_up:
            agent = self.agents[eid]
            node = self.tree.nodes[eid]
            if node.role == "unit":
                parent = self.agents[node.parent]  # type: ignore[index]
                stuck = agent.reported != cycle or (
                    parent.forwarded == cycle and agent.done != cycle  # type: ignore[attr-defined]
                )
            else:
                reports_in = all(self.agents[c].reported == cycle for c in node.children)
                stuck = (reports_in and agent.reported != cycle) or (
                    agent.instructed == cycle and agent.forwarded != cycle
                )
            if stuck:
                silent.append(eid)
        return silent

    def close(self) -> None:
        """Stop the agents and close the socket (safe to call twice)."""
        if self.container is not None and self.container.running:
            close_container(self.container)
