"""The linear programs of the grid-aware strategy (scipy's HiGHS), on plain arrays.

A :class:`CellProblem` is one controller's children in the linear grid model of its
:class:`~..model.grid.GridView`: child ``i`` produces ``p_i`` in ``[p_min, p_max]`` and
consumes ``c_i`` in ``[c_min, c_max]``; its net injection ``x_i = p_i - c_i`` moves every
bus voltage and branch loading by the view's sensitivities from the operating point
``x0`` the power flow was solved at. Each limit is one row ``a . x <= bound``:

* ``v <= v_max`` and ``v >= v_min`` per bus (scaled by 100: % of nominal voltage),
* ``-loading_max <= loading <= loading_max`` per branch (the linearised loading is
  signed: it keeps the flow direction of the operating point, so a flow pushed through
  zero and beyond is still bounded).

Rows that no combination of the children's bands can violate are dropped up front (the
worst case of a row over the bands is a sum of per-child extremes), so a grid far from
its limits costs no LP at all.

Two problems are solved:

* :func:`feasible_box`: a box ``[P_lo, P_hi] x [C_lo, C_hi]`` of total production and
  consumption whose four corners all have an allocation within the children's bands that
  keeps every row; the region of feasible totals is convex, so every point of the box is
  feasible. This is what a cell reports up: its flexibility under the grid's limits. The
  objective (weights :data:`BOX_WEIGHTS`) prefers, in this order: most generation in the
  corner ``(P_hi, C_lo)`` (the least forced curtailment: batteries and loads absorb
  first), most load served in the corner ``(P_lo, C_hi)`` (the least forced load
  reduction: batteries discharge first), then a wide box. Totals count storage in both
  directions, so a battery could add the same MW to ``P`` and ``C`` at no grid effect;
  the box's own weights (``P_hi``/``C_hi`` gain less than ``C_lo``/``P_lo`` cost) make
  such double counting a loss, so the box does not promise production that would only
  come from charging and discharging at once.
* :func:`allocate`: given the totals a parent asked for, lexicographically (1) minimise
  the summed violation of the rows (zero when feasible), (2) minimise curtailment of
  curtailable generation, (3) minimise the weighted distance to the inner strategy's
  split (batteries are moved before loads before generators).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from ..model.errors import StrategyError

__all__ = ["CellProblem", "Row", "feasible_box", "allocate", "Allocation"]

#: Absolute tolerance (MW, or % for rows) for feasibility.
TOL = 1e-7
#: Relative slack when a stage's optimum is locked for the next (HiGHS' own tolerances
#: are ~1e-7; a tighter lock can make the next stage infeasible).
LOCK = 1e-6
#: Weights of the box objective (see the module docstring): generation in corner
#: (P_hi, C_lo), load served in corner (P_lo, C_hi), P_hi, C_hi, -C_lo, -P_lo.
BOX_WEIGHTS = (1000.0, 100.0, 0.5, 0.5, 1.0, 1.0)


@dataclass(frozen=True)
class Row:
    """One limit: ``sign * (value + s . (x - x0)) <= sign * limit``, scaled by ``scale``.

    ``kind`` is ``v_max``, ``v_min`` or ``loading``; ``value`` is the measured quantity
    (pu, or signed loading %), ``limit`` the physical limit (``-loading_max`` for the
    reverse-flow side of a loading), ``scale`` the row units per physical unit (100 for
    voltages, 1 for loadings).
    """

    kind: str
    element: str
    sign: float
    limit: float
    value: float
    scale: float


@dataclass(frozen=True, eq=False)
class CellProblem:
    """Children's bands plus the rows of the linear grid model (module docstring)."""

    p_min: np.ndarray
    p_max: np.ndarray
    c_min: np.ndarray
    c_max: np.ndarray
    x0: np.ndarray
    matrix: np.ndarray  # rows x children
    bound: np.ndarray
    rows: tuple[Row, ...]
    curtailable: np.ndarray  # bool per child: generation that can be curtailed
    served: np.ndarray  # bool per child: a load (consumption only)
    weights: np.ndarray  # distance weight per child

    @property
    def size(self) -> int:
        """Number of children."""
        return len(self.p_min)

    def excess(self, x: np.ndarray) -> np.ndarray:
        """Per row, how far net injections ``x`` exceed it (physical units, >= 0)."""
        if not self.rows:
            return np.zeros(0)
        scale = np.array([r.scale for r in self.rows])
        return np.maximum(self.matrix @ x - self.bound, 0.0) / scale

    def predicted(self, x: np.ndarray) -> np.ndarray:
        """Per row, the predicted physical value (voltage pu or signed loading %) at ``x``."""
        if not self.rows:
            return np.zeros(0)
        values = np.array([r.value for r in self.rows])
        factor = np.array([r.sign * r.scale for r in self.rows])
        return values + (self.matrix @ (x - self.x0)) / factor

    def binding(self) -> CellProblem:
        """The same problem without rows no combination of bands can violate."""
        if not self.rows:
            return self
        low = self.p_min - self.c_max
        high = self.p_max - self.c_min
        worst = np.maximum(self.matrix * low, self.matrix * high).sum(axis=1)
        keep = worst > self.bound + TOL
        return CellProblem(self.p_min, self.p_max, self.c_min, self.c_max, self.x0,
                           self.matrix[keep], self.bound[keep],
                           tuple(r for r, k in zip(self.rows, keep, strict=True) if k),
                           self.curtailable, self.served, self.weights)


@dataclass(frozen=True)
class Allocation:
    """Per-child production and consumption, and the rows' remaining excess."""

    production: np.ndarray
    consumption: np.ndarray
    excess: np.ndarray


def feasible_box(problem: CellProblem) -> tuple[float, float, float, float] | None:
    """``(P_lo, P_hi, C_lo, C_hi)`` (see the module docstring).

    None if no allocation within the bands keeps every row.
    """
    n, m = problem.size, len(problem.rows)
    width = 8 * n + 4  # four corners (p, c) and the box
    box = 8 * n  # index of P_lo; then P_hi, C_lo, C_hi
    corners = ((box + 1, box + 2), (box, box + 3), (box + 1, box + 3), (box, box + 2))
    a_ub = np.zeros((4 * m + 2, width))
    b_ub = np.zeros(4 * m + 2)
    a_eq = np.zeros((8, width))
    for k, (p_var, c_var) in enumerate(corners):
        p, c = slice(2 * k * n, (2 * k + 1) * n), slice((2 * k + 1) * n, (2 * k + 2) * n)
        a_ub[k * m:(k + 1) * m, p] = problem.matrix
        a_ub[k * m:(k + 1) * m, c] = -problem.matrix
        b_ub[k * m:(k + 1) * m] = problem.bound
        a_eq[2 * k, p], a_eq[2 * k, p_var] = 1.0, -1.0
        a_eq[2 * k + 1, c], a_eq[2 * k + 1, c_var] = 1.0, -1.0
    a_ub[4 * m, [box, box + 1]] = (1.0, -1.0)  # P_lo <= P_hi
    a_ub[4 * m + 1, [box + 2, box + 3]] = (1.0, -1.0)  # C_lo <= C_hi
    bounds = [(lo, hi) for _ in range(4) for pair in (
        (problem.p_min, problem.p_max), (problem.c_min, problem.c_max))
        for lo, hi in zip(*pair, strict=True)]
    bounds += [(problem.p_min.sum(), problem.p_max.sum())] * 2
    bounds += [(problem.c_min.sum(), problem.c_max.sum())] * 2
    cost = np.zeros(width)
    w_generation, w_served, w_p_hi, w_c_hi, w_c_lo, w_p_lo = BOX_WEIGHTS
    cost[0:n] = -w_generation * problem.curtailable  # corner (P_hi, C_lo): its p
    cost[3 * n:4 * n] = -w_served * problem.served  # corner (P_lo, C_hi): its c
    cost[[box, box + 1, box + 2, box + 3]] = (w_p_lo, -w_p_hi, w_c_lo, -w_c_hi)
    result = linprog(cost, a_ub, b_ub, a_eq, np.zeros(8), bounds, method="highs")
    if result.status == 2:
        return None
    _check(result, "feasible box")
    p_lo, p_hi, c_lo, c_hi = (float(v) for v in result.x[box:box + 4])
    return min(p_lo, p_hi), p_hi, min(c_lo, c_hi), c_hi


def allocate(problem: CellProblem, production: float | None, consumption: float | None,
             preferred_p: np.ndarray, preferred_c: np.ndarray, feasible: bool = False
             ) -> Allocation:
    """Per-child targets with these totals (None: free), see the module docstring.

    ``feasible=True`` states that the preferred allocation keeps every row (the first
    stage, minimising violations, is then skipped: its optimum is zero).
    """
    n, m = problem.size, len(problem.rows)
    width = 4 * n + m  # p, c, distance of p, distance of c, slack per row
    p, c = slice(0, n), slice(n, 2 * n)
    dp, dc, slack = slice(2 * n, 3 * n), slice(3 * n, 4 * n), slice(4 * n, 4 * n + m)
    rows = [np.zeros((m, width))]
    rows[0][:, p], rows[0][:, c], rows[0][:, slack] = problem.matrix, -problem.matrix, -np.eye(m)
    bounds_ub = [problem.bound]
    for var, dist, preferred in ((p, dp, preferred_p), (c, dc, preferred_c)):
        for sign in (1.0, -1.0):  # |var - preferred| <= dist
            block = np.zeros((n, width))
            block[:, var], block[:, dist] = sign * np.eye(n), -np.eye(n)
            rows.append(block)
            bounds_ub.append(sign * preferred)
    a_eq, b_eq = [], []
    for var, total in ((p, production), (c, consumption)):
        if total is not None:
            row = np.zeros(width)
            row[var] = 1.0
            a_eq.append(row)
            b_eq.append(total)
    bounds = ([*zip(problem.p_min, problem.p_max, strict=True)]
              + [*zip(problem.c_min, problem.c_max, strict=True)] + [(0, None)] * (2 * n + m))
    a_ub, b_ub = np.vstack(rows), np.concatenate(bounds_ub)
    objectives = [np.zeros(width), np.zeros(width), np.zeros(width)]
    objectives[0][slack] = 1.0
    objectives[1][p] = -problem.curtailable.astype(float)
    objectives[2][dp] = problem.weights
    objectives[2][dc] = problem.weights
    result = None
    for stage, cost in enumerate(objectives):
        if stage == 0 and (m == 0 or feasible):
            a_ub = np.vstack([a_ub, cost])  # no violation: lock the slacks at zero
            b_ub = np.append(b_ub, LOCK)
            continue
        result = linprog(cost, a_ub, b_ub, np.array(a_eq) if a_eq else None,
                         np.array(b_eq) if b_eq else None, bounds, method="highs")
        _check(result, f"grid allocation stage {stage + 1}")
        a_ub = np.vstack([a_ub, cost])  # lock this stage's optimum (within tolerance)
        b_ub = np.append(b_ub, result.fun + LOCK * (1.0 + abs(result.fun)))
    x = result.x  # type: ignore[union-attr]
    return Allocation(x[p], x[c], problem.excess(x[p] - x[c]))


def _check(result: object, what: str) -> None:
    if not getattr(result, "success", False):
        raise StrategyError(f"{what}: the LP solver failed ({getattr(result, 'message', '')})")
