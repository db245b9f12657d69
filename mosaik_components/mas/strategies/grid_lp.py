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
* :func:`allocate`: given the totals a parent asked for, in this order (1) minimise the
  summed violation of the rows (zero when feasible), (2) minimise curtailment of
  curtailable generation, (3) minimise the weighted distance to the inner strategy's
  split (batteries are moved before loads before generators); one LP with weights that
  keep this order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ..model.errors import StrategyError

__all__ = ["CellProblem", "Rows", "feasible_box", "full_box_feasible", "allocate",
           "Allocation"]

#: Absolute tolerance (MW, or % for rows) for feasibility.
TOL = 1e-7
#: Weights of the split: violation (per row unit), curtailment (per MW), moves (per MW).
SPLIT_WEIGHTS = (1e6, 1e3, 1.0)
#: Weights of the box objective (see the module docstring): generation in corner
#: (P_hi, C_lo), load served in corner (P_lo, C_hi), P_hi, C_hi, -C_lo, -P_lo.
BOX_WEIGHTS = (1000.0, 100.0, 0.5, 0.5, 1.0, 1.0)


@dataclass(frozen=True, eq=False)
class Rows:
    """The limits, one entry per row: ``sign * (value + s . (x - x0)) <= sign * limit``.

    ``kind``: ``v_max``, ``v_min`` or ``loading``; ``value``: the measured quantity (pu, or
    signed loading %); ``limit``: the physical limit (``-loading_max`` on the reverse-flow
    side of a loading); ``scale``: row units per physical unit (100 for voltages, 1 for
    loadings). Arrays, so building and filtering rows costs no Python loop per row.
    """

    kind: np.ndarray
    element: np.ndarray
    sign: np.ndarray
    limit: np.ndarray
    value: np.ndarray
    scale: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    def take(self, keep: np.ndarray) -> Rows:
        """The rows where ``keep`` is true."""
        return Rows(*(getattr(self, f.name)[keep] for f in fields(self)))


@dataclass(frozen=True, eq=False)
class CellProblem:
    """Children's bands plus the rows of the linear grid model (module docstring)."""

    p_min: np.ndarray
    p_max: np.ndarray
    c_min: np.ndarray
    c_max: np.ndarray
    x0: np.ndarray
    matrix: np.ndarray  # rows x children, scaled: sign * scale * sensitivity
    bound: np.ndarray
    rows: Rows
    curtailable: np.ndarray  # bool per child: generation that can be curtailed
    served: np.ndarray  # bool per child: a load (consumption only)
    weights: np.ndarray  # distance weight per child

    @property
    def size(self) -> int:
        """Number of children."""
        return len(self.p_min)

    def excess(self, x: np.ndarray) -> np.ndarray:
        """Per row, how far net injections ``x`` exceed it (physical units, >= 0)."""
        return np.maximum(self.matrix @ x - self.bound, 0.0) / self.rows.scale

    def predicted(self, x: np.ndarray) -> np.ndarray:
        """Per row, the predicted physical value (voltage pu or signed loading %) at ``x``."""
        factor = self.rows.sign * self.rows.scale
        return self.rows.value + (self.matrix @ (x - self.x0)) / factor

    def binding(self) -> CellProblem:
        """The same problem without rows no combination of bands can violate."""
        low = self.p_min - self.c_max
        high = self.p_max - self.c_min
        worst = np.maximum(self.matrix * low, self.matrix * high).sum(axis=1)
        keep = worst > self.bound + TOL
        return replace(self, matrix=self.matrix[keep], bound=self.bound[keep],
                       rows=self.rows.take(keep))


@dataclass(frozen=True)
class Allocation:
    """Per-child production and consumption, and the rows' remaining excess."""

    production: np.ndarray
    consumption: np.ndarray
    excess: np.ndarray


def full_box_feasible(problem: CellProblem) -> bool:
    """True if the children's whole bands are a feasible box.

    A corner of the summed bands has exactly one allocation (every child at the same
    extremes), so four products decide it exactly, without an LP.
    """
    for p, c in ((problem.p_max, problem.c_min), (problem.p_min, problem.c_max),
                 (problem.p_max, problem.c_max), (problem.p_min, problem.c_min)):
        if (problem.matrix @ (p - c) > problem.bound + TOL).any():
            return False
    return True


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
    result = linprog(cost, sp.csc_matrix(a_ub), b_ub, sp.csc_matrix(a_eq), np.zeros(8), bounds,
                     method="highs")
    if result.status == 2:
        return None
    _check(result, "feasible box")
    p_lo, p_hi, c_lo, c_hi = (float(v) for v in result.x[box:box + 4])
    return min(p_lo, p_hi), p_hi, min(c_lo, c_hi), c_hi


def allocate(problem: CellProblem, production: float | None, consumption: float | None,
             preferred_p: np.ndarray, preferred_c: np.ndarray) -> Allocation:
    """Per-child targets with these totals (None: free), see the module docstring.

    One LP whose weights (:data:`SPLIT_WEIGHTS`) order the three goals: violation (per
    row unit: 1 % of nominal voltage or 1 % loading) before curtailment (per MW) before
    distance to the preferred allocation (per MW, times the child's move weight). The
    order is strict as long as a MW changes a limited quantity by more than 1e-5 pu or
    1e-3 %, and moving children stays cheaper than curtailing while the summed weighted
    moves stay below 1000 MW.
    """
    n, m = problem.size, len(problem.rows)
    width = 4 * n + m  # p, c, distance of p, distance of c, slack per row
    a_ub = _split_matrix(problem.matrix, n, m)
    b_ub = np.concatenate([problem.bound, preferred_p, -preferred_p, preferred_c,
                           -preferred_c])
    a_eq, b_eq = [], []
    for offset, total in ((0, production), (n, consumption)):
        if total is not None:
            row = np.zeros(width)
            row[offset:offset + n] = 1.0
            a_eq.append(row)
            b_eq.append(total)
    bounds = ([*zip(problem.p_min, problem.p_max, strict=True)]
              + [*zip(problem.c_min, problem.c_max, strict=True)] + [(0, None)] * (2 * n + m))
    w_violation, w_curtail, w_move = SPLIT_WEIGHTS
    cost = np.zeros(width)
    cost[0:n] = -w_curtail * problem.curtailable
    cost[2 * n:3 * n] = w_move * problem.weights
    cost[3 * n:4 * n] = w_move * problem.weights
    cost[4 * n:] = w_violation
    result = linprog(cost, a_ub, b_ub, sp.csr_matrix(np.array(a_eq)) if a_eq else None,
                     np.array(b_eq) if b_eq else None, bounds, method="highs")
    _check(result, "grid allocation")
    x = result.x
    return Allocation(x[0:n], x[n:2 * n], problem.excess(x[0:n] - x[n:2 * n]))


def _split_matrix(matrix: np.ndarray, n: int, m: int) -> sp.csc_matrix:
    """Rows ``A p - A c - s <= b`` and ``+-(p - p*) <= dp``, ``+-(c - c*) <= dc`` (COO)."""
    grid_rows, grid_cols = np.nonzero(matrix)
    values = matrix[grid_rows, grid_cols]
    children = np.arange(n)
    rows = [grid_rows, grid_rows, np.arange(m)]
    cols = [grid_cols, n + grid_cols, 4 * n + np.arange(m)]
    data = [values, -values, -np.ones(m)]
    for block, (var, dist, sign) in enumerate(((0, 2 * n, 1.0), (0, 2 * n, -1.0),
                                               (n, 3 * n, 1.0), (n, 3 * n, -1.0))):
        first = m + block * n
        rows += [first + children, first + children]
        cols += [var + children, dist + children]
        data += [np.full(n, sign), -np.ones(n)]
    return sp.csc_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(m + 4 * n, 4 * n + m))


def _check(result: object, what: str) -> None:
    if not getattr(result, "success", False):
        raise StrategyError(f"{what}: the LP solver failed ({getattr(result, 'message', '')})")
