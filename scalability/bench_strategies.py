"""Whole ``massca cells`` runs per strategy: wall time, agent time, iterations, KPIs.

Runs the main scenario as a process (``python -m mosaik_components.massca cells``) for
each strategy on the same cells, day and seed, ``--rounds`` times interleaved (strategy
A, B, C, then again), so a machine's load drifts over all of them alike; prints per
strategy the median process time, the run's own ``wall_time_s`` and ``agent_time_s``
(from its ``summary.json``), the mean iterations per step, violation steps and each
median's ratio to ``balance``. Benchmarks measure and print; nothing here fails on a
slow machine::

    python scalability/bench_strategies.py --data cigre --cells 5 --rounds 3
    python scalability/bench_strategies.py --data simbench --cells 5 --rounds 3
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
from typing import Any

import pandas as pd

STRATEGIES = ("balance", "lookahead", "grid_aware")


def one_run(data: str, cells: int, days: int, strategy: str) -> dict[str, Any]:
    """One run in a fresh process; its timings and what its summary says."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        command = [sys.executable, "-m", "mosaik_components.massca", "cells", "--data", data,
                   "--cells", str(cells), "--days", str(days), "--strategy", strategy,
                   "--quiet", "--no-plots", "--out", str(out)]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, text=True)
        process_s = time.perf_counter() - started
        summary = json.loads((out / "summary.json").read_text())
        frame = pd.read_csv(out / "timeseries.csv")
    iterations = frame.loc[frame["attr"] == "iterations", "value"]
    return {"process_s": process_s, "wall_s": summary["wall_time_s"],
            "agent_s": summary["agent_time_s"], "iterations": float(iterations.mean()),
            "violations": summary["voltage_violation_steps"]
            + summary["loading_violation_steps"],
            "settled": bool(summary["converged_all"])}


def main() -> None:
    """Parse the options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["simbench", "cigre"], default="simbench")
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=STRATEGIES)
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in args.strategies}
    for round_ in range(args.rounds):
        for strategy in args.strategies:
            result = one_run(args.data, args.cells, args.days, strategy)
            results[strategy].append(result)
            print(f"round {round_ + 1} {strategy}: {result['process_s']:.1f} s", flush=True)
    medians = {s: {key: statistics.median(r[key] for r in runs)
                   for key in ("process_s", "wall_s", "agent_s", "iterations")}
               for s, runs in results.items()}
    base = medians.get("balance")
    print(f"\n{args.data}, {args.cells} cells x {args.days} day(s), median of {args.rounds}:")
    print(f"{'strategy':<12}{'process s':>10}{'run s':>8}{'agents s':>10}{'iter/step':>10}"
          f"{'x balance':>10}{'violations':>11}{'settled':>8}")
    for strategy, median in medians.items():
        ratio = f"{median['process_s'] / base['process_s']:.2f}" if base else "-"
        runs = results[strategy]
        print(f"{strategy:<12}{median['process_s']:>10.1f}{median['wall_s']:>8.1f}"
              f"{median['agent_s']:>10.1f}{median['iterations']:>10.2f}{ratio:>10}"
              f"{max(r['violations'] for r in runs):>11}"
              f"{str(all(r['settled'] for r in runs)):>8}")


if __name__ == "__main__":
    main()
