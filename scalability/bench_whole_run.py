"""Whole ``massca cells`` runs taken apart: imports, build, agents, power flow, the rest.

Runs the main scenario as a process ``--rounds`` times (a fresh interpreter each time,
as a user runs it) and prints the medians of: the whole process; the interpreter start
and imports before the run begins (process minus the run's own ``wall_s``); the build
(``build_s``: data, grid, simulators, entities, connections); inside the simulation the
agents' cycles (``agent_time_s``), the power flows (``power_flow_s``) and the rest
(mosaik's scheduling and data exchange, the unit simulators, the recorder); writing the
results (``write_s``). Also ``massca cells --help`` as a process. Benchmarks measure and
print; nothing here fails on a slow machine::

    python scalability/bench_whole_run.py --rounds 5
    python scalability/bench_whole_run.py --rounds 5 --cells 50 --depth 10 --data cigre
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = [sys.executable, "-m", "mosaik_components.massca", "cells"]
PARTS = ("process", "imports", "build", "agents", "power flow", "rest of simulation",
         "write")


def one_run(options: list[str]) -> dict[str, float]:
    """One run in a fresh process: its parts in seconds."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        started = time.perf_counter()
        subprocess.run([*COMMAND, *options, "--quiet", "--no-plots", "--out", str(out)],
                       check=True, capture_output=True, text=True)
        process = time.perf_counter() - started
        timings = json.loads((out / "run.json").read_text())["timings"]
        summary = json.loads((out / "summary.json").read_text())
    agents, flows = summary["agent_time_s"] or 0.0, summary["power_flow_s"] or 0.0
    return {"process": process, "imports": process - timings["wall_s"],
            "build": timings["build_s"], "agents": agents, "power flow": flows,
            "rest of simulation": timings["simulate_s"] - agents - flows,
            "write": timings["write_s"]}


def help_time() -> float:
    """``massca cells --help`` as a process, in seconds."""
    started = time.perf_counter()
    subprocess.run([*COMMAND, "--help"], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Parse the options, run, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", choices=["simbench", "cigre"], default="cigre")
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--strategy", default="balance")
    args = parser.parse_args()
    options = ["--data", args.data, "--cells", str(args.cells), "--depth", str(args.depth),
               "--strategy", args.strategy, "--days", "1"]
    helps = [help_time() for _ in range(args.rounds)]
    runs = []
    for round_ in range(args.rounds):
        runs.append(one_run(options))
        print(f"round {round_ + 1}: {runs[-1]['process']:.2f} s", flush=True)
    print(f"\nmassca cells {' '.join(options)}: median of {args.rounds}")
    for part in PARTS:
        values = [r[part] for r in runs]
        print(f"  {part:<20}{statistics.median(values):>8.2f} s   (min {min(values):.2f}, "
              f"max {max(values):.2f})")
    print(f"  {'--help':<20}{statistics.median(helps):>8.2f} s   (min {min(helps):.2f}, "
          f"max {max(helps):.2f})")


if __name__ == "__main__":
    main()
