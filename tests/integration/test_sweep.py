"""The sweep runner: points, shards, resume, failures, merge, MASSCA exports, report."""

import csv
import os
import sys

import pytest

from mosaik_components.massca.sweep import results  # noqa: E402
from mosaik_components.massca.sweep import runner as sweep  # noqa: E402
from tests.conftest import ROOT

SMALL = ["--cells", "1", "--depth", "1", "2", "1", "--attempts", "1", "--until", "1800",
         "--quiet"]


def test_shards_split_the_points_without_overlap():
    cells, depths = sweep.int_range([5, 50, 5], "cells"), sweep.int_range([1, 10, 1], "depth")
    assert len(cells) == 10 and len(depths) == 10
    every = sweep.points(cells, depths, 5, (1, 1))
    assert len(every) == 500
    shards = [set(sweep.points(cells, depths, 5, (k, 3))) for k in (1, 2, 3)]
    assert set.union(*shards) == set(every)
    assert sum(len(s) for s in shards) == 500


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--cells", "5", "1", "1"], "--cells: need 1 <= START <= STOP"),
        (["run", "--depth", "1", "2"], "--depth: give N or START STOP STEP"),
        (["run", "--shard", "3/2"], "shard K/N needs 1 <= K <= N"),
        (["run", "--jobs", "0"], "--jobs: must be an integer >= 1, got 0"),
        (["run", "--until", "60"], "--until: must be at least one step"),
        (["run", "--config", "/nope.json"], "--config: cannot read '/nope.json'"),
    ],
)
def test_bad_sweep_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sweep.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_config_file_errors(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"cells": [1], "colour": "red"}')
    with pytest.raises(SystemExit):
        sweep.main(["run", "--config", str(bad)])
    assert "unknown key(s) ['colour']" in capsys.readouterr().err


def test_sweep_runs_resumes_and_records_failures(tmp_path):
    out = tmp_path / "sweep"
    # a finished point from an earlier (interrupted) sweep is skipped on restart
    results.append_rows(out / "runs.csv", results.RUN_FIELDS, [
        {"cells_count": 1, "hierarchy_depth": 1, "attempt": 0, "seed": 13, "status": "ok",
         "error": "", "sim_time": 1.0, "agents": 26, "agent_time_per_step": 0.001}])
    assert sweep.main(["run", *SMALL, "--out", str(out)]) == 0
    runs = results.read_rows(out / "runs.csv")
    assert [results.key_of(r) for r in runs] == [(1, 1, 0), (1, 2, 0)]
    assert runs[1]["status"] == "ok" and float(runs[1]["sim_time"]) > 0
    steps = results.read_rows(out / "steps.csv")
    assert len(steps) == 2 and {s["hierarchy_depth"] for s in steps} == {"2"}
    with (out / "scalability_time.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header[:4] == ["step", "cells_count", "hierarchy_depth", "agents_time"]
    # a failing point is recorded with its error and does not stop the sweep
    failing = tmp_path / "failing"
    code = sweep.main(["run", *SMALL, "--strategy", "nope", "--out", str(failing)])
    assert code == 1
    rows = results.read_rows(failing / "runs.csv")
    assert len(rows) == 2 and all(r["status"] == "failed" for r in rows)
    assert "strategy" in rows[0]["error"]


def test_appends_leave_only_complete_lines(tmp_path):
    path = tmp_path / "runs.csv"
    results.append_rows(path, ["a", "b"], [{"a": 1, "b": 2}])
    with path.open("a") as handle:  # a writer killed mid-line
        handle.write("3,")
    results.append_rows(path, ["a", "b"], [{"a": 5, "b": 6}])
    rows = results.read_rows(path)
    assert {"a": "1", "b": "2"} in rows and {"a": "5", "b": "6"} not in rows[:1]
    assert all(None not in r.values() for r in rows)
    assert os.path.getsize(path) > 0


def test_merge_joins_shards_and_drops_duplicate_steps(tmp_path):
    for k, depth in ((1, 1), (2, 2)):
        shard = tmp_path / f"shard-{k}"
        row = {"cells_count": 1, "hierarchy_depth": depth, "attempt": 0, "seed": 13,
               "status": "ok", "error": "", "sim_time": depth, "agents": 25 + depth,
               "agent_time_per_step": 0.001 * depth}
        step = {"step": 0, "cells_count": 1, "hierarchy_depth": depth, "attempt": 0,
                "agents_time": 0.001}
        results.append_rows(shard / "steps.csv", results.STEP_FIELDS, [step, step])
        results.append_rows(shard / "runs.csv", results.RUN_FIELDS, [row])
    assert sweep.main(["merge", str(tmp_path / "shard-1"), str(tmp_path / "shard-2"),
                       "--out", str(tmp_path / "all")]) == 0
    assert len(results.read_rows(tmp_path / "all" / "steps.csv")) == 2
    assert sweep.main(["report", "--out", str(tmp_path / "all")]) == 0
    for name in ("sim_time_vs_cells.png", "agent_time_vs_agents.png", "growth_loglog.png",
                 "simulation_time.csv", "growth.json"):
        assert (tmp_path / "all" / name).exists()


def test_growth_exponent():
    assert results.growth_exponent([(10, 1.0), (100, 10.0), (1000, 100.0)]) == pytest.approx(1)
    assert results.growth_exponent([(10, 1.0), (100, 100.0)]) == pytest.approx(2)


def test_interrupted_sweep_records_nothing_for_the_killed_run_and_resumes(tmp_path):
    """SIGINT to the sweep and its run (as Ctrl-C does): the run is not recorded."""
    import signal
    import subprocess
    import time

    out = tmp_path / "sweep"
    command = [sys.executable, str(ROOT / "scalability" / "sweep.py"), "run", *SMALL,
               "--until", "86400", "--out", str(out)]
    process = subprocess.Popen(command, start_new_session=True)
    time.sleep(4)  # the first run has started
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 130
    assert results.read_rows(out / "runs.csv") == []
    # --retry-failed runs failed points again; finished ones are skipped in any case
    results.append_rows(out / "runs.csv", results.RUN_FIELDS, [
        {"cells_count": 1, "hierarchy_depth": 1, "attempt": 0, "seed": 13,
         "status": "failed", "error": "earlier"}])
    assert results.finished(out) == {(1, 1, 0)}
    assert results.finished(out, include_failed=False) == set()
