"""Scalability sweeps of the cells scenario: cells x depth x attempts, resumable, sharded.

    massca sweep run --cells 1 2 1 --depth 1 --attempts 1 --until 3600 --jobs 2
    massca sweep run --config scalability/sweep.smoke.json --executor dask --jobs 2
    massca sweep run --config scalability/sweep.massca.json --scheduler tcp://HOST:8786
    massca sweep merge results/shard-1 results/shard-2 --out results/all
    massca sweep report --out results/all

``--cells`` and ``--depth`` take ``START STOP STEP`` (inclusive) like MASSCA's sweep
(cells 5..50 step 5, depth 1..10, 5 attempts). Each point runs :data:`SCENARIO` in its
own process (see :mod:`.point`); ``--jobs N`` runs N at once in a thread pool, or on a
Dask cluster with ``--executor dask`` (a local cluster) or ``--scheduler ADDRESS``.
Results are appended row by row (see :mod:`.results`): an interrupted sweep restarts
where it stopped, a failed run is recorded with its error and the sweep goes on
(``--retry-failed`` runs failed points again). ``--shard K/N`` takes every N-th point
(the K-th of each N), so N machines split one sweep without talking to each other.
Every option is validated (:mod:`.config`) before the first point starts.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from . import results
from .config import SweepConfig, SweepConfigError, resolve
from .executors import Executor, ExecutorError, make_executor
from .point import SCENARIO, Outcome, Point
from .progress import Progress

__all__ = ["SCENARIO", "main", "parser", "points", "run_sweep"]


def points(cells: list[int], depths: list[int], attempts: int, part: tuple[int, int]
           ) -> list[Point]:
    """All points in a fixed order; this shard's share of them."""
    every = [(c, d, a) for d in depths for c in cells for a in range(attempts)]
    k, n = part
    return [p for i, p in enumerate(every) if i % n == k - 1]


def run_sweep(config: SweepConfig, quiet: bool = False,
              retry_failed: bool = False) -> int | None:
    """Run this shard's remaining points; the number of its points with failed runs only.

    Counts this session's failures and earlier ones not retried; ``None`` when stopped.
    """
    out = config.out
    stopped: list[int] = []
    executors: list[Executor] = []

    def request_stop(signum: int, frame: Any) -> None:
        stopped.append(signum)
        for executor in executors:
            executor.stop()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with results.sweep_lock(out):
            _run_points(config, retry_failed, quiet, executors, stopped)
            results.export_massca(out)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if stopped:
        print("stopped: finished points are kept; run the same command to resume",
              file=sys.stderr)
        return None
    todo = points(config.cells, config.depth, config.attempts, config.shard)
    return len(results.still_failed(out) & set(todo))


def _run_points(config: SweepConfig, retry_failed: bool, quiet: bool,
                executors: list[Executor], stopped: list[int]) -> None:
    """Run the points not finished yet."""
    todo = points(config.cells, config.depth, config.attempts, config.shard)
    done = results.finished(config.out, include_failed=not retry_failed)
    queue = [p for p in todo if p not in done]
    executor = make_executor(config.executor, config.jobs, config.scenario_options(),
                             config.scheduler)
    executors.append(executor)
    if stopped:
        executor.stop()
    progress = Progress(len(todo), len(todo) - len(queue),
                        f"sweep {config.shard[0]}/{config.shard[1]}", quiet)
    try:
        for point, outcome in executor.run(queue):
            if outcome is not None:
                _record(config.out, point, outcome, progress)
    finally:
        executor.close()
        progress.close()


def _record(out: Path, point: Point, outcome: Outcome, progress: Progress) -> None:
    """Append a point's rows (steps first)."""
    row, steps = outcome
    if steps:
        results.append_rows(out / "steps.csv", results.STEP_FIELDS, steps)
    results.append_rows(out / "runs.csv", results.RUN_FIELDS, [row])
    ok = row["status"] == "ok"
    progress.point(point, ok, row.get("sim_time") if ok else row["error"])


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main = argparse.ArgumentParser(prog="massca sweep", description=__doc__.splitlines()[0])
    sub = main.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run (or resume) a sweep")
    run.add_argument("--config", type=Path, help="JSON or TOML file with these options")
    run.add_argument("--cells", type=int, nargs="+", default=None,
                     help="N or START STOP STEP (default 5 50 5)")
    run.add_argument("--depth", type=int, nargs="+", default=None,
                     help="N or START STOP STEP (default 1 10 1)")
    run.add_argument("--attempts", type=int, default=None, help="repetitions (default 5)")
    run.add_argument("--seed", type=int, default=None, help="base seed (default 13)")
    run.add_argument("--until", type=int, default=None, help="simulated seconds (1 day)")
    run.add_argument("--strategy", default=None,
                     help="a built-in strategy name or 'module:Class' (default balance)")
    run.add_argument("--jobs", type=int, default=None,
                     help="runs at once: threads, or local Dask workers (default 1)")
    run.add_argument("--shard", default=None, help="K/N: this machine's share (default 1/1)")
    run.add_argument("--timeout", type=float, default=None, help="seconds per run")
    run.add_argument("--out", default=None, help="result folder (default results/sweep)")
    run.add_argument("--executor", choices=["threads", "dask"], default=None,
                     help="threads (default) or dask (a local cluster, or --scheduler)")
    run.add_argument("--scheduler", default=None,
                     help="address of a running Dask scheduler, e.g. tcp://HOST:8786 "
                          "(implies --executor dask)")
    run.add_argument("--retry-failed", action="store_true",
                     help="run points again whose earlier run failed")
    run.add_argument("--quiet", action="store_true")
    merge = sub.add_parser("merge", help="join the result folders of several shards")
    merge.add_argument("sources", type=Path, nargs="+")
    merge.add_argument("--out", type=Path, required=True)
    report = sub.add_parser("report", help="MASSCA files, plots and the growth fit")
    report.add_argument("--out", type=Path, required=True)
    return main


def _merge(args: argparse.Namespace) -> int:
    runs, steps = results.merge(args.sources, args.out)
    results.export_massca(args.out)
    print(f"merged {runs} runs, {steps} steps into {args.out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import plots

    if not (args.out / "runs.csv").is_file():
        raise results.ResultsError(f"report: {str(args.out)!r} has no runs.csv "
                                   "(not a sweep result folder)")
    results.export_massca(args.out)
    print(json.dumps(plots(args.out)))
    return 0


def _run(args: argparse.Namespace) -> int:
    config = resolve(args.config, vars(args))
    results.check_writable(config.out)
    started = time.perf_counter()
    failed = run_sweep(config, quiet=args.quiet, retry_failed=args.retry_failed)
    if failed is None:
        return 130
    if not args.quiet or failed:
        retry = " (--retry-failed runs them again)" if failed else ""
        print(f"sweep finished in {time.perf_counter() - started:.0f} s; "
              f"points with failed runs only: {failed}{retry}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; 0 when every run succeeded, 1 on failed runs or bad input, 130 stopped."""
    args = parser().parse_args(argv)
    command = {"run": _run, "merge": _merge, "report": _report}[args.command]
    try:
        return command(args)
    except (SweepConfigError, results.ResultsError, ExecutorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
