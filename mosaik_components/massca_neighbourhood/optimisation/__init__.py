"""A producer's schedule optimisation: the seed's heuristics and an exact MILP reference.

* :mod:`.problem` — the problem (production, fixed load, shiftable jobs, candidate starts);
* :mod:`.heuristics` — L-BFGS-B, SLSQP, TNC under basin-hopping (``eps``, ``tol``);
* :mod:`.descent` — a fast local search of our own (one job at a time);
* :mod:`.milp` — the exact MILP (HiGHS via ``scipy.optimize.milp``);
* :func:`solve` picks one by :class:`SolverOptions`; :func:`gap` measures how far a
  heuristic is from the MILP's optimum on one problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .descent import solve_descent
from .heuristics import solve_heuristic
from .milp import solve_milp
from .problem import (
    JobSpec,
    Problem,
    Shiftable,
    build_problem,
    candidate_starts,
    components,
    lower_bound,
    shiftable,
    subproblem,
)
from .result import HEURISTICS, METHODS, Solution, SolverOptions

__all__ = [
    "JobSpec", "Problem", "Shiftable", "build_problem", "candidate_starts", "components",
    "subproblem", "lower_bound", "shiftable",
    "Solution", "SolverOptions", "METHODS", "HEURISTICS",
    "solve", "solve_heuristic", "solve_descent", "solve_milp", "Gap", "gap",
]


def solve(problem: Problem, options: SolverOptions, rng: np.random.Generator,
          x0: Sequence[int]) -> Solution:
    """Solve with ``options.method``; heuristics start from the candidate choice ``x0``."""
    if options.method == "milp":
        return solve_milp(problem, options.time_limit)
    if options.method == "descent":
        return solve_descent(problem, x0)
    return solve_heuristic(problem, options, rng, x0)


@dataclass(frozen=True, slots=True)
class Gap:
    """A heuristic's grid energy against the MILP's optimum on one problem."""

    method: str
    heuristic_wh: float
    optimum_wh: float
    #: ``heuristic_wh - optimum_wh`` (>= 0 when the MILP is proven optimal)
    gap_wh: float
    #: the gap as a share of the jobs' energy (0 when there are no jobs)
    relative: float
    heuristic_s: float
    milp_s: float
    optimal: bool


def gap(problem: Problem, options: SolverOptions, rng: np.random.Generator,
        x0: Sequence[int]) -> Gap:
    """Solve ``problem`` with ``options.method`` and with the MILP; compare."""
    heuristic = solve(problem, options, rng, x0)
    exact = solve_milp(problem, options.time_limit)
    energy = sum(job.energy for job in problem.jobs)
    difference = heuristic.grid_wh - exact.grid_wh
    return Gap(options.method, heuristic.grid_wh, exact.grid_wh, difference,
               difference / energy if energy > 0 else 0.0, heuristic.seconds, exact.seconds,
               exact.optimal)
