"""The live status API of a running co-simulation, asked with a real HTTP client.

    massca cells (1 cell, agents) --status-port 0 ... <- urllib: /health /status /agents
    core -> cell(1) -> 24 units                           /cells/{id}, then SIGINT
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pandas as pd
import pytest

from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.mas.mosaik.status import StatusSettings
from mosaik_components.massca.runs import RunFolder, read_run
from mosaik_components.massca_results.timeseries import tidy_frame, write_timeseries
from tests.conftest import ROOT
from tests.integration.helpers import build_two_cells

TOKEN = "s3cret-token-0123456789"


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


#: long enough to be still running when the test interrupts it (a day takes ~5 s)
DAYS = 7


def earlier_run(root) -> dict[str, str]:
    """A finished run already in the root; returns its files' digests."""
    run = RunFolder.create("cells", root=root, name="earlier")
    run.start({"cells": 1}, {"seed": 1})
    write_timeseries(tidy_frame([[0, "Grid-0.ExternalGrid-0", "P[MW]", 1.0]], None),
                     run.path / "timeseries.csv", "csv")
    (run.path / "summary.json").write_text(json.dumps({"status": "complete", "steps": 1}))
    run.finish("complete", {"wall_s": 1.0})
    return digests(run.path)


def digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def wait_for(check, timeout: float, what: str, process):
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, process.communicate()
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.1)


def band(state: dict) -> tuple[float, float]:
    return (state["production_min[MW]"] - state["consumption_max[MW]"],
            state["production_max[MW]"] - state["consumption_min[MW]"])


def check_agents(base: str) -> None:
    code, agents = get(f"{base}/agents")
    assert code == 200 and agents["root"] == "MosaikAgent"
    by_eid = {a["eid"]: a for a in agents["agents"]}
    assert len(by_eid) == 26 and by_eid["MosaikAgent"]["children"] == ["Agent_1"]
    cell = by_eid["Agent_1"]
    assert cell["parent"] == "MosaikAgent" and len(cell["children"]) == 24
    units = [by_eid[eid] for eid in cell["children"]]
    for unit in units:  # every setpoint inside its unit's band
        low, high = band(unit["state"])
        assert low - 1e-9 <= unit["setpoint"]["P_set[MW]"] <= high + 1e-9
    # the cell's instruction is split among its units without loss (same cycle)
    assert sum(u["setpoint"]["P_set[MW]"] for u in units) == pytest.approx(
        cell["setpoint"]["P_set[MW]"], abs=1e-6)
    code, one = get(f"{base}/cells/0")
    assert code == 200 and one["cell"] == "Agent_1" and len(one["agents"]) == 25
    assert get(f"{base}/cells/Agent_1")[1]["cell"] == "Agent_1"
    assert get(f"{base}/cells/1")[0] == 404


def test_status_api_during_a_run_then_sigint_leaves_an_honest_interrupted_run(tmp_path):
    root = tmp_path / "runs"
    before = earlier_run(root)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mosaik_components.massca", "cells", "--data", "cigre",
               "--strategy", "balance", "--cells", "1",
               "--days", str(DAYS), "--status-port", "0", "--runs", str(root), "--name", "live",
               "--quiet", "--no-plots"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
    try:
        api = wait_for(lambda: (read_run(root / "live") or {}).get("status_api"), 90,
                       "status API", run)
        base = api["url"]
        assert base.startswith("http://127.0.0.1:") and not api["token_required"]
        code, health = get(f"{base}/health")
        assert code == 200 and health["status"] == "ok" and health["sid"] == "MAS-0"
        first = wait_for(lambda: (lambda s: s if (s["steps"] or 0) >= 3 else None)(
            get(f"{base}/status")[1]), 90, "three steps", run)
        assert first["until"] == DAYS * 86400 and first["agents"] == 26 and first["units"] == 24
        assert first["progress"] == pytest.approx((first["time"] + 900) / (DAYS * 86400))
        assert first["steps_per_s"] > 0 and first["cycle"]["agent_time_s"] > 0
        assert first["iterations"] >= 1 and first["rejected"] == 0
        check_agents(base)
        later = get(f"{base}/status")[1]
        assert later["time"] >= first["time"] and later["steps"] >= first["steps"]
        assert get(f"{base}/nope")[0] == 404
        # WHEN the run is interrupted like Ctrl-C
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
    # THEN it says so, and its files agree with each other
    assert run.returncode == 130, stderr
    assert "interrupted" in stderr.strip().splitlines()[-1]
    record = read_run(root / "live")
    summary = json.loads((root / "live" / "summary.json").read_text())
    assert record["status"] == summary["status"] == "interrupted"
    times = sorted(pd.read_csv(root / "live" / "timeseries.csv")["time"].unique())
    assert summary["steps"] == len(times) >= 3 and summary["time_last_s"] == times[-1]
    assert times == list(range(0, 900 * len(times), 900))
    assert summary["steps_planned"] == DAYS * 96 and summary["steps"] < DAYS * 96
    assert summary["config"]["cells"] == 1
    assert set(record["files"]) == {"entities.json", "run.json", "summary.json",
                                    "timeseries.csv"}
    assert digests(root / "earlier") == before  # the earlier run is untouched
    index = json.loads((root / "index.json").read_text())
    assert {(e["name"], e["status"]) for e in index["runs"]} == {("earlier", "complete"),
                                                                  ("live", "interrupted")}
    # a new run into the earlier run's folder is refused before any simulation
    refused = subprocess.run([*command[:-6], "--out", str(root / "earlier"), "--quiet"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"error: output folder '{root / 'earlier'}' holds an earlier run")
    assert digests(root / "earlier") == before


def test_token_is_required_when_set_and_remote_needs_one(world):
    system = build_two_cells(world, weak=False,
                             mas_params={"status_port": 0, "status_token": TOKEN,
                                         "status_until": 1800})
    base = system.mas.get_info()["status"]["url"]

    def ask(path, token=None):  # a real client in a thread; the server runs on the loop
        return world.loop.run_until_complete(asyncio.to_thread(get, base + path, token))

    assert ask("/status")[0] == 401 and ask("/status", "wrong-token-0123456789")[0] == 401
    code, status = ask("/status", TOKEN)
    assert code == 200 and status["time"] is None and status["progress"] is None
    world.run(until=1800)
    status = ask("/status", TOKEN)[1]
    assert (status["time"], status["steps"], status["progress"]) == (900, 2, 1.0)
    assert status["iterations"] == 1  # no same-time loop in this world
    with pytest.raises(ConfigError, match="needs allow_remote=True"):
        StatusSettings.checked(0, "0.0.0.0", TOKEN, None, allow_remote=False)
    with pytest.raises(ConfigError, match="set status_token"):
        StatusSettings.checked(0, "0.0.0.0", None, None, allow_remote=True)
    with pytest.raises(ConfigError, match="at least 16 characters"):
        StatusSettings.checked(0, "127.0.0.1", "short", None, allow_remote=False)
    assert StatusSettings.checked(None, "0.0.0.0", None, None, allow_remote=False) is None
