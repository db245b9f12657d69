"""The seed's heuristics: scipy's L-BFGS-B, SLSQP or TNC under basin-hopping.

The variables are the jobs' start seconds, bounded by their first and last candidate
start. Between two neighbouring candidates the objective blends their loads linearly
(exact for profiles sampled at the resolution, as PySSMic's are), so the numerical
gradient the scipy methods take with step ``eps`` sees a slope instead of PySSMic's
flat steps of a rounded start. Basin-hopping jumps by up to ``stepsize`` s (kept inside
the bounds, seeded) and runs the local method ``niter`` times.

The result is snapped to the nearest candidate starts and evaluated exactly; if the
starting point (``x0``) is better, it is returned instead, so a heuristic never returns
a schedule worse than the one it started from.
"""

from __future__ import annotations

import time
import warnings
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

from .problem import Problem
from .result import HEURISTICS, Solution, SolverOptions

__all__ = ["solve_heuristic", "BoundedStep"]


class BoundedStep:
    """Basin-hopping's random jump: uniform within ``±stepsize`` s, clipped to the bounds."""

    def __init__(self, stepsize: float, low: np.ndarray, high: np.ndarray,
                 rng: np.random.Generator) -> None:
        self.stepsize = stepsize
        self.low, self.high, self.rng = low, high, rng

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """A new point near ``x``, inside the bounds."""
        jump = self.rng.uniform(-self.stepsize, self.stepsize, size=len(x))
        return np.clip(x + jump, self.low, self.high)


class _Objective:
    """Grid energy of continuous starts (linear blend between neighbouring candidates)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.calls = 0
        first = problem.first
        # plain lists: bisect and float arithmetic on them beat numpy scalars here
        self.jobs = [(job.starts.tolist(), [int(o) - first for o in job.offsets], job.vectors)
                     for job in problem.jobs]

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        total = self.problem.fixed.copy()
        for (starts, offsets, vectors), second in zip(self.jobs, x.tolist(), strict=True):
            last = len(starts) - 1
            i = min(max(bisect_right(starts, second) - 1, 0), last)
            share = 0.0
            if i < last:
                share = min(max((second - starts[i]) / (starts[i + 1] - starts[i]), 0.0), 1.0)
            vector = vectors[i]
            at = offsets[i]
            if share == 0.0:
                total[at:at + len(vector)] += vector
                continue
            total[at:at + len(vector)] += (1.0 - share) * vector
            vector = vectors[i + 1]
            at = offsets[i + 1]
            total[at:at + len(vector)] += share * vector
        total -= self.problem.production
        return float(total[total > 0.0].sum())


def solve_heuristic(problem: Problem, options: SolverOptions, rng: np.random.Generator,
                    x0: Sequence[int]) -> Solution:
    """Basin-hopping with ``options.method`` from the candidate choice ``x0``."""
    if options.method not in HEURISTICS:
        raise ValueError(f"not a heuristic: {options.method!r}; choose from {HEURISTICS}")
    from scipy.optimize import basinhopping  # imported on first use (~0.3 s)

    started = time.perf_counter()
    start_choice = tuple(int(i) for i in x0)
    start_grid = problem.grid(start_choice)
    if not problem.jobs or start_grid == 0.0 or options.niter == 0:
        return Solution(start_choice, start_grid, options.method, False,
                        time.perf_counter() - started, 1)
    low = np.array([float(job.starts[0]) for job in problem.jobs])
    high = np.array([float(job.starts[-1]) for job in problem.jobs])
    objective = _Objective(problem)
    x_start = np.array([float(job.starts[i]) for job, i in zip(problem.jobs, start_choice,
                                                                 strict=True)])
    kwargs = {"method": options.method, "bounds": list(zip(low, high, strict=True)),
              "tol": options.tol, "options": {"eps": options.eps}}
    with warnings.catch_warnings():
        # scipy warns when a local method stops early at a kink; the snapped result is
        # evaluated exactly below
        warnings.simplefilter("ignore", RuntimeWarning)
        result = basinhopping(objective, x_start, niter=options.niter, minimizer_kwargs=kwargs,
                              take_step=BoundedStep(options.stepsize, low, high, rng), rng=rng)
    choice = tuple(job.nearest(float(s)) for job, s in zip(problem.jobs, result.x, strict=True))
    grid = problem.grid(choice)
    if grid > start_grid:
        choice, grid = start_choice, start_grid
    return Solution(choice, grid, options.method, False, time.perf_counter() - started,
                    objective.calls + 1)
