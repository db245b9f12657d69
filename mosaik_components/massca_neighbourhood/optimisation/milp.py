"""The exact reference: the scheduling problem as a MILP solved by HiGHS (``scipy.optimize.milp``).

Variables: ``y[j, i]`` = 1 if job ``j`` takes candidate start ``i`` (binary) and the
grid energy ``u[t] >= 0`` of every interval. Minimise ``sum u[t]`` subject to

* ``sum_i y[j, i] = 1`` for every job (each job starts exactly once), and
* ``sum_{j,i} load[j, i, t] * y[j, i] - u[t] <= P[t] - fixed[t]`` for every interval,

so ``u[t] >= max(0, fixed + load - P)`` and, minimised, equals it. With the default
``mip_rel_gap=0`` a solution with status 0 is proven optimal over the candidate starts.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from .problem import Problem
from .result import Solution

if TYPE_CHECKING:
    from scipy.sparse import coo_matrix

__all__ = ["solve_milp"]


def _load_matrix(problem: Problem) -> tuple[coo_matrix, coo_matrix, int]:
    from scipy.sparse import coo_matrix

    rows, cols, data = [], [], []
    assign_rows, assign_cols = [], []
    column = 0
    for j, job in enumerate(problem.jobs):
        for i in range(job.size):
            vector = job.vectors[i]
            at = int(job.offsets[i]) - problem.first
            rows.append(np.arange(at, at + len(vector)))
            cols.append(np.full(len(vector), column))
            data.append(vector)
            assign_rows.append(j)
            assign_cols.append(column)
            column += 1
    load = coo_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(problem.length, column))
    assign = coo_matrix((np.ones(column), (assign_rows, assign_cols)),
                        shape=(len(problem.jobs), column))
    return load, assign, column


def solve_milp(problem: Problem, time_limit: float | None = None, mip_rel_gap: float = 0.0
               ) -> Solution:
    """The optimal choice of candidate starts (see the module docstring)."""
    # scipy is imported on first use (~0.3 s): ``massca neighbourhood --help`` skips it
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, hstack, identity, vstack

    started = time.perf_counter()
    if not problem.jobs:
        return Solution((), problem.grid(()), "milp", True, time.perf_counter() - started, 0)
    load, assign, n_y = _load_matrix(problem)
    n_u = problem.length
    a_load = hstack([load, -identity(n_u, format="coo")])
    a_assign = hstack([assign, coo_matrix((len(problem.jobs), n_u))])
    matrix = vstack([a_load, a_assign]).tocsr()
    upper = np.concatenate([problem.production - problem.fixed, np.ones(len(problem.jobs))])
    lower = np.concatenate([np.full(n_u, -np.inf), np.ones(len(problem.jobs))])
    cost = np.concatenate([np.zeros(n_y), np.ones(n_u)])
    integrality = np.concatenate([np.ones(n_y), np.zeros(n_u)])
    bounds = Bounds(np.zeros(n_y + n_u), np.concatenate([np.ones(n_y), np.full(n_u, np.inf)]))
    options: dict[str, float] = {"mip_rel_gap": mip_rel_gap}
    if time_limit is not None:
        options["time_limit"] = time_limit
    result = milp(cost, integrality=integrality, bounds=bounds,
                  constraints=LinearConstraint(matrix, lower, upper), options=options)
    if result.x is None:
        raise RuntimeError(f"HiGHS found no schedule (status {result.status}: {result.message})")
    y = result.x[:n_y]
    choice, column = [], 0
    for job in problem.jobs:
        choice.append(int(np.argmax(y[column:column + job.size])))
        column += job.size
    return Solution(tuple(choice), problem.grid(choice), "milp", result.status == 0,
                    time.perf_counter() - started, 1)
