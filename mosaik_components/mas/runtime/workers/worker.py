"""A worker process: one mango container hosting some cells' agents for a remote MAS.

Start it on any machine with the run's secret and give its address to the MAS
(``workers=["host:port"], secret_file=...``), or let the MAS spawn workers on this
machine (``containers=N, processes=True``; the secret then comes down stdin)::

    massca-mas-worker --host 127.0.0.1 --port 5701 --secret-file run.key
    # prints "listening on 127.0.0.1:5701"

Every message is authenticated under the secret (:mod:`...transport.security`). The
MAS greets the worker (``Hello``/``Welcome``), sends one bound
:class:`~...protocol.messages.SetupPart` (which nodes to build, how to coordinate, the
ids of every container of the run), then one :class:`~...protocol.messages.CycleStart`
per cycle with the units' states; the worker's agents talk to the core over TCP and its
completion relay reports the units' results once per cycle. The worker takes one setup,
and every later control message only from the agent that sent it; a strategy is built
only as that (authenticated) MAS configured it. It exits on ``Shutdown`` from that
agent, SIGINT/SIGTERM, or (when spawned) when its stdin closes. Binding a non-loopback
address needs ``--allow-remote``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from mango import Agent, AgentAddress

from ...model.errors import ConfigError
from ...protocol.columns import unpack_states
from ...protocol.envelope import MIN_SECRET
from ...protocol.messages import (
    HOST_AID,
    AgentFailure,
    CycleStart,
    Hello,
    SetupDone,
    SetupPart,
    Shutdown,
    Welcome,
    Wire,
)
from ...strategies import NEGOTIATIONS
from ...strategies.coordination import CycleInfo, StrategyCoordination
from ...strategies.negotiation import from_spec
from ...strategies.registry import build_strategy
from ..agents import AggregatingAgent, CompletionRelay, TreeAgent, UnitAgent
from ..assembly import connect_agents, create_agent, wire_negotiation
from ..collector import collector_paused, collector_tuned
from ..compat import LeanDispatch, container_of
from ..transport import (
    DEFAULT_MAX_FRAME,
    Session,
    TcpTransport,
    TransportConfig,
    create_container,
    is_loopback,
    post,
    read_secret_file,
    send_direct,
)
from ..transport.identity import Key, MessageStats, sender_key
from ..transport.security import BOUND, FROM_CID, TO_CID

__all__ = ["HOST_AID", "WorkerHost", "serve", "main"]

logger = logging.getLogger(__name__)


def address_of(entry: list[Any]) -> AgentAddress:
    """``[[host, port], aid]`` (JSON) -> an address."""
    addr, aid = entry
    return AgentAddress(tuple(addr) if isinstance(addr, list) else addr, aid)


class WorkerHost(LeanDispatch, Agent):
    """Builds the agents it is sent and starts their cycles."""

    def __init__(self, stop: asyncio.Event, session: Session) -> None:
        super().__init__()
        self.stop = stop
        self.session = session
        self.stats = MessageStats()
        self.info = CycleInfo()
        self.agents: dict[str, TreeAgent] = {}
        self.relay: CompletionRelay | None = None
        self.core: AgentAddress | None = None
        #: the agent that set this worker up; the only one it takes orders from
        self.mas: Key | None = None
        self.container_index = -1

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Dispatch one control message; a failure is reported to the core."""
        try:
            if not self._accepted(content, meta):
                self.stats.rejected += 1
                logger.warning("worker: rejected %s from %r", type(content).__name__,
                               meta.get("sender_addr"))
                return
            kind = type(content)
            if kind is CycleStart:
                self.start_cycle(content)
            elif kind is Hello:
                self.welcome(content, meta)
            elif kind is SetupPart:
                self.setup(content, AgentAddress(_addr(meta["sender_addr"]), meta["sender_id"]))
            elif kind is Wire:
                self.wire(content)
            else:
                logger.info("worker: shutdown (%s)", content.reason)
                self.stop.set()
        except Exception as exc:
            logger.exception("worker container %s failed", self.container_index)
            if self.core is not None and self.relay is not None:
                # a cycle that failed to start is the one the core waits for
                cycle = content.cycle if type(content) is CycleStart else self.relay.cycle
                failure = AgentFailure(cycle, f"worker container {self.container_index}",
                                       f"{type(exc).__name__}: {exc}")
                post(self, failure, self.core, self.stats)

    def _accepted(self, content: Any, meta: dict[str, Any]) -> bool:
        """Hello before setup; a bound setup once; everything else from its sender only."""
        kind = type(content)
        if kind is Hello:
            return self.mas is None and type(content.container) is int
        if kind is SetupPart:
            return self.mas is None and meta.get(BOUND) is True
        if kind in (CycleStart, Wire, Shutdown):
            return self.mas is not None and sender_key(meta) == self.mas
        return False

    def welcome(self, hello: Hello, meta: dict[str, Any]) -> None:
        """Answer a first contact, bound to the container it came from."""
        sender = AgentAddress(_addr(meta["sender_addr"]), meta["sender_id"])
        send_direct(container_of(self), Welcome(hello.container), sender, self.aid,
                    **{TO_CID: meta[FROM_CID]})

    def setup(self, part: SetupPart, sender: AgentAddress) -> None:
        """Build, register and link the nodes; reply with their mango ids."""
        self.mas = (sender.protocol_addr, sender.aid)
        for cid, addr in part.peers.items():
            self.session.add_peer(addr, cid)
        container = container_of(self)
        params = dict(part.strategy)
        coordination = StrategyCoordination(build_strategy(params.pop("strategy", "balance"),
                                                           params))
        core_eid, core_addr, core_aid = part.core
        self.core = AgentAddress(_addr(core_addr), core_aid)
        self.container_index = part.container
        links = {}
        with collector_paused():
            for eid, role, parent, children in part.nodes:
                agent = create_agent(eid, role, coordination, self.info, self.stats)
                container.register(agent)
                self.agents[eid] = agent
                links[eid] = (parent, children)
        addresses = {eid: agent.addr for eid, agent in self.agents.items()}
        addresses[core_eid] = self.core
        connect_agents(self.agents, links, addresses, self.core)
        for eid in part.negotiators:
            wire_negotiation(from_spec(part.negotiation[eid], NEGOTIATIONS), eid, links[eid][1],
                             self.agents[eid], self.agents, addresses)
        units = [a for a in self.agents.values() if isinstance(a, UnitAgent)]
        controllers = [a for a in self.agents.values() if isinstance(a, AggregatingAgent)]
        self.relay = CompletionRelay(part.container, units, controllers, self.stats,
                                     report=True)
        container.register(self.relay)
        self.relay.core = self.core
        post(self, SetupDone(part.container, {e: a.aid for e, a in self.agents.items()},
                             self.relay.aid), sender, self.stats)
        stats = self.stats  # cycles count their own messages only; rejections all along
        self.relay.counted = (stats.sent, stats.negotiations, stats.deviation, 0)

    def wire(self, message: Wire) -> None:
        """Join a negotiation whose controller lives elsewhere (COHDA between cells)."""
        addresses = {eid: address_of(entry) for eid, entry in message.addresses.items()}
        wire_negotiation(from_spec(message.negotiation, NEGOTIATIONS), message.controller,
                         message.children, None, self.agents, addresses)

    def start_cycle(self, message: CycleStart) -> None:
        """Begin the cycle for every local unit with the state it was sent."""
        assert self.relay is not None, "CycleStart before SetupPart"
        self.info.time = message.time
        self.info.iteration = message.iteration
        units = self.relay.units
        states = unpack_states(message.states, len(units), "CycleStart.states")
        self.relay.begin(message.cycle)
        cycle = message.cycle
        for unit, state in zip(units, states, strict=True):
            unit.begin(cycle, state)


def _addr(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


async def serve(host: str, port: int, secret: bytes, *, watch_stdin: bool = False,
                max_frame: int = DEFAULT_MAX_FRAME) -> None:
    """Run a worker until it is told to stop; OSError if it cannot listen there."""
    stop = asyncio.Event()
    session = Session(secret, max_frame)
    worker = WorkerHost(stop, session)
    container = create_container(TransportConfig(TcpTransport(host, port)), 0, session,
                                 worker.stats)
    container.register(worker, suggested_aid=HOST_AID)
    await container.start()
    container.on_ready()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if watch_stdin:  # spawned by a MAS: its end closes our stdin
        loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1)
                        else None)
    bound = container.addr
    print(f"listening on {bound[0]}:{bound[1]}", flush=True)
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await container.shutdown()


def _secret(args: argparse.Namespace) -> bytes:
    """The run's secret: the first line of stdin (spawned) or the secret file."""
    if args.secret_stdin:
        line = sys.stdin.readline().strip()
        try:
            secret = bytes.fromhex(line)
        except ValueError:
            raise ConfigError("--secret-stdin: the first line of stdin must be the secret "
                              "in hex") from None
        if len(secret) < MIN_SECRET:
            raise ConfigError(f"--secret-stdin: a secret needs at least {MIN_SECRET} bytes")
        return secret
    if args.secret_file is None:
        raise ConfigError("a worker needs the run's secret: --secret-file FILE (the same "
                          "file as the MAS's secret_file)")
    return read_secret_file(args.secret_file)


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    """``massca-mas-worker``: serve one container for a MAS in another process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--allow-remote", action="store_true",
                        help="permit binding a non-loopback address")
    parser.add_argument("--secret-file", default=None,
                        help="file holding the run's secret (the MAS's secret_file)")
    parser.add_argument("--max-frame", type=int, default=DEFAULT_MAX_FRAME,
                        help="largest message in bytes (the MAS's max_frame)")
    parser.add_argument("--secret-stdin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        _fail(f"--host {args.host} is not loopback: pass --allow-remote to expose the "
              "worker to the network")
    if not 0 <= args.port <= 65535:
        _fail(f"--port must be within 0..65535, got {args.port}")
    if args.max_frame < 1024:
        _fail(f"--max-frame must be >= 1024 bytes, got {args.max_frame}")
    try:
        secret = _secret(args)
    except ConfigError as exc:
        _fail(str(exc))
    logging.basicConfig(level=logging.WARNING)
    if not is_loopback(args.host):
        logger.warning("worker listens on non-loopback address %s (--allow-remote)", args.host)
    try:
        with collector_tuned():  # a worker process runs agents all its life
            asyncio.run(serve(args.host, args.port, secret, watch_stdin=args.secret_stdin,
                              max_frame=args.max_frame))
    except OSError as exc:
        _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")


if __name__ == "__main__":
    main()
