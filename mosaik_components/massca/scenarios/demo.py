"""A small built-in power-cell scenario: two cells, PV and flexible loads, one day.

    core -> cell(1) -> group(1) -> PV, loads     (x2 cells, depth 2)

Runs in a few seconds on any machine, no external service and no data files. The
agents balance each 15-minute step through a same-time loop with the units; the
result is a tidy CSV (``timeseries.csv``) of every unit's power and setpoint and the
external-grid exchange with and without coordination::

    massca demo --out results/demo
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mosaik
import pandas as pd

from mosaik_components.massca_results.summary import wide

SIM_CONFIG = {
    "MAS": {"python": "mosaik_components.mas:MosaikAgents"},
    "Units": {"python": "mosaik_components.massca.scenarios.demo_units:DemoUnits"},
    "Recorder": {"python": "mosaik_components.massca_results.recorder:TidyRecorder"},
}
STEP = 900
START = "2019-06-21T00:00:00"  # the clock of the synthetic profiles (local time, no site)


def positive_int(text: str) -> int:
    """Argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="massca demo: two cells, one day")
    parser.add_argument("--cells", type=positive_int, default=2)
    parser.add_argument("--units", type=positive_int, default=6, help="units per cell")
    parser.add_argument("--hours", type=positive_int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("results/demo"))
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    world = mosaik.World(SIM_CONFIG)
    with world.group():
        mas = world.start("MAS", step_size=STEP)
        units = world.start("Units", step_size=STEP)
    recorder = world.start("Recorder", step_size=STEP, out=str(args.out),
                           start=START).Recorder()
    core = mas.MosaikAgents()
    world.connect(core, recorder, "steptime", "messages", "P_exchange[MW]",
                  "P_uncontrolled[MW]")
    for cell_index, cell in enumerate(mas.MosaikAgents.create(args.cells, controller=None)):
        group = mas.MosaikAgents.create(1, controller=cell.eid)[0]
        for u in range(args.units):
            shape = "pv" if u % 3 == 0 else "load"
            seed = args.seed + 1000 * cell_index + u
            unit = units.Unit(shape=shape, peak=1.5 if shape == "pv" else 0.4, flex=0.3,
                              seed=seed)
            kind = "producer" if shape == "pv" else "consumer"
            agent = mas.MosaikAgents(controller=group.eid, kind=kind)
            world.connect(unit, agent, "current", "min", "max")
            world.connect(agent, unit, "scale_factor", weak=True)
            world.connect(unit, recorder, "P[MW]")
            world.connect(agent, recorder, "P_set[MW]")
    world.run(until=args.hours * 3600, print_progress=not args.quiet)
    return summarize(args.out / "timeseries.csv", core.full_id, args.quiet)


def summarize(path: Path, core: str, quiet: bool) -> dict[str, float]:
    """Energy exchanged with the external grid with and without coordination (MWh)."""
    frame = pd.read_csv(path)
    hours = STEP / 3600
    planned = wide(frame, "P_exchange[MW]")[core].abs().sum() * hours
    uncontrolled = wide(frame, "P_uncontrolled[MW]")[core].abs().sum() * hours
    steptime = wide(frame, "steptime")[core]
    summary = {"exchange_without_mas_MWh": float(uncontrolled),
               "exchange_with_mas_MWh": float(planned),
               "agent_time_s": float(steptime.sum()), "steps": len(steptime)}
    if not quiet:
        print(f"results: {path}")
        for key, value in summary.items():
            print(f"  {key}: {value:.3f}")
    return summary


def cli(argv: list[str] | None = None) -> int:
    """``massca demo``."""
    main(argv)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
