"""A run killed with SIGKILL while it writes its time series leaves no file that lies.

    massca cells (1 cell, 2 h) -> CSV writer stalls half-way (tests/simulators/stall_writes)
                               -> SIGKILL
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd

from mosaik_components.massca.runs import read_run, scan
from mosaik_components.massca_results.atomic import PARTIAL_MARK
from tests.conftest import ROOT


def test_sigkill_during_the_csv_write_leaves_no_truncated_result(tmp_path):
    root, marker = tmp_path / "runs", tmp_path / "writing"
    run = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators.stall_writes", str(marker), "--",
         "--cells", "1", "--until", "7200", "--runs", str(root), "--name", "killed",
         "--quiet", "--no-plots"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # the writer has written half of the rows, flushed
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.wait(30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    folder = root / "killed"
    partial = [p for p in folder.iterdir() if PARTIAL_MARK in p.name]
    # the kill really hit the write: a half-written temporary file is there...
    assert len(partial) == 1 and partial[0].name.startswith(".timeseries.csv")
    rows = len(pd.read_csv(partial[0]))
    assert 0 < rows < int(marker.read_text())
    # ...but no result file claims to be the time series, and no summary pretends
    assert not (folder / "timeseries.csv").exists()
    assert not (folder / "summary.json").exists()
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "running"  # as the killed process left it
    assert read_run(folder)["status"] == "killed"  # and what every reader is told
    assert [(e["name"], e["status"]) for e in scan(root)] == [("killed", "killed")]
