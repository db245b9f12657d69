"""A worker process: one mango container hosting some cells' agents for a remote MAS.

Start it on any machine and give its address to the MAS (``workers=["host:port"]``),
or let the MAS spawn workers on this machine (``containers=N, processes=True``)::

    massca-mas-worker --host 127.0.0.1 --port 5701      # prints "listening on ..."

The MAS sends a :class:`~.messages.SetupPart` (which nodes to build and how to
coordinate), then one :class:`~.messages.CycleStart` per cycle with the units'
states; the worker's agents talk to the core over TCP and its completion relay
reports the units' results once per cycle. The worker exits on
:class:`~.messages.Shutdown`, SIGINT/SIGTERM, or (when spawned) when its stdin closes.
Binding a non-loopback address needs ``--allow-remote``.
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

from ...protocol.codec import unpack_state
from ...protocol.messages import (
    HOST_AID,
    AgentFailure,
    CycleStart,
    SetupDone,
    SetupPart,
    Shutdown,
    Wire,
)
from ...strategies import NEGOTIATIONS
from ...strategies.coordination import CycleInfo, StrategyCoordination
from ...strategies.negotiation import from_spec
from ...strategies.registry import build_strategy
from ..agents import AggregatingAgent, CompletionRelay, TreeAgent, UnitAgent
from ..assembly import connect_agents, create_agent, wire_negotiation
from ..compat import LeanDispatch, container_of
from ..transport import (
    TcpTransport,
    TransportConfig,
    create_container,
    enable_batching,
    is_loopback,
    post,
)
from ..transport.identity import MessageStats

__all__ = ["HOST_AID", "WorkerHost", "serve", "main"]

logger = logging.getLogger(__name__)


def address_of(entry: list[Any]) -> AgentAddress:
    """``[[host, port], aid]`` (JSON) -> an address."""
    addr, aid = entry
    return AgentAddress(tuple(addr) if isinstance(addr, list) else addr, aid)


class WorkerHost(LeanDispatch, Agent):
    """Builds the agents it is sent and starts their cycles."""

    def __init__(self, stop: asyncio.Event) -> None:
        super().__init__()
        self.stop = stop
        self.stats = MessageStats()
        self.info = CycleInfo()
        self.agents: dict[str, TreeAgent] = {}
        self.relay: CompletionRelay | None = None
        self.core: AgentAddress | None = None
        self.container_index = -1

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Dispatch one control message; a failure is reported to the core."""
        try:
            kind = type(content)
            if kind is CycleStart:
                self.start_cycle(content)
            elif kind is SetupPart:
                self.setup(content, AgentAddress(_addr(meta["sender_addr"]), meta["sender_id"]))
            elif kind is Wire:
                self.wire(content)
            elif kind is Shutdown:
                logger.info("worker: shutdown (%s)", content.reason)
                self.stop.set()
            else:
                logger.warning("worker: ignored %r from %s", content, meta.get("sender_id"))
        except Exception as exc:
            logger.exception("worker container %s failed", self.container_index)
            if self.core is not None and self.relay is not None:
                failure = AgentFailure(self.relay.cycle, f"worker container "
                                       f"{self.container_index}", f"{type(exc).__name__}: {exc}")
                post(self, failure, self.core, self.stats)

    def setup(self, part: SetupPart, sender: AgentAddress) -> None:
        """Build, register and link the nodes; reply with their mango ids."""
        container = container_of(self)
        params = dict(part.strategy)
        coordination = StrategyCoordination(build_strategy(params.pop("strategy", "balance"),
                                                           params))
        core_eid, core_addr, core_aid = part.core
        self.core = AgentAddress(_addr(core_addr), core_aid)
        self.container_index = part.container
        links = {}
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
        stats = self.stats  # cycles count their own messages only
        self.relay.counted = (stats.sent, stats.negotiations, stats.deviation)

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
        self.relay.begin(message.cycle)
        units = self.relay.units
        if len(message.states) != len(units):
            raise ValueError(f"CycleStart has {len(message.states)} states for {len(units)} "
                             "units")
        for unit, packed in zip(units, message.states, strict=True):
            unit.begin(message.cycle, unpack_state(packed))


def _addr(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


async def serve(host: str, port: int, *, watch_stdin: bool = False) -> None:
    """Run a worker until it is told to stop."""
    stop = asyncio.Event()
    container = create_container(TransportConfig(TcpTransport(host, port)))
    worker = WorkerHost(stop)
    container.register(worker, suggested_aid=HOST_AID)
    await container.start()
    container.on_ready()
    enable_batching(container)
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


def main(argv: list[str] | None = None) -> None:
    """``massca-mas-worker``: serve one container for a MAS in another process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--allow-remote", action="store_true",
                        help="permit binding a non-loopback address")
    parser.add_argument("--watch-stdin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(f"--host {args.host} is not loopback: pass --allow-remote to expose the "
                     "worker to the network")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be within 0..65535, got {args.port}")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(args.host, args.port, watch_stdin=args.watch_stdin))


if __name__ == "__main__":
    main()
