"""The main scenario on SimBench data: per-element profiles, surplus and deficit, cells
that differ, and its command-line checks."""

import json

import pandas as pd
import pytest

from mosaik_components.massca.scenarios import cells

# the default day's afternoon and evening: surplus until ~18:30, deficit after (measured)
ARGS = ["--data", "simbench", "--cells", "2", "--start", "2016-05-29 14:00", "--until",
        "28800", "--quiet", "--no-plots"]


@pytest.fixture(scope="module")
def uncontrolled(tmp_path_factory):
    out = tmp_path_factory.mktemp("simbench")
    summary = cells.run(cells.parse_args([*ARGS, "--no-mas", "--out", str(out)]))
    return summary, pd.read_csv(out / "timeseries.csv"), json.loads(
        (out / "entities.json").read_text()), out


def test_simbench_cells_have_surplus_and_deficit_and_differ(uncontrolled):
    summary, frame, entities, out = uncontrolled
    ext = frame[(frame["entity"] == entities["external_grid"]) & (frame["attr"] == "P[MW]")]
    assert (ext["value"] > 0).any() and (ext["value"] < 0).any()  # import and export hours
    assert summary["kpis"]["export_MWh"] > 1.0 and summary["kpis"]["import_MWh"] > 0.1
    units = entities["units"]
    power = frame[frame["attr"] == "P[MW]"].assign(
        cell=lambda f: f["entity"].map(lambda e: units.get(e, {}).get("cell")))
    per_cell = power.dropna(subset=["cell"]).groupby(["cell", "time"])["value"].sum()
    assert not per_cell.loc[0].reset_index(drop=True).equals(
        per_cell.loc[1].reset_index(drop=True))  # not clones
    kinds = {meta["kind"] for meta in units.values()}
    # the default grid_aware strategy plans the loads: shiftable or curtailable
    assert {"pv", "battery"} <= kinds and kinds & {"shiftable", "curtailable"}
    # the generators follow their SimBench profiles (uncontrolled: all of it)
    profiles = pd.read_csv(out / "simbench_profiles.csv", index_col="time")
    assert (profiles.filter(like="sgen_") >= 0).all().all()


def test_transformer_loadings_are_recorded_apart_from_the_lines(uncontrolled):
    summary, frame, _, _ = uncontrolled
    loading = frame[frame["attr"] == "loading[%]"]
    trafos = loading[loading["entity"].str.contains("Transformer-")]
    assert trafos["entity"].nunique() >= 2 and trafos["value"].max() > 1.0
    assert summary["max_trafo_loading_pct"] == pytest.approx(trafos["value"].max())
    lines = loading[loading["entity"].str.contains("Line-")]
    assert summary["max_line_loading_pct"] == pytest.approx(lines["value"].max())


def test_generators_produce_their_profile_when_uncontrolled(uncontrolled):
    summary, frame, entities, _ = uncontrolled
    generators = frame[frame["entity"].str.contains("Generator")]
    available = generators[generators["attr"] == "P_max[MW]"].groupby("time")["value"].sum()
    produced = generators[generators["attr"] == "P[MW]"].groupby("time")["value"].sum()
    assert available.max() > 1.0
    assert produced.to_numpy() == pytest.approx(available.loc[produced.index].to_numpy(),
                                                abs=1e-9)
    assert summary["kpis"]["curtailed_MWh"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("argv, message", [
    (["--data", "simbench", "--start", "2019-06-21"], "outside SimBench's profiles"),
    (["--data", "simbench", "--start", "2016-05-29 00:07"], "not on SimBench's 15 min grid"),
    (["--data", "simbench", "--start", "2016-12-31", "--strategy", "lookahead"],
     "24 h horizon"),
])
def test_simbench_spans_are_checked_up_front(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cells.parse_args([*argv, "--out", str(tmp_path / "out")])
    assert stopped.value.code == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_mosaik_pv_is_for_cigre_only(capsys):
    with pytest.raises(SystemExit) as stopped:
        cells.parse_args(["--data", "simbench", "--pv", "mosaik-pv"])
    assert stopped.value.code == 2
    assert "--data cigre only" in capsys.readouterr().err


# the default day's morning and noon: PV surplus lifts cell 0's feeder end above 1.05 pu
MORNING = ["--data", "simbench", "--cells", "2", "--start", "2016-05-29 08:00", "--until",
           "28800", "--strategy", "lookahead", "--quiet", "--no-plots"]


def morning(out, *extra):
    summary = cells.run(cells.parse_args([*MORNING, *extra, "--out", str(out)]))
    return summary, pd.read_csv(out / "timeseries.csv")


def test_grid_aware_cells_keep_the_voltage_band_uncontrolled_units_break(tmp_path):
    free, _ = morning(tmp_path / "uncontrolled", "--no-mas")
    aware, frame = morning(tmp_path / "grid_aware", "--strategy", "grid_aware")
    assert free["voltage_violation_steps"] > 0 and free["max_voltage_pu"] > 1.05 + 1e-4
    assert aware["voltage_violation_steps"] == aware["loading_violation_steps"] == 0
    assert aware["max_voltage_pu"] <= aware["limits"]["v_max_pu"] + aware["limits"][
        "tolerance_pu"]
    assert aware["kpis"]["curtailed_MWh"] > 0  # by curtailing the generators' surplus
    converged = frame[frame["attr"] == "converged"]["value"]
    assert len(converged) == 32 and (converged == 1).all()  # every step settled
