"""The core's side of worker processes: spawning or reaching them, proxies, messages.

A :class:`WorkerLink` is one worker container (:mod:`.worker`), spawned on this
machine or started elsewhere. The runtime keeps proxies for the agents that live
there (:class:`RemoteUnit`, :class:`RemoteController`): they hold the results the
worker's relay sends back, so the runtime reports them like those of local agents.
Each cycle's unit states go to a worker in one
:class:`~...protocol.messages.CycleStart`.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mango import Agent, AgentAddress
from mango.container.core import Container

from ...model.errors import TransportError
from ...model.hierarchy import Tree
from ...protocol.codec import pack_state, unpack_state, unpack_target
from ...protocol.messages import (
    HOST_AID,
    CycleStart,
    SetupDone,
    SetupPart,
    Shutdown,
    UnitsDone,
    Wire,
)
from ...strategies.coordination import CycleInfo
from ...strategies.negotiation import Negotiation, negotiation_spec
from ..compat import container_of
from ..transport import MessageStats, TransportConfig, drop_pooled_connections, post

__all__ = ["Workers", "WorkerLink", "RemoteUnit", "RemoteController", "LinkAgent",
           "spawn_worker", "reach_worker"]

logger = logging.getLogger(__name__)

#: The module a spawned worker process runs.
WORKER_MODULE = "mosaik_components.mas.runtime.workers.worker"
#: Seconds a spawned worker may take to print its address.
SPAWN_TIMEOUT = 60.0


@dataclass
class WorkerLink:
    """One worker container: where it listens and, if spawned here, its process."""

    index: int
    address: tuple[str, int]
    process: subprocess.Popen[bytes] | None = None
    aids: dict[str, str] = field(default_factory=dict)
    #: the worker's units and controllers in its setup order (packed messages use it)
    units: list[str] = field(default_factory=list)
    controllers: list[str] = field(default_factory=list)

    @property
    def host(self) -> AgentAddress:
        """The worker's control agent."""
        return AgentAddress(self.address, HOST_AID)

    def describe(self) -> str:
        """For error messages: address and, if spawned, the process and its fate."""
        text = f"worker tcp {self.address[0]}:{self.address[1]}"
        if self.process is not None:
            code = self.process.poll()
            text += f", pid {self.process.pid}" + (
                f", exited with {code}" if code is not None else "")
        return text

    def stop(self) -> None:
        """End a spawned worker (closing its stdin ends it; terminate as a fallback)."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


@dataclass
class RemoteUnit:
    """Proxy of a unit agent in a worker: the result its worker sent back."""

    eid: str
    link: WorkerLink
    result: Any = None
    done: int = -1


@dataclass
class RemoteController:
    """Proxy of a controller agent in a worker (its last aggregate and target)."""

    eid: str
    state: Any = None
    target: Any = None


class LinkAgent(Agent):
    """Receives the workers' setup replies in the core's container."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[int, asyncio.Future[SetupDone]] = {}

    def expect(self, index: int) -> asyncio.Future[SetupDone]:
        """A future for worker ``index``'s :class:`SetupDone`."""
        future = self.replies[index] = asyncio.get_running_loop().create_future()
        return future

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Resolve the matching setup future."""
        if type(content) is SetupDone and content.container in self.replies:
            future = self.replies[content.container]
            if not future.done():
                future.set_result(content)


async def spawn_worker(index: int, host: str) -> WorkerLink:
    """Start a worker process (:mod:`.worker`) here; wait for its address."""
    process = subprocess.Popen(
        [sys.executable, "-m", WORKER_MODULE, "--host", host, "--port", "0", "--watch-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None
    loop = asyncio.get_running_loop()
    try:
        line = await asyncio.wait_for(loop.run_in_executor(None, process.stdout.readline),
                                      SPAWN_TIMEOUT)
    except TimeoutError:
        process.kill()
        raise TransportError(f"worker for container {index} did not start within "
                             f"{SPAWN_TIMEOUT} s") from None
    text = line.decode().strip()
    if not text.startswith("listening on "):
        raise TransportError(f"worker for container {index} failed to start "
                             f"(exit {process.wait()}, said {text!r})")
    return WorkerLink(index, parse_address(text.removeprefix("listening on ")), process)


def reach_worker(index: int, address: str) -> WorkerLink:
    """A worker started elsewhere, at ``host:port``."""
    return WorkerLink(index, parse_address(address))


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` -> ``(host, port)``."""
    host, _, port = text.rpartition(":")
    return host, int(port)


class Workers:
    """All worker containers of one runtime: start, set up, feed, read back, stop."""

    def __init__(self, transport: TransportConfig, strategy: dict[str, Any],
                 stats: MessageStats) -> None:
        self.transport = transport
        self.strategy = strategy
        self.stats = stats
        self.links: dict[int, WorkerLink] = {}
        self.agent = LinkAgent()
        self.units: dict[str, RemoteUnit] = {}
        self.controllers: dict[str, RemoteController] = {}
        self.closing: list[asyncio.Task[Any]] = []

    @property
    def indices(self) -> list[int]:
        """Container indices served by workers."""
        t = self.transport
        if t.workers:
            return list(range(1, 1 + len(t.workers)))
        return list(range(1, t.containers)) if t.processes else []

    async def start(self, home: Container) -> None:
        """Spawn or reach every worker; the link agent lives in ``home`` (container 0)."""
        home.register(self.agent)
        for index in self.indices:
            if self.transport.workers:
                link = reach_worker(index, self.transport.workers[index - 1])
            else:
                host = self.transport.transport.host  # type: ignore[attr-defined]
                link = await spawn_worker(index, host)
            self.links[index] = link

    def proxies(self, tree: Tree, placement: dict[str, int]) -> None:
        """Proxies for every node placed in a worker."""
        for eid, node in tree.nodes.items():
            link = self.links.get(placement[eid])
            if link is None:
                continue
            if node.role == "unit":
                self.units[eid] = RemoteUnit(eid, link)
            else:
                self.controllers[eid] = RemoteController(eid)

    async def attach(self, tree: Tree, placement: dict[str, int], core: Agent,
                     negotiators: Mapping[str, Negotiation], timeout: float
                     ) -> dict[str, AgentAddress]:
        """Send every worker its part of the tree; the addresses of all their agents."""
        addresses: dict[str, AgentAddress] = {}
        for index, link in self.links.items():
            nodes = [[eid, node.role, node.parent, node.children]
                     for eid, node in tree.nodes.items() if placement[eid] == index]
            local = {n[0] for n in nodes}
            link.units = [n[0] for n in nodes if n[1] == "unit"]
            link.controllers = [n[0] for n in nodes if n[1] == "controller"]
            part = SetupPart(index, [tree.root, list(core.addr.protocol_addr), core.aid], nodes,
                             self.strategy,
                             {eid: negotiation_spec(n) for eid, n in negotiators.items()
                              if eid in local},
                             [e for e in negotiators if e in local])
            reply = self.agent.expect(index)
            post(self.agent, part, link.host, self.stats)
            try:
                done = await asyncio.wait_for(reply, timeout)
            except TimeoutError:
                raise TransportError(f"container {index} ({link.describe()}) did not answer "
                                     f"its setup within {timeout} s") from None
            link.aids = done.aids
            addresses.update({eid: AgentAddress(link.address, aid)
                              for eid, aid in done.aids.items()})
            addresses[f"relay {index}"] = AgentAddress(link.address, done.relay)
        return addresses

    def wire(self, negotiation: Negotiation, controller: str, children: list[str],
             addresses: dict[str, AgentAddress]) -> None:
        """Tell every worker with some of ``children`` about ``controller``'s negotiation."""
        entries = {c: [list(addresses[c].protocol_addr), addresses[c].aid] for c in children}
        for link in self.links.values():
            if any(c in link.aids for c in children):
                post(self.agent, Wire(controller, children, entries,
                                      negotiation_spec(negotiation)), link.host, self.stats)

    def start_cycle(self, cycle: int, info: CycleInfo, states: Mapping[str, Any]) -> None:
        """Send every worker its units' states, packed in its setup order."""
        for link in self.links.values():
            packed = [pack_state(states[eid]) for eid in link.units]
            post(self.agent, CycleStart(cycle, info.time, info.iteration, packed), link.host,
                 self.stats)

    def apply(self, message: UnitsDone) -> None:
        """A worker's results: onto the proxies; its counts into ours."""
        if message.counts is not None:
            sent, negotiations, deviation = message.counts
            self.stats.sent += int(sent)
            self.stats.negotiations += int(negotiations)
            self.stats.deviation += deviation
        link = self.links[message.container]
        for eid, packed in zip(link.units, message.results or [], strict=True):
            unit = self.units[eid]
            unit.result = unpack_target(packed)
            unit.done = message.cycle
        for eid, (state, target) in zip(link.controllers, message.controllers or [],
                                        strict=True):
            proxy = self.controllers[eid]
            proxy.state, proxy.target = unpack_state(state), unpack_target(target)

    def close(self) -> None:
        """Stop spawned workers; ask reached ones to stop.

        The request to a reached worker is a plain task on the running loop (not one
        of the agent's scheduled tasks, which closing the container cancels); it goes
        out while the loop winds down.
        """
        reached = []
        for link in self.links.values():
            if link.process is not None:
                link.stop()
            else:
                reached.append(link)
        if not reached:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # closed outside the event loop: nothing can be sent now
            logger.warning("workers %s were not told to stop (no running event loop); end "
                           "them with Ctrl-C", [link.describe() for link in reached])
            return
        container = container_of(self.agent)
        self.closing.append(loop.create_task(self._say_goodbye(container, reached)))

    async def _say_goodbye(self, container: Container, links: list[WorkerLink]) -> None:
        for link in links:
            await container.send_message(Shutdown("MAS finished"), link.host,
                                         sender_id=self.agent.aid)
        drop_pooled_connections(container)
