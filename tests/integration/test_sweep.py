"""The sweep runner: points, shards, validation, resume, failures, executors, kills, merge.

Real runs of the cells scenario (1 cell, half an hour) through both executors: a thread
pool and a Dask ``LocalCluster``; a real SIGKILL and SIGINT of the sweep process.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from mosaik_components.mas.strategies import STRATEGIES
from mosaik_components.massca.sweep import results
from mosaik_components.massca.sweep import runner as sweep
from mosaik_components.massca.sweep.config import int_range
from tests.conftest import ROOT, descendants_running

SMALL = ["--cells", "1", "--depth", "1", "2", "1", "--attempts", "1", "--until", "1800",
         "--quiet"]


def run_row(depth, status="ok", **extra):
    return {"cells_count": 1, "hierarchy_depth": depth, "attempt": 0, "seed": 13,
            "status": status, "error": "" if status == "ok" else "earlier", **extra}


def test_shards_split_the_points_without_overlap():
    cells, depths = int_range([5, 50, 5], "cells"), int_range([1, 10, 1], "depth")
    assert len(cells) == 10 and len(depths) == 10
    every = sweep.points(cells, depths, 5, (1, 1))
    assert len(every) == 500 and len(set(every)) == 500
    shards = [set(sweep.points(cells, depths, 5, (k, 3))) for k in (1, 2, 3)]
    assert set.union(*shards) == set(every)
    assert sum(len(s) for s in shards) == 500


CONFIG_ERRORS = [
    ({"cells": "5"}, "cells: give N or [START, STOP, STEP] as integers, got '5'"),
    ({"shard": "3/2"}, "shard: K/N needs 1 <= K <= N, got '3/2'"),
    ({"out": 5}, "out: must be a folder path (a string), got 5"),
    ({"attempts": 2.0}, "attempts: Input should be a valid integer, got 2.0"),
    ({"timeout": "10"}, "timeout: must be a number of seconds, got '10'"),
    ({"cells": [1], "colour": "red"}, "unknown key(s) ['colour']"),
]


@pytest.mark.parametrize(("content", "message"), CONFIG_ERRORS)
def test_bad_config_values_fail_before_any_run(content, message, tmp_path, capsys):
    config = tmp_path / "sweep.json"
    tiny = {"cells": [1], "depth": [1], "attempts": 1, "until": 900, "timeout": 0.1,
            "out": str(tmp_path / "o")}  # should the check fail to stop it: a short run
    config.write_text(json.dumps({**tiny, **content}))
    assert sweep.main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "o").exists()  # nothing started


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--cells", "5", "1", "1"], "cells: need 1 <= START <= STOP"),
        (["run", "--depth", "1", "2"], "depth: give N or START STOP STEP"),
        (["run", "--shard", "3/2"], "shard: K/N needs 1 <= K <= N, got '3/2'"),
        (["run", "--jobs", "0"], "jobs: Input should be greater than or equal to 1, got 0"),
        (["run", "--until", "60"], "until: Input should be greater than or equal to 900"),
        (["run", "--timeout", "-5"], "timeout: must be finite and > 0 s, got -5.0"),
        (["run", "--timeout", "inf"], "timeout: must be finite and > 0 s, got inf"),
        (["run", "--strategy", "foo"],
         f"strategy: unknown name 'foo'; known: {sorted(STRATEGIES)} or 'package.module:Class'"),
        (["run", "--strategy", "no_such_module:X"], "cannot import 'no_such_module:X'"),
        (["run", "--config", "/nope.json"], "--config: cannot read '/nope.json'"),
        (["run", "--executor", "threads", "--scheduler", "tcp://127.0.0.1:1"],
         "scheduler: 'tcp://127.0.0.1:1' needs the executor 'dask', got executor 'threads'"),
        (["merge", "/no/such/folder", "--out", "/tmp/x"], "'/no/such/folder' has no runs.csv"),
        (["report", "--out", "/no/such/folder"], "'/no/such/folder' has no runs.csv"),
    ],
)
def test_bad_arguments_fail_before_any_run(argv, message, tmp_path, capsys):
    if argv[0] == "run":  # should the check fail to stop it: a short run
        tiny = {"--cells": "1", "--depth": "1", "--attempts": "1", "--until": "900",
                "--timeout": "0.1", "--out": str(tmp_path / "o")}
        for option, value in tiny.items():
            if option not in argv:
                argv = [*argv, option, value]
    assert sweep.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "o").exists()


def test_output_folder_must_be_writable_and_not_in_use(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert sweep.main(["run", *SMALL, "--out", str(blocker / "sub")]) == 1
    assert "error: out: cannot write to" in capsys.readouterr().err
    out = tmp_path / "busy"
    out.mkdir()
    with results.sweep_lock(out):  # another sweep holds the folder
        assert sweep.main(["run", *SMALL, "--out", str(out)]) == 1
    assert f"another sweep (pid {os.getpid()}) is writing to" in capsys.readouterr().err
    assert not (out / "runs.csv").exists()


def test_failures_recorded_then_retried_and_resumed_on_dask(tmp_path, capsys):
    """Timeouts are recorded failures; a rerun skips them (exit 1 while they remain);
    --retry-failed runs them again, here on a Dask LocalCluster; finished points stay."""
    out = tmp_path / "sweep"
    assert sweep.main(["run", *SMALL, "--timeout", "0.5", "--jobs", "2",
                       "--out", str(out)]) == 1
    rows = results.read_rows(out / "runs.csv")
    assert sorted(results.key_of(r) for r in rows) == [(1, 1, 0), (1, 2, 0)]
    assert {r["status"] for r in rows} == {"failed"}
    assert {r["error"] for r in rows} == {"timed out after 0.5 s"}
    assert sweep.main(["run", *SMALL, "--out", str(out)]) == 1  # skipped, still failed
    assert "points with failed runs only: 2" in capsys.readouterr().err
    assert len(results.read_rows(out / "runs.csv")) == 2
    assert sweep.main(["run", *SMALL, "--retry-failed", "--executor", "dask", "--jobs", "2",
                       "--out", str(out)]) == 0
    rows = results.read_rows(out / "runs.csv")
    ok = [r for r in rows if r["status"] == "ok"]
    assert sorted(results.key_of(r) for r in ok) == [(1, 1, 0), (1, 2, 0)]
    assert all(float(r["sim_time"]) > 0 and int(r["agents"]) > 20 for r in ok)
    assert int(ok[0]["agents"]) != int(ok[1]["agents"])  # depth 2 has one more controller
    steps = results.read_rows(out / "steps.csv")
    assert len(steps) == 2 * 2  # two 15-min steps per run
    with (out / "scalability_time.csv").open() as handle:
        exported = list(csv.reader(handle))
    assert exported[0][:4] == ["step", "cells_count", "hierarchy_depth", "agents_time"]
    assert len(exported) == 1 + 4
    simulation = results.read_rows(out / "simulation_time.csv")
    assert sorted((r["hierarchy_depth"], r["sim_time"]) for r in simulation) == sorted(
        (r["hierarchy_depth"], r["sim_time"]) for r in ok)
    assert sweep.main(["run", *SMALL, "--out", str(out)]) == 0  # all done: nothing runs
    assert len(results.read_rows(out / "runs.csv")) == 4


def test_a_torn_last_line_is_dropped_and_repaired_before_the_next_append(tmp_path):
    path = tmp_path / "runs.csv"
    results.append_rows(path, ["a", "b"], [{"a": 1, "b": 2}])
    with path.open("a") as handle:  # a writer killed mid-line
        handle.write("3,")
    assert results.read_rows(path) == [{"a": "1", "b": "2"}]
    results.append_rows(path, ["a", "b"], [{"a": 5, "b": "six\nlines"}])
    assert results.read_rows(path) == [{"a": "1", "b": "2"}, {"a": "5", "b": "six lines"}]
    assert path.read_text() == "a,b\n1,2\n5,six lines\n"
    path.write_text("a,")  # a torn header is rebuilt as well
    results.append_rows(path, ["a", "b"], [{"a": 8, "b": 9}])
    assert path.read_text() == "a,b\n8,9\n"


def test_corrupt_or_foreign_result_files_are_errors_not_skipped_rows(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    with pytest.raises(results.ResultsError, match=r"line 3: 3 fields, expected 2"):
        results.read_rows(path)
    with pytest.raises(results.ResultsError, match=r"has columns \['a', 'b'\]"):
        results.append_rows(path, ["x", "y"], [{"x": 1, "y": 2}])


def test_merge_joins_shards_prefers_ok_rows_and_drops_duplicate_steps(tmp_path):
    for k, depth in ((1, 1), (2, 2)):
        shard = tmp_path / f"shard-{k}"
        step = {"step": 0, "cells_count": 1, "hierarchy_depth": depth, "attempt": 0,
                "agents_time": 0.001}
        results.append_rows(shard / "steps.csv", results.STEP_FIELDS, [step, step])
        results.append_rows(shard / "runs.csv", results.RUN_FIELDS, [
            run_row(depth, sim_time=depth, agents=25 + depth, agent_time_per_step=0.001 * depth)])
    # shard 2 also holds a failed run of depth 1: the ok row of shard 1 wins
    results.append_rows(tmp_path / "shard-2" / "runs.csv", results.RUN_FIELDS,
                        [run_row(1, "failed")])
    assert sweep.main(["merge", str(tmp_path / "shard-1"), str(tmp_path / "shard-2"),
                       "--out", str(tmp_path / "all")]) == 0
    runs = results.read_rows(tmp_path / "all" / "runs.csv")
    assert [(r["hierarchy_depth"], r["status"]) for r in runs] == [("1", "ok"), ("2", "ok")]
    assert len(results.read_rows(tmp_path / "all" / "steps.csv")) == 2
    assert sweep.main(["report", "--out", str(tmp_path / "all")]) == 0
    for name in ("sim_time_vs_cells.png", "agent_time_vs_agents.png", "growth_loglog.png",
                 "simulation_time.csv", "growth.json"):
        assert (tmp_path / "all" / name).exists()


def test_growth_exponent():
    from mosaik_components.massca.sweep.report import growth_exponent

    assert growth_exponent([(10, 1.0), (100, 10.0), (1000, 100.0)]) == pytest.approx(1)
    assert growth_exponent([(10, 1.0), (100, 100.0)]) == pytest.approx(2)


def start_sweep(out, tmp, *extra):
    """A sweep of two one-day points in its own process group, with its own TMPDIR."""
    tmp.mkdir()
    command = [sys.executable, str(ROOT / "scalability" / "sweep.py"), "run", *SMALL,
               "--until", "86400", "--jobs", "2", "--out", str(out), *extra]
    process = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE,
                               env={**os.environ, "TMPDIR": str(tmp)}, text=True)
    return process, wait_for_scenarios(process, 2)


def wait_for_scenarios(process, count, timeout=60):
    """The sweep's scenario processes once ``count`` of them run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = descendants_running(process.pid, "mosaik_components.massca.scenarios.cells")
        if len(found) >= count:
            return found
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} scenario processes after {timeout} s")


def gone(processes, timeout=15):
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return not alive


@pytest.mark.parametrize("executor", ["threads", "dask"])
def test_sigkill_of_the_sweep_takes_its_runs_and_temp_folders_with_it(executor, tmp_path):
    process, scenarios = start_sweep(tmp_path / "out", tmp_path / "tmp", "--executor", executor)
    descendants = psutil.Process(process.pid).children(recursive=True)
    assert len(scenarios) == 2 and any(tmp_path.name in " ".join(s.cmdline())
                                       for s in scenarios)  # their folders are in TMPDIR
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    assert gone(descendants), [p.cmdline() for p in descendants if p.is_running()]
    deadline = time.monotonic() + 10
    while list((tmp_path / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)  # the Dask scratch folder goes once its workers are gone
    assert list((tmp_path / "tmp").iterdir()) == []
    assert results.read_rows(tmp_path / "out" / "runs.csv") == []


def test_sigint_stops_the_sweep_records_nothing_and_cleans_up(tmp_path):
    """Ctrl-C (SIGINT to the process group): the runs are not recorded; exit 130."""
    process, scenarios = start_sweep(tmp_path / "out", tmp_path / "tmp")
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 130
    assert "stopped: finished points are kept" in process.stderr.read()
    assert gone(scenarios)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert results.read_rows(tmp_path / "out" / "runs.csv") == []


def test_a_scheduler_without_workers_is_an_error(tmp_path, monkeypatch, capsys):
    from distributed import LocalCluster

    from mosaik_components.massca.sweep import executors

    monkeypatch.setattr(executors, "WORKER_WAIT_S", 1.0)
    with LocalCluster(n_workers=0, host="127.0.0.1", protocol="tcp", processes=False,
                      dashboard_address=None) as cluster:
        code = sweep.main(["run", *SMALL, "--scheduler", cluster.scheduler_address,
                           "--out", str(tmp_path / "o")])
    assert code == 1
    assert "error: no Dask worker joined the scheduler" in capsys.readouterr().err
    assert results.read_rows(tmp_path / "o" / "runs.csv") == []
