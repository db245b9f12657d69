"""Run folders, their record, the index and provenance (files on a temporary disk)."""

import argparse
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest

from mosaik_components.massca.runs import (
    RunFolder,
    RunFolderError,
    read_run,
    resolve,
    scan,
)
from mosaik_components.massca.runs.cells_run import local_start, typed_config
from mosaik_components.massca.runs.folder import check_name
from mosaik_components.massca.runs.index import write_index
from mosaik_components.massca.runs.provenance import git_revision, provenance
from mosaik_components.massca_results.atomic import PARTIAL_MARK, write_json, write_text
from tests.conftest import ROOT


def test_atomic_write_replaces_whole_files_and_cleans_up_after_a_failure(tmp_path):
    path = tmp_path / "summary.json"
    write_json(path, {"a": 1})
    with pytest.raises(ValueError, match="Out of range float values"):
        write_json(path, {"a": float("nan")})  # JSON cannot hold NaN: nothing is replaced
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary left
    write_text(path, "{}\n")
    assert path.read_text() == "{}\n"


def test_timestamped_runs_get_their_own_folders(tmp_path):
    first = RunFolder.create("cells", root=tmp_path)
    second = RunFolder.create("cells", root=tmp_path)  # same second: a suffix
    assert first.path != second.path and first.path.parent == second.path.parent == tmp_path
    assert first.name.endswith("-cells")


def test_a_named_folder_holding_a_run_is_refused_unless_overwritten(tmp_path):
    run = RunFolder.create("cells", root=tmp_path, name="june")
    run.start({"cells": 3}, {"seed": 1})
    (run.path / "timeseries.csv").write_text("time\n0\n")
    (run.path / f".timeseries.csv{PARTIAL_MARK}1-ab").write_text("time\n")
    (run.path / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="holds an earlier run"):
        RunFolder.create("cells", root=tmp_path, name="june")
    with pytest.raises(RunFolderError, match="holds an earlier run"):
        RunFolder.create("cells", exact=run.path)
    again = RunFolder.create("cells", exact=run.path, overwrite=True)
    assert sorted(p.name for p in again.path.iterdir()) == ["notes.txt"]  # only run files go


def test_bad_folders_and_names_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunFolderError, match="exists and is not a folder"):
        RunFolder.create("cells", exact=tmp_path / "file")
    with pytest.raises(RunFolderError, match="exists and is not a folder"):
        RunFolder.create("cells", root=tmp_path / "file")
    for bad in ("../up", "a/b", ".hidden", "", "x" * 121):
        with pytest.raises(RunFolderError, match="run name must be"):
            check_name(bad)
    assert check_name("june-21_seed.3") == "june-21_seed.3"


def test_run_record_tells_status_config_and_files(tmp_path):
    run = RunFolder.create("cells", root=tmp_path, name="r1")
    run.start({"cells": 2, "flex": 0.2, "no_mas": False, "days": None}, {"seed": 7})
    record = read_run(run.path)
    assert record["status"] == "running" and record["kind"] == "cells"
    (run.path / "summary.json").write_text("{}")
    run.finish("interrupted", {"wall_s": 1.5}, "interrupted (SIGINT or SIGTERM)")
    record = json.loads((run.path / "run.json").read_text())
    assert record["status"] == "interrupted" and record["finished"] is not None
    assert record["config"] == {"cells": 2, "flex": 0.2, "no_mas": False, "days": None}
    assert record["files"] == ["run.json", "summary.json"]
    with pytest.raises(ValueError, match="status must be one of"):
        run.finish("done", {})


def test_a_run_whose_process_is_gone_reads_as_killed(tmp_path):
    run = RunFolder.create("cells", root=tmp_path, name="r")
    run.start({}, {})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run.update(pid=gone.pid, pid_start=None)
    assert read_run(run.path)["status"] == "killed"
    assert json.loads((run.path / "run.json").read_text())["status"] == "running"  # as left


def test_index_lists_runs_and_resolves_names(tmp_path):
    for name, status in (("a", "complete"), ("b", "failed")):
        run = RunFolder.create("cells", root=tmp_path, name=name)
        run.start({"cells": 1}, {"seed": 0})
        run.finish(status, {"wall_s": 2.0}, None if status == "complete" else "boom")
    (tmp_path / "not-a-run").mkdir()
    index = json.loads(write_index(tmp_path).read_text())
    assert [(e["name"], e["status"]) for e in index["runs"]] == [("a", "complete"),
                                                                  ("b", "failed")]
    assert index["runs"] == json.loads(json.dumps(scan(tmp_path)))
    assert resolve("a", tmp_path) == tmp_path / "a"
    assert resolve(str(tmp_path / "b")) == tmp_path / "b"
    with pytest.raises(FileNotFoundError, match="no run 'not-a-run'"):
        resolve("not-a-run", tmp_path)


def test_provenance_names_this_checkout_and_the_installed_packages():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    origin = provenance()
    assert origin["git"]["commit"] == head == git_revision()["commit"]
    assert origin["massca"] == version("massca")
    assert origin["packages"]["mosaik"] == version("mosaik")
    assert origin["packages"]["pandas"] == pd.__version__
    assert origin["machine"]["cpus"] >= 1 and origin["machine"]["python"]
    assert git_revision(Path("/")) is None  # not a checkout


def test_configuration_is_typed():
    args = argparse.Namespace(cells=3, flex=0.2, no_mas=False, days=None,
                              start=pd.Timestamp("2019-06-21 06:00"), out=Path("r/x"))
    assert typed_config(args) == {"cells": 3, "flex": 0.2, "no_mas": False, "days": None,
                                  "start": "2019-06-21T06:00:00", "out": "r/x"}
    assert local_start(pd.Timestamp("2019-06-21"), -5.0) == "2019-06-21T00:00:00-05:00"
