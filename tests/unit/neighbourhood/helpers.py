"""Small hand-made neighbourhood pieces for the unit tests (no randomness unless seeded)."""

from __future__ import annotations

import numpy as np

from mosaik_components.massca_neighbourhood.model import LoadProfile, Prediction, Profile
from mosaik_components.massca_neighbourhood.optimisation import JobSpec, Problem, shiftable

STEP = 900


def flat_load(minutes: int, kw: float) -> LoadProfile:
    """A load of ``kw`` for ``minutes`` minutes, 1-min points."""
    times = tuple(60 * m for m in range(minutes + 1))
    return LoadProfile(times, tuple(kw * 1000.0 / 60.0 * m for m in range(minutes + 1)))


def flat_prediction(issued: int, start: int, end: int, kw: float) -> Prediction:
    """``kw`` from ``start`` to ``end`` s."""
    return Prediction(issued, Profile((start, end), (0.0, kw * 1000.0 * (end - start) / 3600)))


def random_problem(rng: np.random.Generator, jobs: int, max_candidates: int,
                   step: int = STEP) -> Problem:
    """A small random problem: a PV bell, a little fixed load, ``jobs`` shiftable jobs."""
    count = 40
    hours = (np.arange(count) + 0.5) * step / 3600.0
    production = np.clip(np.sin((hours - 1.0) / 8.0 * np.pi), 0.0, None) * rng.uniform(
        500, 2500) * step / 3600.0
    fixed = rng.uniform(0, 60, count) * (rng.random(count) < 0.3)
    specs = []
    for j in range(jobs):
        minutes = int(rng.integers(15, 120))
        kws = rng.uniform(0.2, 3.0, 4)
        times = tuple(60 * m for m in range(minutes + 1))
        energy = np.concatenate(([0.0], np.cumsum([kws[m % 4] * 1000 / 60
                                                   for m in range(minutes)])))
        earliest = int(rng.integers(0, 12)) * step + int(rng.choice([0, 0, 137]))
        latest = earliest + int(rng.integers(0, max_candidates)) * step
        specs.append(JobSpec(f"j{j}", earliest, latest, LoadProfile(times, tuple(energy))))
    shiftables = [shiftable(s, s.earliest, step) for s in specs]
    end = max(s.end for s in shiftables)
    length = max(count, end)
    production = np.concatenate([production, np.zeros(length - count)])
    fixed = np.concatenate([fixed, np.zeros(length - count)])
    return Problem(step, 0, production, fixed, shiftables)
