"""The model refuses inconsistent data and names what is wrong."""

from __future__ import annotations

import pytest

from mosaik_components.massca_neighbourhood.model import (
    Consumer,
    House,
    Job,
    LoadProfile,
    Neighbourhood,
    NeighbourhoodError,
    Prediction,
    Producer,
    Profile,
    User,
)

from .helpers import flat_load, flat_prediction


def test_profiles_are_cumulative_and_increasing_in_time():
    with pytest.raises(NeighbourhoodError, match="point 3: cumulative energy must not decrease"):
        Profile((0, 60, 120), (0.0, 5.0, 4.0))
    with pytest.raises(NeighbourhoodError, match="point 2: times must increase"):
        Profile((0, 0), (0.0, 1.0))
    with pytest.raises(NeighbourhoodError, match="must start at '0 0'"):
        LoadProfile((60, 120), (0.0, 1.0))
    with pytest.raises(NeighbourhoodError, match="has no energy"):
        LoadProfile((0, 60), (0.0, 0.0))


def test_jobs_need_a_window_after_their_creation():
    load = flat_load(30, 1.0)
    with pytest.raises(NeighbourhoodError, match="job 1:2:1: latest start 100 s is before "
                                                 "earliest start 200 s"):
        Job("1:2:1", "1", "2", 0, 200, 100, "t", load)
    with pytest.raises(NeighbourhoodError, match="earliest start 50 s is before its creation"):
        Job("1:2:1", "1", "2", 60, 50, 100, "t", load)


def test_neighbourhood_ids_are_unique_and_producers_predict():
    with pytest.raises(NeighbourhoodError, match="producer 9: needs at least one prediction"):
        Producer("9", "pv", "1")
    pv = Producer("9", "pv", "1", (flat_prediction(0, 0, 3600, 1.0),))
    twice = (House("1", (User("1", (pv,)),)), House("2", (User("1", (pv,)),)))
    with pytest.raises(NeighbourhoodError, match="device id '9' appears twice"):
        Neighbourhood("n", twice)


def test_a_job_lives_under_its_own_device():
    job = Job("1:5:1", "1", "5", 0, 0, 900, "t", flat_load(10, 1.0))
    wrong = Consumer("6", "washer", "t", (job,))
    with pytest.raises(NeighbourhoodError, match="listed under house 1 device 6"):
        Neighbourhood("n", (House("1", (User("1", (wrong,)),)),))


def test_announce_order_and_horizon():
    a = Job("1:5:1", "1", "5", 100, 200, 900, "t", flat_load(10, 1.0))
    b = Job("1:5:2", "1", "5", 50, 60, 3000, "t", flat_load(10, 1.0))
    pv = Producer("9", "pv", "1", (Prediction(0, Profile((0, 7200), (0.0, 5.0))),))
    nb = Neighbourhood("n", (House("1", (User("1", (Consumer("5", "w", "t", (a, b)), pv)),)),))
    assert [j.id for j in nb.jobs()] == ["1:5:2", "1:5:1"]
    assert nb.horizon() == max(3000 + 600, 900 + 600, 7200)
