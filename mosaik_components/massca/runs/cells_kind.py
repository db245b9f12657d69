"""The ``cells`` kind of run: its KPIs and the series compared between runs.

Reads a cells run folder: ``timeseries.*`` (any format, typed by
:func:`~mosaik_components.massca_results.timeseries.read_timeseries`) and
``entities.json`` (which entity is the external grid, the core, a unit of which cell).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mosaik_components.massca_results.summary import wide
from mosaik_components.massca_results.timeseries import FORMATS, read_timeseries

from .kinds import Kpi

__all__ = ["CELLS", "CellsKind", "load_frame", "load_entities", "timeseries_file"]


def timeseries_file(folder: Path) -> Path:
    """The run's time-series file, whatever its format."""
    for suffix in FORMATS.values():
        path = Path(folder) / f"timeseries.{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"{folder}: no time series (timeseries.csv/.parquet/.h5)")


def load_frame(folder: Path) -> pd.DataFrame:
    """The run's tidy time series."""
    return read_timeseries(timeseries_file(folder))


def load_entities(folder: Path) -> dict[str, Any]:
    """The run's ``entities.json``."""
    return json.loads((Path(folder) / "entities.json").read_text())


def _indexed(frame: pd.DataFrame, series: pd.Series) -> pd.Series:
    """``series`` (indexed by time) re-indexed by the run's datetimes when it has them."""
    if "datetime" not in frame.columns:
        return series
    clock = frame.drop_duplicates("time").set_index("time")["datetime"]
    return pd.Series(series.to_numpy(), index=pd.DatetimeIndex(clock.loc[series.index]),
                     name=series.name)


@dataclass(frozen=True)
class CellsKind:
    """The cells scenario's run kind."""

    name: str = "cells"
    title: str = "power cells"
    kpis: tuple[Kpi, ...] = (
        Kpi("exchange_abs_MWh", "|exchange| [MWh]", "lower"),
        Kpi("exchange_abs_MWh_uncontrolled", "|exchange| uncontrolled [MWh]"),
        Kpi("import_MWh", "import [MWh]", "lower"),
        Kpi("export_MWh", "export [MWh]", "lower"),
        Kpi("losses_MWh", "losses [MWh]", "lower"),
        Kpi("curtailed_MWh", "curtailed [MWh]", "lower"),
        Kpi("battery_throughput_MWh", "battery throughput [MWh]"),
        Kpi("min_voltage_pu", "min voltage [pu]", "higher"),
        Kpi("max_voltage_pu", "max voltage [pu]", "lower"),
        Kpi("max_line_loading_pct", "max line loading [%]", "lower"),
        Kpi("voltage_violation_h", "voltage violations [h]", "lower"),
        Kpi("loading_violation_h", "loading violations [h]", "lower"),
        Kpi("agent_time_s", "agent time [s]", "lower"),
        Kpi("messages", "messages", "lower"),
        Kpi("wall_time_s", "wall time [s]", "lower"),
        Kpi("steps", "steps"),
    )
    incidental: tuple[str, ...] = ("seed", "runs", "name", "out", "overwrite", "format",
                                   "status_port", "no_plots", "quiet")

    def series(self, folder: Path) -> dict[str, pd.Series]:
        """``exchange`` (import +, with the agents) and ``exchange uncontrolled``."""
        frame, entities = load_frame(folder), load_entities(folder)
        power = wide(frame, "P[MW]")
        found = {"exchange": _indexed(frame, power[entities["external_grid"]])}
        core = entities.get("core")
        if core is not None:
            uncontrolled = wide(frame, "P_uncontrolled[MW]")
            if core in uncontrolled.columns:
                found["exchange uncontrolled"] = _indexed(frame, uncontrolled[core])
        return found


CELLS = CellsKind()
