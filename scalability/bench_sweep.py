"""Wall time of the same sweep on the thread pool and on Dask (a LocalCluster), alternating.

    python scalability/bench_sweep.py --cells 5 10 5 --depth 1 --attempts 2 --jobs 2 --rounds 2

Each round runs the points once per executor (threads first, then Dask) into fresh
folders, as ``massca sweep run`` processes, and prints the wall time of each and the sum
of the runs' own ``sim_time`` (so the executor's overhead is wall minus the work).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sweep(executor: str, args: argparse.Namespace, out: Path) -> tuple[float, float, int]:
    """Wall time, summed run time and number of ok runs of one sweep."""
    command = [sys.executable, str(Path(__file__).with_name("sweep.py")), "run",
               "--cells", *map(str, args.cells), "--depth", *map(str, args.depth),
               "--attempts", str(args.attempts), "--until", str(args.until),
               "--jobs", str(args.jobs), "--executor", executor, "--out", str(out), "--quiet"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - started
    with (out / "runs.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["status"] == "ok"]
    return wall, sum(float(r["sim_time"]) for r in rows), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[5, 10, 5])
    parser.add_argument("--depth", type=int, nargs="+", default=[1])
    parser.add_argument("--attempts", type=int, default=2)
    parser.add_argument("--until", type=int, default=86400)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {"threads": [], "dask": []}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        for round_ in range(args.rounds):
            for executor in walls:
                wall, work, ok = sweep(executor, args, Path(tmp) / f"{executor}-{round_}")
                walls[executor].append(wall)
                print(f"round {round_ + 1} {executor:7s}: wall {wall:6.1f} s, {ok} runs ok, "
                      f"sum of run times {work:6.1f} s", flush=True)
    for executor, values in walls.items():
        print(f"{executor:7s}: median wall {statistics.median(values):.1f} s over "
              f"{len(values)} rounds ({', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
