"""mango agents that speak the coordination protocol (see :mod:`.messages`).

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

With COHDA (:mod:`.cohda.tree`), a negotiating controller starts a negotiation among
its children instead of splitting by itself; the children, as participants, talk to
their overlay neighbours (siblings) and give the weight back to the controller,
which instructs them once the negotiation has ended.

A handler that raises reports an :class:`~.messages.AgentFailure` to the core, so a
cycle never waits for an agent that has already failed. Messages from agents that
are not this agent's children (or, at the core, not in the tree) are rejected and
counted in :class:`~.transport.MessageStats`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from mango import Agent, AgentAddress

from ..model.errors import AgentFailedError, StrategyError
from ..model.flexibility import UnitState
from ..protocol.messages import (
    AgentFailure,
    FlexReport,
    Instruction,
    UnitsDone,
    pack_state,
    pack_target,
)
from ..strategies.cohda.protocol import Done, Participant, Start, Update
from ..strategies.cohda.schedules import options_for
from ..strategies.cohda.tree import TreeNegotiation
from ..strategies.coordination import Coordination, CycleInfo
from .transport import Key, MessageStats, address_key, post, sender_key

__all__ = [
    "TreeAgent", "AggregatingAgent", "UnitAgent", "ControllerAgent", "CoreAgent",
    "CompletionRelay",
]

logger = logging.getLogger(__name__)

class TreeAgent(Agent):
    """Common part: identity, parent/children addresses, failure reporting."""

    def __init__(
        self, eid: str, coordination: Coordination, info: CycleInfo, stats: MessageStats
    ) -> None:
        super().__init__()
        self.eid = eid
        self.coordination = coordination
        self.info = info
        self.stats = stats
        self.parent: AgentAddress | None = None
        self.core: AgentAddress | None = None
        self.children: dict[str, AgentAddress] = {}
        self.child_eid: dict[Key, str] = {}
        self.parent_key: Key | None = None
        self.cycle = -1
        #: Last cycle in which this agent sent its report, received its instruction,
        #: and passed instructions on to its children (read by the timeout diagnosis).
        self.reported = -1
        self.instructed = -1
        self.forwarded = -1
        #: COHDA: this agent's side of its parent's negotiations, if the parent negotiates
        self.participant: Participant | None = None
        self.peers: dict[str, AgentAddress] = {}
        self.peer_keys: set[Key] = set()
        self.levels = 11

    def connect(
        self, parent: AgentAddress | None, core: AgentAddress, children: dict[str, AgentAddress]
    ) -> None:
        """Set the tree links (called once the hierarchy is validated); keys are eids."""
        self.parent = parent
        self.parent_key = address_key(parent) if parent is not None else None
        self.core = core
        self.children = children
        self.child_eid = {address_key(address): eid for eid, address in children.items()}

    def join_negotiations(self, participant: Participant, peers: dict[str, AgentAddress],
                          levels: int) -> None:
        """Take part in the parent's COHDA negotiations; ``peers``: overlay neighbours."""
        self.participant = participant
        self.peers = peers
        self.peer_keys = {address_key(address) for address in peers.values()}
        self.levels = levels

    def _dispatch_message(self, content: Any, meta: dict[str, Any]) -> None:
        # mango 2.4's per-message dispatch also walks forwarding rules, conversations,
        # tracked replies and topology health, none of which this protocol uses; the
        # inbox and its task stay mango's. (Pinned to mango 2.4.x in pyproject.)
        self.handle_message(content, meta)

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Dispatch one protocol message; any exception becomes an AgentFailure."""
        try:
            kind = type(content)
            if kind is Start or kind is Update:
                self.on_cohda(content, meta)
            else:
                self.on_message(content, meta)
            if self.participant is not None and self.inbox.empty():
                self.flush_cohda()
        except Exception as exc:  # reported to the core, which raises it in mosaik's step
            logger.debug("agent %s failed", self.eid, exc_info=True)
            self.fail(exc)

    def on_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Handle one message (implemented by the roles)."""
        raise NotImplementedError

    def on_cohda(self, content: Start | Update, meta: dict[str, Any]) -> None:
        """A negotiation starts (from the parent) or a neighbour's update arrives."""
        participant = self.participant
        sender = sender_key(meta)
        if participant is None:
            self.reject(content, meta)
        elif type(content) is Start:
            if sender != self.parent_key:
                self.reject(content, meta)
                return
            if not isinstance(self.state, UnitState):
                raise StrategyError(f"COHDA needs a typed flexibility state at {self.eid!r}, "
                                    f"got {self.state!r}")
            participant.options = options_for(self.state, self.levels)
            participant.start(content)
        elif sender in self.peer_keys:
            participant.receive(content)  # type: ignore[arg-type]
        else:
            self.reject(content, meta)

    def flush_cohda(self) -> None:
        """Inbox empty: decide, then tell the neighbours or give the weight back."""
        assert self.participant is not None and self.parent is not None
        out, done = self.participant.flush()
        for peer, update in out:
            post(self, update, self.peers[peer], self.stats)  # type: ignore[index]
        if done is not None:
            post(self, done, self.parent, self.stats)

    def fail(self, exc: BaseException) -> None:
        """Tell the core this agent failed in the current cycle."""
        assert self.core is not None
        post(self, AgentFailure(self.cycle, self.eid, f"{type(exc).__name__}: {exc}"),
             self.core, self.stats)

    def reject(self, content: Any, meta: dict[str, Any]) -> None:
        """Count and log a message from an agent that may not send it to us."""
        self.stats.rejected += 1
        logger.warning("agent %s rejected %s from %r", self.eid, type(content).__name__,
                       meta.get("sender_id"))


class AggregatingAgent(TreeAgent):
    """Collects the children's reports of one cycle."""

    def __init__(
        self, eid: str, coordination: Coordination, info: CycleInfo, stats: MessageStats
    ) -> None:
        super().__init__(eid, coordination, info, stats)
        self.reports: dict[str, Any] = {}
        self.state: Any = None
        self.target: Any = None
        self.instructions: dict[str, Any] = {}
        #: set when this controller splits with COHDA
        self.negotiation: TreeNegotiation | None = None

    def on_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Collect a child's report; hand any other message to :meth:`on_other`."""
        sender = sender_key(meta)
        if type(content) is FlexReport:
            child = self.child_eid.get(sender)
            if child is None:
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
        elif type(content) is Done:
            self.on_done(content, meta, sender)
        else:
            self.on_other(content, meta, sender)

    def on_done(self, content: Done, meta: dict[str, Any], sender: Key) -> None:
        """A child gave weight back; instruct the children once the negotiation ended."""
        if self.negotiation is None or sender not in self.child_eid:
            self.reject(content, meta)
            return
        targets = self.negotiation.receive(content, self.reports)
        if targets is not None:
            self.stats.negotiations += 1
            self.stats.deviation += self.negotiation.deviation
            self.instruct(targets)

    def negotiate(self, net: float) -> None:
        """Start a COHDA negotiation among the children for net power ``net`` MW."""
        assert self.negotiation is not None
        starts = self.negotiation.start(net)
        for start, address in zip(starts, self.children.values(), strict=True):
            post(self, start, address, self.stats)

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
        self.state: Any = None
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
        if type(content) is not Instruction or sender_key(meta) != self.parent_key:
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
        if type(content) is not Instruction or sender != self.parent_key:
            self.reject(content, meta)
            return
        if content.cycle != self.cycle:
            return
        self.instructed = self.cycle
        self.target = content.target
        if self.negotiation is not None:
            self.negotiate(content.target.net)
        else:
            self.instruct(self.coordination.split(self.eid, content.target, self.state,
                                                  self.reports, self.info))


class CoreAgent(AggregatingAgent):
    """The top of the tree: decides, then waits until every unit is done."""

    def __init__(
        self, eid: str, coordination: Coordination, info: CycleInfo, stats: MessageStats,
        members: set[Key],
    ) -> None:
        """``members``: the identities of every agent of the tree and of the relays."""
        super().__init__(eid, coordination, info, stats)
        self.members = members
        #: applies a worker's results to the runtime's proxies (set by the runtime)
        self.remote_results: Callable[[UnitsDone], None] = lambda message: None
        self._pending: set[str] = set()
        self._future: asyncio.Future[None] | None = None

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

        With COHDA between the children, they negotiate the net power that makes the
        exchange with the external grid zero (production - consumption = offset).
        """
        self.reported = self.cycle
        self.instructed = self.cycle
        if self.negotiation is not None:
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

    def on_other(self, content: Any, meta: dict[str, Any], sender: Key) -> None:
        """Count relayed completions, fail the cycle on a failure; reject the rest."""
        kind = type(content)
        if kind is UnitsDone and sender in self.members:
            if content.cycle == self.cycle:
                if content.results is not None:
                    self.remote_results(content)
                self._done(f"container {content.container}")
        elif kind is AgentFailure and sender in self.members:
            if content.cycle == self.cycle:
                self._resolve(AgentFailedError(
                    f"agent {content.agent!r} failed in cycle {content.cycle}: {content.error}"
                ))
        else:
            self.reject(content, meta)

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
        self.counted = (0, 0, 0.0)  # stats already reported: sent, negotiations, deviation
        for unit in units:
            unit.finished = self.unit_done

    def begin(self, cycle: int) -> None:
        """A new cycle: all units pending."""
        self.cycle = cycle
        self.remaining = len(self.units)

    def unit_done(self, unit: UnitAgent) -> None:
        """One of this container's units is done; the last one triggers the report."""
        if unit.done == self.cycle:
            self.remaining -= 1
            if self.remaining == 0:
                assert self.core is not None
                post(self, self._message(), self.core, self.stats)

    def _message(self) -> UnitsDone:
        if not self.report:
            return UnitsDone(self.cycle, self.container)
        stats = self.stats
        now = (stats.sent + 1, stats.negotiations, stats.deviation)  # this message included
        counts = [a - b for a, b in zip(now, self.counted, strict=True)]
        self.counted = now
        return UnitsDone(
            self.cycle, self.container, [pack_target(u.result) for u in self.units],
            [pack_state(c.state) + pack_target(c.target) for c in self.controllers], counts,
        )

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Relays take no messages."""
        logger.warning("completion relay of container %s got %r", self.container, content)
