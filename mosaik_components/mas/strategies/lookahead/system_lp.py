"""The top's decision: one linear program over the horizon, solved by HiGHS (scipy).

Variables, for every part ``j`` (class) of the system aggregate and interval ``k``:
production ``p[j,k]`` and consumption ``c[j,k]`` within the part's bands; for a part with
an energy limit its level ``L[j,k]`` within ``[lower, upper]`` and
``L[j,k] = L[j,k-1] + dt (eta_c c[j,k] - p[j,k] / eta_d)`` from its initial level; the
import ``imp[k] >= 0`` and export ``exp[k] >= 0`` with ``imp - exp = sum_j (c - p) +
offset[k]``; the peak import ``z >= imp[k]``; shortfalls ``sc >= expected_c - c`` and
``sp >= expected_p - p`` where they cost something.

Objective (all terms per interval of ``dt`` hours, summed over the horizon)::

    price[k] imp[k] dt - feed_in[k] exp[k] dt          energy cost (time-of-use)
  + exchange_price (imp[k] + exp[k]) dt                absolute exchange
  + peak_price z                                       peak import over the horizon
  + (shed + shed_penalty + shift) sc dt                consumption below expected
  + (curtail + curtail_penalty) sp dt                  production below expected
  + wear p dt (+ 0.001 (p + c) dt for storage)         battery wear, tie-break

``shed_penalty`` applies to parts without energy limit only (their shortfall is energy
not served; a deferrable load's comes back). The LP is always feasible (every part's
bands and energy limits admit a schedule: the units guarantee it) and bounded
(``feed_in <= price``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ...model.errors import StrategyError
from ...model.horizon import HorizonFlex, Plan
from .params import TIE_BREAK

__all__ = ["SystemProblem", "Solution", "solve_system"]


@dataclass(slots=True)
class _Builder:
    """Columns with bounds and costs; sparse rows as (row, column, value) triplets."""

    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    size: int = 0
    rows: dict[str, list[np.ndarray]] = field(default_factory=lambda: {"eq": [], "ub": []})
    rhs: dict[str, list[np.ndarray]] = field(default_factory=lambda: {"eq": [], "ub": []})
    count: dict[str, int] = field(default_factory=lambda: {"eq": 0, "ub": 0})

    def columns(self, low: np.ndarray, high: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """Add ``len(low)`` columns; returns their indices."""
        index = np.arange(self.size, self.size + low.size)
        self.lower.append(low)
        self.upper.append(high)
        self.cost.append(cost)
        self.size += low.size
        return index

    def constraint(self, kind: str, terms: Sequence[tuple[np.ndarray, float]],
                   rhs: np.ndarray, shifted: Sequence[tuple[np.ndarray, float]] = ()) -> None:
        """``sum(coefficient * column) (== or <=) rhs``, one row per interval.

        ``terms``' columns enter rows 0, 1, ...; ``shifted`` ones rows 1, 2, ... (the
        previous interval's column in row ``k``).
        """
        start = self.count[kind]
        rows = start + np.arange(rhs.size)
        for offset, group in ((0, terms), (1, shifted)):
            for columns, coefficient in group:
                self.rows[kind].append(np.stack([
                    rows[offset:offset + columns.size].astype(float), columns.astype(float),
                    np.full(columns.size, coefficient, dtype=float)]))
        self.rhs[kind].append(rhs)
        self.count[kind] += rhs.size

    def matrix(self, kind: str) -> tuple[object, np.ndarray] | tuple[None, None]:
        """The sparse matrix and right-hand side of one kind of rows."""
        from scipy.sparse import csr_array

        if not self.count[kind]:
            return None, None
        triplets = np.concatenate(self.rows[kind], axis=1)
        shape = (self.count[kind], self.size)
        matrix = csr_array((triplets[2], (triplets[0].astype(int), triplets[1].astype(int))),
                           shape=shape)
        return matrix, np.concatenate(self.rhs[kind])


@dataclass(frozen=True, slots=True)
class SystemProblem:
    """What the top optimises: the parts, the offset and the prices over the horizon."""

    parts: tuple[tuple[str, HorizonFlex], ...]
    offset: np.ndarray
    price: np.ndarray
    feed_in: np.ndarray
    peak_price: float
    exchange_price: float
    shed_penalty: float = 0.0
    curtail_penalty: float = 0.0


@dataclass(frozen=True, slots=True)
class Solution:
    """The optimal plan of every part (order of ``SystemProblem.parts``), its objective."""

    plans: list[Plan]
    objective: float


def _part_columns(b: _Builder, part: HorizonFlex, problem: SystemProblem
                  ) -> tuple[np.ndarray, np.ndarray]:
    dt = part.step_h
    costs = part.costs
    storage = bool(part.energy)
    tie = TIE_BREAK * dt if storage else 0.0
    p = b.columns(part.production.min, part.production.max,
                  np.full(len(part), costs.wear * dt + tie))
    c = b.columns(part.consumption.min, part.consumption.max, np.full(len(part), tie))
    short_c = costs.shed + costs.shift + (0.0 if storage else problem.shed_penalty)
    short_p = costs.curtail + problem.curtail_penalty
    for columns, rate, expected in ((c, short_c, part.consumption.expected),
                                    (p, short_p, part.production.expected)):
        if rate > 0 and (expected > 0).any():
            # shortfall s >= expected - x, i.e. -x - s <= -expected
            s = b.columns(np.zeros(len(part)), np.full(len(part), np.inf),
                          np.full(len(part), rate * dt))
            b.constraint("ub", [(columns, -1.0), (s, -1.0)], -expected)
    if storage:  # the tie-break costs twice as much above half the band: spread the flow
        for columns, band in ((p, part.production), (c, part.consumption)):
            above = b.columns(np.zeros(len(part)), np.full(len(part), np.inf),
                              np.full(len(part), tie))
            b.constraint("ub", [(columns, 1.0), (above, -1.0)], 0.5 * band.max)
    for limit in part.energy:
        level = b.columns(limit.lower, limit.upper, np.zeros(len(part)))
        rhs = np.zeros(len(part))
        rhs[0] = limit.initial
        b.constraint("eq", [(level, 1.0), (c, -dt * limit.charge_efficiency),
                            (p, dt / limit.discharge_efficiency)], rhs,
                     shifted=[(level[:-1], -1.0)])
    return p, c


def solve_system(problem: SystemProblem, where: str) -> Solution:
    """The optimal plan of every part (same order as ``problem.parts``)."""
    from scipy.optimize import linprog

    parts = problem.parts
    length = len(parts[0][1])
    dt = parts[0][1].step_h
    b = _Builder()
    columns = [_part_columns(b, part, problem) for _, part in parts]
    zero, inf = np.zeros(length), np.full(length, np.inf)
    imp = b.columns(zero, inf, dt * (problem.price + problem.exchange_price))
    exp = b.columns(zero, inf, dt * (problem.exchange_price - problem.feed_in))
    # imp - exp - sum(c) + sum(p) = offset
    terms = [(imp, 1.0), (exp, -1.0)]
    for p, c in columns:
        terms += [(c, -1.0), (p, 1.0)]
    b.constraint("eq", terms, problem.offset)
    if problem.peak_price > 0:
        z = b.columns(np.zeros(1), np.full(1, np.inf), np.array([problem.peak_price]))
        b.constraint("ub", [(imp, 1.0), (np.full(length, z[0]), -1.0)], zero)
    a_ub, b_ub = b.matrix("ub")
    a_eq, b_eq = b.matrix("eq")
    bounds = np.column_stack([np.concatenate(b.lower), np.concatenate(b.upper)])
    result = linprog(np.concatenate(b.cost), A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                     bounds=bounds, method="highs")
    if result.status != 0:
        raise StrategyError(f"{where}: the look-ahead LP failed ({result.message})")
    x = result.x
    plans = []
    for (_, part), (p, c) in zip(parts, columns, strict=True):
        plans.append(Plan(np.clip(x[p], part.production.min, part.production.max),
                          np.clip(x[c], part.consumption.min, part.consumption.max)))
    return Solution(plans, float(result.fun))
