"""Weather and load profiles read mosaik-csv's file format, as mosaik-csv itself reads it.

The files are written in mosaik-csv's format (model-name line, ``Date`` header,
``YYYY-MM-DD HH:mm:ss``) from the shipped data; a mosaik world runs mosaik-csv's own
simulator (PyPI ``mosaik-csv``) beside ours on the same file and records both.
"""

from __future__ import annotations

from pathlib import Path

import mosaik
import pandas as pd
import pytest

from mosaik_components.massca.data import data_dir
from mosaik_components.massca_results.recorder import records_frame
from mosaik_components.massca_units.timeseries import (
    ProfileSimulator,
    WeatherSimulator,
    load_table,
)

START = "2019-06-21 06:00:00"
STEPS = 8


def mosaik_csv_file(path: Path, model: str, columns: dict[str, str], source: str) -> Path:
    """Rows from ``START`` of a shipped CSV, renamed ``columns`` (ours -> theirs)."""
    frame = pd.read_csv(data_dir() / source, index_col="time", parse_dates=["time"])
    frame = frame.loc[START:].iloc[:STEPS * 2, :][list(columns)].rename(columns=columns)
    frame.index = frame.index.strftime("%Y-%m-%d %H:%M:%S")
    frame.index.name = "Date"
    path.write_text(f"{model}\n" + frame.to_csv(), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    weather = mosaik_csv_file(tmp_path / "weather.csv", "Weather",
                              {"dni": "DNI[W/m2]", "temp_air": "T_air[degC]"},
                              "weather_15min.csv")
    profile = mosaik_csv_file(tmp_path / "house.csv", "House", {"h0": "P_pu"},
                              "load_profiles_15min.csv")
    return weather, profile


def test_ours_and_mosaik_csv_publish_the_same_values(files, tmp_path):
    # GIVEN one weather and one profile file in mosaik-csv's format
    weather_file, profile_file = files
    config = {
        "Weather": {"python": "mosaik_components.massca_units.timeseries:WeatherSimulator"},
        "Profiles": {"python": "mosaik_components.massca_units.timeseries:ProfileSimulator"},
        "CSV": {"python": "mosaik_csv:CSV"},
        "Recorder": {"python": "mosaik_components.massca_results.recorder:TidyRecorder"},
    }
    with mosaik.World(config, debug=False) as world:
        # WHEN our sources and mosaik-csv's simulator read them, side by side
        ours = world.start("Weather", step_size=900).Weather(path=str(weather_file),
                                                             start=START)
        profile = world.start("Profiles", step_size=900).LoadProfile(
            path=str(profile_file), start=START, column="P_pu")
        theirs = world.start("CSV", sim_start=START, datafile=str(weather_file)).Weather()
        their_profile = world.start("CSV", sim_start=START,
                                    datafile=str(profile_file)).House()
        recorder_sim = world.start("Recorder", step_size=900, out=str(tmp_path))
        recorder = recorder_sim.Recorder()
        for source in (ours, theirs):
            world.connect(source, recorder, "DNI[W/m2]", "T_air[degC]")
        for source in (profile, their_profile):
            world.connect(source, recorder, "P_pu")
        world.run(until=STEPS * 900, print_progress=False, shutdown=False)
        frame = records_frame(recorder_sim.get_records())
    # THEN every step's values agree, and they are the file's rows (not all zero)
    table = frame.pivot_table(index=["time", "attr"], columns="entity", values="value")
    assert len(table) == STEPS * 3
    ours_cols = [c for c in table.columns if not c.startswith("CSV")]
    theirs_cols = [c for c in table.columns if c.startswith("CSV")]
    for attr in ("DNI[W/m2]", "T_air[degC]", "P_pu"):
        rows = table.xs(attr, level="attr")
        mine = rows[ours_cols].bfill(axis=1).iloc[:, 0]
        other = rows[theirs_cols].bfill(axis=1).iloc[:, 0]
        assert mine.tolist() == pytest.approx(other.tolist(), abs=1e-12), attr
        assert mine.abs().max() > 0, attr
    source = pd.read_csv(data_dir() / "weather_15min.csv", index_col="time",
                         parse_dates=["time"]).loc[START:].iloc[:STEPS]
    assert table.xs("DNI[W/m2]", level="attr")[ours_cols].max(axis=1).tolist() == \
        pytest.approx(source["dni"].tolist())


def test_a_weather_attribute_the_file_lacks_is_an_error_naming_the_file(files):
    weather_file, _ = files
    sim = WeatherSimulator()
    sim.init("Weather-0", step_size=900)
    sim.create(1, "Weather", path=str(weather_file), start=START)
    sim.step(0, {}, 900)
    assert sim.get_data({"Weather_0": ["DNI[W/m2]"]})["Weather_0"]["DNI[W/m2]"] >= 0
    with pytest.raises(ValueError, match=r"no output attribute 'GHI\[W/m2\]' \(data file "
                                         r".*weather.csv gives \['DNI\[W/m2\]', 'T_air"):
        sim.get_data({"Weather_0": ["GHI[W/m2]"]})


@pytest.mark.parametrize(("text", "message"), [
    ("House\nDate,P_pu\n2019-06-21 00:00:00,0.5\n21.06.2019 00:15,0.5\n",
     r"house.csv, line 4: Date '21.06.2019 00:15' is not YYYY-MM-DD HH:mm:ss \(mosaik-csv\)"),
    ("House\nDate,P_pu\n2019-06-21 00:00:00,0.5\n2019-06-21 00:15:00,lots\n",
     r"house.csv, line 4: column 'P_pu' at 2019-06-21 00:15:00 is not a finite number "
     r"\('lots'\)"),
    ("When,P_pu\n2019-06-21 00:00:00,0.5\n",
     r"house.csv, line 1: the first column must be 'time' \(massca\) or 'Date' "
     r"\(mosaik-csv\), got \['When'\]"),
    ("House\nDate,P[MW]\n2019-06-21 00:00:00,0.5\n2019-06-21 00:15:00,0.5\n",
     r"house.csv: missing column\(s\) \['P_pu'\]; has \['P\[MW\]'\]"),
])
def test_a_bad_mosaik_csv_file_is_an_error_naming_file_line_and_value(tmp_path, text,
                                                                      message):
    path = tmp_path / "house.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_table(path, ["P_pu"])
    sim = ProfileSimulator()
    sim.init("Profiles-0", step_size=900)
    with pytest.raises(ValueError, match=message.split(",")[0].split(":")[0]):
        sim.create(1, "LoadProfile", path=str(path), start="2019-06-21 00:00", column="P_pu")


def test_a_mosaik_csv_file_without_the_model_line_and_with_comments_reads(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("Date,P_pu # per unit of peak\n2019-06-21 00:00:00,0.25\n"
                    "2019-06-21 00:15:00,0.5\n", encoding="utf-8")
    frame = load_table(path, ["P_pu"])
    assert frame["P_pu"].tolist() == [0.25, 0.5]
    assert frame.index[1] == pd.Timestamp("2019-06-21 00:15")
