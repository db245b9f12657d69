"""Energy per interval: conserved for any start; predictions replace each other in time."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.massca_neighbourhood.energy import (
    actual_production,
    forecast,
    grid_vector,
    interval_energy,
)

from .helpers import flat_load, flat_prediction


@given(start=st.integers(0, 20000), step=st.sampled_from([60, 300, 900, 3600]),
       minutes=st.integers(1, 200))
def test_a_job_uses_its_whole_energy_wherever_it_starts(start, step, minutes):
    profile = flat_load(minutes, 1.7)
    count = (start + profile.duration) // step + 2
    energy = interval_energy(profile, start, 0, count, step)
    assert energy.min() >= 0.0
    assert np.isclose(energy.sum(), profile.energy)
    assert energy[: start // step].sum() == 0.0  # nothing before it starts


def test_a_start_on_a_boundary_shifts_the_grid_vector():
    profile = flat_load(50, 2.0)
    base = grid_vector(profile, 900)
    shifted = interval_energy(profile, 3 * 900, 0, 3 + len(base), 900)
    assert np.allclose(shifted[3:], base) and not shifted[:3].any()


def test_newest_prediction_wins_from_the_step_it_is_issued():
    old = flat_prediction(0, 0, 8 * 3600, 1.0)       # 1 kW all day
    new = flat_prediction(4 * 3600, 4 * 3600, 8 * 3600, 3.0)  # 3 kW from 4 h on
    hourly = actual_production([old, new], 8, 3600)
    assert np.allclose(hourly, [1000] * 4 + [3000] * 4)
    # known at 0 h: the old one only; known at 4 h: both, the new one covers 4-8 h
    assert np.allclose(forecast([old], 0, 8, 3600), [1000] * 8)
    assert np.allclose(forecast([new, old], 0, 8, 3600), [1000] * 4 + [3000] * 4)


def test_a_late_issue_does_not_rewrite_the_past():
    old = flat_prediction(0, 0, 8 * 3600, 1.0)
    revised = flat_prediction(6 * 3600, 0, 8 * 3600, 2.0)  # covers the whole day, issued at 6 h
    assert np.allclose(actual_production([old, revised], 8, 3600), [1000] * 6 + [2000] * 2)
