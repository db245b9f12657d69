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

from mango.container.core import Container

from ..model.errors import CycleTimeoutError, TransportError
from ..model.hierarchy import Tree, place_by_cell
from ..strategies.cohda.tree import CohdaSettings
from ..strategies.coordination import Coordination, CycleInfo
from .agents import CompletionRelay, CoreAgent, TreeAgent, UnitAgent
from .assembly import connect_agents, create_agent, wire_negotiation
from .transport import (
    MessageStats,
    TransportConfig,
    address_key,
    close_container,
    create_container,
    enable_batching,
)
from .workers.remote import Workers

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
        strategy_params: dict[str, Any] | None = None, cohda: CohdaSettings | None = None,
    ) -> None:
        """``strategy_params`` and ``cohda`` are what worker processes rebuild from."""
        self.coordination = coordination
        self.transport = transport or TransportConfig(host=host, port=port)
        self.cohda = cohda or CohdaSettings()
        self.workers = Workers(self.transport, strategy_params or {"strategy": "balance"},
                               self.cohda, MessageStats())
        self.timeout = timeout
        self.info = CycleInfo()
        self.stats = MessageStats()
        self.containers: list[Container] = []
        self.tree: Tree | None = None
        self.agents: dict[str, TreeAgent] = {}
        self.units: list[UnitAgent] = []
        self.own_units = 0
        self.local_units: set[str] = set()
        self.relays: list[CompletionRelay] = []
        self.placement: dict[str, int] = {}
        self.members: set[Any] = set()
        self.links: dict[str, tuple[str | None, list[str]]] = {}
        self.addresses: dict[str, Any] = {}
        self.core: CoreAgent | None = None
        self.negotiators: list[str] = []
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
        """Create and start the containers (binds sockets / connects to the broker).

        Containers served by worker processes are spawned or reached instead.
        """
        self.workers.stats = self.stats
        remote = set(self.workers.indices)
        for index in range(self.transport.containers):
            if index in remote:
                continue
            container = create_container(self.transport, index)
            self.containers.append(container)
            try:
                await container.start()
            except (OSError, ConnectionError) as exc:
                self.close()
                raise TransportError(f"container {index} ({self.transport.describe(index)}) "
                                     f"could not start: {exc}") from None
            container.on_ready()
            enable_batching(container)
        try:
            await self.workers.start(self.containers[0])
        except BaseException:
            self.close()
            raise

    def build(self, tree: Tree, negotiators: Collection[str] = (),
              cohda: CohdaSettings | None = None) -> None:
        """Create and register one agent per node of the validated ``tree``.

        The controllers (or core) in ``negotiators`` split with COHDA among their
        children, with ``cohda`` settings.
        """
        assert self.containers, "start() first"
        self.placement = place_by_cell(tree, self.transport.total_containers)
        self.tree = tree
        self.negotiators = list(negotiators)
        self.workers.proxies(tree, self.placement)
        members: set[Any] = self.members
        for eid, node in tree.nodes.items():
            if eid in self.workers.units or eid in self.workers.controllers:
                continue
            agent = create_agent(eid, node.role, self.coordination, self.info, self.stats,
                                 members)
            if isinstance(agent, CoreAgent):
                self.core = agent
            elif isinstance(agent, UnitAgent):
                self.units.append(agent)
            # mango's own ids (O(1) per agent); identities are (container, aid)
            self.containers[self.placement[eid]].register(agent)
            self.agents[eid] = agent
        assert self.core is not None, "the tree has no core"
        self._completion(members)
        self.own_units = len(self.units)  # the agents; the workers' proxies follow
        self.units.extend(self.workers.units.values())  # type: ignore[arg-type]
        self.links = {eid: (node.parent, node.children) for eid, node in tree.nodes.items()}
        self.addresses = {eid: agent.addr for eid, agent in self.agents.items()}
        if not self.workers.links:
            self._wire(self.agents)

    def view(self, eid: str) -> Any:
        """The agent of ``eid``, or its proxy when it lives in a worker process."""
        agent = self.agents.get(eid)
        if agent is not None:
            return agent
        return self.workers.units.get(eid) or self.workers.controllers[eid]

    async def attach(self) -> None:
        """Set up the worker processes (if any) and link their agents to ours."""
        if not self.workers.links:
            return
        assert self.tree is not None and self.core is not None
        remote = await self.workers.attach(self.tree, self.placement, self.core,
                                           self.negotiators, self.timeout)
        self.addresses.update(remote)
        self.members.update(address_key(a) for a in remote.values())
        self.core.remote_results = self.workers.apply
        self._wire(self.agents)
        root = self.tree.root
        if root in self.negotiators:
            self.workers.wire(root, self.tree.nodes[root].children, self.addresses)

    def _wire(self, agents: dict[str, TreeAgent]) -> None:
        """Link the local agents; wire the negotiations whose controller is local."""
        assert self.core is not None and self.tree is not None
        connect_agents(agents, self.links, self.addresses, self.core.addr)
        for eid in self.negotiators:
            if eid in agents:
                wire_negotiation(eid, self.tree.nodes[eid].children, agents[eid], agents,
                                 self.addresses, self.cohda)

    def _completion(self, members: set[Any]) -> None:
        """Units of the core's container report to the core, the others to a relay."""
        assert self.core is not None
        by_container: dict[int, list[UnitAgent]] = {}
        for unit in self.units:
            by_container.setdefault(self.placement[unit.eid], []).append(unit)
        for index, units in sorted(by_container.items()):
            if index in self.workers.links:
                continue  # a worker's own relay reports (with results)
            if index == 0:
                for unit in units:
                    unit.finished = self.core.unit_done
                self.local_units = {u.eid for u in units}
                continue
            relay = CompletionRelay(index, units, [], self.stats)
            self.containers[index].register(relay)
            relay.core = self.core.addr
            self.relays.append(relay)
        members.update(address_key(a.addr) for a in [*self.agents.values(), *self.relays])

    async def run_cycle(self, begin: Callable[[UnitAgent], Any]) -> CycleReport:
        """Run one cycle; ``begin(unit)`` gives each unit's state for it."""
        assert self.core is not None, "build() first"
        self.cycle += 1
        stats = self.stats
        sent_before, negotiations_before = stats.sent, stats.negotiations
        deviation_before = stats.deviation
        started = time.perf_counter()
        pending = self.local_units | {f"container {r.container}" for r in self.relays} | {
            f"container {k}" for k in self.workers.links}
        future = self.core.open_cycle(self.cycle, pending)
        for remote in self.workers.units.values():  # workers first: they run in parallel
            remote.begin(self.cycle, begin(remote))  # type: ignore[arg-type]
        self.workers.start_cycle(self.cycle, self.info)
        for relay in self.relays:
            relay.begin(self.cycle)
        for unit in self.units[:self.own_units]:
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
            if self.placement.get(eid, 0) in self.workers.links:
                continue  # named through its container
            agent = self.agents[eid]
            node = self.tree.nodes[eid]
            if node.role == "unit":
                parent = self.agents[node.parent]  # type: ignore[index]
                stuck = agent.reported != cycle or (
                    parent.forwarded == cycle and agent.done != cycle  # type: ignore[attr-defined]
                )
            else:
                reports_in = all(self._reported(agent, child, cycle) for child in node.children)
                stuck = (reports_in and agent.reported != cycle) or (
                    agent.instructed == cycle and agent.forwarded != cycle
                )
            if stuck:
                silent.append(eid)
        return silent

    def _reported(self, parent: TreeAgent, child: str, cycle: int) -> bool:
        local = self.agents.get(child)
        if local is not None:
            return local.reported == cycle
        return parent.cycle == cycle and child in parent.reports  # type: ignore[attr-defined]

    def _unfinished_containers(self) -> str:
        core = self.core
        if self.transport.total_containers == 1 or core is None:
            return ""
        waiting = sorted(p for p in core._pending if p.startswith("container "))
        if not waiting:
            return ""
        where = ", ".join(f"{name} ({self._describe(int(name.split()[1]))})"
                          for name in waiting)
        return f"; containers whose units did not finish: {where}"

    def _describe(self, index: int) -> str:
        link = self.workers.links.get(index)
        return link.describe() if link is not None else self.transport.describe(index)

    def close(self) -> None:
        """Stop the agents and close sockets / broker connections (safe to call twice)."""
        self.workers.close()
        for container in self.containers:
            if container.running:
                close_container(container)
