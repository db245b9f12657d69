"""massca compare on run folders written here: KPIs side by side, groups, spread, plots."""

import json
import statistics

import pandas as pd
import pytest

from mosaik_components.massca import compare as cmp
from mosaik_components.massca.runs import RunFolder
from mosaik_components.massca_results.timeseries import tidy_frame, write_timeseries

EXT, CORE = "Grid-0.ExternalGrid-0", "MAS-0.MosaikAgent"
START = pd.Timestamp("2019-06-21T00:00:00-05:00")


def make_run(root, name, seed, cells, exchange, kind="cells", status="complete"):
    run = RunFolder.create(kind, root=root, name=name)
    run.start({"cells": cells, "seed": seed, "strategy": "balance", "out": str(run.path)},
              {"seed": seed})
    rows = [[900 * i, EXT, "P[MW]", p] for i, p in enumerate(exchange)]
    rows += [[900 * i, CORE, "P_uncontrolled[MW]", 5.0] for i in range(len(exchange))]
    write_timeseries(tidy_frame(rows, START), run.path / "timeseries.csv", "csv")
    (run.path / "entities.json").write_text(json.dumps(
        {"units": {}, "external_grid": EXT, "core": CORE, "cell_controllers": {}}))
    summary = {"status": status, "steps": len(exchange),
               "exchange_abs_MWh": sum(abs(p) for p in exchange) / 4,
               "import_MWh": sum(max(p, 0) for p in exchange) / 4}
    (run.path / "summary.json").write_text(json.dumps(summary))
    run.finish(status, {"wall_s": 1.0})
    return summary


@pytest.fixture
def runs(tmp_path):
    summaries = {
        "s1": make_run(tmp_path, "s1", 1, 3, [1.0, 2.0, 3.0]),
        "s2": make_run(tmp_path, "s2", 2, 3, [2.0, 2.0, 1.0]),
        "s3": make_run(tmp_path, "s3", 3, 3, [0.5, 4.0, 1.0]),
        "big": make_run(tmp_path, "big", 1, 5, [4.0, -1.0, 2.0]),
    }
    return tmp_path, summaries


def test_kpis_side_by_side_and_spread_over_seeds(runs, tmp_path):
    root, summaries = runs
    result = cmp.compare(["s1", "s2", "s3", "big"], root, tmp_path / "out")
    assert list(result.kpis.columns) == ["s1", "s2", "s3", "big"]
    assert result.kpis.loc["|exchange| [MWh]"].tolist() == [
        summaries[n]["exchange_abs_MWh"] for n in ("s1", "s2", "s3", "big")]
    # s1..s3 differ only in their seed: one configuration; big is another (alone)
    groups = cmp.config_groups(result.kind, result.runs)
    assert [[r.name for r in g] for g in groups] == [["s1", "s2", "s3"], ["big"]]
    row = result.spread.set_index("kpi").loc["|exchange| [MWh]"]
    values = [summaries[n]["exchange_abs_MWh"] for n in ("s1", "s2", "s3")]
    assert row["n"] == 3 and row["configuration"] == "s1 +2"
    assert row["mean"] == pytest.approx(statistics.mean(values))
    assert row["std"] == pytest.approx(statistics.stdev(values))
    assert (row["min"], row["max"]) == (min(values), max(values))
    names = sorted(p.name for p in result.files)
    assert names == ["kpis.csv", "kpis.md", "overlay_exchange.png",
                     "overlay_exchange_uncontrolled.png", "spread.csv", "spread.md",
                     "spread_exchange.png", "spread_exchange_uncontrolled.png"]
    assert pd.read_csv(tmp_path / "out" / "kpis.csv", index_col="kpi").loc[
        "import [MWh]", "big"] == summaries["big"]["import_MWh"]
    assert "| |exchange| [MWh] |" not in (tmp_path / "out" / "kpis.md").read_text()
    assert "\\|exchange\\| [MWh]" in (tmp_path / "out" / "kpis.md").read_text()


def test_series_are_on_the_runs_clock(runs):
    root, _ = runs
    series = cmp.run_kind("cells").series(root / "s2")
    exchange = series["exchange"]
    assert exchange.tolist() == [2.0, 2.0, 1.0]
    assert exchange.index[1] == START + pd.Timedelta(minutes=15)


def test_bad_comparisons_are_errors(runs, capsys):
    root, _ = runs
    make_run(root, "other", 1, 3, [1.0], kind="neighbourhood")
    with pytest.raises(ValueError, match="runs of different kinds cannot be compared"):
        cmp.load_runs(["s1", "other"], root)
    with pytest.raises(ValueError, match="a run is named twice"):
        cmp.load_runs(["s1", "s1"], root)
    assert cmp.main(["s1", "nope", "--root", str(root)]) == 1
    assert "error: no run 'nope'" in capsys.readouterr().err
    (root / "s3" / "summary.json").unlink()
    with pytest.raises(ValueError, match="run 's3' has no summary.json"):
        cmp.load_runs(["s3"], root)


def test_cli_prints_the_table(runs, tmp_path, capsys):
    root, summaries = runs
    assert cmp.main(["s1", "s2", "--root", str(root), "--out", str(tmp_path / "o"),
                     "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "|exchange| [MWh]" in out and f"{summaries['s1']['exchange_abs_MWh']:.4g}" in out
    assert "s1 +1" in out  # the spread of the two seeds
