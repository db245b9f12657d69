"""The negotiation as a pure protocol: no transport, no agents, no clocks.

Consumer side (:class:`ConsumerNegotiation`, one per job): when a job is announced the
consumer takes a snapshot of the producers ranked by score (a priority queue, lowest
score first) and asks them one at a time. A producer that accepts gets -1, one that
declines +1 (:class:`ScoreChange`, applied to the neighbourhood's scoreboard); an accept
ends the negotiation with a :class:`Contract` at the start the producer chose. When the
queue is empty the job runs from the grid at its latest start (PySSMic's grid contract).

Producer side (:class:`ProducerBook`): the producer keeps the jobs it accepted and its
predictions. On a request it adds the job to its schedule and optimises the start of
every job that has not started (:mod:`.optimisation`); it accepts when the optimised
schedule serves the new job: the grid energy of its schedule grows by at most
``max_grid_share`` of the job's energy (0: the prediction must cover the job entirely,
PySSMic's rule). A job whose reachable span holds less predicted energy than that is
declined without optimising (no schedule could serve it). Accepting may move other
jobs (:class:`Reschedule`); so may a new prediction (:meth:`ProducerBook.learn`), which
never drops a job it accepted.

The agents (:mod:`.agents`) and the agent-free :class:`~.market.Market` drive these same
objects, message for message.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .energy import forecast, interval_energy
from .model import Job, LoadProfile, Prediction
from .optimisation import (
    JobSpec,
    Problem,
    Shiftable,
    Solution,
    SolverOptions,
    build_problem,
    components,
    lower_bound,
    shiftable,
    solve,
    subproblem,
)
from .scores import ACCEPT_DELTA, DECLINE_DELTA

__all__ = [
    "GRID",
    "Contract",
    "Ask",
    "Fallback",
    "ScoreChange",
    "ConsumerNegotiation",
    "Decision",
    "Reschedule",
    "Booking",
    "ProducerBook",
]

#: The producer id of a grid contract.
GRID = "grid"


@dataclass(frozen=True, slots=True)
class Contract:
    """Who serves a job and when it starts; ``declines`` producers declined it first."""

    job: str
    house: str
    producer: str
    start: int
    agreed: int
    declines: int


@dataclass(frozen=True, slots=True)
class Ask:
    """The consumer's next move: request ``producer`` to serve the job."""

    producer: str


@dataclass(frozen=True, slots=True)
class Fallback:
    """The consumer's last move: no producer took the job; grid at ``start`` (latest)."""

    start: int


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """A producer's score moves by ``delta`` (-1 accepted, +1 declined)."""

    producer: str
    delta: int


@dataclass(slots=True)
class ConsumerNegotiation:
    """One job's negotiation, from the consumer's side (module docstring)."""

    job: Job
    ranking: Sequence[str]
    queue: list[tuple[int, str]] = field(default_factory=list)
    pending: str | None = None
    declined: list[str] = field(default_factory=list)
    contract: Contract | None = None

    def __post_init__(self) -> None:
        self.queue = [(rank, producer) for rank, producer in enumerate(self.ranking)]
        heapq.heapify(self.queue)

    def next(self, now: int) -> Ask | Fallback:
        """Ask the best producer not yet asked, or fall back to the grid."""
        if self.contract is not None or self.pending is not None:
            raise RuntimeError(f"job {self.job.id}: negotiation is not waiting to ask")
        if not self.queue:
            self.contract = Contract(self.job.id, self.job.house, GRID, self.job.latest, now,
                                     len(self.declined))
            return Fallback(self.job.latest)
        _, producer = heapq.heappop(self.queue)
        self.pending = producer
        return Ask(producer)

    def answer(self, producer: str, accepted: bool, start: int | None, now: int
               ) -> ScoreChange:
        """Take ``producer``'s answer; returns its score change.

        An accept must name a start within the job's window and not in the past.
        """
        if producer != self.pending:
            raise ValueError(f"job {self.job.id}: answer from {producer!r}, but "
                             f"{self.pending!r} was asked")
        job = self.job
        if accepted and (isinstance(start, bool) or not isinstance(start, int)
                         or not max(job.earliest, now) <= start <= job.latest):
            raise ValueError(f"job {job.id}: producer {producer!r} accepted with start "
                             f"{start!r} outside [{max(job.earliest, now)}, {job.latest}]")
        self.pending = None
        if not accepted:
            self.declined.append(producer)
            return ScoreChange(producer, DECLINE_DELTA)
        self.contract = Contract(job.id, job.house, producer, start, now, len(self.declined))
        return ScoreChange(producer, ACCEPT_DELTA)

    @property
    def done(self) -> bool:
        """A contract was made (with a producer or the grid)."""
        return self.contract is not None


@dataclass(frozen=True, slots=True)
class Reschedule:
    """A producer moves an accepted job to a new start."""

    job: str
    producer: str
    start: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A producer's answer to a request and what it did to its schedule."""

    accepted: bool
    start: int | None
    moved: tuple[Reschedule, ...]
    #: grid energy (Wh) the job adds to the producer's schedule (the best one found)
    marginal_wh: float
    #: the solver's result when the producer optimised (``None``: insertion decided)
    solution: Solution | None


@dataclass(slots=True)
class Booking:
    """A job a producer accepted, the house it belongs to and its current start."""

    spec: JobSpec
    house: str
    start: int


class ProducerBook:
    """A producer's side of the protocol: its predictions, bookings and decisions.

    It keeps its forecast and the load of its bookings as arrays over the day, so that
    the common answers cost little: a job that fits as it is gets accepted at its best
    insertion without moving anything else, and a job is declined without optimising
    when its span holds too little PV surplus; when its plan is optimal (it draws no more
    than its running jobs alone) and the job would not fit even among the running jobs
    alone (adding load never makes a job's own grid energy smaller); when no job it
    could move shares its span; or when the energetic lower bound of
    :func:`~.optimisation.lower_bound` rules it out. These shortcuts are exact:
    optimising could not change the answer (a test checks every decision of a run
    against one MILP over all the producer's jobs).
    """

    def __init__(self, producer: str, step: int, horizon: int, options: SolverOptions,
                 max_grid_share: float, rng: np.random.Generator) -> None:
        if not 0.0 <= max_grid_share <= 1.0:
            raise ValueError(f"max_grid_share must be within [0, 1], got {max_grid_share!r}")
        self.producer = producer
        self.step = step
        self.options = options
        self.max_grid_share = max_grid_share
        self.rng = rng
        self.predictions: list[Prediction] = []
        self.bookings: dict[str, Booking] = {}
        self.production = np.zeros(-(-horizon // step) + 1)
        self.planned = np.zeros_like(self.production)
        self.cumulative = np.zeros(len(self.production) + 1)
        #: the problems handed to the solver (kept only when set to a list)
        self.record: list[tuple[Problem, tuple[int, ...]]] | None = None

    # -- inputs -------------------------------------------------------------------------
    def learn(self, prediction: Prediction, now: int) -> tuple[Reschedule, ...]:
        """Take a new prediction and re-optimise the jobs that have not started."""
        self.predictions.append(prediction)
        self._forecast(len(self.production))
        movable = self._movable(now)
        if not movable:
            return ()
        problem = self._problem(movable, now)
        choice = [job.index_of(self.bookings[job.id].start) for job in problem.jobs]
        for group in components(problem):
            solution = self._solve(subproblem(problem, group), [choice[j] for j in group])
            for j, c in zip(group, solution.choice, strict=True):
                choice[j] = c
        return self._apply(problem, choice)

    def request(self, job: JobSpec, house: str, now: int) -> Decision:
        """Decide on serving ``job`` of ``house`` (module and class docstrings)."""
        if job.id in self.bookings:
            raise ValueError(f"producer {self.producer}: job {job.id} is already booked")
        if max(job.earliest, now) > job.latest:
            raise ValueError(f"producer {self.producer}: job {job.id}'s latest start "
                             f"{job.latest} s has passed (now {now} s)")
        first = now // self.step
        low = max(job.earliest, now)
        high = -(-(job.latest + job.profile.duration) // self.step)
        self._extend(high)
        allowed = self.max_grid_share * job.energy + 1e-9 * max(1.0, job.energy)
        span_energy = self.cumulative[high] - self.cumulative[low // self.step]
        if job.energy - allowed > span_energy:  # not enough PV in its span, whatever it does
            return Decision(False, None, (), job.energy - span_energy, None)
        new = shiftable(job, low, self.step)
        residual = self.planned[first:new.end] - self.production[first:new.end]
        costs = new.insertion_costs(residual, first)
        best = int(np.argmin(costs))
        if costs[best] <= allowed:  # fits as it is
            self.bookings[job.id] = Booking(job, house, int(new.starts[best]))
            self._replan()
            return Decision(True, int(new.starts[best]), (), float(costs[best]), None)
        movable = self._movable(now)
        if self._hopeless(job, new, first, movable, now):
            return Decision(False, None, (), float(costs[best]), None)
        problem = self._problem([*movable, job], now)
        index = len(problem.jobs) - 1
        current = [problem.jobs[i].index_of(self.bookings[spec.id].start)
                   for i, spec in enumerate(movable)]
        choice = [*current, problem.best_insert([*current, 0], index)]
        before = problem.grid(choice, skip=index)
        if lower_bound(problem) > before + allowed:
            return Decision(False, None, (), float(costs[best]), None)
        group = next(g for g in components(problem) if index in g)
        solution = self._solve(subproblem(problem, group), [choice[j] for j in group])
        for j, c in zip(group, solution.choice, strict=True):
            choice[j] = c
        marginal = problem.grid(choice) - before
        if marginal > allowed:
            return Decision(False, None, (), marginal, solution)
        self.bookings[job.id] = Booking(job, house, -1)
        moved = self._apply(problem, choice)
        return Decision(True, self.bookings[job.id].start,
                        tuple(m for m in moved if m.job != job.id), marginal, solution)

    # -- internals ----------------------------------------------------------------------
    def _hopeless(self, job: JobSpec, new: Shiftable, first: int, movable: list[JobSpec],
                  now: int) -> bool:
        """Exact reasons to decline without optimising (class docstring)."""
        fixed = np.zeros(len(self.production) - first)
        for profile, start in self._fixed(now):
            fixed += interval_energy(profile, start, first, len(fixed), self.step)
        production = self.production[first:]
        low, high = int(new.offsets[0]) - first, new.end - first
        tolerance = 1e-9 * max(1.0, job.energy)
        allowed = self.max_grid_share * job.energy + tolerance
        surplus = np.maximum(production[low:high] - fixed[low:high], 0.0).sum()
        if job.energy - allowed > surplus:
            return True
        # with the plan at its floor (what the running jobs alone draw) it is optimal, and
        # no schedule adds less than the job's best place among the running jobs alone
        floor = np.maximum(fixed - production, 0.0).sum()
        before = np.maximum(self.planned[first:] - production, 0.0).sum()
        if before <= floor + tolerance:
            alone = new.insertion_costs(fixed[:high] - production[:high], first).min()
            if alone > allowed:
                return True
        for spec in movable:  # is there a job that could make room?
            other = shiftable(spec, max(spec.earliest, now), self.step)
            if int(other.offsets[0]) < new.end and other.end > int(new.offsets[0]):
                return False
        return True

    def _extend(self, end: int) -> None:
        if end > len(self.production):
            self.planned = np.concatenate([self.planned,
                                           np.zeros(end - len(self.production))])
            self._forecast(end)

    def _forecast(self, count: int) -> None:
        self.production = forecast(self.predictions, 0, count, self.step)
        self.cumulative = np.concatenate(([0.0], np.cumsum(self.production)))

    def _replan(self) -> None:
        """Recompute the load of every booking at its start."""
        planned = np.zeros_like(self.production)
        for booking in self.bookings.values():
            planned += interval_energy(booking.spec.profile, booking.start, 0, len(planned),
                                       self.step)
        self.planned = planned

    def _movable(self, now: int) -> list[JobSpec]:
        """Bookings that have not started (start >= now); drops the finished ones."""
        for job_id in [j for j, b in self.bookings.items()
                       if b.start + b.spec.profile.duration <= now - now % self.step]:
            del self.bookings[job_id]
        return [b.spec for b in self.bookings.values() if b.start >= now]

    def _fixed(self, now: int) -> list[tuple[LoadProfile, int]]:
        return [(b.spec.profile, b.start) for b in self.bookings.values() if b.start < now]

    def _production(self, first: int, count: int) -> np.ndarray:
        self._extend(first + count)
        return self.production[first:first + count]

    def _problem(self, jobs: list[JobSpec], now: int) -> Problem:
        return build_problem(jobs, self._fixed(now), self._production, now, self.step)

    def _solve(self, problem: Problem, start_choice: Sequence[int]) -> Solution:
        start_grid = problem.grid(start_choice)
        floor = float(np.maximum(problem.fixed - problem.production, 0.0).sum())
        if start_grid <= floor + 1e-9:  # no schedule can do better than the fixed load alone
            return Solution(tuple(start_choice), start_grid, self.options.method, True, 0.0, 1)
        if self.record is not None:
            self.record.append((problem, tuple(start_choice)))
        return solve(problem, self.options, self.rng, start_choice)

    def _apply(self, problem: Problem, choice: Sequence[int]) -> tuple[Reschedule, ...]:
        moved = []
        for job_id, start in problem.starts(choice).items():
            booking = self.bookings[job_id]
            if booking.start != start:
                booking.start = start
                moved.append(Reschedule(job_id, self.producer, start))
        self._replan()
        return tuple(moved)
