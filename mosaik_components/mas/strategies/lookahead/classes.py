"""The aggregate model: a controller's flexibility as one summed part per class of units.

A unit's *class* is what its horizon flexibility couples and costs: the name and
efficiencies of its energy limit (at most one) and its four cost rates
(:func:`class_key`). The aggregate of a controller (:func:`aggregate_flex`) keeps one
part per class present below it, each part the sum of its members: summed bands
(expected, min, max) and one summed energy limit (initial level, lower and upper bounds
added up; the efficiencies are the class's). Nesting keeps the classes: a controller's
parts merge its children's parts of the same class.

Exact and approximate: bands without energy coupling add up exactly (the sum of boxes
is the box of the sums), so a class without energy limits (PV, wind, curtailable loads)
is represented exactly. A class with an energy limit gets the summed bands and an
*energy envelope*: after every interval the summed level lies between the sums of the
members' own level ranges, each narrowed to what the member can reach from its initial
level with its power and what still lets it keep its later bounds (:func:`envelope`).
That is a *relaxation*: every plan the members can run adds up to a plan the part
allows, but the part also allows plans that no split among the members can follow (e.g.
charging two batteries at their summed power for a few intervals when one of them needs
longer to refill). Splitting such a plan (:mod:`.disaggregate`) then breaches some
member's energy limit; that breach is the *disaggregation error*, measured in MWh.

A child without a horizon (a unit that publishes only its current band) counts as its
current band held over the horizon, without energy limit or costs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...model.errors import StrategyError
from ...model.flexibility import UnitState
from ...model.horizon import (
    Band,
    Costs,
    EnergyLimit,
    HorizonFlex,
    flow_range,
    forward_levels,
    reachable_levels,
)

__all__ = ["class_key", "prepare", "members_by_class", "envelope", "sum_part",
           "aggregate_flex"]


def class_key(flex: HorizonFlex) -> str:
    """The class of a unit's flexibility: its energy limit's kind and its costs."""
    limits = ";".join(f"{limit.name}@{limit.charge_efficiency!r}/"
                      f"{limit.discharge_efficiency!r}" for limit in flex.energy)
    c = flex.costs
    return (f"{limits or 'free'}|shed={c.shed!r},curtail={c.curtail!r},shift={c.shift!r},"
            f"wear={c.wear!r}")


def _truncated(flex: HorizonFlex, length: int) -> HorizonFlex:
    def band(b: Band) -> Band:
        return Band(b.expected[:length], b.min[:length], b.max[:length])

    limits = tuple(EnergyLimit(lim.name, lim.initial, lim.lower[:length], lim.upper[:length],
                               lim.charge_efficiency, lim.discharge_efficiency)
                   for lim in flex.energy)
    parts = tuple((key, _truncated(part, length)) for key, part in flex.parts)
    return HorizonFlex(flex.step_h, band(flex.production), band(flex.consumption), limits,
                       flex.costs, parts)


def _persisted(state: UnitState, length: int, step_h: float) -> HorizonFlex:
    def band(f: object) -> Band:
        return Band(np.full(length, f.current), np.full(length, f.min),  # type: ignore[attr-defined]
                    np.full(length, f.max))  # type: ignore[attr-defined]

    return HorizonFlex(step_h, band(state.production), band(state.consumption))


def prepare(children: Sequence[UnitState], horizon: int | None, step_s: float | None,
            where: str) -> tuple[list[HorizonFlex], int, float]:
    """Every child's horizon over a common length and step; errors name ``where``.

    ``horizon`` (intervals) truncates longer horizons (shorter ones are an error); without
    it all children must report the same length. Returns the flexes, length and step (h).
    """
    known = [(i, c.horizon) for i, c in enumerate(children) if c.horizon is not None]
    if not known:
        raise StrategyError(f"{where}: no child reports a horizon; connect the units' 'flex' "
                            "output to their agents")
    steps = {flex.step_h for _, flex in known}
    if len(steps) != 1:
        raise StrategyError(f"{where}: children report different steps {sorted(steps)} h")
    step_h = steps.pop()
    if step_s is not None and abs(step_h * 3600 - step_s) > 1e-6:
        raise StrategyError(f"{where}: the horizons' step ({step_h} h) is not the agents' "
                            f"step ({step_s} s)")
    lengths = {len(flex) for _, flex in known}
    length = horizon if horizon is not None else max(lengths)
    short = [(i, len(flex)) for i, flex in known if len(flex) < length]
    if short:
        i, got = short[0]
        raise StrategyError(f"{where}: child {i} reports {got} intervals, the horizon is "
                            f"{length}")
    flexes = []
    for child in children:
        flex = child.horizon
        if flex is None:
            flex = _persisted(child, length, step_h)
        elif len(flex) != length:
            flex = _truncated(flex, length)
        flexes.append(flex)
    return flexes, length, step_h


def _own_parts(flex: HorizonFlex, where: str) -> tuple[tuple[str, HorizonFlex], ...]:
    if flex.parts:
        return flex.parts
    if len(flex.energy) > 1:
        raise StrategyError(f"{where}: a unit may have at most one energy limit, got "
                            f"{[lim.name for lim in flex.energy]}")
    return ((class_key(flex), flex),)


def members_by_class(flexes: Sequence[HorizonFlex], where: str
                     ) -> dict[str, list[tuple[int, HorizonFlex]]]:
    """``{class key: [(child index, that child's part of the class), ...]}``, keys sorted."""
    groups: dict[str, list[tuple[int, HorizonFlex]]] = {}
    for index, flex in enumerate(flexes):
        for key, part in _own_parts(flex, f"{where} child {index}"):
            groups.setdefault(key, []).append((index, part))
    return {key: groups[key] for key in sorted(groups)}


def _sum_band(bands: Sequence[Band]) -> Band:
    if len(bands) == 1:
        return bands[0]
    return Band(np.sum([b.expected for b in bands], axis=0),
                np.sum([b.min for b in bands], axis=0), np.sum([b.max for b in bands], axis=0))


def envelope(members: Sequence[HorizonFlex]) -> tuple[np.ndarray, np.ndarray]:
    """The members' level ranges, each narrowed to what it can reach and still keep.

    For every member the level after interval ``k`` must lie within its own bounds, within
    what its power can reach from its initial level (:func:`forward_levels`) and within
    what still lets it keep its later bounds (:func:`reachable_levels`). Returns the
    sums over the members (lower, upper): a valid bound for the class's summed level,
    tighter than the summed bounds where the members' powers bind.
    """
    limits = [m.energy[0] for m in members]
    lower = np.array([lim.lower for lim in limits])
    upper = np.array([lim.upper for lim in limits])
    flow_min, flow_max = (np.array(side) for side in zip(
        *(flow_range(lim, m.production, m.consumption) for lim, m in zip(limits, members,
                                                                          strict=True)),
        strict=True))
    step_h = members[0].step_h
    back_lo, back_hi = reachable_levels(lower, upper, flow_min, flow_max, step_h)
    fore_lo, fore_hi = forward_levels(np.array([lim.initial for lim in limits]), lower, upper,
                                      flow_min, flow_max, step_h)
    low = np.maximum(np.maximum(lower, back_lo), fore_lo)
    high = np.minimum(np.minimum(upper, back_hi), fore_hi)
    return low.sum(axis=0), np.maximum(high, low).sum(axis=0)


def sum_part(members: Sequence[HorizonFlex]) -> HorizonFlex:
    """The members of one class as one part: summed bands and the members' envelope."""
    if len(members) == 1:
        return members[0]
    first = members[0]
    limits: tuple[EnergyLimit, ...] = ()
    if first.energy:
        lim = first.energy[0]
        lower, upper = envelope(members)
        limits = (EnergyLimit(lim.name, float(sum(m.energy[0].initial for m in members)),
                              lower, upper, lim.charge_efficiency, lim.discharge_efficiency),)
    return HorizonFlex(first.step_h, _sum_band([m.production for m in members]),
                       _sum_band([m.consumption for m in members]), limits, first.costs)


def aggregate_flex(flexes: Sequence[HorizonFlex], step_h: float, where: str) -> HorizonFlex:
    """The controller's flexibility: one summed part per class (see the module doc)."""
    parts = tuple((key, sum_part([part for _, part in members]))
                  for key, members in members_by_class(flexes, where).items())
    production = _sum_band([part.production for _, part in parts])
    consumption = _sum_band([part.consumption for _, part in parts])
    if len(parts) == 1:  # a copy, so the whole is never the very object of its part
        production = Band(production.expected.copy(), production.min.copy(),
                          production.max.copy())
    return HorizonFlex(step_h, production, consumption, (), Costs(), parts)
