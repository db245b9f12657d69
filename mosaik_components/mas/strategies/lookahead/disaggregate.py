"""Splitting a class's plan among its members: sums exact, bands kept, energy respected.

Every controller gets one plan per class (a part of its plan) and divides it among the
children that have a part of that class. The members' plans add up to the class's plan
in every interval and stay inside the members' bands, always; interval 0 is what the
units run now.

* A class **without** energy limit: in every interval and direction, each member starts
  from its expected power moved into its band and moves towards the target in proportion
  to its headroom in that direction (as ``balance`` does for one interval). Exact.
* A class **with** an energy limit (storage, deferrable loads): a forward pass over the
  intervals that tracks every member's level. Each member has an *envelope* per interval
  (its level bounds narrowed to what it can reach from its initial level and what still
  lets it keep its later bounds, as in :func:`.classes.envelope`); the class's planned
  level sits at some fraction ``theta`` between the members' summed envelope bounds, and
  every member is steered to the same fraction of its own envelope (full and empty members
  stay apart, one that must refill by the end starts in time). In each interval the
  class's production is divided first, then its consumption: every member starts from the
  flow that steers it (limited to the flows that keep its own rest of the horizon
  feasible, :func:`~...model.horizon.reachable_levels`) and the members move towards the
  class's target in proportion to their room within those flows (:func:`fill`). What
  does not fit goes to their remaining band headroom, again in proportion: sums and bands
  still hold, and some member's plan leaves its energy limit. As long as every member can
  take its steered flow and those add up to the class's production and consumption, the
  intervals are computed all at once (:func:`_steered`); the pass over intervals starts
  at the first one where that fails.

The *disaggregation error* of a split is the sum over members of the worst breach of
their energy limits (MWh) along their plans: 0 when every member can follow its plan. It
comes from the relaxed aggregate (:mod:`.classes`) and from the greedy pass; only
interval 0 is applied, and it always lies within the members' bands (which the units
narrow to what keeps their own horizon feasible), so a breach later in the plan never
reaches the physics: the next cycle plans again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ...model.errors import StrategyError
from ...model.horizon import Band, HorizonFlex, Plan, forward_levels, reachable_levels

__all__ = ["split_class", "split_boxes", "fill"]

#: MW by which a class target may exceed its members' summed band (solver noise)
BAND_TOL = 1e-6
#: MW below which a member split is taken to add up (float noise)
FILL_TOL = 1e-12
#: MW by which the steered flows may miss (float noise): beyond, the forward pass runs
STEER_TOL = 1e-9


def _stack(bands: Sequence[Band]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.array([b.expected for b in bands]), np.array([b.min for b in bands]),
            np.array([b.max for b in bands]))


def _check_total(target: np.ndarray, low: np.ndarray, high: np.ndarray, what: str) -> None:
    lo, hi = low.sum(axis=0), high.sum(axis=0)
    bad = np.flatnonzero((target < lo - BAND_TOL) | (target > hi + BAND_TOL))
    if bad.size:
        k = int(bad[0])
        raise StrategyError(f"{what} target {target[k]!r} MW in interval {k} lies outside the "
                            f"members' band [{lo[k]}, {hi[k]}]")


def split_boxes(target: np.ndarray, bands: Sequence[Band], what: str) -> np.ndarray:
    """Members x intervals: each from its baseline towards ``target`` by its headroom."""
    expected, low, high = _stack(bands)
    _check_total(target, low, high, what)
    base = np.clip(expected, low, high)
    move = target - base.sum(axis=0)
    room = np.where(move > 0, high - base, base - low)
    total = room.sum(axis=0)
    share = np.divide(move, total, out=np.zeros_like(move), where=total > 0)
    return np.clip(base + room * share, low, high)


def fill(target: float, start: Sequence[float], low: Sequence[float], high: Sequence[float],
         band_low: Sequence[float], band_high: Sequence[float]) -> list[float]:
    """Divide ``target`` among members, each moving from ``start`` as little as it can.

    ``start`` lies within ``[low, high]``, which lies within ``[band_low, band_high]``:
    the members move towards the target in proportion to their room in ``[low,
    high]`` first, and only what does not fit there spills into the rest of their bands.
    The result adds up to ``target`` when it lies within the summed band. (Plain floats:
    a class has few members and this runs once per interval.)
    """
    x = list(start)
    rest = target - math.fsum(x)
    for lo, hi in ((low, high), (band_low, band_high)):
        if abs(rest) <= FILL_TOL:
            break
        if rest > 0:
            room = [h - v for h, v in zip(hi, x, strict=True)]
        else:
            room = [v - q for q, v in zip(lo, x, strict=True)]
        total = math.fsum(room)
        if total <= 0.0:
            continue
        step = min(1.0, abs(rest) / total) * (1.0 if rest > 0 else -1.0)
        x = [v + r * step for v, r in zip(x, room, strict=True)]
        rest = target - math.fsum(x)
    return x


def _envelope_course(plan: Plan, members: Sequence[HorizonFlex], eta_c: float, eta_d: float
                     ) -> dict[str, np.ndarray]:
    """Per member and interval: flow bounds, reachable levels and the steered level."""
    dt = members[0].step_h
    _, p_lo, p_hi = _stack([m.production for m in members])
    _, c_lo, c_hi = _stack([m.consumption for m in members])
    lower = np.array([m.energy[0].lower for m in members])
    upper = np.array([m.energy[0].upper for m in members])
    initial = np.array([m.energy[0].initial for m in members])
    flow_min, flow_max = eta_c * c_lo - p_hi / eta_d, eta_c * c_hi - p_lo / eta_d
    back_lo, back_hi = reachable_levels(lower, upper, flow_min, flow_max, dt)
    fore_lo, fore_hi = forward_levels(initial, lower, upper, flow_min, flow_max, dt)
    env_lo = np.maximum(np.maximum(lower, back_lo), fore_lo)
    width = np.maximum(np.minimum(np.minimum(upper, back_hi), fore_hi), env_lo) - env_lo
    # the class's planned level, and the same fraction of every member's envelope
    class_level = initial.sum() + dt * np.cumsum(eta_c * plan.consumption
                                                 - plan.production / eta_d)
    total = width.sum(axis=0)
    theta = np.clip(np.divide(class_level - env_lo.sum(axis=0), total,
                              out=np.zeros_like(total), where=total > 0), 0.0, 1.0)
    return {"p_lo": p_lo, "p_hi": p_hi, "c_lo": c_lo, "c_hi": c_hi, "lower": lower,
            "upper": upper, "initial": initial, "flow_min": flow_min, "flow_max": flow_max,
            "back_lo": back_lo, "back_hi": back_hi, "wanted": env_lo + theta * width}


def _steered(course: dict[str, np.ndarray], plan: Plan, eta_c: float, eta_d: float,
             dt: float) -> tuple[np.ndarray, np.ndarray, int]:
    """All intervals at once, as if every member had followed its steered level so far.

    Returns production, consumption and the first interval where that fails (a member
    cannot take its steered flow, or the steered flows do not add up to the class's
    production and consumption); the intervals before it need no forward pass.
    """
    wanted, initial = course["wanted"], course["initial"]
    previous = np.concatenate([initial[:, np.newaxis], wanted[:, :-1]], axis=1)
    f_min, f_max = course["flow_min"], course["flow_max"]
    f_lo = np.clip((course["back_lo"] - previous) / dt, f_min, f_max)
    f_hi = np.maximum(np.clip((course["back_hi"] - previous) / dt, f_min, f_max), f_lo)
    steer = (wanted - previous) / dt
    flow = np.clip(steer, f_lo, f_hi)
    p_lo, p_hi, c_lo, c_hi = course["p_lo"], course["p_hi"], course["c_lo"], course["c_hi"]
    low = np.clip(eta_d * (eta_c * c_lo - f_hi), p_lo, p_hi)
    high = np.clip(eta_d * (eta_c * c_lo - f_lo), low, p_hi)
    production = np.clip(-flow * eta_d, low, high)
    low = np.clip((f_lo + production / eta_d) / eta_c, c_lo, c_hi)
    high = np.clip((f_hi + production / eta_d) / eta_c, low, c_hi)
    consumption = np.clip((flow + production / eta_d) / eta_c, low, high)
    realized = eta_c * consumption - production / eta_d
    clean = ((np.abs(realized - steer) <= STEER_TOL).all(axis=0)
             & (np.abs(production.sum(axis=0) - plan.production) <= STEER_TOL)
             & (np.abs(consumption.sum(axis=0) - plan.consumption) <= STEER_TOL))
    failed = np.flatnonzero(~clean)
    return production, consumption, int(failed[0]) if failed.size else len(plan)


def _forward(course: dict[str, np.ndarray], plan: Plan, first: int, end: int,
             level: list[float], eta_c: float, eta_d: float, dt: float
             ) -> tuple[list[list[float]], list[list[float]]]:
    """The forward pass over intervals ``first`` to ``end - 1``, from the members' ``level``.

    Plain floats and comparisons (``v = a if v < a else v`` is ``max(v, a)``): a class
    has few members, and this loop is the split's hot spot.
    """
    names = ("p_lo", "p_hi", "c_lo", "c_hi", "flow_min", "flow_max", "back_lo", "back_hi",
             "wanted")
    columns = np.stack([course[name][:, first:end] for name in names]).transpose(2, 0, 1)
    produces = bool(course["p_hi"][:, first:end].any())
    production, consumption = [], []
    for p_target, c_target, row in zip(plan.production[first:end].tolist(),
                                       plan.consumption[first:end].tolist(), columns.tolist(),
                                       strict=True):
        p_lo, p_hi, c_lo, c_hi, f_min, f_max, r_lo, r_hi, want = row
        # per member: the flows that keep its own rest of the horizon feasible, its steer
        f_lo, f_hi, flow = [], [], []
        for x, a, b, r, q, w in zip(level, f_min, f_max, r_lo, r_hi, want, strict=True):
            lo_f = (r - x) / dt
            lo_f = a if lo_f < a else lo_f
            lo_f = b if lo_f > b else lo_f
            hi_f = (q - x) / dt
            hi_f = a if hi_f < a else hi_f
            hi_f = b if hi_f > b else hi_f
            hi_f = lo_f if hi_f < lo_f else hi_f
            f = (w - x) / dt
            f = lo_f if f < lo_f else f
            f_lo.append(lo_f)
            f_hi.append(hi_f)
            flow.append(hi_f if f > hi_f else f)
        if produces:  # production first, assuming the least consumption
            low, high, start = [], [], []
            for c, a, b, q, h, f in zip(c_lo, f_lo, f_hi, p_lo, p_hi, flow, strict=True):
                lo_p = eta_d * (eta_c * c - b)
                lo_p = q if lo_p < q else lo_p
                lo_p = h if lo_p > h else lo_p
                hi_p = eta_d * (eta_c * c - a)
                hi_p = lo_p if hi_p < lo_p else hi_p
                hi_p = h if hi_p > h else hi_p
                v = -f * eta_d
                v = lo_p if v < lo_p else v
                low.append(lo_p)
                high.append(hi_p)
                start.append(hi_p if v > hi_p else v)
            p = fill(p_target, start, low, high, p_lo, p_hi)
        else:
            p = p_lo
        low, high, start = [], [], []
        for x, a, b, q, h, f in zip(p, f_lo, f_hi, c_lo, c_hi, flow, strict=True):
            lo_c = (a + x / eta_d) / eta_c
            lo_c = q if lo_c < q else lo_c
            lo_c = h if lo_c > h else lo_c
            hi_c = (b + x / eta_d) / eta_c
            hi_c = lo_c if hi_c < lo_c else hi_c
            hi_c = h if hi_c > h else hi_c
            v = (f + x / eta_d) / eta_c
            v = lo_c if v < lo_c else v
            low.append(lo_c)
            high.append(hi_c)
            start.append(hi_c if v > hi_c else v)
        c = fill(c_target, start, low, high, c_lo, c_hi)
        level = [v + dt * (eta_c * y - x / eta_d) for v, x, y in zip(level, p, c,
                                                                         strict=True)]
        production.append(p)
        consumption.append(c)
    return production, consumption


def _energy_split(plan: Plan, members: Sequence[HorizonFlex], end: int
                  ) -> tuple[np.ndarray, np.ndarray, float]:
    """The split of the module doc over the first ``end`` intervals.

    Returns production, consumption (members x ``end``) and the error along them. The
    pass is causal: an interval's values do not depend on the intervals after it.
    """
    dt = members[0].step_h
    limit0 = members[0].energy[0]
    eta_c, eta_d = limit0.charge_efficiency, limit0.discharge_efficiency
    course = _envelope_course(plan, members, eta_c, eta_d)
    production, consumption, first = _steered(course, plan, eta_c, eta_d, dt)
    # the steered intervals add up to the class's plan up to float noise: make it exact
    for values, total in ((production, plan.production), (consumption, plan.consumption)):
        sums = values[:, :first].sum(axis=0)
        values[:, :first] *= np.divide(total[:first], sums, out=np.ones_like(sums),
                                       where=sums > 0)
    production, consumption = production[:, :end], consumption[:, :end]
    if first < end:
        level = course["initial"] + dt * (eta_c * consumption[:, :first]
                                          - production[:, :first] / eta_d).sum(axis=1)
        rest_p, rest_c = _forward(course, plan, first, end, level.tolist(), eta_c, eta_d, dt)
        production[:, first:] = np.array(rest_p).T
        consumption[:, first:] = np.array(rest_c).T
    reached = course["initial"][:, np.newaxis] + dt * np.cumsum(
        eta_c * consumption - production / eta_d, axis=1)
    breach = np.maximum(np.maximum(course["lower"][:, :end] - reached,
                                   reached - course["upper"][:, :end]), 0.0)
    return production, consumption, float(breach.max(axis=1).sum())


def split_class(plan: Plan, members: Sequence[HorizonFlex], what: str,
                intervals: int | None = None) -> tuple[list[Plan], float]:
    """One plan per member adding up to ``plan``; and the disaggregation error (MWh).

    ``intervals``: compute only the plans' first ``intervals`` intervals (all when None);
    they equal the first intervals of the whole plans (the split is causal), and the
    error is measured along them.
    """
    end = len(plan) if intervals is None else min(intervals, len(plan))
    if len(members) == 1:
        head = Plan(plan.production[:end], plan.consumption[:end])
        return [head], _single_error(head, members[0])
    if members[0].energy:
        for side in ("production", "consumption"):
            bands = [getattr(m, side) for m in members]
            _check_total(getattr(plan, side), np.array([b.min for b in bands]),
                         np.array([b.max for b in bands]), f"{what} {side}")
        production, consumption, error = _energy_split(plan, members, end)
    else:
        production = split_boxes(plan.production, [m.production for m in members],
                                 f"{what} production")[:, :end]
        consumption = split_boxes(plan.consumption, [m.consumption for m in members],
                                  f"{what} consumption")[:, :end]
        error = 0.0
    return [Plan(p, c) for p, c in zip(production, consumption, strict=True)], error


def _single_error(plan: Plan, member: HorizonFlex) -> float:
    return float(sum(limit.violation(plan.production, plan.consumption, member.step_h)
                     for limit in member.energy))
