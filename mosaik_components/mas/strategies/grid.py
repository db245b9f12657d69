"""``grid_aware``: keep a cell's grid within its limits, around any other strategy.

:class:`GridAware` wraps an *inner* strategy (``balance`` by default; a look-ahead
strategy as well) and changes its results only where the grid needs it. It acts at the
controller whose :class:`~.base.View` carries a measured ``grid``
(:class:`~..model.grid.GridView`: this iteration's voltages, loadings and their
sensitivities to the children's active power), i.e. the cell controller whose children
are the cell's units; everywhere else it is the inner strategy.

* **aggregate** (reported up): the inner aggregate; if some combination of the children's
  bands would break a limit, its production and consumption bands narrowed to a box of
  totals the cell can run at without breaking one (:func:`~.grid_lp.feasible_box`).
  Narrowing prefers forcing batteries to charge and loads up over forcing curtailment,
  and forcing discharge over forcing load reduction.
  Controllers above sum these bands, so the top never asks a cell for totals its grid
  cannot take. If no allocation keeps every limit, the band shrinks to the point of least
  violation (most generation among those), and the split says what remains violated.
* **decide** (top): the inner strategy's decision.
* **split**: the inner split where no combination of the children's bands can break a
  limit, or where it keeps every limit and curtails nothing; otherwise the allocation
  with the same totals that (1) minimises violations, (2) minimises curtailment of
  PV/wind, (3) stays closest to the inner split, moving batteries before loads before
  generators (:func:`~.grid_lp.allocate`). With the totals fixed, less curtailment means
  less battery discharge: stored energy is kept.
  :meth:`GridAware.split_with_report` also returns a :class:`GridReport`: the violations
  measured in this iteration, those predicted to remain after the split (which limit, on
  which element, by how much), curtailment after and in the inner split, the MW moved.

The model is the view's linearisation at this iteration's operating point; mosaik's
same-time iterations re-linearise at the new setpoints, which converges to the exact
limit like Newton's method (tested against pandapower's AC power flow).

A child's role comes from its band, never from its name: production only (``c_max = 0``,
``p_max > 0``) is curtailable generation, consumption only is a load, both is storage.
Children are matched to ``grid.units`` through ``view.children`` (their eids, in order);
a child missing from the view is an error naming it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from ..model.errors import ConfigError, StateError, StrategyError
from ..model.flexibility import Flex, Target, UnitState
from ..model.grid import LOADING_TOL, VOLTAGE_TOL, GridLimits, GridView
from ..model.horizon import Band, HorizonFlex
from .balance import BalanceStrategy
from .base import Strategy, View, accepts_view
from .grid_lp import TOL, CellProblem, Rows, allocate, feasible_box, full_box_feasible

__all__ = ["GridAware", "GridReport", "Violation", "measured_violations"]

#: Distance weights of the split's last stage: storage, loads, generation.
MOVE_WEIGHTS = {"storage": 1.0, "load": 2.0, "generation": 4.0}
#: A limit counts as broken beyond this (pu for voltages, % for loadings).
REPORT_TOL = {"v_max": VOLTAGE_TOL, "v_min": VOLTAGE_TOL, "loading": LOADING_TOL}


@dataclass(frozen=True)
class Violation:
    """A limit broken on one element: ``value`` against ``limit`` (pu or %)."""

    kind: str  # "v_max", "v_min", "loading"
    element: str
    value: float
    limit: float

    @property
    def excess(self) -> float:
        """By how much the limit is broken (pu or percentage points, > 0)."""
        return self.limit - self.value if self.kind == "v_min" else self.value - self.limit

    def to_dict(self) -> dict[str, Any]:
        """Plain form for logs and results."""
        return {"kind": self.kind, "element": self.element, "value": self.value,
                "limit": self.limit, "excess": self.excess}


@dataclass(frozen=True)
class GridReport:
    """What the grid-aware split did at one controller in one cycle.

    ``measured``: limits broken in the power flow the view comes from; ``remaining``:
    limits the linear model predicts still broken after the split (could not be met, with
    value and limit); ``curtailed_mw``: curtailment (available minus target) of the
    children's generation after the split, ``inner_curtailed_mw`` in the inner split;
    ``moved_mw``: summed change of the children's production and consumption targets.
    Without binding limits both curtailments and ``moved_mw`` are reported as 0.
    """

    eid: str
    time: int
    iteration: int
    measured: tuple[Violation, ...] = ()
    remaining: tuple[Violation, ...] = ()
    curtailed_mw: float = 0.0
    inner_curtailed_mw: float = 0.0
    moved_mw: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no violation is predicted to remain."""
        return not self.remaining

    def to_dict(self) -> dict[str, Any]:
        """Plain form for logs and results."""
        return {"eid": self.eid, "time": self.time, "iteration": self.iteration,
                "measured": [v.to_dict() for v in self.measured],
                "remaining": [v.to_dict() for v in self.remaining],
                "curtailed_mw": self.curtailed_mw,
                "inner_curtailed_mw": self.inner_curtailed_mw, "moved_mw": self.moved_mw}


def measured_violations(grid: GridView, limits: GridLimits | None = None
                        ) -> tuple[Violation, ...]:
    """The limits ``grid``'s measurements break (with ``limits`` or the view's own)."""
    limits = limits or grid.limits
    found = []
    for bus, vm in zip(grid.buses, grid.vm_pu, strict=True):
        if vm > limits.v_max + REPORT_TOL["v_max"]:
            found.append(Violation("v_max", bus, float(vm), limits.v_max))
        elif vm < limits.v_min - REPORT_TOL["v_min"]:
            found.append(Violation("v_min", bus, float(vm), limits.v_min))
    for branch, loading in zip(grid.branches, grid.loading_pct, strict=True):
        if loading > limits.loading_max + REPORT_TOL["loading"]:
            found.append(Violation("loading", branch, float(loading), limits.loading_max))
    return tuple(found)


@dataclass(frozen=True)
class GridAware:
    """See the module docstring.

    ``inner``: a strategy instance, or a name or ``"module:Class"`` the strategy registry
    builds (with ``inner_options``); ``limits``: a :class:`GridLimits` or a dict with
    ``v_min``, ``v_max``, ``loading_max`` that overrides the limits the views carry.
    Both are checked when the strategy is built (:class:`ConfigError` naming the value),
    so ``strategy="grid_aware", strategy_options={"inner": "lookahead", "limits":
    {"v_max": 1.04}}`` works from a scenario.
    """

    inner: Any = field(default_factory=BalanceStrategy)
    limits: GridLimits | Mapping[str, float] | None = None
    inner_options: Mapping[str, Any] | None = None
    name: str = "grid_aware"

    def __post_init__(self) -> None:
        from .registry import build_strategy

        if isinstance(self.inner, str | type) or self.inner_options:
            object.__setattr__(self, "inner", build_strategy(self.inner, self.inner_options))
        elif not isinstance(self.inner, Strategy):
            raise ConfigError(f"grid_aware.inner must be a strategy, got {self.inner!r}")
        if self.limits is not None:
            object.__setattr__(self, "limits", _checked_limits(self.limits))

    def aggregate(self, children: Sequence[UnitState], view: View | None = None) -> UnitState:
        """The inner aggregate with bands narrowed to what the grid allows."""
        state = _call(self.inner, "aggregate", (children,), view, 1)
        problem = self.problem(children, view)
        if problem is None or full_box_feasible(problem):
            return state
        box = feasible_box(problem)
        if box is None:  # no allocation keeps every limit: the point of least violation
            baseline_p = np.array([c.production.baseline for c in children])
            baseline_c = np.array([c.consumption.baseline for c in children])
            point = allocate(problem, None, None, baseline_p, baseline_c)
            total_p, total_c = float(point.production.sum()), float(point.consumption.sum())
            box = (total_p, total_p, total_c, total_c)
        return _narrowed(state, box)

    def decide(self, system: UnitState, offset: float, view: View | None = None) -> Target:
        """The inner strategy's decision."""
        return _call(self.inner, "decide", (system, offset), view, 2)

    def split(self, target: Target, children: Sequence[UnitState], view: View | None = None
              ) -> list[Target]:
        """The inner split, corrected for the grid (see :meth:`split_with_report`)."""
        return self.split_with_report(target, children, view)[0]

    def split_with_report(self, target: Target, children: Sequence[UnitState],
                          view: View | None = None) -> tuple[list[Target], GridReport]:
        """The split and what it did for the grid (see the module docstring)."""
        targets = _call(self.inner, "split", (target, children), view, 2)
        view = view if view is not None else View("")
        measured = (measured_violations(view.grid, self.limits) if view.grid is not None
                    else ())
        report = GridReport(view.eid, view.time, view.iteration, measured)
        problem = self.problem(children, view)
        if problem is None:
            return targets, report
        inner_p = np.array([t.production for t in targets])
        inner_c = np.array([t.consumption for t in targets])
        inner_curtailed = float(((problem.p_max - inner_p) * problem.curtailable).sum())
        if inner_curtailed <= TOL and not (problem.excess(inner_p - inner_c) > 0).any():
            return targets, report  # keeps every limit and curtails nothing: nothing to do
        result = allocate(problem, target.production, target.consumption, inner_p, inner_c)
        production = _exact_sum(result.production, target.production, problem.p_min,
                                problem.p_max)
        consumption = _exact_sum(result.consumption, target.consumption, problem.c_min,
                                 problem.c_max)
        new = [_retarget(t, float(p), float(c))
               for t, p, c in zip(targets, production, consumption, strict=True)]
        curtailable = problem.curtailable
        report = replace(
            report, remaining=_remaining(problem, production - consumption),
            curtailed_mw=float(((problem.p_max - production) * curtailable).sum()),
            inner_curtailed_mw=inner_curtailed,
            moved_mw=float(np.abs(production - inner_p).sum()
                           + np.abs(consumption - inner_c).sum()))
        return new, report

    def problem(self, children: Sequence[UnitState], view: View | None) -> CellProblem | None:
        """The children in the linear grid model of ``view.grid`` (binding rows only).

        None without a grid view or when no combination of bands can break a limit.
        """
        if view is None or view.grid is None:
            return None
        grid = view.grid
        columns = _columns(view, len(children))
        limits = self.limits or grid.limits
        p_min, p_max, c_min, c_max, x0 = (np.array(v, dtype=float) for v in zip(*[
            (c.production.min, c.production.max, c.consumption.min, c.consumption.max,
             c.net) for c in children], strict=True))
        matrix, rows = _rows(grid, limits, columns)
        a = matrix * (rows.sign * rows.scale)[:, None]
        bound = rows.sign * rows.scale * (rows.limit - rows.value) + a @ x0
        generation = (c_max <= 0) & (p_max > 0)
        load = (p_max <= 0) & ~generation
        weights = np.where(generation, MOVE_WEIGHTS["generation"],
                           np.where(load, MOVE_WEIGHTS["load"], MOVE_WEIGHTS["storage"]))
        problem = CellProblem(p_min, p_max, c_min, c_max, x0, a, bound, rows, generation,
                              load, weights).binding()
        return problem if len(problem.rows) else None


def _checked_limits(limits: object) -> GridLimits:
    if isinstance(limits, GridLimits):
        limits = {"v_min": limits.v_min, "v_max": limits.v_max,
                  "loading_max": limits.loading_max}
    if not isinstance(limits, Mapping):
        raise ConfigError(f"grid_aware.limits must be a dict with v_min, v_max, loading_max, "
                          f"got {limits!r}")
    unknown = set(limits) - {"v_min", "v_max", "loading_max"}
    if unknown:
        raise ConfigError(f"grid_aware.limits: unknown field(s) {sorted(unknown)}")
    try:
        return GridLimits.checked(**limits, what="grid_aware.limits")
    except StateError as exc:
        raise ConfigError(str(exc)) from None


def _call(inner: Any, name: str, args: tuple, view: View | None, count: int) -> Any:
    """``inner.<name>(*args[, view])``: with ``view`` if that method takes it."""
    method = getattr(inner, name)
    if view is not None and _takes_view(type(inner), name, count):
        return method(*args, view)
    return method(*args)


@lru_cache(maxsize=256)
def _takes_view(kind: type, name: str, count: int) -> bool:
    """:func:`~.base.accepts_view` of a strategy class's method (cached: called per cycle).

    Looked up on the class, a plain method's function also takes ``self``.
    """
    static = isinstance(inspect.getattr_static(kind, name), staticmethod)
    return accepts_view(getattr(kind, name), count if static else count + 1)


def _columns(view: View, count: int) -> np.ndarray:
    """Column of ``view.grid.units`` for each child; every child must be there."""
    names = view.children
    if len(names) != count:
        raise StrategyError(f"grid_aware at {view.eid!r}: view.children names {len(names)} "
                            f"children but {count} states were given; the runtime must fill "
                            "View.children to match children to the grid's units")
    position = {name: i for i, name in enumerate(view.grid.units)}  # type: ignore[union-attr]
    missing = [name for name in names if name not in position]
    if missing:
        raise StrategyError(f"grid_aware at {view.eid!r}: children {missing} are not units of "
                            f"its grid view (units: {list(view.grid.units)})"  # type: ignore
                            )
    return np.array([position[name] for name in names], dtype=int)


def _rows(grid: GridView, limits: GridLimits, columns: np.ndarray) -> tuple[np.ndarray, Rows]:
    """Sensitivity rows (children's columns, unscaled) and their limits.

    Per bus an upper and a lower voltage row, per branch a forward and a reverse loading row.
    """
    buses, branches = len(grid.buses), len(grid.branches)
    matrix = np.concatenate([np.repeat(grid.dv_dp[:, columns], 2, axis=0),
                             np.repeat(grid.dloading_dp[:, columns], 2, axis=0)])
    pair = np.tile([1.0, -1.0], buses + branches)
    rows = Rows(
        kind=np.array(["v_max", "v_min"] * buses + ["loading", "loading"] * branches),
        element=np.repeat(np.array(grid.buses + grid.branches, dtype=object), 2),
        sign=pair,
        limit=np.concatenate([np.tile([limits.v_max, limits.v_min], buses),
                              np.tile([limits.loading_max, -limits.loading_max], branches)]),
        value=np.repeat(np.concatenate([grid.vm_pu, grid.loading_pct]), 2),
        scale=np.repeat(np.concatenate([np.full(buses, 100.0), np.ones(branches)]), 2))
    return matrix, rows


def _remaining(problem: CellProblem, net: np.ndarray) -> tuple[Violation, ...]:
    excess = problem.excess(net)
    predicted = problem.predicted(net)
    rows = problem.rows
    found = []
    for i in np.flatnonzero(excess > 0):
        kind = str(rows.kind[i])
        if excess[i] <= REPORT_TOL[kind]:
            continue
        if kind == "loading":
            found.append(Violation(kind, str(rows.element[i]), abs(float(predicted[i])),
                                   abs(float(rows.limit[i]))))
        else:
            found.append(Violation(kind, str(rows.element[i]), float(predicted[i]),
                                   float(rows.limit[i])))
    return tuple(found)


def _narrowed(state: UnitState, box: tuple[float, float, float, float]) -> UnitState:
    """``state`` with its bands intersected with the box (lo <= hi kept).

    A state with a horizon (a look-ahead aggregate) gets interval 0 of its horizon
    narrowed alike, part by part (:func:`_narrow_horizon`), so a look-ahead top that plans
    on the horizon sees the grid's limits for the interval being decided.
    """
    p_lo, p_hi, c_lo, c_hi = box
    p, c = state.production, state.consumption
    p_max = min(max(p_hi, p.min), p.max)
    p_min = min(max(p_lo, p.min), p_max)
    c_max = min(max(c_hi, c.min), c.max)
    c_min = min(max(c_lo, c.min), c_max)
    horizon = state.horizon
    if horizon is not None:
        horizon = _narrow_horizon(horizon, (p_min, p_max), (c_min, c_max))
    return UnitState(Flex(p.current, p_min, p_max), Flex(c.current, c_min, c_max), horizon)


def _narrow_horizon(flex: HorizonFlex, production: tuple[float, float],
                    consumption: tuple[float, float]) -> HorizonFlex:
    """``flex`` with interval 0's summed bands moved to ``production``/``consumption``.

    The change is shared among the parts (or taken by the horizon itself without parts)
    in proportion to each part's room in interval 0; later intervals stay as they are.
    """
    parts = [part for _, part in flex.parts] or [flex]
    bands = {side: _narrow_first([getattr(part, side) for part in parts], *bounds)
             for side, bounds in (("production", production), ("consumption", consumption))}
    new_parts = [replace(part, production=bands["production"][i],
                         consumption=bands["consumption"][i]) for i, part in enumerate(parts)]
    if not flex.parts:
        return new_parts[0]
    summed = {side: Band(*(np.sum([getattr(getattr(part, side), name) for part in new_parts],
                                  axis=0) for name in ("expected", "min", "max")))
              for side in ("production", "consumption")}
    return replace(flex, production=summed["production"], consumption=summed["consumption"],
                   parts=tuple((key, part) for (key, _), part in zip(
                       flex.parts, new_parts, strict=True)))


def _narrow_first(bands: list[Band], low: float, high: float) -> list[Band]:
    """Interval 0 of ``bands`` with minima adding up to ``low`` and maxima to ``high``.

    Both lie within the current sums; each band moves in proportion to its room.
    """
    minima = np.array([band.min[0] for band in bands])
    maxima = np.array([band.max[0] for band in bands])
    maxima = maxima - _shares(maxima - minima, maxima.sum() - high)
    minima = minima + _shares(maxima - minima, low - minima.sum())
    result = []
    for band, lo, hi in zip(bands, minima, maxima, strict=True):
        new_min, new_max = band.min.copy(), band.max.copy()
        new_min[0], new_max[0] = lo, max(hi, lo)
        result.append(Band(band.expected, new_min, new_max))
    return result


def _shares(room: np.ndarray, amount: float) -> np.ndarray:
    """``amount`` (when > 0) split in proportion to ``room``, none above its room."""
    room = np.maximum(room, 0.0)
    if amount <= 0 or room.sum() <= 0:
        return np.zeros_like(room)
    return room * min(amount / room.sum(), 1.0)


def _exact_sum(values: np.ndarray, total: float, low: np.ndarray, high: np.ndarray
               ) -> np.ndarray:
    """``values`` inside their bands, adding exactly to ``total`` (LP rounding removed)."""
    fixed = np.clip(values, low, high)
    residual = total - fixed.sum()
    room = (high - fixed) if residual > 0 else (fixed - low)
    if abs(residual) > 0 and room.sum() > 0:
        fixed = fixed + np.sign(residual) * room * min(abs(residual) / room.sum(), 1.0)
    return fixed


def _retarget(target: Target, production: float, consumption: float) -> Target:
    """``target`` at new values; a plan's first interval follows."""
    plan = target.plan
    if plan is not None:
        plan = type(plan)(plan.production.copy(), plan.consumption.copy())
        plan.production[0], plan.consumption[0] = production, consumption
    return Target(production, consumption, plan)
