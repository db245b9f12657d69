"""mango agents that carry the pure protocol's messages: keeper, consumers, producers.

* :class:`ScoreKeeper` — the neighbourhood's scoreboard (PySSMic's manager): answers
  ranking requests and applies the outcomes consumers report.
* :class:`ConsumerAgent` — one per house: negotiates each of the house's jobs with a
  :class:`~.protocol.ConsumerNegotiation` and keeps its contracts (a producer may move
  them later).
* :class:`ProducerAgent` — one per PV unit: answers requests with its
  :class:`~.protocol.ProducerBook`.

Every handler checks who sent a message (authenticated, :func:`~.transport.sender_key`)
against the :class:`Directory`: only consumers ask for rankings and request jobs (and
only for their own house's jobs), only the keeper sends rankings, only the producer a
consumer is waiting for answers it, only the producer holding a contract moves it. A
message that breaks these rules is dropped and counted in ``stats.rejected``. Sending
goes through :mod:`.transport` only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from mango import Agent, AgentAddress

from .market import MarketStats
from .messages import (
    JobAnswer,
    JobRequest,
    Outcomes,
    OutcomesRecorded,
    Ranking,
    RankingRequest,
    RescheduleAck,
    RescheduleJob,
)
from .model import Job, LoadProfile, NeighbourhoodError
from .optimisation import JobSpec
from .protocol import GRID, Ask, ConsumerNegotiation, Contract, ProducerBook, ScoreChange
from .scores import Scoreboard
from .transport import Key, key_of, send, send_now, sender_key

__all__ = ["Directory", "ScoreKeeper", "ConsumerAgent", "ProducerAgent", "NegotiationTimeout",
           "job_request_spec"]

logger = logging.getLogger(__name__)


class NegotiationTimeout(TimeoutError):
    """An agent did not answer in time; the message names it."""


@dataclass
class Directory:
    """Who is who: addresses by role and the role of every known identity."""

    keeper: AgentAddress | None = None
    consumers: dict[str, AgentAddress] = field(default_factory=dict)
    producers: dict[str, AgentAddress] = field(default_factory=dict)
    roles: dict[Key, tuple[str, str]] = field(default_factory=dict)

    def add(self, role: str, name: str, address: AgentAddress) -> None:
        """Register an agent (``role`` keeper/consumer/producer, ``name`` its house or id)."""
        if role == "keeper":
            self.keeper = address
        elif role == "consumer":
            self.consumers[name] = address
        else:
            self.producers[name] = address
        self.roles[key_of(address)] = (role, name)

    def who(self, meta: dict[str, Any]) -> tuple[str, str] | None:
        """``(role, name)`` of a message's sender, or None for a stranger."""
        return self.roles.get(sender_key(meta))


class _Base(Agent):
    """Counting sender and rejecting receiver shared by the three agents."""

    def __init__(self, directory: Directory, stats: MarketStats, timeout: float) -> None:
        super().__init__()
        self.directory = directory
        self.stats = stats
        self.timeout = timeout

    def post(self, content: Any, receiver: AgentAddress) -> None:
        self.stats.messages += 1
        send(self, content, receiver)

    def reject(self, content: Any, meta: dict[str, Any], why: str) -> None:
        self.stats.rejected += 1
        logger.warning("%s rejected %s from %s: %s", self.aid, type(content).__name__,
                       sender_key(meta), why)

    async def wait(self, future: asyncio.Future[Any], what: str) -> Any:
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise NegotiationTimeout(f"{self.aid}: no answer from {what} within "
                                     f"{self.timeout} s") from None


class ScoreKeeper(_Base):
    """The neighbourhood's scoreboard as an agent (module docstring)."""

    def __init__(self, directory: Directory, stats: MarketStats, timeout: float,
                 scoreboard: Scoreboard, tie: dict[str, int]) -> None:
        super().__init__(directory, stats, timeout)
        self.scoreboard = scoreboard
        self.tie = tie
        #: job -> the consumer that asked for its ranking (until its outcomes arrive)
        self.open: dict[str, str] = {}

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Rankings and outcomes, for consumers only."""
        who = self.directory.who(meta)
        if who is None or who[0] != "consumer":
            self.reject(content, meta, "not a consumer of this neighbourhood")
            return
        house = who[1]
        if type(content) is RankingRequest:
            if not content.job.startswith(f"{house}:") or content.job in self.open:
                self.reject(content, meta, f"job {content.job!r} is not an open job of "
                                           f"house {house}")
                return
            self.open[content.job] = house
            ranking = self.scoreboard.ranking(self.directory.producers, self.tie)
            self.post(Ranking(content.job, ranking), self.directory.consumers[house])
        elif type(content) is Outcomes:
            if self.open.get(content.job) != house or not self._valid(content.answers):
                self.reject(content, meta, f"outcomes of job {content.job!r} not expected")
                return
            del self.open[content.job]
            for producer, accepted in content.answers:
                if accepted:
                    self.scoreboard.accepted(str(producer))
                else:
                    self.scoreboard.declined(str(producer))
            self.post(OutcomesRecorded(content.job), self.directory.consumers[house])
        else:
            self.reject(content, meta, "unexpected message")

    def _valid(self, answers: list[list[Any]]) -> bool:
        return all(len(a) == 2 and a[0] in self.directory.producers and isinstance(a[1], bool)
                   for a in answers) and sum(bool(a[1]) for a in answers) <= 1


class ConsumerAgent(_Base):
    """One house's consumer side (module docstring)."""

    def __init__(self, directory: Directory, stats: MarketStats, timeout: float,
                 house: str) -> None:
        super().__init__(directory, stats, timeout)
        self.house = house
        self.contracts: dict[str, Contract] = {}
        #: jobs whose contract changed since the last :meth:`take_changes`
        self.changed: set[str] = set()
        self._waiting: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._asked: dict[str, str] = {}

    async def negotiate(self, job: Job, clock: Callable[[], int]) -> Contract:
        """Run one job's negotiation to its contract (producer or grid)."""
        if job.house != self.house:
            raise ValueError(f"{self.aid}: job {job.id} belongs to house {job.house}")
        keeper = self.directory.keeper
        assert keeper is not None
        ranking = await self._ask(RankingRequest(job.id), keeper, ("ranking", job.id),
                                  "the score keeper")
        negotiation = ConsumerNegotiation(job, ranking.producers)
        request = JobRequest(job.id, job.house, job.earliest, job.latest,
                             list(job.profile.times), list(job.profile.energy_wh))
        changes: list[ScoreChange] = []
        now = clock()
        while True:
            move = negotiation.next(now)
            if not isinstance(move, Ask):
                break
            self._asked[job.id] = move.producer
            answer = await self._ask(request, self.directory.producers[move.producer],
                                     ("answer", job.id), f"producer {move.producer}")
            del self._asked[job.id]
            try:
                change = negotiation.answer(move.producer, answer.accepted, answer.start, now)
            except ValueError as exc:  # an accept with an impossible start counts as a decline
                self.stats.rejected += 1
                logger.warning("%s: %s", self.aid, exc)
                change = negotiation.answer(move.producer, False, None, now)
            changes.append(change)
            if negotiation.done:
                break
        answers = [[c.producer, c.delta < 0] for c in changes]
        await self._ask(Outcomes(job.id, answers), keeper, ("recorded", job.id),
                        "the score keeper")
        contract = negotiation.contract
        assert contract is not None
        self.contracts[job.id] = contract
        self.changed.add(job.id)
        return contract

    def take_changes(self) -> list[Contract]:
        """Contracts made or moved since the last call."""
        changed = [self.contracts[j] for j in sorted(self.changed)]
        self.changed.clear()
        return changed

    async def _ask(self, content: Any, receiver: AgentAddress, slot: tuple[str, str],
                   what: str) -> Any:
        future = asyncio.get_running_loop().create_future()
        self._waiting[slot] = future
        self.stats.messages += 1
        await send_now(self, content, receiver)
        try:
            return await self.wait(future, what)
        finally:
            self._waiting.pop(slot, None)

    def _resolve(self, slot: tuple[str, str], content: Any, meta: dict[str, Any]) -> None:
        future = self._waiting.get(slot)
        if future is None or future.done():
            self.reject(content, meta, f"no open {slot[0]} for job {slot[1]!r}")
            return
        future.set_result(content)

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Answers from the keeper and producers; reschedules of contracted jobs."""
        who = self.directory.who(meta)
        kind = type(content)
        if kind in (Ranking, OutcomesRecorded):
            if who != ("keeper", "keeper"):
                self.reject(content, meta, "only the score keeper sends this")
                return
            self._resolve(("ranking" if kind is Ranking else "recorded", content.job),
                          content, meta)
        elif kind is JobAnswer:
            asked = self._asked.get(content.job)
            if who is None or who != ("producer", asked):
                self.reject(content, meta, f"job {content.job!r} is not waiting for this sender")
                return
            self._resolve(("answer", content.job), content, meta)
        elif kind is RescheduleJob:
            self._reschedule(content, meta, who)
        else:
            self.reject(content, meta, "unexpected message")

    def _reschedule(self, content: RescheduleJob, meta: dict[str, Any],
                    who: tuple[str, str] | None) -> None:
        contract = self.contracts.get(content.job)
        if contract is None or contract.producer == GRID or who != ("producer",
                                                                    contract.producer):
            self.reject(content, meta, f"sender does not serve job {content.job!r}")
            return
        self.contracts[content.job] = Contract(contract.job, contract.house, contract.producer,
                                               content.start, contract.agreed,
                                               contract.declines)
        self.changed.add(content.job)
        self.post(RescheduleAck(content.job), self.directory.producers[contract.producer])


class ProducerAgent(_Base):
    """One PV unit's producer side (module docstring)."""

    def __init__(self, directory: Directory, stats: MarketStats, timeout: float,
                 book: ProducerBook, clock: Callable[[], int]) -> None:
        super().__init__(directory, stats, timeout)
        self.book = book
        self.clock = clock
        self._unacked: dict[str, asyncio.Future[Any]] = {}

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Job requests from consumers; acknowledgements of reschedules."""
        who = self.directory.who(meta)
        if type(content) is JobRequest:
            if who is None or who != ("consumer", content.house) or not content.job.startswith(
                    f"{content.house}:"):
                self.reject(content, meta, "a consumer may only request its own house's jobs")
                return
            self._request(content, who[1])
        elif type(content) is RescheduleAck:
            future = self._unacked.get(content.job)
            booking = self.book.bookings.get(content.job)
            if future is None or booking is None or who != ("consumer", booking.house):
                self.reject(content, meta, f"no reschedule of job {content.job!r} to acknowledge")
                return
            future.set_result(None)
        else:
            self.reject(content, meta, "unexpected message")

    def _request(self, content: JobRequest, house: str) -> None:
        try:
            spec = job_request_spec(content)
            decision = self.book.request(spec, house, self.clock())
        except (NeighbourhoodError, ValueError, TypeError) as exc:
            # a malformed request is declined (and logged), never crashes the producer
            logger.warning("%s declines malformed request for %s: %s", self.aid, content.job,
                           exc)
            self.post(JobAnswer(content.job, False, None), self.directory.consumers[house])
            return
        self.stats.count(decision)
        self.post(JobAnswer(content.job, decision.accepted, decision.start),
                  self.directory.consumers[house])
        self._notify(decision.moved)

    def learn(self, prediction: Any, now: int) -> None:
        """Take a prediction (from the runtime) and tell the consumers of moved jobs."""
        self._notify(self.book.learn(prediction, now))

    def _notify(self, moved: Any) -> None:
        for item in moved:
            booking = self.book.bookings[item.job]
            self._unacked[item.job] = asyncio.get_running_loop().create_future()
            self.stats.reschedules += 1
            self.post(RescheduleJob(item.job, item.start), self.directory.consumers[booking.house])

    async def settled(self) -> None:
        """Wait until every consumer acknowledged the reschedules sent so far."""
        while self._unacked:
            job, future = next(iter(self._unacked.items()))
            try:
                await self.wait(future, f"the consumer of job {job}")
            finally:
                self._unacked.pop(job, None)

    @property
    def unsettled(self) -> bool:
        """Reschedules still waiting for an acknowledgement."""
        return bool(self._unacked)


def job_request_spec(request: JobRequest) -> JobSpec:
    """The :class:`~.optimisation.JobSpec` a request describes (validated).

    Cached: the consumer sends the same request to producer after producer.
    """
    return _spec(request.job, request.earliest, request.latest, tuple(request.times),
                 tuple(request.energy))


@lru_cache(maxsize=256)
def _spec(job: str, earliest: int, latest: int, times: tuple[int, ...],
          energy: tuple[float, ...]) -> JobSpec:
    return JobSpec(job, earliest, latest, LoadProfile(times, energy))
