"""Peer-to-peer neighbourhood scheduling (PySSMic/CoSSMic): N runs of one configuration.

    houses (jobs, PV) --jobs, predictions--> agents (keeper, consumers, producers)
    houses <--contracts (same step, weak)--- agents
    houses --P_load/P_gen--> LV feeder (pandapower, with --grid)

Each run co-simulates the neighbourhood with mosaik for the whole horizon (every job's
latest start plus its duration): jobs are announced when created, the mango agents
negotiate them (score-ordered requests, producers optimise their PV schedule with
``--method``), and the houses run the contracted jobs as shiftable loads against the PV
production. Run ``k`` uses seed ``--seed + k``; the producer scores persist between runs
(and configurations) in ``--scores`` (JSON). Writes, in ``--out``: ``run-NNN/`` per run
(see :mod:`mosaik_components.massca_neighbourhood.results`), ``runs.parquet`` (KPIs per
run), ``households.parquet`` (KPIs per run and household), ``summary.json`` and
``runs.png``::

    massca neighbourhood --method SLSQP --runs 3 --out results/neighbourhood
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time as clock
from pathlib import Path
from typing import Any

import mosaik
import pandas as pd

from mosaik_components.massca_neighbourhood import (
    METHODS,
    NeighbourhoodError,
    Scoreboard,
    example_path,
    read_neighbourhood,
)
from mosaik_components.massca_neighbourhood.plots import write_run_plots, write_runs_plot
from mosaik_components.massca_neighbourhood.protocol import Contract
from mosaik_components.massca_neighbourhood.results import (
    house_frame,
    house_kpis,
    jobs_frame,
    kpis,
    neighbourhood_frame,
    write_run,
)

SIM_CONFIG = {
    "Households": {"python": "mosaik_components.massca_neighbourhood.simulators:"
                             "HouseholdsSimulator"},
    "Agents": {"python": "mosaik_components.massca_neighbourhood.simulators:AgentsSimulator"},
    "Grid": {"python": "mosaik_components.massca_grid:GridSimulator"},
    "Recorder": {"python": "mosaik_components.massca_results.recorder:TidyRecorder"},
}


def _number(kind: type, minimum: float, strict: bool = False) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            sign = ">" if strict else ">="
            raise argparse.ArgumentTypeError(f"must be {sign} {minimum}, got {text}")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; errors name the option and the value."""
    parser = argparse.ArgumentParser(prog="massca neighbourhood",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("xml", nargs="?", type=Path, default=None,
                        help="neighbourhood XML (default: the shipped example)")
    parser.add_argument("--jobs", type=Path, default=None,
                        help="a separate PySSMic jobs XML to add")
    parser.add_argument("--method", choices=METHODS, default="L-BFGS-B",
                        help="producer optimisation: the seed's scipy methods under "
                             "basin-hopping, our fast local search, or the exact MILP")
    parser.add_argument("--eps", type=_number(float, 0, True), default=1.0,
                        help="finite-difference step of the scipy methods, s (scipy eps)")
    parser.add_argument("--tol", type=_number(float, 0, True), default=1e-6,
                        help="termination tolerance of the scipy methods (scipy tol)")
    parser.add_argument("--niter", type=_number(int, 0), default=10,
                        help="basin-hopping iterations")
    parser.add_argument("--stepsize", type=_number(float, 0, True), default=1800.0,
                        help="basin-hopping jump, s")
    parser.add_argument("--time-limit", type=_number(float, 0, True), default=None,
                        help="seconds one MILP solve may take (default: none, proven optimal)")
    parser.add_argument("--max-grid-share", type=_number(float, 0), default=0.0,
                        help="a producer accepts a job when its schedule's grid energy grows "
                             "by at most this share of the job's energy (0: PySSMic)")
    parser.add_argument("--step", type=_number(int, 1), default=900,
                        help="scheduling resolution and mosaik step, s")
    parser.add_argument("--runs", type=_number(int, 1), default=1, help="runs N")
    parser.add_argument("--seed", type=_number(int, 0), default=0,
                        help="seed of run 0; run k uses seed + k")
    parser.add_argument("--scores", type=Path, default=None,
                        help="producer scores JSON (default: OUT/scores-<neighbourhood>.json)")
    parser.add_argument("--reset-scores", action="store_true",
                        help="start from fresh scores (the file is overwritten)")
    parser.add_argument("--containers", type=_number(int, 1), default=1,
                        help="mango TCP containers for the agents")
    parser.add_argument("--timeout", type=_number(float, 0, True), default=30.0,
                        help="seconds an agent may take to answer")
    parser.add_argument("--grid", action="store_true",
                        help="connect the houses to a pandapower LV feeder")
    parser.add_argument("--out", type=Path, default=Path("results/neighbourhood"))
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.max_grid_share > 1:
        parser.error(f"argument --max-grid-share: must be <= 1, got {args.max_grid_share}")
    return args


def _world(args: argparse.Namespace, nb: Any, seed: int, until: int, scores: Path,
           folder: Path) -> tuple[mosaik.World, dict[str, Any]]:
    world = mosaik.World(SIM_CONFIG, skip_greetings=True)
    try:
        return world, _populate(world, args, nb, seed, until, scores, folder)
    except BaseException:
        world.shutdown()
        raise


def _populate(world: mosaik.World, args: argparse.Namespace, nb: Any, seed: int, until: int,
              scores: Path, folder: Path) -> dict[str, Any]:
    common = {"step_size": args.step, "path": str(args.xml),
              "jobs": str(args.jobs) if args.jobs else None, "until": until}
    with world.group():
        households = world.start("Households", **common)
        agents = world.start("Agents", **common, method=args.method, eps=args.eps,
                             tol=args.tol, niter=args.niter, stepsize=args.stepsize,
                             time_limit=args.time_limit, max_grid_share=args.max_grid_share,
                             seed=seed, scores=str(scores), containers=args.containers,
                             timeout=args.timeout)
    handles: dict[str, Any] = {"households": households, "agents": agents,
                               "market": agents.Market(), "houses": {}}
    for house in nb.houses:
        entity = households.House(id=house.id)
        household = agents.Household(id=house.id)
        world.connect(entity, household, "jobs", "predictions")
        world.connect(household, entity, "contracts", weak=True)
        handles["houses"][house.id] = entity
    if args.grid:
        _grid(world, args, nb, handles, folder)
    return handles


def _grid(world: mosaik.World, args: argparse.Namespace, nb: Any, handles: dict[str, Any],
          folder: Path) -> None:
    from mosaik_components.massca_neighbourhood.grid import build_feeder

    net = build_feeder([h.id for h in nb.houses])
    grid = world.start("Grid", step_size=args.step).Grid(net=net)
    entities = {e.eid: e for e in grid.children}
    recorder = world.start("Recorder", step_size=args.step, out=str(folder),
                           fmt="parquet").Recorder()
    for idx, house in net.bus["house"].items():
        if pd.isna(house):  # the MV bus and the LV busbar
            continue
        world.connect(handles["houses"][house], entities[f"Bus-{idx}"], "P_load[MW]",
                      "P_gen[MW]")
    for idx in net.bus.index:
        world.connect(entities[f"Bus-{idx}"], recorder, "Vm[pu]")
    for idx in net.line.index:
        world.connect(entities[f"Line-{idx}"], recorder, "loading[%]")
    world.connect(entities["ExternalGrid-0"], recorder, "P[MW]")


def _grid_kpis(frame: pd.DataFrame, step: int) -> dict[str, float]:
    hours = step / 3600.0
    ext = frame[frame["attr"] == "P[MW]"].groupby("time")["value"].sum()
    return {
        "grid_import_kWh": float(ext.clip(lower=0).sum() * hours * 1000.0),
        "grid_export_kWh": float((-ext).clip(lower=0).sum() * hours * 1000.0),
        "min_voltage_pu": float(frame[frame["attr"] == "Vm[pu]"]["value"].min()),
        "max_voltage_pu": float(frame[frame["attr"] == "Vm[pu]"]["value"].max()),
        "max_line_loading_pct": float(frame[frame["attr"] == "loading[%]"]["value"].max()),
    }


def run_once(args: argparse.Namespace, nb: Any, index: int, scores: Path) -> dict[str, Any]:
    """One co-simulated run; writes ``OUT/run-NNN`` and returns its summary."""
    seed = args.seed + index
    until = -(-nb.horizon() // args.step) * args.step + args.step
    before = Scoreboard.load(scores, nb.id)
    before.register(p.id for _, p in nb.producers())
    started = clock.perf_counter()
    folder = args.out / f"run-{index:03d}"
    world, handles = _world(args, nb, seed, until, scores, folder)
    with world:  # shut down at the end, after the extra methods were called
        world.run(until=until, print_progress=not args.quiet)
        raw = handles["households"].results()
        stats = handles["agents"].stats()
        after = handles["agents"].scores()
    grid_frame = pd.read_parquet(folder / "timeseries.parquet") if args.grid else None
    wall = clock.perf_counter() - started
    houses = {eid: house for eid, house in raw["houses"].items()}
    households = house_frame(raw["rows"], houses, nb.start)
    series = neighbourhood_frame(households, nb, args.step)
    contracts = {c["job"]: Contract(c["job"], c["house"], c["producer"], c["start"], c["agreed"],
                                    c["declines"]) for c in raw["contracts"]}
    jobs = jobs_frame(nb, contracts, args.step, until // args.step)
    summary = {"run": index, "seed": seed, **kpis(series, jobs, args.step),
               "requests": int(stats["requests"]), "declines": int(stats["declines"]),
               "messages": int(stats["messages"]), "rejected": int(stats["rejected"]),
               "optimisations": int(stats["optimisations"]),
               "solve_s": stats["solve_seconds"], "wall_s": wall}
    if grid_frame is not None:
        summary.update(_grid_kpis(grid_frame, args.step))
    write_run(folder, households, series, jobs, summary,
              {"before": dict(before.scores), "after": after})
    if not args.no_plots:
        write_run_plots(folder, households, series, jobs,
                        {"before": dict(before.scores), "after": after}, args.step)
    return {"summary": summary, "households": house_kpis(households, jobs).assign(run=index)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """All runs of the configuration; returns the top-level summary."""
    if args.xml is None:
        args.xml = example_path()
    nb = read_neighbourhood(args.xml, args.jobs)  # bad input fails here, before any run
    args.out.mkdir(parents=True, exist_ok=True)
    scores = args.scores or args.out / f"scores-{nb.id}.json"
    if args.reset_scores and scores.exists():
        scores.unlink()
    Scoreboard.load(scores, nb.id)  # a bad or foreign scores file fails before any run
    results = [run_once(args, nb, k, scores) for k in range(args.runs)]
    runs = pd.DataFrame([r["summary"] for r in results])
    runs.to_parquet(args.out / "runs.parquet", index=False)
    pd.concat([r["households"] for r in results]).to_parquet(args.out / "households.parquet",
                                                             index=False)
    summary = {"neighbourhood": nb.id, "runs": args.runs,
               "config": {k: str(v) for k, v in vars(args).items()},
               "mean": {k: statistics.fmean(runs[k]) for k in runs.columns
                        if k not in ("run", "seed") and runs[k].notna().all()},
               "per_run": [r["summary"] for r in results]}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    if not args.no_plots:
        write_runs_plot(args.out, runs)
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry point: run and print the KPIs."""
    args = parse_args(argv)
    summary = run(args)
    if not args.quiet:
        print(f"\nresults in {args.out}/ ({summary['runs']} run(s), summary.json, runs.png)")
        for key in ("demand_kWh", "pv_used_kWh", "grid_kWh", "self_sufficiency", "import_kWh",
                    "import_kWh_jobs_at_latest", "jobs_pv", "jobs_grid", "mean_delay_h",
                    "mean_declines", "wall_s"):
            print(f"  {key:28s} {summary['mean'][key]:10.3f}")
    return summary


def cli(argv: list[str] | None = None) -> int:
    """``massca neighbourhood``: run; ``error: ...`` and 1 on bad input."""
    try:
        main(argv)
    except (NeighbourhoodError, FileNotFoundError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())
