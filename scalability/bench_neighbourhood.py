"""Benchmark: neighbourhood scheduling at scale, and each method against the exact MILP.

1. **One run**: a seeded synthetic neighbourhood (``--houses`` houses, ``--jobs`` jobs per
   day, 40 % of the houses with PV) written to XML and run with ``massca neighbourhood``
   (mosaik + mango agents, one container) and ``--method`` (default: the fastest,
   ``descent``); wall time of the whole command and of the co-simulation.
2. **The protocol without agents** (:class:`Market`) on the same neighbourhood, with every
   problem a producer hands its optimiser recorded.
3. **Quality gap**: ``--sample`` of those problems (evenly spread over the run), each
   solved by every method from the same starting schedule and by the MILP (HiGHS, up to
   ``--milp-limit`` s): time per problem and grid energy above the optimum.
4. **Whole runs per method** at a smaller size (``--compare-houses``/``--compare-jobs``),
   protocol only: time, optimisations, PV used, jobs on PV.

Prints Markdown tables and writes them as JSON to ``--out``::

    python scalability/bench_neighbourhood.py --houses 500 --jobs 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from mosaik_components.massca.scenarios import neighbourhood as scenario
from mosaik_components.massca_neighbourhood import (
    HEURISTICS,
    METHODS,
    Market,
    Scoreboard,
    SolverOptions,
    make_neighbourhood,
    write_neighbourhood,
)
from mosaik_components.massca_neighbourhood.energy import actual_production
from mosaik_components.massca_neighbourhood.optimisation import solve, solve_milp
from mosaik_components.massca_neighbourhood.protocol import GRID
from mosaik_components.massca_neighbourhood.settlement import job_loads, settle

#: The seed's defaults (PySSMic's optimizer: eps 0.001, tol 1000) beside ours.
SETTINGS = {"ours": {}, "seed": {"eps": 1e-3, "tol": 1000.0}}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line)
    except (OSError, StopIteration):
        pass
    return {"python": platform.python_version(), "cpu": cpu, "cores": os.cpu_count(),
            "load_1min_at_start": os.getloadavg()[0]}


def one_run(args: argparse.Namespace, xml: Path, out: Path) -> dict[str, Any]:
    """The whole ``massca neighbourhood`` command, timed."""
    started = time.perf_counter()
    summary = scenario.main([str(xml), "--method", args.method, "--step", str(args.step),
                             "--seed", str(args.seed), "--no-plots", "--quiet",
                             "--out", str(out)])
    total = time.perf_counter() - started
    run = summary["per_run"][0]
    return {"method": args.method, "command_s": total, "cosimulation_s": run["wall_s"],
            **{k: run[k] for k in ("jobs", "jobs_pv", "jobs_grid", "pv_used_kWh",
                                   "demand_kWh", "self_sufficiency", "import_kWh",
                                   "import_kWh_jobs_at_latest", "requests", "messages",
                                   "optimisations", "solve_s")}}


def market(nb: Any, step: int, options: SolverOptions, seed: int, record: bool
           ) -> tuple[Market, float, list[Any]]:
    """The protocol without agents; optionally recording the optimisers' problems."""
    run = Market(nb, step, options, Scoreboard(nb.id), seed=seed)
    for book in run.books.values():
        book.record = [] if record else None
    started = time.perf_counter()
    run.run()
    seconds = time.perf_counter() - started
    problems = [p for book in run.books.values() for p in (book.record or [])]
    return run, seconds, problems


def quality(problems: list[Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every method on the sampled problems against the MILP."""
    sample = problems[:: max(1, len(problems) // args.sample)][: args.sample]
    exact = [solve_milp(p, args.milp_limit) for p, _ in sample]
    energy = [sum(job.energy for job in p.jobs) for p, _ in sample]
    rows = [{"method": "milp", "settings": f"time limit {args.milp_limit} s",
             "s_per_problem": statistics.fmean(s.seconds for s in exact),
             "max_s": max(s.seconds for s in exact),
             "gap_Wh": 0.0, "gap_share": 0.0, "at_optimum": sum(s.optimal for s in exact),
             "problems": len(sample)}]
    methods = [(m, name, extra) for m in HEURISTICS for name, extra in SETTINGS.items()]
    methods.append(("descent", "ours", {}))
    for method, name, extra in methods:
        options = SolverOptions(method=method, **extra)
        found, seconds = [], []
        for k, (problem, x0) in enumerate(sample):
            solution = solve(problem, options, np.random.default_rng([args.seed, k]), x0)
            found.append(solution.grid_wh)
            seconds.append(solution.seconds)
        gaps = [f - e.grid_wh for f, e in zip(found, exact, strict=True)]
        rows.append({"method": method,
                     "settings": f"{name}: " + ", ".join(
                         f"{k}={v}" for k, v in {**_defaults(options), **extra}.items()),
                     "s_per_problem": statistics.fmean(seconds), "max_s": max(seconds),
                     "gap_Wh": statistics.fmean(gaps),
                     "gap_share": sum(gaps) / sum(energy),
                     "at_optimum": sum(g <= 1e-6 for g in gaps), "problems": len(sample)})
    return rows


def _defaults(options: SolverOptions) -> dict[str, Any]:
    if options.method in HEURISTICS:
        return {"eps": options.eps, "tol": options.tol, "niter": options.niter}
    return {}


def compare(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Whole runs (protocol only) of every method on the smaller neighbourhood."""
    nb = make_neighbourhood(args.compare_houses, args.compare_jobs, 0.4, seed=args.seed)
    count = nb.horizon() // args.step + 2
    jobs = {j.id: j for j in nb.jobs()}
    production = {p.id: actual_production(p.predictions, count, args.step)
                  for _, p in nb.producers()}
    rows = []
    for method in METHODS:
        options = SolverOptions(method=method, time_limit=args.milp_limit)
        run, seconds, _ = market(nb, args.step, options, args.seed, record=False)
        result = settle(job_loads(jobs, run.contracts, 0, count, args.step), run.contracts,
                        production)
        rows.append({"method": method, "run_s": seconds,
                     "optimisations": run.stats.optimisations,
                     "solve_s": run.stats.solve_seconds, "unproven": run.stats.unproven,
                     "jobs_pv": sum(c.producer != GRID for c in run.contracts.values()),
                     "pv_used_kWh": sum(v.sum() for v in result.job_pv.values()) / 1000.0})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """Rows as a Markdown table."""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run the four parts and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--houses", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--step", type=int, default=900)
    parser.add_argument("--method", choices=METHODS, default="descent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--milp-limit", type=float, default=60.0)
    parser.add_argument("--compare-houses", type=int, default=60)
    parser.add_argument("--compare-jobs", type=int, default=240)
    parser.add_argument("--skip", nargs="*", default=[], choices=["run", "quality", "compare"])
    parser.add_argument("--out", type=Path, default=Path("results/bench_neighbourhood"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": machine(), "args": vars(args) | {"out": str(args.out)}}
    print(json.dumps(report["machine"]))
    nb = make_neighbourhood(args.houses, args.jobs, 0.4, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        xml = write_neighbourhood(nb, Path(tmp) / "bench.xml")
        if "run" not in args.skip:
            report["run"] = one_run(args, xml, Path(tmp) / "run")
            print(f"\n## One run: {args.houses} houses, {args.jobs} jobs\n")
            print(table([report["run"]]))
    if "quality" not in args.skip:
        run, seconds, problems = market(nb, args.step, SolverOptions(method=args.method),
                                        args.seed, record=True)
        report["market"] = {"method": args.method, "run_s": seconds,
                            "problems_recorded": len(problems), **vars(run.stats)}
        print("\n## Protocol without agents\n")
        print(table([report["market"]]))
        report["quality"] = quality(problems, args)
        sampled = report["quality"][0]["problems"]
        print(f"\n## Quality gap on {sampled} sampled problems (grid Wh above the MILP's "
              "optimum)\n")
        print(table(report["quality"]))
    if "compare" not in args.skip:
        report["compare"] = compare(args)
        print(f"\n## Whole runs per method ({args.compare_houses} houses, "
              f"{args.compare_jobs} jobs, protocol only)\n")
        print(table(report["compare"]))
    report["machine"]["load_1min_at_end"] = os.getloadavg()[0]
    (args.out / "bench.json").write_text(json.dumps(report, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
