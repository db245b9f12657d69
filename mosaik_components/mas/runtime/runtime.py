"""The agent system of one MAS simulator: containers, agents, and one call per cycle.

Independent of mosaik's API (the simulator in :mod:`..mosaik.simulator` is a thin layer
over it), so it can be driven directly from asyncio code and benchmarks::

    runtime = MasRuntime(coordination, TransportConfig(), timeout=10)
    await runtime.start()
    runtime.build(tree)
    await runtime.attach()
    report = await runtime.run_cycle(CycleInput(time=0, iteration=0, states=states))
    report.results["Unit_3"]            # the unit's target
    runtime.close()

A cycle ends when every unit is done, when an agent reports a failure (raised as
:class:`~..model.errors.AgentFailedError`), or after ``timeout`` seconds with a
:class:`~..model.errors.CycleTimeoutError` naming the agents that went silent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mango.container.core import Container

from ..model.errors import CycleTimeoutError, TransportError
from ..model.grid import GridView
from ..model.hierarchy import Tree, place_by_cell
from ..strategies.coordination import Coordination, CycleInfo
from ..strategies.negotiation import Negotiation
from .agents import AggregatingAgent, CompletionRelay, CoreAgent, TreeAgent, UnitAgent
from .assembly import connect_agents, create_agent, wire_negotiation
from .collector import collector_paused
from .transport import (
    MessageStats,
    Session,
    TransportConfig,
    address_key,
    close_container,
    create_container,
    last_send_error,
    read_secret_file,
)
from .workers.remote import Workers

__all__ = ["MasRuntime", "CycleInput", "CycleReport"]


@dataclass(frozen=True, slots=True)
class CycleInput:
    """Everything one cycle starts from.

    ``states``: every unit's state by eid; ``offset``: net demand outside the agents (MW,
    import positive); ``core_state``: the top's own state (MASSCA's hooks get it);
    ``grids``: measured grid views by the eid of the agent that receives them.
    """

    time: int
    iteration: int
    states: Mapping[str, Any]
    offset: float = 0.0
    core_state: Any = None
    step_s: float | None = None
    grids: Mapping[str, GridView] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle decided and cost.

    ``results``: every unit's result (what it runs at) by eid; ``aggregates`` and
    ``targets``: every controller's reported aggregate and received instruction;
    ``top_reports``/``top_instructions``: what the core's children reported and were told.
    """

    cycle: int
    seconds: float
    messages: int
    results: dict[str, Any]
    aggregates: dict[str, Any]
    targets: dict[str, Any]
    top_reports: dict[str, Any]
    top_instructions: dict[str, Any]
    #: negotiations in this cycle and their summed deviation from target (MW)
    negotiations: int = 0
    deviation: float = 0.0
    #: messages rejected since the runtime started
    rejected: int = 0
    #: per-controller reports of reporting strategies (e.g. grid_aware), plain data
    notes: dict[str, Any] = field(default_factory=dict)


class MasRuntime:
    """Owns the containers and the agents; runs coordination cycles.

    With ``transport.containers > 1`` the agents are spread over several mango
    containers by cell (a cell's controllers and units share a container, so
    intra-cell traffic stays local; cells go round-robin); the core is in container 0.
    ``strategy_params`` is what worker processes rebuild the strategy from. All
    containers of the run share one :class:`~.transport.Session` (a fresh secret per
    run, or the transport's ``secret_file``): every message between them is sealed.
    """

    def __init__(self, coordination: Coordination, transport: TransportConfig | None = None,
                 timeout: float = 30.0, strategy_params: Mapping[str, Any] | None = None
                 ) -> None:
        self.coordination = coordination
        self.transport = transport or TransportConfig()
        self.timeout = timeout
        self.info = CycleInfo()
        self.stats = MessageStats()
        secret_file = self.transport.secret_file
        self.session = Session(read_secret_file(secret_file) if secret_file else None,
                               self.transport.max_frame)
        self.workers = Workers(self.transport, dict(strategy_params or {"strategy": "balance"}),
                               self.stats, self.session)
        self.containers: list[Container] = []
        self.tree: Tree | None = None
        self.agents: dict[str, TreeAgent] = {}
        self.units: list[UnitAgent] = []
        self.own_units = 0
        self.local_units: set[str] = set()
        self.relays: list[CompletionRelay] = []
        self.placement: dict[str, int] = {}
        #: the core's accepted senders: identity -> name (eid, "container K relay", ...)
        self.members: dict[Any, str] = {}
        self.links: dict[str, tuple[str | None, list[str]]] = {}
        self.addresses: dict[str, Any] = {}
        self.core: CoreAgent | None = None
        self.negotiators: dict[str, Negotiation] = {}
        self.cycle = -1

    @property
    def address(self) -> Any:
        """The core container's address ((host, port) for TCP, the topic for MQTT)."""
        assert self.containers, "start() first"
        return self.containers[0].addr

    async def start(self) -> None:
        """Create and start the containers (binds sockets / connects to the broker).

        Containers served by worker processes are spawned or reached instead.
        """
        remote = set(self.workers.indices)
        for index in range(self.transport.containers):
            if index in remote:
                continue
            container = create_container(self.transport, index, self.session, self.stats)
            self.containers.append(container)
            try:
                await container.start()
            except (OSError, ConnectionError) as exc:
                self.close()
                where = self.transport.describe(index, self.session.run)
                raise TransportError(f"container {index} ({where}) could not start: {exc}"
                                     ) from None
            container.on_ready()
        try:
            await self.workers.start(self.containers[0])
        except BaseException:
            self.close()
            raise

    def build(self, tree: Tree, negotiators: Mapping[str, Negotiation] | None = None) -> None:
        """Create and register one agent per node of the validated ``tree``.

        The controllers (or the core) in ``negotiators`` split by leading that
        negotiation among their children.
        """
        assert self.containers, "start() first"
        self.placement = place_by_cell(tree, self.transport.total_containers)
        self.tree = tree
        self.negotiators = dict(negotiators or {})
        self.workers.proxies(tree, self.placement)
        with collector_paused():
            for eid, node in tree.nodes.items():
                if eid in self.workers.units or eid in self.workers.controllers:
                    continue
                agent = create_agent(eid, node.role, self.coordination, self.info, self.stats,
                                     self.members)
                if isinstance(agent, CoreAgent):
                    self.core = agent
                elif isinstance(agent, UnitAgent):
                    self.units.append(agent)
                # mango's own ids (O(1) per agent); identities are (container, aid)
                self.containers[self.placement[eid]].register(agent)
                self.agents[eid] = agent
        assert self.core is not None, "the tree has no core"
        self._completion()
        self.own_units = len(self.units)  # the agents; the workers' proxies follow
        self.units.extend(self.workers.units.values())  # type: ignore[arg-type]
        self.links = {eid: (node.parent, node.children) for eid, node in tree.nodes.items()}
        self.addresses = {eid: agent.addr for eid, agent in self.agents.items()}
        if not self.workers.links:
            self._wire()

    async def attach(self) -> None:
        """Set up the worker processes (if any) and link their agents to ours."""
        if not self.workers.links:
            return
        assert self.tree is not None and self.core is not None
        remote = await self.workers.attach(self.tree, self.placement, self.core,
                                           self.negotiators, self.timeout)
        self.addresses.update(remote)
        for name, address in remote.items():
            relay = name.startswith("relay ")
            self.members[address_key(address)] = (
                f"container {name.split()[1]} relay" if relay else name)
        for index, link in self.workers.links.items():
            self.members[address_key(link.host)] = f"container {index} host"
        self.core.remote_results = self.workers.apply
        self._wire()
        for eid, negotiation in self.negotiators.items():
            if self.placement[eid] == 0:  # children in workers join it there
                self.workers.wire(negotiation, eid, self.tree.nodes[eid].children,
                                  self.addresses)

    def _wire(self) -> None:
        """Link the local agents; wire the negotiations whose controller is local."""
        assert self.core is not None and self.tree is not None
        connect_agents(self.agents, self.links, self.addresses, self.core.addr)
        for eid, negotiation in self.negotiators.items():
            wire_negotiation(negotiation, eid, self.tree.nodes[eid].children,
                             self.agents.get(eid), self.agents, self.addresses)

    def _completion(self) -> None:
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
        self.members.update({address_key(a.addr): eid for eid, a in self.agents.items()})
        self.members.update({address_key(r.addr): f"container {r.container} relay"
                             for r in self.relays})

    async def run_cycle(self, cycle: CycleInput) -> CycleReport:
        """Run one cycle from ``cycle``'s unit states; what it decided and cost."""
        core = self.core
        assert core is not None, "build() first"
        info = self.info
        info.time, info.iteration, info.offset = cycle.time, cycle.iteration, cycle.offset
        info.core_state, info.step_s, info.grids = cycle.core_state, cycle.step_s, cycle.grids
        self.cycle += 1
        stats = self.stats
        sent, negotiations, deviation = stats.sent, stats.negotiations, stats.deviation
        started = time.perf_counter()
        pending = self.local_units | {f"container {r.container}" for r in self.relays} | {
            f"container {k}" for k, link in self.workers.links.items() if not link.empty}
        future = core.open_cycle(self.cycle, pending)
        states = cycle.states
        if self.workers.start_cycle(self.cycle, info, states):
            await asyncio.sleep(0)  # the workers' states go out before the local units start
        for relay in self.relays:
            relay.begin(self.cycle)
        for unit in self.units[:self.own_units]:
            unit.begin(self.cycle, states[unit.eid])
        try:
            await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            silent = ", ".join(self.silent_agents()) or "none found"
            raise CycleTimeoutError(
                f"coordination cycle {self.cycle} (time {info.time}) did not finish within "
                f"{self.timeout} s; silent agents: {silent}{self._unfinished_containers()}"
            ) from None
        seconds = time.perf_counter() - started
        return self._report(seconds, stats.sent - sent, stats.negotiations - negotiations,
                            stats.deviation - deviation)

    def _report(self, seconds: float, messages: int, negotiations: int,
                deviation: float) -> CycleReport:
        core = self.core
        assert core is not None
        controllers = [a for a in self.agents.values()
                       if isinstance(a, AggregatingAgent) and a is not core]
        controllers.extend(self.workers.controllers.values())  # type: ignore[arg-type]
        return CycleReport(
            self.cycle, seconds, messages,
            results={unit.eid: unit.result for unit in self.units},
            aggregates={c.eid: c.state for c in controllers},
            targets={c.eid: c.target for c in controllers},
            top_reports=dict(core.reports), top_instructions=dict(core.instructions),
            negotiations=negotiations, deviation=deviation, rejected=self.stats.rejected,
            notes=self.coordination.take_notes(),
        )

    def describe(self) -> dict[str, Any]:
        """Where everything lives: container addresses, each agent's container, counts."""
        return {
            "containers": [self.transport.describe(i, self.session.run)
                           for i in range(self.transport.total_containers)],
            "placement": dict(self.placement),
            "agents": len(self.placement),
            "rejected": self.stats.rejected,
        }

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
        waiting = sorted(p for p in core.pending if p.startswith("container "))
        if not waiting:
            return ""
        where = ", ".join(f"{name} ({self._describe(int(name.split()[1]))})"
                          for name in waiting)
        failed = [f"container {i}: {error}" for i, c in enumerate(self.containers)
                  if (error := last_send_error(c)) is not None]
        sends = f"; failed sends: {'; '.join(failed)}" if failed else ""
        return f"; containers whose units did not finish: {where}{sends}"

    def _describe(self, index: int) -> str:
        link = self.workers.links.get(index)
        if link is not None:
            return link.describe()
        return self.transport.describe(index, self.session.run)

    def close(self) -> None:
        """Stop the agents and close sockets / broker connections (safe to call twice)."""
        self.workers.close()
        for container in self.containers:
            if container.running:
                close_container(container)
