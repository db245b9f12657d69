"""The cells scenario end to end with real pandapower: physics and bounds per step.

    core -> cell(1) -> units of cell 0 ; core -> cell(1) -> units of cell 1
"""

import json
import re

import pandas as pd
import pytest

from mosaik_components.massca.scenarios import cells  # noqa: E402
from mosaik_components.massca_results.summary import wide

ARGS = ["--data", "cigre", "--strategy", "balance", "--cells", "2", "--start", "2019-06-21 08:00",
        "--until", "10800", "--quiet"]


@pytest.fixture(scope="module")
def run_with_mas(tmp_path_factory):
    out = tmp_path_factory.mktemp("cells")
    args = cells.parse_args([*ARGS, "--out", str(out)])
    summary = cells.run(args)
    frame = pd.read_csv(out / "timeseries.csv")
    return out, summary, frame


def unit_columns(frame, attr):
    """Units are the entities that publish a band."""
    return wide(frame, attr)[wide(frame, "P_min[MW]").columns]


def test_results_files_and_summary(run_with_mas):
    out, summary, frame = run_with_mas
    assert json.loads((out / "summary.json").read_text())["steps"] == 12
    for name in ("exchange.png", "cell_balances.png", "grid_envelopes.png"):
        assert (out / name).stat().st_size > 10_000
    assert set(frame.columns) == {"time", "datetime", "entity", "attr", "value"}
    assert summary["converged_all"]


def test_power_balance_per_step(run_with_mas):
    """generation - load - storage charging + import = losses (small, positive)."""
    _, _, frame = run_with_mas
    units = unit_columns(frame, "P[MW]").sum(axis=1)
    ext = wide(frame, "P[MW]")["Grid-0.ExternalGrid-0"]
    losses = units + ext
    load = -unit_columns(frame, "P[MW]").clip(upper=0).sum(axis=1)
    assert (losses > 0).all()
    assert (losses < 0.03 * load).all()


def test_units_stay_within_their_bounds(run_with_mas):
    _, _, frame = run_with_mas
    p, lo, hi = (unit_columns(frame, a) for a in ("P[MW]", "P_min[MW]", "P_max[MW]"))
    assert ((p >= lo - 1e-9) & (p <= hi + 1e-9)).all().all()
    # every unit follows its agent's setpoint (P_set = P + limited)
    assert (unit_columns(frame, "limited[MW]").abs() < 1e-9).all().all()


def test_exchange_not_worse_than_without_agents(run_with_mas, tmp_path):
    _, summary, frame = run_with_mas
    ext = wide(frame, "P[MW]")["Grid-0.ExternalGrid-0"]
    first = wide(frame, "P_uncontrolled[MW]")["MAS-0.MosaikAgent"]
    assert (ext.abs() <= first.abs() + 1e-6).all()
    assert summary["exchange_abs_MWh"] < summary["exchange_abs_MWh_uncontrolled"]
    # the first iteration is the uncontrolled system: a run without agents agrees
    baseline = cells.run(cells.parse_args([*ARGS, "--no-mas", "--no-plots",
                                           "--out", str(tmp_path)]))
    assert baseline["import_MWh"] == pytest.approx(summary["import_MWh_uncontrolled"],
                                                   rel=1e-3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cells", "-1"], "argument --cells: must be >= 1, got -1"),
        (["--depth", "0"], "argument --depth: must be >= 1, got 0"),
        (["--until", "600", "--step", "900"], "argument --until: 600 s is shorter than"),
        (["--step", "1000"], "argument --step: the data is at 15 min"),
        (["--flex", "2"], r"argument --flex: must be within \[0, 1\]"),
        (["--der-scale", "-1"], "argument --der-scale: must be >= 0, got -1.0"),
        (["--pv", "solar"], "argument --pv: invalid choice: 'solar'"),
        (["--start", "yesterday-ish"], "argument --start: not a timestamp"),
        (["--days", "1", "--until", "900"], "not allowed with argument"),
    ],
)
def test_bad_command_lines(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cells.parse_args(argv)
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_cell_aggregates_are_recorded(run_with_mas):
    _, _, frame = run_with_mas
    cells_p = wide(frame, "P[MW]")[["MAS-0.Agent_1", "MAS-0.Agent_2"]]
    cells_set = wide(frame, "P_set[MW]")[["MAS-0.Agent_1", "MAS-0.Agent_2"]]
    units = unit_columns(frame, "P[MW]").sum(axis=1)
    # the cells' aggregates are what the units run at, and what the cells were told
    assert cells_p.sum(axis=1).to_numpy() == pytest.approx(units.to_numpy(), abs=1e-6)
    assert cells_set.sum(axis=1).to_numpy() == pytest.approx(units.to_numpy(), abs=1e-6)


def test_mosaik_pv_variant_runs(tmp_path):
    summary = cells.run(cells.parse_args(["--data", "cigre", "--strategy", "balance",
                                          "--cells", "1",
                                          "--start", "2019-06-21 10:00",
                                          "--until", "3600", "--quiet", "--no-plots",
                                          "--pv", "mosaik-pv", "--out", str(tmp_path)]))
    frame = pd.read_csv(tmp_path / "timeseries.csv")
    pv = wide(frame, "P[MW]")[[c for c in wide(frame, "P[MW]").columns
                               if c.startswith("MosaikPV")]]
    assert len(pv.columns) == 8 and (pv.to_numpy() > 0).all()  # daylight output
    assert summary["exchange_abs_MWh"] <= summary["exchange_abs_MWh_uncontrolled"] + 1e-9


def test_parquet_results(tmp_path):
    cells.run(cells.parse_args(["--data", "cigre", "--strategy", "balance", "--cells", "1",
                                "--until", "1800", "--quiet",
                                "--no-plots",
                                "--format", "parquet", "--out", str(tmp_path)]))
    frame = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert set(frame.columns) == {"time", "datetime", "entity", "attr", "value"}
    assert sorted(frame["time"].unique()) == [0, 900]


def test_run_folder_states_provenance_typed_config_and_status(run_with_mas):
    """The issue's complaints: string configuration, object value column, no version."""
    out, summary, frame = run_with_mas
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == summary["status"] == "complete" and record["kind"] == "cells"
    assert record["config"]["cells"] == 2 and record["config"]["days"] is None
    assert record["config"]["flex"] == 0.2 and record["config"]["no_mas"] is False
    assert record["provenance"]["massca"] and record["provenance"]["packages"]["mosaik"]
    assert summary["steps"] == summary["steps_planned"] == 12
    assert summary["config"]["until"] == 10800
    # the files listed are exactly those in the folder (the summary lists itself too)
    assert set(summary["files"]) == {p.name for p in out.iterdir()} - {"run.json"}
    assert set(record["files"]) == {p.name for p in out.iterdir()}
    assert frame["value"].dtype == "float64"
    assert set(wide(frame, "converged").iloc[:, 0]) == {1.0}
    assert frame["datetime"].iloc[0] == "2019-06-21 08:00:00-05:00"
