"""Benchmark: whole mosaik steps of the MAS simulator (no grid) against the agent count.

Like ``bench_cycle.py`` but through mosaik: one unit simulator with 28 units per cell
feeds the MAS, which answers with setpoints through a same-time loop; reports the wall
time per mosaik step (all iterations, mosaik's data handling included) and the agents'
own time per step (the core's ``steptime``)::

    python scalability/bench_step.py --cells 5 50 --depth 1 10 --steps 48
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import mosaik
import mosaik_api_v3

UNITS_PER_CELL = 28
STEP = 900
META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {"U": {"public": True, "params": ["seed"],
                     "attrs": ["current", "min", "max", "scale_factor"],
                     "trigger": ["scale_factor"]}},
}


class BenchUnits(mosaik_api_v3.Simulator):
    """Random producers/loads (seeded) that apply scale_factor within the step."""

    def __init__(self) -> None:
        super().__init__(META)
        self.units: dict[str, list[Any]] = {}

    def init(self, sid: str, time_resolution: float = 1.0) -> dict:
        return self.meta

    def create(self, num: int, model: str, seed: int = 0) -> list[dict]:
        out = []
        for _ in range(num):
            eid = f"u{len(self.units)}"
            self.units[eid] = [random.Random(seed + len(self.units)), 0.0, 0.0]
            out.append({"eid": eid, "type": model})
        return out

    def step(self, time: int, inputs: dict, max_advance: int) -> int:
        for eid, unit in self.units.items():
            given = inputs.get(eid)
            if given:
                unit[2] = unit[1] + sum(given["scale_factor"].values())
            else:
                unit[1] = unit[2] = unit[0].uniform(0.2, 1.0)
        return time - time % STEP + STEP

    def get_data(self, outputs: dict) -> dict:
        return {eid: {"current": self.units[eid][2], "min": 0.0, "max": self.units[eid][1]}
                for eid in outputs}


class Sink(mosaik_api_v3.Simulator):
    """Keeps the core's steptime per time."""

    def __init__(self) -> None:
        super().__init__({"api_version": "3.0", "type": "event-based", "models": {
            "S": {"public": True, "any_inputs": True, "params": [], "attrs": []}},
            "extra_methods": ["get_steptimes"]})
        self.steptimes: dict[int, float] = {}

    def create(self, num: int, model: str) -> list[dict]:
        return [{"eid": "s", "type": model}]

    def step(self, time: int, inputs: dict, max_advance: int) -> None:
        for attrs in inputs.values():
            for value in attrs.get("steptime", {}).values():
                self.steptimes[time] = value

    def get_steptimes(self) -> list[float]:
        return list(self.steptimes.values())


def run(cells: int, depth: int, steps: int) -> dict:
    config = {"MAS": {"python": "mosaik_components.mas:MosaikAgents"},
              "Units": {"python": "bench_step:BenchUnits"}, "Sink": {"python": "bench_step:Sink"}}
    world = mosaik.World(config)
    with world.group():
        mas = world.start("MAS")
        units = world.start("Units")
    sink_sim = world.start("Sink")
    sink = sink_sim.S()
    core = mas.MosaikAgents()
    world.connect(core, sink, "steptime")
    agents = 1
    for c in range(cells):
        parent = None
        for _ in range(depth):
            parent = mas.MosaikAgents(controller=parent.eid if parent else None)
            agents += 1
        sims = units.U.create(UNITS_PER_CELL, seed=1000 * c)
        for sim in sims:
            agent = mas.MosaikAgents(controller=parent.eid, kind="producer")
            world.connect(sim, agent, "current", "min", "max")
            world.connect(agent, sim, "scale_factor", weak=True)
            agents += 1
    started = time.perf_counter()
    world.run(until=steps * STEP, print_progress=False, shutdown=False)  # sink read below
    wall = time.perf_counter() - started
    steptimes = sink_sim.get_steptimes()
    world.shutdown()
    return {"cells": cells, "depth": depth, "agents": agents, "steps": steps,
            "wall_s": wall, "wall_per_step_ms": 1000 * wall / steps,
            "agent_time_per_step_ms": 1000 * statistics.median(steptimes),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--depth", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.one[0], args.one[1], args.steps)))
        return
    for depth in args.depth:
        for cells in args.cells:
            out = subprocess.run([sys.executable, __file__, "--one", str(cells), str(depth),
                                  "--steps", str(args.steps)],
                                 check=True, capture_output=True, text=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"cells={row['cells']:3d} depth={row['depth']:2d} agents={row['agents']:5d} "
                  f"wall/step={row['wall_per_step_ms']:7.1f} ms "
                  f"agents/step={row['agent_time_per_step_ms']:6.1f} ms "
                  f"rss={row['peak_rss_mib']:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
