"""A producer's scheduling problem: place shiftable jobs on its predicted PV production.

Given the producer's forecast production ``P`` (Wh per interval), the load of jobs that
already run (``fixed``) and the shiftable jobs it serves, choose one start per job from
its candidate starts to minimise the energy the grid must supply:

    grid(starts) = sum over intervals t of max(0, fixed_t + load_t(starts) - P_t)   [Wh]

PySSMic's objective, ``sum |P - C| + penalty * sum max(C - P, 0)``, equals
``sum(P) - sum(C) + (2 + penalty) * grid``: with every job placed ``sum(C)`` is fixed,
so both are minimised by the same schedule; we minimise the grid energy directly.

Candidate starts of a job: its earliest start (not before ``now``), every interval
boundary inside its window, and its latest start, so a job always starts within
``[earliest, latest]``. A start on a boundary ``k * step`` loads the intervals from
``k`` on with the job's :func:`~..energy.grid_vector`; the two window ends may lie
between boundaries and get their exact vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..energy import grid_vector, interval_energy
from ..model import LoadProfile

__all__ = ["Shiftable", "Problem", "candidate_starts", "build_problem", "JobSpec", "components",
           "shiftable",
           "subproblem", "lower_bound"]


def candidate_starts(low: int, high: int, step: int) -> np.ndarray:
    """Start seconds a job may take in ``[low, high]``: both ends and the boundaries between."""
    if high < low:
        raise ValueError(f"empty window [{low}, {high}]")
    first = -(-low // step)
    inner = np.arange(first, high // step + 1, dtype=np.int64) * step
    return np.unique(np.concatenate(([low], inner, [high])).astype(np.int64))


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What a producer needs to know about a job: id, window, load profile."""

    id: str
    earliest: int
    latest: int
    profile: LoadProfile

    @property
    def energy(self) -> float:
        """Wh."""
        return self.profile.energy


@dataclass(slots=True)
class Shiftable:
    """One job's candidate starts and, per candidate, its load (offset, Wh per interval).

    Candidates ``grid[0] .. grid[1] - 1`` start on interval boundaries and all load
    ``base`` (shifted by their offset); the others (window ends between boundaries) have
    vectors of their own.
    """

    id: str
    energy: float
    starts: np.ndarray
    offsets: np.ndarray
    vectors: list[np.ndarray]
    base: np.ndarray
    grid: tuple[int, int]

    @property
    def size(self) -> int:
        """Number of candidate starts."""
        return len(self.starts)

    @property
    def end(self) -> int:
        """The interval after the last one the job can load."""
        return int(self.offsets[-1]) + len(self.vectors[-1])

    def nearest(self, second: float) -> int:
        """Index of the candidate start nearest to ``second`` (ties: the earlier)."""
        i = int(np.searchsorted(self.starts, second))
        if i <= 0:
            return 0
        if i >= self.size:
            return self.size - 1
        return i if self.starts[i] - second < second - self.starts[i - 1] else i - 1

    def index_of(self, second: int) -> int:
        """Index of the candidate starting exactly at ``second``."""
        i = int(np.searchsorted(self.starts, second))
        if i >= self.size or self.starts[i] != second:
            raise ValueError(f"job {self.id}: {second} s is not a candidate start")
        return i

    def insertion_costs(self, residual: np.ndarray, first: int) -> np.ndarray:
        """Grid energy each candidate adds to ``residual`` (load - production from ``first``)."""
        costs = np.empty(self.size)
        low, high = self.grid
        if high > low:
            at = int(self.offsets[low]) - first
            width, count = len(self.base), high - low
            part = np.ascontiguousarray(residual[at:at + count - 1 + width])
            windows = as_strided(part, shape=(count, width), strides=(part.strides[0],) * 2,
                                 writeable=False)
            already = np.concatenate(([0.0], np.cumsum(np.maximum(part, 0.0))))
            costs[low:high] = (np.maximum(windows + self.base, 0.0).sum(axis=1)
                               - (already[width:width + count] - already[:count]))
        for i in [*range(low), *range(high, self.size)]:
            vector = self.vectors[i]
            at = int(self.offsets[i]) - first
            window = residual[at:at + len(vector)]
            costs[i] = np.maximum(window + vector, 0.0).sum() - np.maximum(window, 0.0).sum()
        return costs


@dataclass(slots=True)
class Problem:
    """Production, fixed load and shiftable jobs over intervals ``first .. first + T - 1``."""

    step: int
    first: int
    production: np.ndarray
    fixed: np.ndarray
    jobs: list[Shiftable] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Number of intervals covered."""
        return len(self.production)

    def load(self, choice: Sequence[int], skip: int | None = None) -> np.ndarray:
        """Fixed load plus the chosen candidates' loads (leaving out job ``skip``)."""
        total = self.fixed.copy()
        for j, (job, i) in enumerate(zip(self.jobs, choice, strict=True)):
            if j == skip:
                continue
            vector = job.vectors[i]
            at = int(job.offsets[i]) - self.first
            total[at:at + len(vector)] += vector
        return total

    def grid(self, choice: Sequence[int], skip: int | None = None) -> float:
        """Grid energy (Wh) of a choice of candidate indices, one per job."""
        return float(np.maximum(self.load(choice, skip) - self.production, 0.0).sum())

    def starts(self, choice: Sequence[int]) -> dict[str, int]:
        """Job id -> start second of a choice."""
        return {job.id: int(job.starts[i]) for job, i in zip(self.jobs, choice, strict=True)}

    def best_insert(self, choice: Sequence[int], j: int) -> int:
        """The candidate of job ``j`` with the least grid energy, the others as chosen.

        Ties go to the earliest candidate.
        """
        residual = self.load(choice, skip=j) - self.production
        return int(np.argmin(self.jobs[j].insertion_costs(residual, self.first)))


@lru_cache(maxsize=256)
def _base_vector(profile: LoadProfile, step: int) -> np.ndarray:
    vector = grid_vector(profile, step)
    vector.setflags(write=False)
    return vector


@lru_cache(maxsize=1024)
def shiftable(spec: JobSpec, low: int, step: int) -> Shiftable:
    """The candidates of ``spec`` starting no earlier than ``low`` (``>= spec.earliest``).

    Cached: every producer asked about a job at one time gets the same (read-only) object.
    """
    starts = candidate_starts(low, spec.latest, step)
    base = _base_vector(spec.profile, step)
    offsets = (starts // step).astype(np.int64)
    on_grid = starts % step == 0
    vectors = []
    for start, offset, aligned in zip(starts.tolist(), offsets.tolist(), on_grid.tolist(),
                                      strict=True):
        if aligned:
            vectors.append(base)
        else:
            count = -(-(start + spec.profile.duration) // step) - offset
            vectors.append(interval_energy(spec.profile, start, offset, count, step))
    low_grid = 0 if on_grid[0] else 1
    high_grid = len(starts) if on_grid[-1] else len(starts) - 1
    return Shiftable(spec.id, spec.energy, starts, offsets, vectors, base,
                     (low_grid, max(low_grid, high_grid)))


def build_problem(jobs: Sequence[JobSpec], fixed: Sequence[tuple[LoadProfile, int]],
                  production: Callable[[int, int], np.ndarray], now: int, step: int
                  ) -> Problem:
    """The problem at ``now`` (a multiple of ``step``).

    ``jobs`` may start from ``max(earliest, now)``; ``fixed`` are ``(profile, start)`` of
    loads that already run; ``production(first, count)`` gives the forecast Wh per
    interval.
    """
    first = now // step
    shiftables = []
    for spec in jobs:
        low = max(spec.earliest, now)
        if low > spec.latest:
            raise ValueError(f"job {spec.id}: its latest start {spec.latest} s has passed "
                             f"(now {now} s)")
        shiftables.append(shiftable(spec, low, step))
    end = first + 1
    for job in shiftables:  # the latest candidate ends last
        end = max(end, job.end)
    fixed_parts = []
    for profile, start in fixed:
        last = -(-(start + profile.duration) // step)
        end = max(end, last)
        fixed_parts.append((profile, start))
    count = end - first
    load = np.zeros(count)
    for profile, start in fixed_parts:
        load += interval_energy(profile, start, first, count, step)
    return Problem(step, first, np.asarray(production(first, count), dtype=float), load,
                   shiftables)


def _spans(problem: Problem) -> list[tuple[int, int]]:
    """Per job, the intervals ``[low, high)`` (relative to ``first``) it can load."""
    spans = []
    for job in problem.jobs:
        low = int(job.offsets[0]) - problem.first
        high = int(job.offsets[-1]) + len(job.vectors[-1]) - problem.first
        spans.append((low, max(high, low + 1)))
    return spans


def components(problem: Problem) -> list[list[int]]:
    """Groups of jobs whose spans overlap (transitively); groups never share an interval.

    The grid energy is a sum over intervals, so the groups can be optimised one by one.
    """
    spans = _spans(problem)
    order = sorted(range(len(spans)), key=lambda j: spans[j])
    groups: list[list[int]] = []
    end = -1
    for j in order:
        low, high = spans[j]
        if not groups or low >= end:
            groups.append([j])
            end = high
        else:
            groups[-1].append(j)
            end = max(end, high)
    return [sorted(g) for g in groups]


def subproblem(problem: Problem, jobs: Sequence[int]) -> Problem:
    """The same production and fixed load with only ``jobs`` (indices) to place."""
    return Problem(problem.step, problem.first, problem.production, problem.fixed,
                   [problem.jobs[j] for j in jobs])


def lower_bound(problem: Problem) -> float:
    """A cheap lower bound of the grid energy of any schedule (energetic reasoning).

    In an interval ``max(0, F + L - P) >= max(0, F - P) + L - max(0, P - F)``: summed over
    a window of intervals, the jobs whose whole span lies in the window bring their
    energy there and only the window's PV surplus (production above the fixed load) can
    take it. The bound is what the fixed load alone draws plus, for each group of
    :func:`components`, the largest excess over the windows between its jobs' span ends.
    """
    floor = np.maximum(problem.fixed - problem.production, 0.0)
    surplus = np.concatenate(([0.0], np.cumsum(np.maximum(problem.production - problem.fixed,
                                                          0.0))))
    spans = np.array(_spans(problem), dtype=np.int64).reshape(-1, 2)
    energy = np.array([job.energy for job in problem.jobs])
    bound = float(floor.sum())
    for group in components(problem):
        low, high, e = spans[group, 0], spans[group, 1], energy[group]
        starts, ends = np.unique(low), np.unique(high)
        inside_low = (low[None, :] >= starts[:, None]).astype(float)   # window start x job
        inside_high = (high[:, None] <= ends[None, :]).astype(float)   # job x window end
        inside = (inside_low * e[None, :]) @ inside_high               # start x end
        available = surplus[ends][None, :] - surplus[starts][:, None]
        excess = np.where(ends[None, :] > starts[:, None], inside - available, 0.0)
        bound += max(0.0, float(excess.max()))
    return bound
