"""mango agents that speak the coordination protocol (see :mod:`..protocol.messages`).

* :class:`UnitAgent` holds one unit's state; on :meth:`UnitAgent.begin` it reports to
  its parent, on its :class:`~.messages.Instruction` it computes its result and tells
  its container's runtime it is done (a local call: the runtime that hosts the units
  counts them, so completion costs no message per unit).
* :class:`ControllerAgent` waits for all its children's reports, aggregates, reports
  up; on its instruction it splits it among its children, each getting only its own.
* :class:`CoreAgent` is the top: it decides when all its children reported, counts
  the units that are done and resolves the cycle, or fails it naming the agent.

Agents are registered under mango's own ids (``agent0``, ...); ``eid`` is the mosaik
entity id, and every agent maps its children's mango ids to their entity ids.

With a negotiation (:mod:`..strategies.negotiation`, e.g. COHDA), a controller that
leads one starts it among its children instead of splitting by itself; the children,
as members, talk to their neighbours (siblings) and answer the controller, which
instructs them once the negotiation has ended. The agents only move the negotiation's
messages; they know no particular algorithm.

A handler that raises reports an :class:`~.messages.AgentFailure` to the core, so a
cycle never waits for an agent that has already failed. Messages from agents that
are not this agent's children (or, at the core, not in the tree), malformed ones, and
messages of a kind the receiver does not take are rejected and counted in
:class:`~.transport.MessageStats`, never raised into a cycle. The sender identity
checked here comes from the authenticated envelope (messages from other containers) or
from the container itself (local ones), never from what a sender wrote about itself;
the core names a failed agent by that identity too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from mango import Agent, AgentAddress

from ..model.errors import AgentFailedError
from ..protocol.columns import pack_states, pack_targets
from ..protocol.messages import AgentFailure, FlexReport, Instruction, UnitsDone
from ..strategies.coordination import Coordination, CycleInfo
from ..strategies.negotiation import Lead, Member
from .compat import LeanDispatch, container_of
from .transport import Key, MessageStats, address_key, pending, post, sender_key

__all__ = [
    "TreeAgent", "AggregatingAgent", "UnitAgent", "ControllerAgent", "CoreAgent",
    "CompletionRelay",
]

logger = logging.getLogger(__name__)

#: Rejections logged at WARNING per MAS or worker; later ones at DEBUG (a flood must
#: not flood the log; all are counted).
LOUD_REJECTS = 20


def _cycle_of(content: Any) -> int | None:
    """A protocol message's cycle, or None if it is not an integer (malformed)."""
    cycle = getattr(content, "cycle", None)
    return cycle if type(cycle) is int else None


class TreeAgent(LeanDispatch, Agent):
    """Common part: identity, parent/children addresses, negotiations, failure reporting."""

    def __init__(
        self, eid: str, coordination: Coordination, info: CycleInfo, stats: MessageStats
    ) -> None:
        super().__init__()
        self.eid = eid
        self.coordination = coordination
        self.info = info
        self.stats = stats
        self.parent: AgentAddress | None = None
        self.parent_eid: str | None = None
        self.core: AgentAddress | None = None
        self.children: dict[str, AgentAddress] = {}
        self.child_eid: dict[Key, str] = {}
        self.parent_key: Key | None = None
        self.cycle = -1
        #: the unit's state, or the controller's aggregate, of the current cycle
        self.state: Any = None
        #: Last cycle in which this agent sent its report, received its instruction,
        #: and passed instructions on to its children (read by the timeout diagnosis).
        self.reported = -1
        self.instructed = -1
        self.forwarded = -1
        #: this agent's side of its parent's negotiations, if the parent negotiates
        self.member: Member | None = None
        self.peers: dict[str, AgentAddress] = {}
        self.peer_eid: dict[Key, str] = {}
        #: message types of the negotiations this agent leads or takes part in
        self.negotiation_types: frozenset[type] = frozenset()

    def connect(self, parent: str | None, core: AgentAddress,
                addresses: dict[str, AgentAddress], children: list[str]) -> None:
        """Set the tree links (called once the hierarchy is validated)."""
        self.parent_eid = parent
        self.parent = addresses[parent] if parent is not None else None
        self.parent_key = address_key(self.parent) if self.parent is not None else None
        self.core = core
        self.children = {child: addresses[child] for child in children}
        self.child_eid = {address_key(address): eid for eid, address in self.children.items()}

    def join_negotiation(self, member: Member, peers: dict[str, AgentAddress],
                         types: tuple[type, ...]) -> None:
        """Take part in the parent's negotiations; ``peers``: the neighbours' addresses."""
        self.member = member
        self.peers = peers
        self.peer_eid = {address_key(address): eid for eid, address in peers.items()}
        self.negotiation_types = self.negotiation_types | frozenset(types)

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Dispatch one protocol message; any exception becomes an AgentFailure."""
        try:
            if type(content) in self.negotiation_types:
                self.on_negotiation(content, meta)
            else:
                self.on_message(content, meta)
            if self.member is not None and self.nothing_waiting():
                self.flush_member()
        except Exception as exc:  # reported to the core, which raises it in mosaik's step
            logger.debug("agent %s failed", self.eid, exc_info=True)
            self.fail(exc)

    def nothing_waiting(self) -> bool:
        """True if no further message waits for this agent (in mango's inbox or the drain)."""
        return self.inbox.empty() and not pending(self, container_of(self))

    def on_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Handle one message (implemented by the roles)."""
        raise NotImplementedError

    def on_negotiation(self, content: Any, meta: dict[str, Any]) -> None:
        """A negotiation message from the parent (the lead) or a neighbour."""
        member = self.member
        sender = sender_key(meta)
        accepted = False
        if member is not None:
            if sender == self.parent_key:
                accepted = member.receive("lead", self.parent_eid, content, self.state)  # type: ignore[arg-type]
            elif sender in self.peer_eid:
                accepted = member.receive("neighbour", self.peer_eid[sender], content,
                                          self.state)
        if not accepted:
            self.reject(content, meta)

    def flush_member(self) -> None:
        """Inbox empty: send what this agent's side of the negotiation has to say."""
        assert self.member is not None and self.parent is not None
        for recipient, message in self.member.flush():
            address = self.parent if recipient == self.parent_eid else self.peers[recipient]
            post(self, message, address, self.stats)

    def fail(self, exc: BaseException) -> None:
        """Tell the core this agent failed in the current cycle."""
        assert self.core is not None
        post(self, AgentFailure(self.cycle, self.eid, f"{type(exc).__name__}: {exc}"),
             self.core, self.stats)

    def reject(self, content: Any, meta: dict[str, Any]) -> None:
        """Count and log a message from an agent that may not send it to us."""
        self.stats.rejected += 1
        level = logging.WARNING if self.stats.rejected <= LOUD_REJECTS else logging.DEBUG
        logger.log(level, "agent %s rejected %s from %r", self.eid, type(content).__name__,
                   sender_key(meta))


class AggregatingAgent(TreeAgent):
    """Collects the children's reports of one cycle."""

    def __init__(
        self, eid: str, coordination: Coordination, info: CycleInfo, stats: MessageStats
    ) -> None:
        super().__init__(eid, coordination, info, stats)
        self.reports: dict[str, Any] = {}
        self.target: Any = None
        self.instructions: dict[str, Any] = {}
        #: set when this controller splits by leading a negotiation among its children
        self.lead: Lead | None = None

    def lead_negotiation(self, lead: Lead, types: tuple[type, ...]) -> None:
        """Split by leading a negotiation among the children instead of the strategy."""
        self.lead = lead
        self.negotiation_types = self.negotiation_types | frozenset(types)

    def on_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Collect a child's report; hand any other message to :meth:`on_other`."""
        sender = sender_key(meta)
        if type(content) is FlexReport:
            child = self.child_eid.get(sender)  # type: ignore[arg-type]
            if child is None or _cycle_of(content) is None:
                self.reject(content, meta)
            elif content.cycle >= self.cycle:
                if content.cycle > self.cycle:
                    self.cycle = content.cycle
                    self.reports = {}
                self.reports[child] = content.state
                if len(self.reports) == len(self.children):
                    ordered = {child: self.reports[child] for child in self.children}
                    self.reports = ordered
                    self.all_reported(ordered)
        else:
            self.on_other(content, meta, sender)

    def on_negotiation(self, content: Any, meta: dict[str, Any]) -> None:
        """From a child: the negotiation this agent leads; else as a member."""
        child = self.child_eid.get(sender_key(meta))
        if child is None or self.lead is None:
            super().on_negotiation(content, meta)
            return
        targets = self.lead.receive(child, content, self.reports)
        if targets is not None:
            self.stats.negotiations += 1
            self.stats.deviation += self.lead.deviation
            self.instruct(targets)

    def negotiate(self, net: float) -> None:
        """Open a negotiation among the children for net power ``net`` MW."""
        assert self.lead is not None
        for child, message in self.lead.start(net, self.reports):
            post(self, message, self.children[child], self.stats)

    def all_reported(self, reports: dict[str, Any]) -> None:
        """Every child reported in this cycle (``reports`` in child order)."""
        raise NotImplementedError

    def on_other(self, content: Any, meta: dict[str, Any], sender: Key) -> None:
        """A message that is not a report."""
        raise NotImplementedError

    def instruct(self, instructions: dict[str, Any]) -> None:
        """Send every child its own instruction."""
        self.instructions = instructions
        cycle = self.cycle
        for child, address in self.children.items():
            post(self, Instruction(cycle, instructions[child]), address, self.stats)
        self.forwarded = cycle


class UnitAgent(TreeAgent):
    """One unit: reports its flexibility, applies its own instruction."""

    def __init__(
        self, eid: str, coordination: Coordination, info: CycleInfo, stats: MessageStats
    ) -> None:
        super().__init__(eid, coordination, info, stats)
        self.result: Any = None
        self.done = -1
        self.finished: Callable[[UnitAgent], None] = lambda unit: None

    def begin(self, cycle: int, state: Any) -> None:
        """Start ``cycle`` with the unit's current ``state`` (from mosaik's inputs)."""
        assert self.parent is not None
        self.cycle = cycle
        self.state = state
        self.reported = cycle
        post(self, FlexReport(cycle, state), self.parent, self.stats)

    def on_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Apply the instruction from the parent, then tell the runtime."""
        if (type(content) is not Instruction or sender_key(meta) != self.parent_key
                or _cycle_of(content) is None):
            self.reject(content, meta)
            return
        if content.cycle != self.cycle:
            return  # a late instruction of a cycle that already failed
        self.instructed = self.cycle
        self.result = self.coordination.execute(self.eid, content.target, self.state, self.info)
        self.done = self.cycle
        self.finished(self)


class ControllerAgent(AggregatingAgent):
    """An intermediate controller (cell controller or a level below it)."""

    def all_reported(self, reports: dict[str, Any]) -> None:
        """Aggregate and report to the parent."""
        assert self.parent is not None
        self.state = self.coordination.aggregate(self.eid, self.state, reports, self.info)
        self.reported = self.cycle
        post(self, FlexReport(self.cycle, self.state), self.parent, self.stats)

    def on_other(self, content: Any, meta: dict[str, Any], sender: Key) -> None:
        """Split the parent's instruction among the children."""
        if (type(content) is not Instruction or sender != self.parent_key
                or _cycle_of(content) is None):
            self.reject(content, meta)
            return
        if content.cycle != self.cycle:
            return
        self.instructed = self.cycle
        self.target = content.target
        if self.lead is not None:
            self.negotiate(content.target.net)
        else:
            self.instruct(self.coordination.split(self.eid, content.target, self.state,
                                                  self.reports, self.info))


class CoreAgent(AggregatingAgent):
    """The top of the tree: decides, then waits until every unit is done."""

    def __init__(
        self, eid: str, coordination: Coordination, info: CycleInfo, stats: MessageStats,
        members: dict[Key, str],
    ) -> None:
        """A core accepting completions and failures from ``members``.

        ``members`` names every agent of the tree, relay and worker host by identity
        (relays and hosts: ``"container K relay"``, ``"container K host"``).
        """
        super().__init__(eid, coordination, info, stats)
        self.members = members
        #: applies a worker's results to the runtime's proxies (set by the runtime)
        self.remote_results: Callable[[UnitsDone], None] = lambda message: None
        self._pending: set[str] = set()
        self._future: asyncio.Future[None] | None = None

    @property
    def pending(self) -> frozenset[str]:
        """Units of this container and other containers not done in this cycle."""
        return frozenset(self._pending)

    def open_cycle(self, cycle: int, pending: set[str]) -> asyncio.Future[None]:
        """Open ``cycle``; it completes when every name in ``pending`` is done.

        ``pending`` holds the eids of the units in the core's own container and
        ``"container K"`` for every other container that hosts units (its
        :class:`CompletionRelay` reports once all its units are done).
        """
        self.cycle = cycle
        self.reports = {}
        self._pending = set(pending)
        self._future = asyncio.get_running_loop().create_future()
        if not pending:
            self._future.set_result(None)
        return self._future

    def all_reported(self, reports: dict[str, Any]) -> None:
        """Decide for the whole system and instruct the children.

        With a negotiation between the children, they negotiate the net power that makes
        the exchange with the external grid zero (production - consumption = offset).
        """
        self.reported = self.cycle
        self.instructed = self.cycle
        if self.lead is not None:
            self.negotiate(self.info.offset)
        else:
            self.instruct(self.coordination.decide(self.eid, reports, self.info))

    def unit_done(self, unit: UnitAgent) -> None:
        """Count a unit of the core's container that applied its instruction."""
        if unit.done == self.cycle:
            self._done(unit.eid)

    def _done(self, name: str) -> None:
        self._pending.discard(name)
        if not self._pending:
            self._resolve(None)

    def on_other(self, content: Any, meta: dict[str, Any], sender: Key | None) -> None:
        """Count relayed completions, fail the cycle on a failure; reject the rest.

        A completion counts for the container its sender lives in, and a failure names
        its sender as the core knows it (``members``), whatever the message says.
        """
        kind = type(content)
        name = self.members.get(sender) if sender is not None else None  # type: ignore[arg-type]
        if name is None or kind not in (UnitsDone, AgentFailure) or _cycle_of(content) is None:
            self.reject(content, meta)
        elif kind is UnitsDone:
            container = f"container {content.container}"
            if not name.startswith(container + " "):
                self.reject(content, meta)
            elif content.cycle == self.cycle:
                if content.results is not None:
                    try:
                        self.remote_results(content)
                    except ValueError as exc:  # the worker's fault, named as such
                        self._resolve(AgentFailedError(
                            f"{name!r} sent results the core cannot take in cycle "
                            f"{content.cycle}: {exc}"))
                        return
                self._done(container)
        elif content.cycle == self.cycle:
            said = "" if content.agent == name else f" (it reported {content.agent!r})"
            self._resolve(AgentFailedError(
                f"agent {name!r} failed in cycle {content.cycle}: {content.error}{said}"))

    def fail(self, exc: BaseException) -> None:
        """The core itself failed: fail the cycle directly."""
        self._resolve(AgentFailedError(f"agent {self.eid!r} failed in cycle {self.cycle}: "
                                       f"{type(exc).__name__}: {exc}"))

    def _resolve(self, error: BaseException | None) -> None:
        future = self._future
        if future is None or future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class CompletionRelay(Agent):
    """Counts the units of one container that are done; tells the core once all are.

    Keeps completion local to each container (no message per unit), like the core
    does for the units in its own container. In a worker process (``report``), the
    message also carries the units' results and the controllers' aggregates and
    targets (packed, in ``units``/``controllers`` order, typed strategies only),
    which the core's process needs for mosaik's outputs.
    """

    def __init__(self, container: int, units: list[UnitAgent],
                 controllers: list[AggregatingAgent], stats: MessageStats,
                 report: bool = False) -> None:
        super().__init__()
        self.container = container
        self.units = units
        self.controllers = controllers
        self.stats = stats
        self.report = report
        self.core: AgentAddress | None = None
        self.cycle = -1
        self.remaining = 0
        #: stats already reported: sent, negotiations, deviation, rejected
        self.counted: tuple[float, ...] = (0, 0, 0.0, 0)
        for unit in units:
            unit.finished = self.unit_done

    def begin(self, cycle: int) -> None:
        """A new cycle: all units pending (with none, the container is done at once)."""
        self.cycle = cycle
        self.remaining = len(self.units)
        if not self.units:
            self._finish()

    def unit_done(self, unit: UnitAgent) -> None:
        """One of this container's units is done; the last one triggers the report."""
        if unit.done == self.cycle:
            self.remaining -= 1
            if self.remaining == 0:
                self._finish()

    def _finish(self) -> None:
        assert self.core is not None
        post(self, self._message(), self.core, self.stats)

    def _message(self) -> UnitsDone:
        if not self.report:
            return UnitsDone(self.cycle, self.container)
        stats = self.stats
        # this message included
        now = (stats.sent + 1, stats.negotiations, stats.deviation, stats.rejected)
        counts = [a - b for a, b in zip(now, self.counted, strict=True)]
        self.counted = now
        return UnitsDone(
            self.cycle, self.container, pack_targets([u.result for u in self.units]),
            {"states": pack_states([c.state for c in self.controllers]),
             "targets": pack_targets([c.target for c in self.controllers])}, counts,
        )

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Relays take no messages: count and drop."""
        self.stats.rejected += 1
        logger.warning("completion relay of container %s rejected %s from %r", self.container,
                       type(content).__name__, sender_key(meta))
