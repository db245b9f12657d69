"""Runs launched from the web app: background ``massca cells`` processes, followed live.

Each run is its own process (its own event loop; the web app's threads never touch
simulation state), started with ``--status-port 0``; its folder's ``run.json`` says
where its status API listens, and :meth:`Launcher.jobs` asks it for the progress. Logs
go to ``<root>/.ui-logs/<name>.log``. :meth:`Launcher.stop` interrupts a run (SIGINT:
the run records ``interrupted``); :meth:`Launcher.close` interrupts all that still run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..runs.folder import read_run
from .spec import RunSpec

__all__ = ["Launcher", "Job", "fetch_status"]

LOG_DIR = ".ui-logs"


@dataclass
class Job:
    """One launched run."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


def fetch_status(url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """``GET url/status`` (None when it does not answer)."""
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=timeout) as reply:
            return json.loads(reply.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None


class Launcher:
    """Starts runs below ``root`` and reports on them (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.lock = threading.Lock()
        self.launched: dict[str, Job] = {}

    def launch(self, spec: RunSpec) -> list[str]:
        """Start one process per seed; returns the run names."""
        names = spec.names()
        taken = [n for n in names if (self.root / n).exists() or n in self.launched]
        if taken:
            raise ValueError(f"name: run {taken[0]!r} exists already; choose another name")
        logs = self.root / LOG_DIR
        logs.mkdir(parents=True, exist_ok=True)
        with self.lock:
            for offset, name in enumerate(names):
                log = logs / f"{name}.log"
                with open(log, "wb") as sink:
                    process = subprocess.Popen(
                        spec.argv(name, spec.seed + offset, self.root), stdout=sink,
                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        start_new_session=True)
                self.launched[name] = Job(name, process, log)
        return names

    def jobs(self) -> list[dict[str, Any]]:
        """Every launched run: status, exit code and, while it runs, its live progress."""
        with self.lock:
            jobs = list(self.launched.values())
        rows = []
        for job in jobs:
            code = job.process.poll()
            record = read_run(self.root / job.name) or {}
            row: dict[str, Any] = {"name": job.name, "status": record.get("status", "starting"),
                                   "exit": code, "progress": None, "time": None,
                                   "steps_per_s": None}
            api = record.get("status_api") or {}
            if code is None and api.get("url"):
                live = fetch_status(api["url"])
                if live is not None:
                    row.update(progress=live.get("progress"), time=live.get("time"),
                               steps_per_s=live.get("steps_per_s"))
            if code is not None and row["status"] == "running":
                row["status"] = "killed"  # it ended without recording how
            rows.append(row)
        return rows

    def stop(self, name: str) -> None:
        """Interrupt a running run (it records ``interrupted``)."""
        with self.lock:
            job = self.launched.get(name)
        if job is not None and job.process.poll() is None:
            os.kill(job.process.pid, signal.SIGINT)

    def close(self, timeout: float = 30.0) -> None:
        """Interrupt every run still going and wait for them."""
        with self.lock:
            jobs = list(self.launched.values())
        for job in jobs:
            if job.process.poll() is None:
                job.process.send_signal(signal.SIGINT)
        for job in jobs:
            try:
                job.process.wait(timeout)
            except subprocess.TimeoutExpired:
                job.process.kill()
                job.process.wait()
