"""Up-front checks of the cells scenario's command line: every mistake before any work.

:func:`enforce` runs after argparse (which checks each option's type and range) and
checks what needs more than one option or a look at the machine: the simulated span
against the shipped data (range and 15-min grid), finite and sane numbers, the MAS's
parameters exactly as the scenario will pass them (:func:`mas_params`, validated by the
MAS's own parser), and last an ``--out`` folder (created and probed with a temporary
file, as the run would). A mistake prints
``error: <what, which option, which value>`` and exits with status 1 before the grid
is built or mosaik starts.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from mosaik_components.mas.model.errors import MasError
from mosaik_components.massca_units.timeseries import load_table

from ..data import data_dir
from ..runs import cells_run

__all__ = ["DATA_FILES", "MAX_DER_SCALE", "PLANNING", "plans", "mas_params", "problems", "enforce"]

#: The time series the scenario reads (all at one 15-min grid), in the package data.
DATA_FILES = ("weather_15min.csv", "load_profiles_15min.csv")
#: Beyond about 25x CIGRE's PV and wind ratings a feeder's power flow has no solution at
#: full sun and wind (measured with pandapower on one cell; 20x still solves, at 600 %
#: line loading).
MAX_DER_SCALE = 20.0


#: strategies that plan over a horizon: the units then publish ``flex`` (energy-true)
PLANNING = ("lookahead", "grid_aware")


def plans(args: argparse.Namespace) -> bool:
    """Whether this run's units are energy-true with forecasts (a planning strategy).

    With ``--no-mas`` the same units run uncontrolled: the baseline of the planned run.
    """
    return args.strategy in PLANNING


def mas_params(args: argparse.Namespace) -> dict[str, Any]:
    """The MAS's parameters for this command line (what ``world.start("MAS", ...)`` gets)."""
    params: dict[str, Any] = {
        "strategy": args.strategy, "within_cell": args.within_cell,
        "between_cells": args.between_cells, "seed": args.seed,
        "containers": args.containers, "transport": args.transport,
        "processes": args.processes, "timeout": args.timeout,
        **cells_run.status_params(args),
    }
    if plans(args):
        options: dict[str, Any] = {"objective": args.objective, "start": str(args.start)}
        if args.price is not None:
            options["price"] = args.price
        params["strategy_options"] = (options if args.strategy == "lookahead" else
                                      {"inner": "lookahead", "inner_options": options})
    if args.transport == "mqtt":
        params["broker"] = args.broker
        if getattr(args, "topic", None) is not None:
            params["topic"] = args.topic
    return params


def _numbers(args: argparse.Namespace) -> list[str]:
    found = []
    for option in ("der_scale", "flex", "timeout"):
        value = getattr(args, option)
        if not math.isfinite(value):
            found.append(f"argument --{option.replace('_', '-')}: must be a finite number, "
                         f"got {value}")
    if math.isfinite(args.der_scale) and args.der_scale > MAX_DER_SCALE:
        found.append(f"argument --der-scale: must be <= {MAX_DER_SCALE:g} (beyond ~25x "
                     f"CIGRE's PV and wind the feeder's power flow has no solution), "
                     f"got {args.der_scale:g}")
    return found


@functools.lru_cache(maxsize=8)
def _time_index(path: Path, modified: float) -> pd.DatetimeIndex:
    """A data file's validated time axis (cached per file version)."""
    return load_table(path, []).index


def _span(args: argparse.Namespace, data: Path) -> list[str]:
    """``--start`` on the data's grid; every step's time inside every data file."""
    start: pd.Timestamp = args.start
    last = start + pd.Timedelta(seconds=(args.until - 1) // args.step * args.step)
    found = []
    for name in DATA_FILES:
        try:
            index = _time_index(data / name, (data / name).stat().st_mtime)
        except (OSError, ValueError) as exc:
            return [f"data file {name}: {exc}"]
        freq = index[1] - index[0]
        if (start - index[0]) % freq:
            minutes = f"{freq.total_seconds() / 60:g} min"
            found.append(f"argument --start: {start} is not on the data's {minutes} grid "
                         f"(times {index[0].strftime('%H:%M')} + multiples of {minutes})")
            break
        if start < index[0] or start > index[-1]:
            found.append(f"argument --start: {start} is outside the data "
                         f"({index[0]} .. {index[-1]} in {name})")
            break
        if last > index[-1]:
            found.append(f"the simulated span ends at {last} (--start {start} + "
                         f"{args.until} s), after the data ends ({index[-1]} in {name}); "
                         f"start earlier or shorten --days/--until")
            break
    return found


def _output(args: argparse.Namespace) -> list[str]:
    """``--out`` is a folder this user can write in (created now, as the run would)."""
    if args.out is None:  # a new folder under --runs: created when the run opens
        return []
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return [f"argument --out: {str(out)!r} exists and is not a folder"]
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        return [f"argument --out: cannot write in {str(out)!r} ({exc.strerror or exc})"]
    return []


def _mas(args: argparse.Namespace) -> list[str]:
    if args.no_mas:
        return []
    # imported here: the MAS's configuration pulls in mango (~0.2 s), which ``--help`` skips
    from mosaik_components.mas.mosaik.config import parse_config

    try:
        parse_config(mas_params(args))
    except MasError as exc:
        return [f"agents: {exc}"]
    return []


#: SimBench's profiles: 2016 at 15 min, CET (massca_grid.simbench)
SIMBENCH_FIRST = pd.Timestamp("2016-01-01 00:00")
SIMBENCH_LAST = pd.Timestamp("2016-12-31 23:45")


def _simbench_span(args: argparse.Namespace) -> list[str]:
    """``--start`` on SimBench's 15-min axis; the run (and a planning horizon) inside it."""
    start: pd.Timestamp = args.start
    if (start - SIMBENCH_FIRST) % pd.Timedelta(minutes=15):
        return [f"argument --start: {start} is not on SimBench's 15 min grid"]
    horizon_s = args.horizon_h * 3600 if plans(args) else 0
    last = start + pd.Timedelta(seconds=(args.until - 1) // args.step * args.step + horizon_s)
    if start < SIMBENCH_FIRST or last > SIMBENCH_LAST:
        return [f"argument --start: {start} + the run ({args.until} s"
                f"{f' and a {args.horizon_h} h horizon' if horizon_s else ''}) is outside "
                f"SimBench's profiles ({SIMBENCH_FIRST} .. {SIMBENCH_LAST} CET)"]
    return []


def problems(args: argparse.Namespace, data: Path | None = None) -> list[str]:
    """Every mistake found in ``args`` (empty: the run may start)."""
    data = data if data is not None else data_dir()
    span = (_simbench_span(args) if getattr(args, "data", "cigre") == "simbench"
            else _span(args, data))
    found = [*_numbers(args), *span, *_mas(args)]
    return found or _output(args)  # the folder is created only for a run that starts


def enforce(args: argparse.Namespace) -> None:
    """Print ``error: ...`` for every mistake in ``args`` and exit 1 if there is one."""
    found = problems(args)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        raise SystemExit(1)
