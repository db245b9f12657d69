"""Scalability sweeps of the cells scenario: cells x depth x attempts, resumable, sharded.

    python scalability/sweep.py run --cells 5 50 5 --depth 1 10 1 --attempts 5 --jobs 2
    python scalability/sweep.py run --config scalability/sweep.massca.json --shard 1/2
    python scalability/sweep.py merge results/shard-1 results/shard-2 --out results/all
    python scalability/sweep.py report --out results/all

``--cells`` and ``--depth`` take ``START STOP STEP`` (inclusive) like MASSCA's sweep
(cells 5..50 step 5, depth 1..10, 5 attempts). Each point runs ``scenarios/cells.py`` in
its own process; ``--jobs N`` runs N at once. Results are appended row by row (see
``results``): an interrupted sweep restarts where it stopped, a failed run is
recorded with its error and the sweep goes on. ``--shard K/N`` takes every N-th point
(the K-th of each N), so N workers split one sweep without talking to each other.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import pandas as pd

from . import results

#: How one point runs: the cells scenario in its own process.
SCENARIO = [sys.executable, "-m", "mosaik_components.massca.scenarios.cells"]
Point = tuple[int, int, int]
CONFIG_KEYS = {"cells", "depth", "attempts", "seed", "days", "until", "jobs", "shard",
               "timeout", "out", "strategy"}


def int_range(values: list[int], name: str) -> list[int]:
    """``[start, stop, step]`` (inclusive) or ``[n]`` as a list; errors name the option."""
    if len(values) == 1:
        start = stop = values[0]
        step = 1
    elif len(values) == 3:
        start, stop, step = values
    else:
        raise ValueError(f"--{name}: give N or START STOP STEP, got {values}")
    if start < 1 or stop < start or step < 1:
        raise ValueError(f"--{name}: need 1 <= START <= STOP and STEP >= 1, got {values}")
    return list(range(start, stop + 1, step))


def shard(text: str) -> tuple[int, int]:
    """Parse ``K/N`` with 1 <= K <= N."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shard must look like K/N, got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"shard K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def points(cells: list[int], depths: list[int], attempts: int, part: tuple[int, int]
           ) -> list[Point]:
    """All points in a fixed order; this shard's share of them."""
    every = [(c, d, a) for d in depths for c in cells for a in range(attempts)]
    k, n = part
    return [p for i, p in enumerate(every) if i % n == k - 1]


def error_line(stderr: str) -> str:
    """The exception line of a traceback (else the last line of the output)."""
    lines = stderr.strip().splitlines() or ["no output"]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return (errors or lines)[-1]


class Runner:
    """Runs points in child processes (own sessions) and stops them all on request.

    Ctrl-C or SIGTERM (``docker stop``) only set the stop flag: running children are
    terminated, and their runs are *not* recorded, so a restart runs them again.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stop = threading.Event()
        self.children: set[subprocess.Popen] = set()
        self.lock = threading.Lock()

    def request_stop(self, signum: int, frame: Any) -> None:
        """Signal handler."""
        self.stop.set()

    def terminate_children(self) -> None:
        """Stop every running scenario process (on Ctrl-C or SIGTERM)."""
        with self.lock:
            for child in self.children:
                child.terminate()

    def run_point(self, point: Point) -> tuple[dict, list[dict]] | None:
        """Run one point; its run row and step rows (None if stopped meanwhile)."""
        cells, depth, attempt = point
        args = self.args
        seed = args.seed + attempt
        row: dict[str, Any] = {"cells_count": cells, "hierarchy_depth": depth,
                               "attempt": attempt, "seed": seed}
        with tempfile.TemporaryDirectory(prefix="massca-sweep-") as tmp:
            command = [*SCENARIO, "--cells", str(cells), "--depth",
                       str(depth), "--seed", str(seed), "--until", str(args.until),
                       "--strategy", args.strategy, "--quiet", "--no-plots", "--out", tmp]
            with self.lock:
                if self.stop.is_set():
                    return None
                child = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True,
                                         start_new_session=True)
                self.children.add(child)
            try:
                _, stderr = child.communicate(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                return {**row, "status": "failed",
                        "error": f"timed out after {args.timeout} s"}, []
            finally:
                with self.lock:
                    self.children.discard(child)
            if self.stop.is_set():
                return None
            if child.returncode != 0:
                return {**row, "status": "failed",
                        "error": f"exit {child.returncode}: {error_line(stderr)}"[:500]}, []
            return parse_run(row, Path(tmp))


def parse_run(row: dict[str, Any], folder: Path) -> tuple[dict, list[dict]]:
    """The run row and step rows from a finished run's ``summary.json`` and time series."""
    summary = json.loads((folder / "summary.json").read_text())
    frame = pd.read_csv(folder / "timeseries.csv")
    core = frame[frame["entity"] == "MAS-0.MosaikAgent"]
    per_step = core.pivot(index="time", columns="attr", values="value")
    row = {**row, "status": "ok", "error": "", "sim_time": summary["wall_time_s"],
           "agents": summary["agents"], "messages": summary["messages"],
           "agent_time": summary["agent_time_s"],
           "agent_time_per_step": summary["agent_time_per_step_s"],
           "power_flow_time": summary["power_flow_s"], "peak_rss_mib": summary["peak_rss_mib"],
           "iterations_max": summary["iterations_max"], "import_MWh": summary["import_MWh"],
           "import_MWh_uncontrolled": summary["import_MWh_uncontrolled"]}
    steps = [{"step": i, "cells_count": row["cells_count"],
              "hierarchy_depth": row["hierarchy_depth"], "attempt": row["attempt"],
              "agents_time": float(r["steptime"]), "messages": int(float(r["messages"])),
              "iterations": int(float(r["iterations"])), "agents": summary["agents"]}
             for i, (_, r) in enumerate(per_step.iterrows())]
    return row, steps


def run_sweep(args: argparse.Namespace) -> int | None:
    """Run the remaining points of this shard; the number of failed runs (None: stopped)."""
    from tqdm import tqdm

    out = Path(args.out)
    todo_all = points(args.cells, args.depth, args.attempts, args.shard)
    done = results.finished(out, include_failed=not args.retry_failed)
    queue = [p for p in todo_all if p not in done]
    runner = Runner(args)
    signal.signal(signal.SIGINT, runner.request_stop)
    signal.signal(signal.SIGTERM, runner.request_stop)
    failed = 0
    bar = tqdm(total=len(todo_all), initial=len(todo_all) - len(queue), unit="run",
               desc=f"sweep {args.shard[0]}/{args.shard[1]}", disable=args.quiet)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        pending: dict[Future, Point] = {}
        while (queue and not runner.stop.is_set()) or pending:
            while queue and len(pending) < args.jobs and not runner.stop.is_set():
                point = queue.pop(0)
                pending[pool.submit(runner.run_point, point)] = point
            finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            if runner.stop.is_set():
                runner.terminate_children()
            for future in finished:
                point = pending.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # recorded, the sweep goes on
                    outcome = ({"cells_count": point[0], "hierarchy_depth": point[1],
                                "attempt": point[2], "seed": args.seed + point[2],
                                "status": "failed", "error": repr(exc)[:500]}, [])
                if outcome is None:
                    continue  # stopped: not a result of the point
                row, steps = outcome
                if steps:
                    results.append_rows(out / "steps.csv", results.STEP_FIELDS, steps)
                results.append_rows(out / "runs.csv", results.RUN_FIELDS, [row])
                failed += row["status"] != "ok"
                bar.update(1)
                if row["status"] != "ok":
                    bar.write(f"failed {point}: {row['error']}")
    bar.close()
    results.export_massca(out)
    if runner.stop.is_set():
        print("stopped: finished points are kept; run the same command to resume",
              file=sys.stderr)
        return None
    return failed


def load_config(path: Path) -> dict[str, Any]:
    """A JSON or TOML file with the ``run`` options as keys."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"--config: cannot read {str(path)!r}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"--config {path}: not valid {path.suffix[1:]}: {exc}") from None
    unknown = set(data) - CONFIG_KEYS
    if unknown:
        raise ValueError(f"--config {path}: unknown key(s) {sorted(unknown)}; "
                         f"known: {sorted(CONFIG_KEYS)}")
    return data


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    run.add_argument("--strategy", default=None)
    run.add_argument("--jobs", type=int, default=None, help="runs at once (default 1)")
    run.add_argument("--shard", type=shard, default=None, help="K/N (default 1/1)")
    run.add_argument("--timeout", type=float, default=None, help="seconds per run")
    run.add_argument("--out", type=Path, default=None, help="results/sweep")
    run.add_argument("--retry-failed", action="store_true",
                     help="run points again whose earlier run failed")
    run.add_argument("--quiet", action="store_true")
    merge = sub.add_parser("merge", help="join the result folders of several shards")
    merge.add_argument("sources", type=Path, nargs="+")
    merge.add_argument("--out", type=Path, required=True)
    report = sub.add_parser("report", help="MASSCA files, plots and the growth fit")
    report.add_argument("--out", type=Path, required=True)
    return main


DEFAULTS = {"cells": [5, 50, 5], "depth": [1, 10, 1], "attempts": 5, "seed": 13,
            "until": 86400, "strategy": "balance", "jobs": 1, "shard": "1/1",
            "timeout": None, "out": "results/sweep"}


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """Defaults < config file < command line; validated."""
    merged = dict(DEFAULTS)
    if args.config is not None:
        merged.update(load_config(args.config))
    merged.update({k: v for k, v in vars(args).items() if v is not None and k in DEFAULTS})
    if isinstance(merged["shard"], str):
        merged["shard"] = shard(merged["shard"])
    merged["cells"] = int_range(list(merged["cells"]), "cells")
    merged["depth"] = int_range(list(merged["depth"]), "depth")
    for name in ("attempts", "jobs", "until"):
        if not isinstance(merged[name], int) or merged[name] < 1:
            raise ValueError(f"--{name}: must be an integer >= 1, got {merged[name]!r}")
    if merged["until"] < 900:
        raise ValueError(f"--until: must be at least one step (900 s), got {merged['until']}")
    return argparse.Namespace(**merged, quiet=args.quiet, config=args.config,
                              retry_failed=args.retry_failed)


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit code 0 when every run succeeded."""
    cli = parser()
    args = cli.parse_args(argv)
    try:
        if args.command == "merge":
            runs, steps = results.merge(args.sources, args.out)
            results.export_massca(args.out)
            print(f"merged {runs} runs, {steps} steps into {args.out}")
            return 0
        if args.command == "report":
            results.export_massca(args.out)
            print(json.dumps(results.plots(args.out)))
            return 0
        config = resolve(args)
    except ValueError as exc:
        cli.error(str(exc))
    started = time.perf_counter()
    failed = run_sweep(config)
    if failed is None:
        return 130
    if not config.quiet:
        print(f"sweep finished in {time.perf_counter() - started:.0f} s; failed runs: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
