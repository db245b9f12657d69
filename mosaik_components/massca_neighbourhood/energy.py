"""Energy per interval from cumulative profiles: job loads and PV predictions. Pure numpy.

The day is cut into intervals of ``step`` seconds; interval ``k`` is
``[k * step, (k + 1) * step)``. A job started at second ``s`` consumes
``E(b - s) - E(a - s)`` Wh in ``[a, b)``, where ``E`` is its cumulative load profile
(0 before the start, its total after the end): exact for any start second, so the energy
of every job is conserved whatever the resolution.

PV: the *forecast* a producer knows at step ``n`` uses the predictions issued up to that
step; for each interval the newest of them that covers the interval's start gives its
energy (PySSMic's "a new prediction replaces the old one from its first time on"). The
*actual* production of interval ``k`` is the forecast known at step ``k`` (the newest
prediction issued by then), i.e. predictions improve during the day and what happens is
the latest word on it. An interval no prediction covers produces nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .model import Prediction, Profile

__all__ = ["interval_energy", "grid_vector", "issue_step", "forecast", "actual_production"]


def interval_energy(profile: Profile, start: int, first: int, count: int, step: int
                    ) -> np.ndarray:
    """Wh of a load started at ``start`` s in intervals ``first .. first + count - 1``."""
    edges = (first + np.arange(count + 1)) * step - start
    times = np.asarray(profile.times, dtype=float)
    cumulative = np.asarray(profile.energy_wh, dtype=float)
    energy = np.interp(edges, times, cumulative, left=cumulative[0], right=cumulative[-1])
    return np.diff(energy)


def grid_vector(profile: Profile, step: int) -> np.ndarray:
    """Wh per interval of a load started exactly at an interval boundary.

    Element ``i`` is the energy in the ``i``-th interval after the start; a start at
    ``k * step`` shifts it by ``k`` intervals.
    """
    count = -(-profile.times[-1] // step)
    return interval_energy(profile, 0, 0, max(count, 1), step)


def issue_step(prediction: Prediction, step: int) -> int:
    """The step in which a prediction becomes known (and effective): its issue time's."""
    return prediction.issued // step


def _prediction_energy(prediction: Prediction, first: int, count: int, step: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(Wh per interval, covers-the-interval-start mask) of one prediction."""
    profile = prediction.profile
    starts = (first + np.arange(count)) * step
    covered = (starts >= profile.times[0]) & (starts < profile.times[-1])
    edges = (first + np.arange(count + 1)) * step
    energy = np.interp(edges, profile.times, profile.energy_wh)
    return np.diff(energy), covered


def forecast(predictions: Sequence[Prediction], first: int, count: int, step: int
             ) -> np.ndarray:
    """Wh per interval by the newest of ``predictions`` covering each interval's start.

    ``predictions`` are the ones known (issued up to now), in any order.
    """
    out = np.zeros(count)
    for prediction in sorted(predictions, key=lambda p: p.issued):
        energy, covered = _prediction_energy(prediction, first, count, step)
        out[covered] = energy[covered]
    return out


def actual_production(predictions: Sequence[Prediction], count: int, step: int) -> np.ndarray:
    """Wh per interval ``0 .. count - 1`` actually produced (module docstring)."""
    out = np.zeros(count)
    for prediction in sorted(predictions, key=lambda p: p.issued):
        energy, covered = _prediction_energy(prediction, 0, count, step)
        effective = np.arange(count) >= issue_step(prediction, step)
        mask = covered & effective
        out[mask] = energy[mask]
    return out
