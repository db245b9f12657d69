"""Local stand-ins for MASSCA's external data (PVGIS answer, load zip), read as MASSCA does."""

from __future__ import annotations

import datetime
import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from mosaik_components.massca.massca_data import (
    PVGIS_REQUEST,
    load_table,
    pvgis_answer,
    pvgis_cache_key,
    write_load_zip,
    write_massca_data,
)


@pytest.fixture(scope="module")
def answer():
    return pvgis_answer()


def test_the_cache_key_is_massca_s_md5_of_its_sorted_request_arguments():
    # written out by hand from MASSCA's PVGIS.get_radiation_data: sorted "name:value" pairs
    text = ("azimuth:0, database:PVGIS-SARAH, datatype:hourly, datayear:2016, kwargs:{}, "
            "lat:52.373, lon:9.738, optimal_angle:False, optimal_both:True, pvtech:CIS, "
            "slope:0, system_loss:14")
    assert pvgis_cache_key() == hashlib.md5(text.encode()).hexdigest()
    assert pvgis_cache_key({**PVGIS_REQUEST, "lat": 50.0}) != pvgis_cache_key()


def test_the_pvgis_answer_reads_as_massca_reads_it_and_is_physically_plausible(answer):
    rows = answer["outputs"]["hourly"]
    assert len(rows) == 366 * 24  # 2016 is a leap year
    assert all(re.fullmatch(r"2016\d{4}:\d{2}10", r["time"]) for r in rows)
    # what MASSCA's PV simulator does with it
    series = pd.Series({datetime.datetime.strptime(r["time"], "%Y%m%d:%H%M"): r["P"]
                        for r in rows})
    sun = [r["H_sun"] for r in rows if r["P"] >= 0.1]
    fixed = answer["inputs"]["mounting_system"]["fixed"]
    assert series.index.is_monotonic_increasing and sun and max(sun) <= 90
    assert fixed["slope"]["optimal"] and 0 <= fixed["slope"]["value"] <= 60
    power = np.array([r["P"] for r in rows])
    night = np.array([r["H_sun"] for r in rows]) == 0
    # W per kWp; with the sun below the horizon only twilight (interpolated hourly data)
    assert (power >= 0).all() and power[night].sum() < 0.005 * power.sum()
    # a 1 kWp plant at 36 deg N: peaks below its rating, yields 1000-1800 kWh a year
    assert 500 < power.max() <= 1000
    assert 1000 < power.sum() / 1000 < 1800


def test_the_load_table_has_massca_s_format_and_scaled_bdew_shapes(tmp_path):
    table = load_table(columns=5, days=2, seed=13)
    assert list(table.columns) == ["Time", *[f"FLSim-{i}" for i in range(5)]]
    assert len(table) == 2 * 96
    # MASSCA's flexible-load simulator reads the zip like this
    path = write_load_zip(tmp_path / "syntetic_loads_15min.zip", table)
    read = pd.read_csv(path, compression="zip")
    times = pd.to_datetime(read["Time"], format="mixed", utc=True)
    assert times.iloc[0] == pd.Timestamp("2016-01-01", tz="UTC")
    assert (times.diff().dropna() == pd.Timedelta("15min")).all()
    np.testing.assert_allclose(read.iloc[:, 1:].to_numpy(), table.iloc[:, 1:].to_numpy())
    # even columns follow one profile shape, odd ones the other, each scaled by 1.3 * k
    values = table.iloc[:, 1:].to_numpy()
    for shape in (values[:, [0, 2, 4]], values[:, [1, 3]]):
        ratios = shape / shape[:, :1]
        assert np.allclose(ratios, ratios[0], rtol=1e-3)
    assert (values > 0).all() and values.max() <= 1.3 * 15
    assert load_table(columns=5, days=2, seed=13).equals(table)
    assert not load_table(columns=5, days=2, seed=14).equals(table)


def test_bad_sizes_are_refused_naming_them():
    with pytest.raises(ValueError, match="columns=0"):
        load_table(columns=0)
    with pytest.raises(ValueError, match="days must be at most"):
        load_table(days=400)


def test_write_massca_data_writes_the_zip_and_the_answer(tmp_path, answer):
    written = write_massca_data(tmp_path / "data", columns=3, days=1, answer=answer)
    names = {p.name for p in written}
    assert {"syntetic_loads_15min.zip", "pvgis_answer.json"} <= names
    assert all(p.is_file() for p in written)
