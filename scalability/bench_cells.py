"""Benchmark: the grid builder and whole cells-scenario runs (wall time, agent time).

    python scalability/bench_cells.py --grid 1 5 50 200 --runs 5x1 50x10

``--runs CxD`` runs ``scenarios/cells.py --cells C --depth D`` for one day at 15 min in
its own process (``--quiet --no-plots``) and reads its ``summary.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_grid(cells: int) -> tuple[float, float]:
    import pandapower as pp

    from mosaik_components.massca_grid.cells import build_cells

    build_cells(1)  # the CIGRE template is built once per process
    started = time.perf_counter()
    net = build_cells(cells)
    built = time.perf_counter() - started
    started = time.perf_counter()
    pp.runpp(net)
    return built, time.perf_counter() - started


def bench_run(cells: int, depth: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "scenarios" / "cells.py"), "--data", "cigre",
                        "--strategy", "balance", "--cells",
                        str(cells), "--depth", str(depth), "--quiet", "--no-plots",
                        "--out", out], check=True, capture_output=True)
        process = time.perf_counter() - started
        summary = json.loads((Path(out) / "summary.json").read_text())
    return {"process_s": process, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, nargs="*", default=[1, 5, 50, 200])
    parser.add_argument("--runs", nargs="*", default=["5x1", "50x10"])
    args = parser.parse_args()
    for cells in args.grid:
        built, flow = bench_grid(cells)
        print(f"grid cells={cells:4d}: build {built:6.2f} s, first power flow {flow:6.2f} s",
              flush=True)
    for spec in args.runs:
        cells, depth = (int(x) for x in spec.split("x"))
        r = bench_run(cells, depth)
        print(f"run cells={cells:3d} depth={depth:2d}: process {r['process_s']:6.1f} s, "
              f"run {r['wall_time_s']:6.1f} s, agents {r['agent_time_s']:6.2f} s "
              f"({1000 * r['agent_time_per_step_s']:.1f} ms/step), iterations <= "
              f"{r['iterations_max']}, import {r['import_MWh']:.1f} MWh vs "
              f"{r['import_MWh_uncontrolled']:.1f} MWh uncontrolled", flush=True)


if __name__ == "__main__":
    main()
