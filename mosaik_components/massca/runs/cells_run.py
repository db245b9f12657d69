"""The life of one ``massca cells`` run in its folder: options, provenance, results, status.

:func:`add_options`/:func:`check_options` give the scenario its output options
(``--runs``/``--name`` or ``--out``, ``--overwrite``, ``--format``, ``--status-port``,
``--no-plots``); :func:`execute` runs a built scenario and writes, in this order and each
file atomically: ``run.json`` (``running``), the time series, ``entities.json``, the
plots (complete runs), ``summary.json`` (with ``status`` and the steps covered) and
``run.json`` again with the final status (``complete``, ``failed``, ``interrupted`` on
SIGINT or SIGTERM). The run's exception is re-raised after the files are written.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import resource
import signal
import sys
import threading
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mosaik
import pandas as pd

from mosaik_components.mas.model.grid import GridLimits
from mosaik_components.mas.runtime.collector import collector_tuned
from mosaik_components.massca_results.atomic import write_json
from mosaik_components.massca_results.kpis import kpis
from mosaik_components.massca_results.plots import write_plots
from mosaik_components.massca_results.summary import coverage, json_ready, summarize
from mosaik_components.massca_results.timeseries import FORMATS, require_engine

from .folder import RunFolder
from .index import DEFAULT_ROOT, write_index

__all__ = ["add_options", "check_options", "execute", "typed_config", "status_params",
           "local_start", "Outcome", "ENTITIES_FILE", "SUMMARY_FILE"]

logger = logging.getLogger(__name__)

KIND = "cells"
ENTITIES_FILE = "entities.json"
SUMMARY_FILE = "summary.json"
CANCEL_TIMEOUT_S = 5.0
#: options that say where results go, not what is simulated
OUTPUT_OPTIONS = ("out", "runs", "name", "overwrite", "no_plots", "quiet", "status_port")


def add_options(parser: argparse.ArgumentParser) -> None:
    """The scenario's output options."""
    where = parser.add_argument_group("results (every run gets its own folder)")
    where.add_argument("--runs", type=Path, default=None,
                       help=f"folder of run folders (default {DEFAULT_ROOT})")
    where.add_argument("--name", default=None,
                       help="run name: the run goes to RUNS/NAME (default: a timestamp)")
    where.add_argument("--out", type=Path, default=None,
                       help="write the run to exactly this folder instead")
    where.add_argument("--overwrite", action="store_true",
                       help="replace an earlier run in the named folder")
    where.add_argument("--format", choices=list(FORMATS), default="csv",
                       help="time-series format (parquet: the parquet extra, hdf5: hdf5)")
    where.add_argument("--status-port", type=int, default=None,
                       help="serve the live status API on 127.0.0.1:PORT (0: a free port)")
    where.add_argument("--no-plots", action="store_true")


def check_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Contradicting output options (exit 2, argparse) and missing format engines (exit 1)."""
    if args.out is not None and (args.runs is not None or args.name is not None):
        parser.error("argument --out: give either --out DIR or --runs/--name, not both")
    try:
        require_engine(args.format)
    except ValueError as exc:  # a missing engine, like the other up-front checks: exit 1
        print(f"error: argument --format: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    if args.status_port is not None and not 0 <= args.status_port <= 65535:
        parser.error(f"argument --status-port: must be within [0, 65535], got "
                     f"{args.status_port}")
    if args.no_mas and args.status_port is not None:
        parser.error("argument --status-port: the status API is the agents'; not with --no-mas")


def local_start(start: pd.Timestamp, utc_offset_h: float) -> str:
    """``start`` in ISO 8601 with the site's fixed UTC offset (the data's standard time)."""
    if start.tzinfo is not None:
        return start.isoformat()
    return start.tz_localize(dt.timezone(dt.timedelta(hours=utc_offset_h))).isoformat()


def status_params(args: argparse.Namespace) -> dict[str, Any]:
    """The MAS simulator's status parameters for this run (none unless asked)."""
    if args.status_port is None:
        return {}
    return {"status_port": args.status_port, "status_until": int(args.until)}


def typed_config(args: argparse.Namespace) -> dict[str, Any]:
    """The run's configuration, typed: numbers, booleans, ISO 8601 times, path strings."""
    config: dict[str, Any] = {}
    for key, value in vars(args).items():
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, pd.Timestamp):
            value = value.isoformat()
        config[key] = value
    return config


@dataclass
class Outcome:
    """How a run ended: its status, the error text and the exception to re-raise."""

    status: str = "complete"
    error: str | None = None
    exception: BaseException | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def fail(self, exc: BaseException) -> None:
        """Record the first exception (SIGINT/SIGTERM: ``interrupted``)."""
        if self.exception is not None:
            return
        self.exception = exc
        if isinstance(exc, KeyboardInterrupt):
            self.status, self.error = "interrupted", "interrupted (SIGINT or SIGTERM)"
        else:
            self.status, self.error = "failed", f"{type(exc).__name__}: {exc}"


@dataclass
class _Interrupts:
    """Where SIGINT/SIGTERM land: between the loop's callbacks once a world runs.

    Raised inside a task, KeyboardInterrupt leaves that task half-stepped (it can then
    never be cancelled cleanly); raised from a loop callback it stops ``run_until_complete``
    with every task suspended at an ``await``, so cancelling them afterwards works.
    """

    loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, signum: int, frame: Any) -> None:
        loop = self.loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(_raise_interrupt)
            return
        raise KeyboardInterrupt


def _raise_interrupt() -> None:
    raise KeyboardInterrupt


@contextmanager
def _interrupts() -> Iterator[_Interrupts]:
    """SIGINT and SIGTERM interrupt the run cleanly (so it ends recorded)."""
    handler = _Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield handler
        return
    # a SIGINT ignored by the parent (e.g. ``cmd &`` in a script) stays ignored
    signals = [sig for sig in (signal.SIGINT, signal.SIGTERM)
               if signal.getsignal(sig) is not signal.SIG_IGN]
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield handler
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def open_run(args: argparse.Namespace) -> RunFolder:
    """Create the run's folder (errors before any simulation work) and set ``args.out``."""
    run = RunFolder.create(KIND, root=args.runs or DEFAULT_ROOT, name=args.name,
                           exact=args.out, overwrite=args.overwrite)
    args.out = run.path
    return run


def execute(args: argparse.Namespace, build: Callable[[argparse.Namespace], Any]
            ) -> dict[str, Any]:
    """Build and run the scenario in its own run folder; returns the summary."""
    started = clock.perf_counter()
    root = None if args.out is not None else (args.runs or DEFAULT_ROOT)
    run = open_run(args)
    run.start(typed_config(args), seeds={"seed": args.seed})
    _index(root)
    outcome, scenario, summary = Outcome(), None, {}
    with _interrupts() as interrupts:
        try:
            scenario = build(args)
            interrupts.loop = scenario.world.loop
            outcome.timings["build_s"] = clock.perf_counter() - started
            _announce_status(run, scenario, args)
            with collector_tuned():
                scenario.world.run(until=args.until, print_progress=not args.quiet,
                                   shutdown=False)
        except BaseException as exc:  # recorded and re-raised below
            outcome.fail(exc)
        outcome.timings["simulate_s"] = clock.perf_counter() - started - outcome.timings.get(
            "build_s", 0.0)
        try:
            summary = _write_results(run, scenario, args, outcome, started)
        except BaseException as exc:  # recorded and re-raised below
            outcome.fail(exc)
        finally:
            if scenario is not None:
                scenario.world.shutdown()
            outcome.timings["wall_s"] = clock.perf_counter() - started
            run.finish(outcome.status, outcome.timings, outcome.error)
            _index(root)
    if outcome.exception is not None:
        raise outcome.exception
    return summary


def _index(root: Path | None) -> None:
    if root is not None:
        write_index(root)


def _announce_status(run: RunFolder, scenario: Any, args: argparse.Namespace) -> None:
    """Record (and print) where the status API listens, when it was asked for."""
    if args.status_port is None or getattr(scenario, "mas_sim", None) is None:
        return
    status = scenario.mas_sim.get_info().get("status")
    run.update(status_api=status)
    if status is not None:
        print(f"status API: {status['url']}", file=sys.stderr, flush=True)


def _cancel_pending(world: mosaik.World) -> None:
    """After a failed run: cancel mosaik's remaining tasks (runners, progress)."""
    loop = world.loop
    loop.set_exception_handler(_abandoned_tasks_at_debug)
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    # the results are the cancellations just requested; the run's error is re-raised.
    # Bounded: an interrupt that landed inside a task may leave one that never ends.
    _, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=CANCEL_TIMEOUT_S))
    if stuck:
        print(f"{len(stuck)} task(s) did not end within {CANCEL_TIMEOUT_S:g} s of being "
              "cancelled; writing the results without them", file=sys.stderr)


def _abandoned_tasks_at_debug(loop: asyncio.AbstractEventLoop, context: dict[str, Any]
                              ) -> None:
    """After an interrupt, a task mosaik starts while shutting down may be collected pending.

    That notice (asyncio's "Task was destroyed but it is pending!") is expected for a loop
    the run abandoned; it goes to the debug log. Everything else is reported as usual.
    """
    if str(context.get("message", "")).startswith("Task was destroyed but it is pending"):
        logger.debug("abandoned after the interrupt: %r", context.get("task"))
        return
    loop.default_exception_handler(context)


def _write_results(run: RunFolder, scenario: Any, args: argparse.Namespace,
                   outcome: Outcome, started: float) -> dict[str, Any]:
    """Time series, entities, plots (complete runs), then the summary."""
    written = clock.perf_counter()
    frame = pd.DataFrame({"time": pd.Series(dtype="int64")})
    core_id = None
    if scenario is not None:
        if outcome.exception is not None:
            _cancel_pending(scenario.world)
        path = scenario.recorder_sim.write()
        if outcome.exception is not None:
            print(f"run {outcome.status}: the steps completed before are in {path}",
                  file=sys.stderr)
        frame = scenario.recorder_sim.frame()
        core_id = scenario.core.full_id if scenario.core is not None else None
        write_json(run.path / ENTITIES_FILE, json_ready(_entities(scenario, core_id)))
        if outcome.exception is None and not args.no_plots:
            write_plots(frame, scenario.units, run.path, args.start, scenario.ext_id, core_id,
                        first_iteration=scenario.first_iteration_uncontrolled)
    summary: dict[str, Any] = {"status": outcome.status, "error": outcome.error,
                               **coverage(frame, args.step, args.until)}
    if scenario is not None and summary["steps"] > 0:
        summary.update(summarize(frame, scenario.units, args.step, scenario.ext_id, core_id))
        summary["kpis"] = kpis(frame, args.step, scenario.units, scenario.ext_id,
                               **scenario.kpi_args)
        if not scenario.first_iteration_uncontrolled:
            # the core's first-iteration exchange is the previous plan still in force, not
            # an uncontrolled day: the baseline of a planned run is the same run --no-mas
            for key in [k for k in summary if k.endswith("_uncontrolled")]:
                summary[key] = None
        summary["power_flow_s"] = scenario.grid_sim.power_flow_seconds()
        summary["agents"] = scenario.agents
    summary["wall_time_s"] = clock.perf_counter() - started
    summary["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary["config"] = typed_config(args)
    summary["files"] = sorted([SUMMARY_FILE, *(p.name for p in run.path.iterdir()
                                                if p.is_file() and not p.name.startswith(".")
                                                and p.name not in ("run.json", SUMMARY_FILE))])
    outcome.timings["write_s"] = clock.perf_counter() - written
    write_json(run.path / SUMMARY_FILE, json_ready(summary))
    return summary


def _entities(scenario: Any, core_id: str | None) -> dict[str, Any]:
    """What the viewer needs to read the time series: units, cells, grid ids, limits."""
    limits = GridLimits()
    return {
        "units": scenario.units, "external_grid": scenario.ext_id, "core": core_id,
        "cell_controllers": scenario.cell_controllers,
        "limits": {"v_min_pu": limits.v_min, "v_max_pu": limits.v_max,
                   "loading_max_pct": limits.loading_max},
    }

