"""The core's side of worker processes: spawning or reaching them, proxies, messages.

A :class:`WorkerLink` is one worker container (:mod:`.worker`), spawned on this
machine (it gets the run's secret on its stdin, a pipe only this process holds) or
started elsewhere (with the same ``--secret-file`` as the MAS's ``secret_file``). The
MAS greets each worker (:class:`~...protocol.messages.Hello`, answered by a bound
``Welcome`` that names the worker container's id), then sends it its part of the tree
with the ids of every container of the run, so all later traffic is bound. The
runtime keeps proxies for the agents that live there (:class:`RemoteUnit`,
:class:`RemoteController`): they hold the results the worker's relay sends back, so the
runtime reports them like those of local agents.
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
from ...protocol.columns import pack_states, unpack_states, unpack_targets
from ...protocol.envelope import ANY_RECEIVER
from ...protocol.messages import (
    HOST_AID,
    CycleStart,
    Hello,
    SetupDone,
    SetupPart,
    Shutdown,
    UnitsDone,
    Welcome,
    Wire,
)
from ...strategies.coordination import CycleInfo
from ...strategies.negotiation import Negotiation, negotiation_spec
from ..compat import container_of
from ..transport import (
    DEFAULT_MAX_FRAME,
    MessageStats,
    Session,
    TransportConfig,
    drop_pooled_connections,
    post,
    send_direct,
)
from ..transport.identity import hashable_address, sender_key
from ..transport.security import BOUND, FROM_CID, TO_CID

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

    @property
    def empty(self) -> bool:
        """True if no agent of the tree lives there (it takes no part in cycles)."""
        return not self.units and not self.controllers

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
    """Receives the workers' welcomes and setup replies in the core's container.

    A ``Welcome`` counts only if bound to this container (an answer to this run's
    Hello); a ``SetupDone`` only from the address of the worker it names. Anything else
    is counted in ``rejected``.
    """

    def __init__(self, links: dict[int, WorkerLink], stats: MessageStats) -> None:
        super().__init__()
        self.links = links
        self.stats = stats
        self.replies: dict[tuple[type, int], asyncio.Future[Any]] = {}

    def expect(self, kind: type, index: int) -> asyncio.Future[Any]:
        """A future for worker ``index``'s next message of type ``kind``."""
        future = self.replies[kind, index] = asyncio.get_running_loop().create_future()
        return future

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Resolve the matching future with ``(content, meta)``; count the rest."""
        kind = type(content)
        index = getattr(content, "container", None)
        future = self.replies.get((kind, index)) if type(index) is int else None
        if future is None or future.done() or not self._genuine(kind, index, meta):
            self.stats.rejected += 1
            logger.warning("link agent rejected %s from %r", kind.__name__,
                           meta.get("sender_addr"))
            return
        future.set_result((content, meta))

    def _genuine(self, kind: type, index: int, meta: dict[str, Any]) -> bool:
        if kind is Welcome:
            return meta.get(BOUND) is True and type(meta.get(FROM_CID)) is str
        sender = sender_key(meta)
        return sender is not None and sender[0] == hashable_address(self.links[index].address)


async def spawn_worker(index: int, host: str, secret: bytes,
                       max_frame: int = DEFAULT_MAX_FRAME) -> WorkerLink:
    """Start a worker process (:mod:`.worker`) here; wait for its address.

    The run's secret goes down the worker's stdin (a pipe: never on a command line or
    in the environment, where other users could read it).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", WORKER_MODULE, "--host", host, "--port", "0", "--secret-stdin",
         "--max-frame", str(max_frame)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdin is not None
    process.stdin.write(secret.hex().encode() + b"\n")
    process.stdin.flush()
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
                 stats: MessageStats, session: Session) -> None:
        self.transport = transport
        self.strategy = strategy
        self.stats = stats
        self.session = session
        self.links: dict[int, WorkerLink] = {}
        self.agent = LinkAgent(self.links, stats)
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
                link = await spawn_worker(index, host, self.session.secret,
                                          self.session.max_frame)
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

    async def greet(self, timeout: float) -> None:
        """Learn every worker container's id (a Hello, answered by a bound Welcome)."""
        container = container_of(self.agent)
        for index, link in self.links.items():
            reply = self.agent.expect(Welcome, index)
            send_direct(container, Hello(index), link.host, self.agent.aid,
                        **{TO_CID: ANY_RECEIVER})
            try:
                _, meta = await asyncio.wait_for(reply, timeout)
            except TimeoutError:
                raise TransportError(
                    f"container {index} ({link.describe()}) did not answer within {timeout} "
                    "s: is it running, and was it given this run's secret (secret_file = "
                    "its --secret-file)?") from None
            self.session.add_peer(link.address, meta[FROM_CID])

    async def attach(self, tree: Tree, placement: dict[str, int], core: Agent,
                     negotiators: Mapping[str, Negotiation], timeout: float
                     ) -> dict[str, AgentAddress]:
        """Send every worker its part of the tree; the addresses of all their agents."""
        await self.greet(timeout)
        peers = {cid: list(addr) if isinstance(addr, tuple) else addr
                 for cid, addr in self.session.peers().items()}
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
                             [e for e in negotiators if e in local], peers)
            reply = self.agent.expect(SetupDone, index)
            post(self.agent, part, link.host, self.stats)
            try:
                done, _ = await asyncio.wait_for(reply, timeout)
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

    def start_cycle(self, cycle: int, info: CycleInfo, states: Mapping[str, Any]) -> bool:
        """Post every worker its units' states, packed in its setup order; True if any.

        The posts go out when the loop next runs its callbacks (:mod:`..transport.batching`).
        """
        posted = False
        for link in self.links.values():
            if link.empty:
                continue
            packed = pack_states([states[eid] for eid in link.units])
            post(self.agent, CycleStart(cycle, info.time, info.iteration, packed), link.host,
                 self.stats)
            posted = True
        return posted

    def apply(self, message: UnitsDone) -> None:
        """A worker's results: onto the proxies; its counts into ours."""
        if message.counts is not None:
            sent, negotiations, deviation, rejected = message.counts
            self.stats.sent += int(sent)
            self.stats.negotiations += int(negotiations)
            self.stats.deviation += deviation
            self.stats.rejected += int(rejected)
        link = self.links[message.container]
        where = f"UnitsDone of container {message.container}"
        results = unpack_targets(message.results, len(link.units), f"{where}: results")
        controllers = message.controllers
        if not isinstance(controllers, dict):
            raise ValueError(f"{where}: controllers must be a dict with states and targets, "
                             f"got {type(controllers).__name__}")
        count = len(link.controllers)
        states = unpack_states(controllers.get("states"), count, f"{where}: controllers.states")
        targets = unpack_targets(controllers.get("targets"), count,
                                 f"{where}: controllers.targets")
        cycle, units = message.cycle, self.units
        for eid, result in zip(link.units, results, strict=True):
            unit = units[eid]
            unit.result = result
            unit.done = cycle
        for eid, state, target in zip(link.controllers, states, targets, strict=True):
            proxy = self.controllers[eid]
            proxy.state, proxy.target = state, target

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
            try:
                await send_direct(container, Shutdown("MAS finished"), link.host,
                                  self.agent.aid)
            except Exception as exc:  # e.g. never greeted: nothing bound to send with
                logger.warning("could not tell %s to stop: %s", link.describe(), exc)
        drop_pooled_connections(container)
