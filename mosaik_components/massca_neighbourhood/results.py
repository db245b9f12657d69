"""Results of a neighbourhood run: frames, KPIs from the time series, files, loading.

A run folder (``run-000``, ...) holds

* ``households.parquet`` — per step and house: ``time`` (s), ``datetime``, ``house``,
  ``P_load_kW``, ``P_gen_kW``, ``E_demand_Wh``, ``E_pv_Wh`` (PV its jobs got by
  contract), ``E_grid_Wh``, ``E_production_Wh`` (its PV units), ``E_surplus_Wh`` (their PV
  no contract used), ``jobs_running``: the co-simulated series;
* ``neighbourhood.parquet`` — per step: the totals, the physical import/export of the
  neighbourhood (all houses netted) and the same for the two baselines without
  negotiation (every job at its earliest / at its latest start);
* ``jobs.parquet`` — per job: window, contracted producer and start, ``delay_s`` (start -
  earliest), ``declines``, energy and how much of it came from PV / the grid;
* ``scores.json`` — the scoreboard before and after the run;
* ``summary.json`` — the KPIs (:func:`kpis`), the agents' counters and the configuration.

:func:`load_run` reads a run folder back into a :class:`RunData` of pandas frames (for
notebooks and the web app).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .energy import actual_production, interval_energy
from .model import Neighbourhood
from .protocol import GRID, Contract
from .settlement import job_loads, settle

__all__ = ["RunData", "house_frame", "neighbourhood_frame", "jobs_frame", "kpis",
           "house_kpis", "write_run", "load_run", "baseline_demand"]

ENERGY = ("E_demand_Wh", "E_pv_Wh", "E_grid_Wh", "E_production_Wh", "E_surplus_Wh")
RENAME = {"P_load[MW]": "P_load_kW", "P_gen[MW]": "P_gen_kW", "E_demand[Wh]": "E_demand_Wh",
          "E_pv[Wh]": "E_pv_Wh", "E_grid[Wh]": "E_grid_Wh",
          "E_production[Wh]": "E_production_Wh", "E_surplus[Wh]": "E_surplus_Wh"}


@dataclass
class RunData:
    """One run folder as frames (see the module docstring for the columns)."""

    households: pd.DataFrame
    neighbourhood: pd.DataFrame
    jobs: pd.DataFrame
    summary: dict[str, Any]
    scores: dict[str, Any]


def _datetimes(times: pd.Series, start: str | None) -> pd.Series:
    origin = pd.Timestamp(start) if start else pd.Timestamp("1970-01-01")
    return origin + pd.to_timedelta(times, unit="s")


def house_frame(rows: list[dict[str, Any]], houses: Mapping[str, str], start: str | None
                ) -> pd.DataFrame:
    """The households simulator's recorded rows as one frame (kW, Wh)."""
    frame = pd.DataFrame([r for r in rows if r["entity"] in houses])
    frame["house"] = frame.pop("entity").map(houses)
    frame = frame.rename(columns=RENAME)
    frame["P_load_kW"] *= 1000.0
    frame["P_gen_kW"] *= 1000.0
    frame.insert(1, "datetime", _datetimes(frame["time"], start))
    return frame.sort_values(["time", "house"], kind="stable").reset_index(drop=True)


def baseline_demand(neighbourhood: Neighbourhood, step: int, count: int, where: str
                    ) -> np.ndarray:
    """Wh per step of all jobs at their ``earliest`` or ``latest`` start (no negotiation)."""
    total = np.zeros(count)
    for job in neighbourhood.jobs():
        start = job.earliest if where == "earliest" else job.latest
        total += interval_energy(job.profile, start, 0, count, step)
    return total


def neighbourhood_frame(households: pd.DataFrame, neighbourhood: Neighbourhood, step: int
                        ) -> pd.DataFrame:
    """Per step totals, physical import/export, and the two no-negotiation baselines."""
    totals = households.groupby("time", sort=True)[list(ENERGY)].sum()
    frame = totals.reset_index()
    frame.insert(1, "datetime", _datetimes(frame["time"], neighbourhood.start))
    first = int(frame["time"].iloc[0]) // step
    count = int(frame["time"].iloc[-1]) // step - first + 1
    net = frame["E_demand_Wh"] - frame["E_production_Wh"]
    frame["E_import_Wh"] = net.clip(lower=0.0)
    frame["E_export_Wh"] = (-net).clip(lower=0.0)
    production = frame["E_production_Wh"].to_numpy()
    for where in ("earliest", "latest"):
        demand = baseline_demand(neighbourhood, step, first + count, where)[first:]
        frame[f"E_demand_{where}_Wh"] = demand
        frame[f"E_import_{where}_Wh"] = np.maximum(demand - production, 0.0)
    return frame


def jobs_frame(neighbourhood: Neighbourhood, contracts: Mapping[str, Contract], step: int,
               count: int) -> pd.DataFrame:
    """Per job: window, contract, delay, declines and its PV/grid energy over the run."""
    jobs = {j.id: j for j in neighbourhood.jobs()}
    production = {p.id: actual_production(p.predictions, count, step)
                  for _, p in neighbourhood.producers()}
    loads = job_loads(jobs, contracts, 0, count, step)
    result = settle(loads, contracts, production)
    rows = []
    for job_id, job in jobs.items():
        contract = contracts.get(job_id)
        if contract is None:
            raise ValueError(f"job {job_id} has no contract at the end of the run")
        rows.append({
            "job": job_id, "house": job.house, "device": job.device, "template": job.template,
            "created": job.created, "earliest": job.earliest, "latest": job.latest,
            "start": contract.start, "producer": contract.producer,
            "delay_s": contract.start - job.earliest, "declines": contract.declines,
            "energy_Wh": job.energy, "pv_Wh": float(result.job_pv[job_id].sum()),
            "grid_Wh": float(result.job_grid(job_id).sum()),
        })
    return pd.DataFrame(rows)


def house_kpis(households: pd.DataFrame, jobs: pd.DataFrame) -> pd.DataFrame:
    """Per house: energies (kWh) from the time series, shares, jobs, delays, declines."""
    energy = households.groupby("house")[list(ENERGY)].sum() / 1000.0
    energy.columns = [c.replace("_Wh", "_kWh") for c in energy.columns]
    per_job = jobs.groupby("house").agg(
        jobs=("job", "count"), jobs_pv=("producer", lambda p: int((p != GRID).sum())),
        jobs_grid=("producer", lambda p: int((p == GRID).sum())),
        mean_delay_h=("delay_s", lambda d: float(d.mean()) / 3600.0),
        declines=("declines", "sum"))
    frame = energy.join(per_job, how="left").fillna({"jobs": 0, "jobs_pv": 0, "jobs_grid": 0,
                                                     "declines": 0})
    demand = frame["E_demand_kWh"]
    frame["self_sufficiency"] = np.where(demand > 0, frame["E_pv_kWh"] / demand.where(
        demand > 0, 1.0), np.nan)
    return frame.reset_index()


def kpis(neighbourhood_series: pd.DataFrame, jobs: pd.DataFrame, step: int) -> dict[str, Any]:
    """The run's KPIs, computed from the per-step series and the jobs table."""
    total = {c: float(neighbourhood_series[c].sum()) / 1000.0
             for c in (*ENERGY, "E_import_Wh", "E_export_Wh", "E_import_earliest_Wh",
                       "E_import_latest_Wh")}
    demand = total["E_demand_Wh"]
    production = total["E_production_Wh"]
    hours = step / 3600.0
    out: dict[str, Any] = {
        "demand_kWh": demand,
        "pv_used_kWh": total["E_pv_Wh"],
        "grid_kWh": total["E_grid_Wh"],
        "production_kWh": production,
        "surplus_kWh": total["E_surplus_Wh"],
        "energy_balance_error_Wh": float((neighbourhood_series["E_pv_Wh"]
                                          + neighbourhood_series["E_grid_Wh"]
                                          - neighbourhood_series["E_demand_Wh"]).abs().sum()),
        "self_sufficiency": total["E_pv_Wh"] / demand if demand > 0 else None,
        "self_consumption": total["E_pv_Wh"] / production if production > 0 else None,
        "grid_only_kWh": demand,
        "import_kWh": total["E_import_Wh"],
        "export_kWh": total["E_export_Wh"],
        "import_kWh_jobs_at_earliest": total["E_import_earliest_Wh"],
        "import_kWh_jobs_at_latest": total["E_import_latest_Wh"],
        "peak_import_kW": float(neighbourhood_series["E_import_Wh"].max()) / hours / 1000.0,
        "peak_import_kW_jobs_at_latest": float(
            neighbourhood_series["E_import_latest_Wh"].max()) / hours / 1000.0,
        "jobs": int(len(jobs)),
        "jobs_pv": int((jobs["producer"] != GRID).sum()),
        "jobs_grid": int((jobs["producer"] == GRID).sum()),
        "mean_delay_h": float(jobs["delay_s"].mean()) / 3600.0 if len(jobs) else 0.0,
        "max_delay_h": float(jobs["delay_s"].max()) / 3600.0 if len(jobs) else 0.0,
        "mean_declines": float(jobs["declines"].mean()) if len(jobs) else 0.0,
    }
    return out


def _write_frame(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False)
    return path


def write_run(folder: Path, households: pd.DataFrame, neighbourhood_series: pd.DataFrame,
              jobs: pd.DataFrame, summary: dict[str, Any], scores: dict[str, Any]) -> Path:
    """Write a run folder (module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_frame(households, folder / "households.parquet")
    _write_frame(neighbourhood_series, folder / "neighbourhood.parquet")
    _write_frame(jobs, folder / "jobs.parquet")
    (folder / "scores.json").write_text(json.dumps(scores, indent=2) + "\n")
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return folder


def load_run(folder: str | Path) -> RunData:
    """Read a run folder written by :func:`write_run` into frames.

    ``load_run("results/neighbourhood/run-000").households`` is the per-step, per-house
    series; ``.jobs`` the per-job table; ``.summary`` the KPIs.
    """
    folder = Path(folder)
    missing = [name for name in ("households.parquet", "neighbourhood.parquet",
                                 "jobs.parquet", "summary.json", "scores.json")
               if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a neighbourhood run folder (missing "
                                f"{', '.join(missing)})")
    return RunData(pd.read_parquet(folder / "households.parquet"),
                   pd.read_parquet(folder / "neighbourhood.parquet"),
                   pd.read_parquet(folder / "jobs.parquet"),
                   json.loads((folder / "summary.json").read_text()),
                   json.loads((folder / "scores.json").read_text()))
