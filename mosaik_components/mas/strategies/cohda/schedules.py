"""Feasible schedules from a unit's (or a cell's) flexibility, and back to a target.

A participant's options are net powers (generation positive) it can run at: ``levels``
evenly spaced values across its net band plus its baseline (the value it would run at
without coordination), so "change nothing" is always an option. The co-simulation
gives one band per step and no forecast, so these schedules span one interval; the
COHDA core itself handles schedules of any length.
"""

from __future__ import annotations

import numpy as np

from ...model.flexibility import Target, UnitState, net_band

__all__ = ["options_for", "target_for_net"]

#: MW below which two options count as the same.
SAME = 1e-9


def options_for(state: UnitState, levels: int) -> np.ndarray:
    """Distinct net-power options, ascending, shape ``(m, 1)``; ``levels >= 2``."""
    if levels < 2:
        raise ValueError(f"levels must be >= 2, got {levels!r}")
    low, high = net_band(state)
    baseline = state.production.baseline - state.consumption.baseline
    grid = np.linspace(low, high, levels)
    grid = grid[np.abs(grid - baseline) > SAME]  # the baseline itself stays exact
    values = np.unique(np.append(grid, baseline))
    keep = np.append(True, np.diff(values) > SAME)
    return values[keep].reshape(-1, 1)


def target_for_net(state: UnitState, net: float) -> Target:
    """Production and consumption that give ``net`` with the least movement.

    Like :func:`..strategies.balance.decide_balance`: more net power comes from more
    production first, then less consumption; less net power from more consumption
    first, then less production. ``net`` must lie inside the state's net band.
    """
    low, high = net_band(state)
    if not low - SAME <= net <= high + SAME:
        raise ValueError(f"net power {net!r} MW lies outside the band [{low}, {high}]")
    p, c = state.production, state.consumption
    p0, c0 = p.baseline, c.baseline
    move = net - (p0 - c0)
    if move >= 0:
        more_p = min(move, p.max - p0)
        less_c = min(move - more_p, c0 - c.min)
        return Target(p0 + more_p, c0 - less_c)
    more_c = min(-move, c.max - c0)
    less_p = min(-move - more_c, p0 - p.min)
    return Target(p0 - less_p, c0 + more_c)
