"""The tidy time series: one type per column, the same in CSV, Parquet and HDF5."""

import math

import h5py
import numpy as np
import pandas as pd
import pytest

from mosaik_components.massca_results import timeseries
from mosaik_components.massca_results.timeseries import (
    read_timeseries,
    require_engine,
    tidy_frame,
    timeseries_path,
    typed_value,
    write_csv,
    write_timeseries,
)

START = pd.Timestamp("2019-06-21T00:00:00-05:00")


def sample() -> pd.DataFrame:
    rows = [[t, entity, attr, typed_value(value, "test")]
            for t in (0, 900, 1800)
            for entity, attr, value in (("MAS-0.MosaikAgent", "converged", t != 900),
                                        ("MAS-0.MosaikAgent", "messages", 12),
                                        ("Grid-0.Bus-1", "Vm[pu]", 1.0 + t / 1e5),
                                        ("PV-0.PV_0", "P[MW]", None if t == 0 else 0.5))]
    return tidy_frame(rows, START)


def test_values_are_typed_when_recorded():
    assert typed_value(True, "x") == 1.0 and typed_value(False, "x") == 0.0
    assert typed_value(np.int64(3), "x") == 3.0 and typed_value(np.bool_(True), "x") == 1.0
    assert math.isnan(typed_value(None, "x"))
    with pytest.raises(TypeError, match="recorder input 'a' from 'b': the recorder keeps "
                                        "numbers and booleans, got 'on'"):
        typed_value("on", "recorder input 'a' from 'b'")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "hdf5"])
def test_every_format_reads_back_the_same_typed_table(tmp_path, fmt):
    frame = sample()
    path = write_timeseries(frame, timeseries_path(tmp_path, fmt), fmt)
    back = read_timeseries(path)
    assert list(back.columns) == ["time", "datetime", "entity", "attr", "value"]
    assert back["time"].dtype == np.int64 and back["value"].dtype == np.float64
    offsets = back["datetime"].map(lambda stamp: stamp.utcoffset()).unique()
    assert offsets.tolist() == [pd.Timedelta(hours=-5)]
    expected = frame if fmt != "hdf5" else frame.dropna(subset=["value"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_index_type=False)
    converged = back[back["attr"] == "converged"]["value"].tolist()
    assert converged == [1.0, 0.0, 1.0]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize("start", [START, pd.Timestamp("2016-05-29", tz="Europe/Berlin"),
                                   pd.Timestamp("2016-05-29 00:00:00.25")])
def test_csv_is_byte_for_byte_what_pandas_writes(tmp_path, start):
    """Timestamps are formatted once per distinct value, with pandas' own text."""
    rows = [[t, f"Sim-0.E_{e}", "P[MW]", 0.1 * e] for t in (0, 900, 3600, 86400)
            for e in range(3)]
    frame = tidy_frame(rows, start)
    path = write_timeseries(frame, timeseries_path(tmp_path, "csv"), "csv")
    assert path.read_text() == frame.to_csv(index=False)


def awkward_frame() -> pd.DataFrame:
    """Strings that need quoting, every kind of float pandas writes specially, ints."""
    values = [np.nan, np.inf, -np.inf, -0.0, 1e-5, 1e-4, 1e16, 123.0, 0.1 + 0.2, 5e-324,
              -1.7976931348623157e308, 2.5]
    names = ['plain', 'with,comma', 'with "quote"', 'line\nbreak', 'cr\rhere', '', ' pad ']
    return pd.DataFrame({
        "time": np.arange(len(values), dtype="int64") * 900 - 1800,
        "datetime": pd.date_range("2019-03-31", periods=len(values), freq="15min",
                                  tz="Europe/Berlin"),
        "entity": [names[i % len(names)] for i in range(len(values))],
        "attr": [names[(i + 3) % len(names)] for i in range(len(values))],
        "value": values})


@pytest.mark.parametrize("chunk", [5, 65_536])  # several chunks, one chunk
def test_csv_writer_writes_what_pandas_writes_for_awkward_values(tmp_path, monkeypatch,
                                                                  chunk):
    monkeypatch.setattr(timeseries, "CSV_CHUNK", chunk)
    frame = awkward_frame()
    write_csv(frame, tmp_path / "ours.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("column, value", [("datetime", pd.NaT), ("entity", None)])
def test_csv_writer_leaves_missing_labels_to_pandas(tmp_path, column, value):
    frame = awkward_frame()
    frame.loc[3, column] = value
    write_csv(frame, tmp_path / "ours.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_hdf5_layout_is_mosaik_hdf5s(tmp_path):
    path = write_timeseries(sample(), tmp_path / "timeseries.h5", "hdf5")
    with h5py.File(path, "r") as store:
        assert store["time"][()].tolist() == [0, 900, 1800]
        assert sorted(store["Series"]) == ["Grid-0.Bus-1", "MAS-0.MosaikAgent", "PV-0.PV_0"]
        vm = store["Series/Grid-0.Bus-1/Vm[pu]"][()]
        assert vm.tolist() == pytest.approx([1.0, 1.009, 1.018])
        assert math.isnan(store["Series/PV-0.PV_0/P[MW]"][0])
        assert store.attrs["start"] == START.isoformat()


def test_unknown_format_and_missing_engine_are_named():
    with pytest.raises(ValueError, match="format must be one of"):
        require_engine("xlsx")
    with pytest.raises(ValueError, match="unknown time-series format 'txt'"):
        read_timeseries("x.txt")


def test_a_data_file_is_parsed_once_per_content_version(tmp_path):
    import os

    from mosaik_components.massca_units.timeseries import read_table

    path = tmp_path / "wide.csv"
    path.write_text("time,a,b\n2019-01-01 00:00,1,2\n2019-01-01 00:15,3,4\n")
    first = read_table(path)
    assert read_table(path) is first  # the next entity of the same file: no new parse
    path.write_text("time,a,b\n2019-01-01 00:00,5,6\n2019-01-01 00:15,7,8\n")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))  # a later version
    frame, _, _ = read_table(path)
    assert frame is not first[0] and frame["a"].tolist() == ["5", "7"]
