"""The whole neighbourhood's negotiation without agents: the protocol driven in-process.

:class:`Market` holds one :class:`~.protocol.ProducerBook` per PV unit and the
scoreboard, and runs :class:`~.protocol.ConsumerNegotiation` for each job, in the same
order and with the same messages the mango agents exchange (it counts them too), so the
agents' results can be checked against it and the benchmark can time the protocol on
its own. Events are handled step by step: in each step first the predictions issued in
it (producer by producer), then the jobs created in it (by creation time, house, device,
id); ``now`` is the step's start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .energy import issue_step
from .model import Job, Neighbourhood, Prediction
from .optimisation import JobSpec, SolverOptions
from .protocol import (
    GRID,
    Ask,
    ConsumerNegotiation,
    Contract,
    Decision,
    ProducerBook,
    Reschedule,
    ScoreChange,
)
from .scores import Scoreboard

__all__ = ["Market", "MarketStats", "Event", "events_by_step", "tie_order", "job_spec",
           "producer_rng", "MESSAGES_PER_JOB", "MESSAGES_PER_ASK", "MESSAGES_PER_RESCHEDULE"]

#: Ranking request + ranking, outcomes + acknowledgement.
MESSAGES_PER_JOB = 4
#: Job request + accept or decline.
MESSAGES_PER_ASK = 2
#: Reschedule + acknowledgement.
MESSAGES_PER_RESCHEDULE = 2


@dataclass
class MarketStats:
    """Counters of a negotiation (the agents keep the same ones)."""

    messages: int = 0
    requests: int = 0
    accepts: int = 0
    declines: int = 0
    #: declines without optimising (too little predicted energy in the job's span)
    quick_declines: int = 0
    reschedules: int = 0
    grid_contracts: int = 0
    #: messages dropped because their sender was not allowed to send them (agents only)
    rejected: int = 0
    optimisations: int = 0
    #: MILP solves stopped by the time limit before proving optimality
    unproven: int = 0
    solve_seconds: float = 0.0

    def count(self, decision: Decision) -> None:
        """Count one producer decision."""
        self.requests += 1
        if decision.accepted:
            self.accepts += 1
        else:
            self.declines += 1
        if decision.solution is None:
            self.quick_declines += 1
        else:
            self.optimisations += 1
            self.solve_seconds += decision.solution.seconds
            if decision.solution.method == "milp" and not decision.solution.optimal:
                self.unproven += 1


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happens in a step: a prediction or a job."""

    kind: str
    producer: str | None = None
    prediction: Prediction | None = None
    job: Job | None = None


def events_by_step(neighbourhood: Neighbourhood, step: int) -> dict[int, list[Event]]:
    """Step index -> its events, predictions first (module docstring)."""
    events: dict[int, list[Event]] = defaultdict(list)
    for _, producer in neighbourhood.producers():
        for prediction in producer.predictions:
            events[issue_step(prediction, step)].append(
                Event("prediction", producer.id, prediction=prediction))
    for k in events:
        events[k].sort(key=lambda e: (e.prediction.issued if e.prediction else 0))
    for job in neighbourhood.jobs():
        events[job.created // step].append(Event("job", job=job))
    return dict(sorted(events.items()))


def tie_order(producers: Iterable[str], seed: int) -> dict[str, int]:
    """A seeded order that breaks ties between equal scores."""
    producers = list(producers)
    order = np.random.default_rng(seed).permutation(len(producers))
    return {producers[int(i)]: rank for rank, i in enumerate(order)}


def producer_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of the ``index``-th producer of a run with ``seed``."""
    return np.random.default_rng([seed, index])


def job_spec(job: Job) -> JobSpec:
    """What a producer is told about a job."""
    return JobSpec(job.id, job.earliest, job.latest, job.profile)


@dataclass
class Market:
    """The protocol for a whole neighbourhood, without agents (module docstring)."""

    neighbourhood: Neighbourhood
    step: int
    options: SolverOptions
    scoreboard: Scoreboard
    seed: int = 0
    max_grid_share: float = 0.0
    stats: MarketStats = field(default_factory=MarketStats)
    contracts: dict[str, Contract] = field(default_factory=dict)
    books: dict[str, ProducerBook] = field(default_factory=dict)

    def __post_init__(self) -> None:
        producers = [p.id for _, p in self.neighbourhood.producers()]
        self.scoreboard.register(producers)
        self.tie = tie_order(producers, self.seed)
        horizon = self.neighbourhood.horizon()
        self.books = {p: ProducerBook(p, self.step, horizon, self.options,
                                      self.max_grid_share, producer_rng(self.seed, i))
                      for i, p in enumerate(producers)}

    def predict(self, producer: str, prediction: Prediction, now: int) -> tuple[Reschedule, ...]:
        """A producer learns a prediction; returns the jobs it moved."""
        moved = self.books[producer].learn(prediction, now)
        self._reschedule(moved)
        return moved

    def negotiate(self, job: Job, now: int) -> tuple[Contract, tuple[Reschedule, ...]]:
        """One job's negotiation; returns its contract and the other jobs moved."""
        ranking = self.scoreboard.ranking(self.books, self.tie)
        negotiation = ConsumerNegotiation(job, ranking)
        changes: list[ScoreChange] = []
        moved: tuple[Reschedule, ...] = ()
        spec = job_spec(job)
        while not negotiation.done:
            move = negotiation.next(now)
            if not isinstance(move, Ask):
                break
            decision = self.books[move.producer].request(spec, job.house, now)
            self.stats.count(decision)
            self.stats.messages += MESSAGES_PER_ASK
            changes.append(negotiation.answer(move.producer, decision.accepted, decision.start,
                                              now))
            moved = decision.moved
        for change in changes:
            self._score(change)
        self.stats.messages += MESSAGES_PER_JOB
        contract = negotiation.contract
        assert contract is not None
        if contract.producer == GRID:
            self.stats.grid_contracts += 1
        self.contracts[job.id] = contract
        self._reschedule(moved)
        return contract, moved

    def run(self) -> dict[str, Contract]:
        """All events of the neighbourhood in order; returns the final contracts."""
        for k, events in events_by_step(self.neighbourhood, self.step).items():
            now = k * self.step
            for event in events:
                if event.kind == "prediction":
                    assert event.producer is not None and event.prediction is not None
                    self.predict(event.producer, event.prediction, now)
            for event in events:
                if event.kind == "job":
                    assert event.job is not None
                    self.negotiate(event.job, now)
        return self.contracts

    def _score(self, change: ScoreChange) -> None:
        if change.delta < 0:
            self.scoreboard.accepted(change.producer)
        else:
            self.scoreboard.declined(change.producer)

    def _reschedule(self, moved: Iterable[Reschedule]) -> None:
        for item in moved:
            old = self.contracts[item.job]
            self.contracts[item.job] = Contract(old.job, old.house, old.producer, item.start,
                                                old.agreed, old.declines)
            self.stats.reschedules += 1
            self.stats.messages += MESSAGES_PER_RESCHEDULE
