"""Benchmark: coordination-cycle time and peak memory against the number of agents.

No grid, no mosaik scheduler: the MAS runtime (real mango container, real messages,
balance strategy) is driven directly, cells x depth like MASSCA's sweep (28 units per
cell, ``depth`` controllers in a chain between the core and each cell's units), under
the garbage-collector policy ``massca cells`` runs its world with
(``mosaik_components.mas.runtime.collector.collector_tuned``). Each size runs in its own
process so its peak RSS is its own. Prints a table and writes a CSV::

    python scalability/bench_cycle.py --cells 5 50 517 --depth 1 10 --cycles 20 \
        --out results/bench_cycle.csv
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

UNITS_PER_CELL = 28


def build(cells: int, depth: int, seed: int) -> tuple:
    """The tree and one random state per unit (seeded)."""
    from mosaik_components.mas.model.flexibility import Flex, UnitState
    from mosaik_components.mas.model.hierarchy import build_tree

    rng = random.Random(seed)
    parents: dict[str, str | None] = {"core": None}
    states = {}
    for c in range(cells):
        parent = None
        for d in range(depth):
            eid = f"c{c}_{d}"
            parents[eid] = parent
            parent = eid
        for u in range(UNITS_PER_CELL):
            eid = f"u{c}_{u}"
            parents[eid] = parent
            if u % 3 == 0:  # a curtailable producer
                cur = rng.uniform(0, 2)
                states[eid] = UnitState(production=Flex(cur, 0.0, cur))
            else:  # a flexible load
                cur = rng.uniform(0.2, 1)
                states[eid] = UnitState(consumption=Flex(cur, 0.5 * cur, 1.5 * cur))
    return build_tree(parents, {"core": "core"}), states


async def run(cells: int, depth: int, cycles: int, seed: int, containers: int = 1,
              processes: bool = False) -> dict:
    from mosaik_components.mas.runtime.collector import collector_tuned

    tree, states = build(cells, depth, seed)
    with collector_tuned():  # as ``massca cells`` runs its world
        return await measure(cells, depth, tree, states, cycles, containers, processes)


async def measure(cells: int, depth: int, tree: object, states: dict, cycles: int,
                  containers: int, processes: bool) -> dict:
    """Set the runtime up, run ``cycles`` + 1 cycles, close it; the figures."""
    from mosaik_components.mas.runtime.runtime import CycleInput, MasRuntime
    from mosaik_components.mas.runtime.transport import TransportConfig
    from mosaik_components.mas.strategies import BalanceStrategy
    from mosaik_components.mas.strategies.coordination import StrategyCoordination

    runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=600,
                         transport=TransportConfig(containers=containers, processes=processes))
    await runtime.start()
    t0 = time.perf_counter()
    runtime.build(tree)
    await runtime.attach()
    setup = time.perf_counter() - t0
    times, messages = [], 0
    for cycle in range(cycles + 1):
        report = await runtime.run_cycle(CycleInput(900 * cycle, 0, states))
        times.append(report.seconds)
        messages = report.messages
    workers_rss = worker_rss_mib(runtime)
    runtime.close()
    await asyncio.sleep(0)
    times = times[1:]  # the first cycle warms caches up
    return {
        "cells": cells, "depth": depth, "agents": len(tree.nodes),
        "units": len(runtime.units), "messages_per_cycle": messages,
        "cycle_ms_median": 1000 * statistics.median(times),
        "cycle_ms_min": 1000 * min(times), "cycle_ms_max": 1000 * max(times),
        "setup_s": setup, "containers": containers, "processes": processes,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "workers_rss_mib": workers_rss,
    }


def worker_rss_mib(runtime: object) -> float:
    """Resident memory of the runtime's worker processes now (MiB)."""
    import psutil

    links = runtime.workers.links.values()  # type: ignore[attr-defined]
    return sum(psutil.Process(link.process.pid).memory_info().rss
               for link in links if link.process is not None) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[5, 50, 517])
    parser.add_argument("--depth", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results/bench_cycle.csv"))
    parser.add_argument("--containers", type=int, default=1,
                        help="spread the cells over this many mango containers")
    parser.add_argument("--processes", action="store_true",
                        help="containers 1.. in worker processes (one per process)")
    parser.add_argument("--one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = asyncio.run(run(args.one[0], args.one[1], args.cycles, args.seed,
                                 args.containers, args.processes))
        print(json.dumps(result))
        return
    rows = []
    for depth in args.depth:
        for cells in args.cells:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(cells), str(depth),
                 "--cycles", str(args.cycles), "--seed", str(args.seed),
                 "--containers", str(args.containers)]
                + (["--processes"] if args.processes else []),
                check=True, capture_output=True, text=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"cells={row['cells']:4d} depth={row['depth']:2d} agents={row['agents']:6d} "
                  f"cycle={row['cycle_ms_median']:8.1f} ms (min {row['cycle_ms_min']:.1f}, "
                  f"max {row['cycle_ms_max']:.1f}) msgs={row['messages_per_cycle']:6d} "
                  f"rss={row['peak_rss_mib']:7.1f}+{row['workers_rss_mib']:.1f} MiB "
                  f"setup={row['setup_s']:.2f} s",
                  flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
