"""Numbers a researcher wants from a cells run, computed from the tidy time series.

:func:`summarize` computes the KPIs of a run's time series; :func:`coverage` states which
steps a (possibly partial) time series covers; :func:`json_ready` makes a summary
JSON-safe (NaN and infinities become ``None``, numpy scalars Python numbers), so
``summary.json`` always parses and every number in it is a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mosaik_components.mas.model.grid import LOADING_TOL, VOLTAGE_TOL, GridLimits

from .kpis import PRODUCERS

__all__ = ["summarize", "wide", "coverage", "json_ready", "violations", "branch_loadings"]


def wide(frame: pd.DataFrame, attr: str) -> pd.DataFrame:
    """One attribute as a time x entity table."""
    part = frame[frame["attr"] == attr]
    return part.pivot(index="time", columns="entity", values="value").astype(float)


def summarize(frame: pd.DataFrame, units: dict[str, dict[str, Any]], step: int,
              ext_id: str, core_id: str | None) -> dict[str, Any]:
    """Energy exchanged (with and without the agents), curtailment, grid extremes, times.

    Without the agents means the core's ``P_uncontrolled[MW]``: the grid's power flow on
    the units' uncontrolled powers in the first iteration of every step (a run without
    agents, ``core_id=None``, is its own baseline).
    """
    hours = step / 3600
    ext = wide(frame, "P[MW]")[ext_id]
    ext_first = wide(frame, "P_uncontrolled[MW]")[core_id] if core_id is not None else ext
    unit_p = wide(frame, "P[MW]")[list(units)]
    summary: dict[str, Any] = {
        "steps": int(len(ext)),
        "import_MWh": float(ext.clip(lower=0).sum() * hours),
        "export_MWh": float((-ext).clip(lower=0).sum() * hours),
        "import_MWh_uncontrolled": float(ext_first.clip(lower=0).sum() * hours),
        "export_MWh_uncontrolled": float((-ext_first).clip(lower=0).sum() * hours),
        "exchange_abs_MWh": float(ext.abs().sum() * hours),
        "exchange_abs_MWh_uncontrolled": float(ext_first.abs().sum() * hours),
        "losses_MWh": float((ext + unit_p.sum(axis=1)).sum() * hours),
    }
    bands = wide(frame, "P_max[MW]")
    producers = [u for u, meta in units.items()  # those that publish what they could give
                 if meta["kind"] in PRODUCERS and u in bands.columns]
    if producers:
        available = bands[producers]
        summary["curtailed_MWh"] = float((available - unit_p[producers]).sum().sum() * hours)
    batteries = [u for u, meta in units.items() if meta["kind"] == "battery"]
    if batteries:
        summary["battery_throughput_MWh"] = float(unit_p[batteries].abs().sum().sum() * hours)
    voltages = wide(frame, "Vm[pu]")
    summary["min_voltage_pu"] = float(voltages.min().min())
    summary["max_voltage_pu"] = float(voltages.max().max())
    lines, trafos = branch_loadings(frame)
    summary["max_line_loading_pct"] = float(lines.max().max())
    if trafos.shape[1]:
        summary["max_trafo_loading_pct"] = float(trafos.max().max())
    summary.update(violations(frame, step, GridLimits()))
    if core_id is not None:
        steptime = wide(frame, "steptime")[core_id]
        summary["agent_time_s"] = float(steptime.sum())
        summary["agent_time_per_step_s"] = float(steptime.mean())
        summary["messages"] = int(wide(frame, "messages")[core_id].sum())
        summary["iterations_max"] = int(wide(frame, "iterations")[core_id].max())
        summary["converged_all"] = bool(wide(frame, "converged")[core_id].astype(bool).all())
        negotiations = wide(frame, "negotiations")
        if core_id in negotiations.columns:  # recorded by scenarios that run COHDA
            summary["negotiations"] = int(negotiations[core_id].sum())
            summary["deviation_mean_MW"] = float(wide(frame, "deviation[MW]")[core_id].mean())
    return summary


def branch_loadings(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``loading[%]`` of the lines and of the transformers (mosaik ids ``Transformer-i``)."""
    loading = wide(frame, "loading[%]")
    trafo = loading.columns.str.contains("Transformer-", regex=False)
    return loading.loc[:, ~trafo], loading.loc[:, trafo]


def violations(frame: pd.DataFrame, step: int, limits: GridLimits) -> dict[str, Any]:
    """Voltage-band and branch-loading (lines, transformers) violations: steps and hours.

    A limit counts as broken beyond :data:`VOLTAGE_TOL` / :data:`LOADING_TOL` (round-off
    of the power flow; both are written next to the limits).
    """
    hours = step / 3600
    voltages, loading = wide(frame, "Vm[pu]"), wide(frame, "loading[%]")
    low = (voltages < limits.v_min - VOLTAGE_TOL).any(axis=1)
    high = (voltages > limits.v_max + VOLTAGE_TOL).any(axis=1)
    over = (loading > limits.loading_max + LOADING_TOL).any(axis=1)
    return {
        "limits": {"v_min_pu": limits.v_min, "v_max_pu": limits.v_max,
                   "loading_max_pct": limits.loading_max, "tolerance_pu": VOLTAGE_TOL,
                   "tolerance_pct": LOADING_TOL},
        "voltage_violation_steps": int((low | high).sum()),
        "voltage_violation_h": float((low | high).sum() * hours),
        "loading_violation_steps": int(over.sum()),
        "loading_violation_h": float(over.sum() * hours),
    }


def coverage(frame: pd.DataFrame, step: int, until: int) -> dict[str, Any]:
    """Which steps a time series covers: count, first and last time, of how many planned."""
    times = np.sort(frame["time"].unique()) if len(frame) else np.array([], dtype="int64")
    return {
        "steps": int(len(times)),
        "steps_planned": int(math.ceil(until / step)),
        "time_first_s": int(times[0]) if len(times) else None,
        "time_last_s": int(times[-1]) if len(times) else None,
    }


def json_ready(value: Any) -> Any:
    """``value`` with NaN/inf as ``None`` and numpy scalars as Python numbers (recursive)."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
