"""Benchmark the local energy market: N homes x 1 day at 15-min periods, whole mosaik run.

    python scalability/bench_market.py --homes 10000          # the goal: <= 60 s
    python scalability/bench_market.py --homes 1000 10000 --market system

Builds the scenario's world (weather, events, homes, one mango agent per home, the
market agents) without recorder and ledger, runs it and prints: setup and run wall
time, CPU time, agent time (the periods inside the market simulator), messages per
period and per home and period, and peak memory. Measures and prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mosaik_components.massca.scenarios import market  # noqa: E402


def one(homes: int, args: argparse.Namespace) -> dict[str, float]:
    argv = ["--homes", str(homes), "--cells", str(args.cells), "--market", args.market,
            "--until", str(args.until), "--seed", "1", "--quiet", "--no-plots",
            "--timeout", "120"]
    options = market.parse_args(argv)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    config = market.configure(options)
    w = market.build(config, options.start, options.until, record=False)
    if args.freeze:
        gc.collect()
        gc.freeze()  # the setup's objects never need collecting again
    wall1 = time.perf_counter()
    w.world.run(until=options.until, print_progress=False, shutdown=False)
    wall2, cpu2 = time.perf_counter(), time.process_time()
    stats = w.market_sim.get_stats()
    w.world.shutdown()
    if args.freeze:
        gc.unfreeze()
    periods = len(stats["messages"])
    return {"homes": homes, "markets": len(w.markets), "periods": periods,
            "setup_s": wall1 - wall0, "run_s": wall2 - wall1, "total_s": wall2 - wall0,
            "cpu_s": cpu2 - cpu0, "agents_s": sum(stats["seconds"]),
            "messages_per_period": sum(stats["messages"]) / periods,
            "messages_per_home_period": sum(stats["messages"]) / periods / homes,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, nargs="+", default=[10000])
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--market", choices=["cell", "system"], default="cell")
    parser.add_argument("--until", type=int, default=86400)
    parser.add_argument("--no-freeze", dest="freeze", action="store_false",
                        help="leave the garbage collector alone after the setup")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {load[0]:.1f} at start")
    print(f"# {' '.join(sys.argv)}")
    rows = [one(homes, args) for homes in args.homes]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
