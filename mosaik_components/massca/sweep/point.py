"""One sweep point in its own processes, cleaned up whatever happens to the sweep.

:func:`run_point` (called in a runner thread or a Dask task) starts this module as a
*supervisor* process and waits for it. The supervisor makes a temporary folder, runs
:data:`SCENARIO` (the cells scenario) there as its child, enforces the timeout, turns the
run's ``summary.json`` and time series into result rows, prints them as one JSON line and
removes the folder. Each point is thus isolated: a crash, a hang or a leak of one run
ends with that run.

No orphans, no stray folders: the supervisor stops (killing the scenario's process group
and removing its folder) on SIGTERM or SIGINT, and when its parent dies: it notices being
re-parented within :data:`POLL_S` seconds, so a ``kill -9`` of the sweep (or of a Dask
worker) still takes the run with it. On Linux the scenario additionally gets SIGKILL
should the supervisor itself be killed (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["POLL_S", "SCENARIO", "Outcome", "Point", "error_line", "failed_row",
           "parse_run", "run_point"]

#: How one point runs: the cells scenario in its own process (with this interpreter).
SCENARIO = [sys.executable, "-m", "mosaik_components.massca.scenarios.cells"]
#: How often waiting processes check for a stop request or a dead parent [s].
POLL_S = 0.5
Point = tuple[int, int, int]
Outcome = tuple[dict[str, Any], list[dict[str, Any]]]
_SUPERVISOR = "mosaik_components.massca.sweep.point"
_PR_SET_PDEATHSIG = 1


class Stopped(Exception):
    """The supervisor was asked to stop (SIGTERM/SIGINT) or lost its parent."""


def error_line(stderr: str) -> str:
    """The exception line of a traceback or ``error: ...`` (else the last line)."""
    lines = stderr.strip().splitlines() or ["no output"]
    errors = [line for line in lines
              if re.match(r"^([\w.]+(Error|Exception|Exit)\b|error: )", line)]
    return (errors or lines)[-1]


def failed_row(point: Point, seed: int, error: str) -> dict[str, Any]:
    """The ``runs.csv`` row of a point that did not produce results."""
    cells, depth, attempt = point
    return {"cells_count": cells, "hierarchy_depth": depth, "attempt": attempt,
            "seed": seed, "status": "failed", "error": error[:500]}


def run_point(point: Point, options: dict[str, Any],
              should_stop: Callable[[], bool]) -> Outcome | None:
    """Run one point through a supervisor process; ``None`` if stopped meanwhile.

    ``options``: ``seed`` (the attempt is added), ``until``, ``strategy``, ``timeout``.
    """
    cells, depth, attempt = point
    spec = {**options, "cells": cells, "depth": depth, "attempt": attempt,
            "seed": options["seed"] + attempt, "parent": os.getpid()}
    child = subprocess.Popen([sys.executable, "-m", _SUPERVISOR, json.dumps(spec)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        while True:
            try:
                stdout, stderr = child.communicate(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                if should_stop():
                    _end(child)
                    return None
    except BaseException:
        _end(child)
        raise
    if child.returncode != 0 or not stdout.strip():
        return failed_row(point, spec["seed"],
                          f"supervisor exit {child.returncode}: {error_line(stderr)}"), []
    data = json.loads(stdout.strip().splitlines()[-1])  # the last line: the result
    return data["row"], data["steps"]


def _end(child: subprocess.Popen) -> None:
    """Ask a supervisor to stop (it cleans up), kill it if it does not within 10 s."""
    child.terminate()
    try:
        child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()


def parse_run(row: dict[str, Any], folder: Path) -> Outcome:
    """The run row and step rows from a finished run's ``summary.json`` and time series."""
    import pandas as pd

    summary = json.loads((folder / "summary.json").read_text())
    frame = pd.read_csv(folder / "timeseries.csv", usecols=["time", "entity", "attr", "value"])
    core = frame[frame["entity"] == "MAS-0.MosaikAgent"]
    per_step = core.pivot(index="time", columns="attr", values="value")
    row = {**row, "status": "ok", "error": "", "sim_time": summary["wall_time_s"],
           "agents": summary["agents"], "messages": summary["messages"],
           "agent_time": summary["agent_time_s"],
           "agent_time_per_step": summary["agent_time_per_step_s"],
           "power_flow_time": summary["power_flow_s"], "peak_rss_mib": summary["peak_rss_mib"],
           "iterations_max": summary["iterations_max"], "import_MWh": summary["import_MWh"],
           "import_MWh_uncontrolled": summary["import_MWh_uncontrolled"]}
    steps = [{"step": i, "cells_count": row["cells_count"],
              "hierarchy_depth": row["hierarchy_depth"], "attempt": row["attempt"],
              "agents_time": float(r["steptime"]), "messages": int(float(r["messages"])),
              "iterations": int(float(r["iterations"])), "agents": summary["agents"]}
             for i, (_, r) in enumerate(per_step.iterrows())]
    return row, steps


# ---- the supervisor process ------------------------------------------------------------


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent(signum: int) -> None:
    """Linux: get ``signum`` when the parent dies (no-op elsewhere)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


def _raise_stopped(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop is enough: clean up in peace
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Stopped(signal.Signals(signum).name)


def _supervise(spec: dict[str, Any], folder: Path, parent: int) -> Outcome:
    """Run the scenario in ``folder``; the outcome (a failed row on error or timeout)."""
    point = (spec["cells"], spec["depth"], spec["attempt"])
    command = [*SCENARIO, "--data", "cigre",  # MASSCA's sweep: its CIGRE cells
               "--cells", str(spec["cells"]), "--depth", str(spec["depth"]),
               "--seed", str(spec["seed"]), "--until", str(spec["until"]),
               "--strategy", spec["strategy"], "--quiet", "--no-plots", "--out", str(folder)]
    scenario = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True,
                                preexec_fn=lambda: _die_with_parent(signal.SIGKILL))
    deadline = None if spec["timeout"] is None else time.monotonic() + spec["timeout"]
    try:
        while True:
            try:
                _, stderr = scenario.communicate(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                if os.getppid() != parent:
                    raise Stopped("the sweep that started this point is gone") from None
                if deadline is not None and time.monotonic() > deadline:
                    _kill_group(scenario)
                    return failed_row(point, spec["seed"],
                                      f"timed out after {spec['timeout']:g} s"), []
    finally:
        _kill_group(scenario)
    if scenario.returncode != 0:
        return failed_row(point, spec["seed"],
                          f"exit {scenario.returncode}: {error_line(stderr)}"), []
    row = {"cells_count": point[0], "hierarchy_depth": point[1], "attempt": point[2],
           "seed": spec["seed"]}
    return parse_run(row, folder)


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a scenario's whole process group and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        process.wait()


def main(argv: list[str] | None = None) -> int:
    """The supervisor: ``python -m mosaik_components.massca.sweep.point SPEC_JSON``."""
    spec = json.loads((sys.argv[1:] if argv is None else argv)[0])
    parent = spec["parent"]
    _die_with_parent(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_stopped)
    signal.signal(signal.SIGINT, _raise_stopped)
    folder: Path | None = None
    try:
        if os.getppid() != parent:
            return 143  # the sweep died before the death signal was armed
        folder = Path(tempfile.mkdtemp(prefix="massca-sweep-"))
        row, steps = _supervise(spec, folder, parent)
    except Stopped:
        return 143
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write(json.dumps({"row": row, "steps": steps}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
