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

from .agents import (
    AggregatingAgent,
    CompletionRelay,
    ControllerAgent,
    CoreAgent,
    TreeAgent,
    UnitAgent,
    address_key,
)
from .cohda.protocol import Participant
from .cohda.tree import CohdaSettings, TreeNegotiation, overlay_for
from .coordination import Coordination, CycleInfo
from .errors import CycleTimeoutError, TransportError
from .hierarchy import Tree, place_by_cell
from .transport import MessageStats, TransportConfig, close_container, create_container

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
    """Owns the containers and the agents; runs coordination cycles.

    With ``transport.containers > 1`` the agents are spread over several mango
    containers by cell (a cell's controllers and units share a container, so
    intra-cell traffic stays local; cells go round-robin); the core is in container 0.
    """

    def __init__(
        self, coordination: Coordination, host: str = "127.0.0.1", port: int = 0,
        timeout: float = 30.0, transport: TransportConfig | None = None,
    ) -> None:
        self.coordination = coordination
        self.transport = transport or TransportConfig(host=host, port=port)
        self.timeout = timeout
        self.info = CycleInfo()
        self.stats = MessageStats()
        self.containers: list[Container] = []
        self.tree: Tree | None = None
        self.agents: dict[str, TreeAgent] = {}
        self.units: list[UnitAgent] = []
        self.local_units: set[str] = set()
        self.relays: list[CompletionRelay] = []
        self.placement: dict[str, int] = {}
        self.core: CoreAgent | None = None
        self.cycle = -1

    @property
    def container(self) -> Container | None:
        """The core's container (the only one unless ``containers > 1``)."""
        return self.containers[0] if self.containers else None

    @property
    def address(self) -> Any:
        """The core container's address ((host, port) for TCP, the topic for MQTT)."""
        assert self.containers, "start() first"
        return self.containers[0].addr

    async def start(self) -> None:
        """Create and start the containers (binds sockets / connects to the broker)."""
        for index in range(self.transport.containers):
            container = create_container(self.transport, index)
            self.containers.append(container)
            try:
                await container.start()
            except (OSError, ConnectionError) as exc:
                self.close()
                raise TransportError(f"container {index} ({self.transport.describe(index)}) "
                                     f"could not start: {exc}") from None
            container.on_ready()

    def build(self, tree: Tree, negotiators: Collection[str] = (),
              cohda: CohdaSettings | None = None) -> None:
        """Create and register one agent per node of the validated ``tree``.

        The controllers (or core) in ``negotiators`` split with COHDA among their
        children, with ``cohda`` settings.
        """
        assert self.containers, "start() first"
        self.placement = place_by_cell(tree, len(self.containers))
        assert self.container is not None, "start() first"
        self.tree = tree
        members: set[Any] = set()
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
            # mango's own ids (O(1) per agent); identities are (container, aid)
            self.containers[self.placement[eid]].register(agent)
            self.agents[eid] = agent
        assert self.core is not None, "the tree has no core"
        self._completion(members)
        agents = self.agents
        core = agents[tree.root].addr
        for eid, node in tree.nodes.items():
            parent = agents[node.parent].addr if node.parent is not None else None
            children = {child: agents[child].addr for child in node.children}
            agents[eid].connect(parent, core, children)
        for eid in negotiators:
            self._negotiate_at(eid, cohda or CohdaSettings())

    def _completion(self, members: set[Any]) -> None:
        """Units of the core's container report to the core, the others to a relay."""
        assert self.core is not None
        by_container: dict[int, list[UnitAgent]] = {}
        for unit in self.units:
            by_container.setdefault(self.placement[unit.eid], []).append(unit)
        for index, units in sorted(by_container.items()):
            if index == 0:
                for unit in units:
                    unit.finished = self.core.unit_done
                self.local_units = {u.eid for u in units}
                continue
            relay = CompletionRelay(index, len(units), self.stats)
            self.containers[index].register(relay)
            relay.core = self.core.addr
            for unit in units:
                unit.finished = relay.unit_done
            self.relays.append(relay)
        members.update(address_key(a.addr) for a in [*self.agents.values(), *self.relays])

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
        pending = self.local_units | {f"container {r.container}" for r in self.relays}
        future = self.core.open_cycle(self.cycle, pending)
        for relay in self.relays:
            relay.begin(self.cycle)
        for unit in self.units:
            unit.begin(self.cycle, begin(unit))
        try:
            await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            silent = self.silent_agents()
            raise CycleTimeoutError(
                f"coordination cycle {self.cycle} (time {self.info.time}) did not finish "
                f"within {self.timeout} s; silent agents: {', '.join(silent) or 'none found'}"
                f"{self._unfinished_containers()}"
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

    def _unfinished_containers(self) -> str:
        core = self.core
        if len(self.containers) == 1 or core is None:
            return ""
        waiting = sorted(p for p in core._pending if p.startswith("container "))
        if not waiting:
            return ""
        where = ", ".join(f"{name} ({self.transport.describe(int(name.split()[1]))})"
                          for name in waiting)
        return f"; containers whose units did not finish: {where}"

    def close(self) -> None:
        """Stop the agents and close sockets / broker connections (safe to call twice)."""
        for container in self.containers:
            if container.running:
                close_container(container)
