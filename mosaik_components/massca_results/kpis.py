"""Key performance indicators from a run's tidy time series: pure functions.

Every function reads the recorder's tidy table (columns ``time`` [s], ``entity``,
``attr``, ``value``; one row per recorded value) and integrates powers over the step
(``step_s`` seconds): energies in MWh, powers in MW, net power generation-positive, the
external grid's ``P[MW]`` import-positive (mosaik-pandapower-2's ``ExternalGrid``). What a
function needs must have been recorded; a missing entity or attribute is a ``KeyError``
naming it, never a silent zero.

Definitions (``dt = step_s / 3600``; sums over steps):

* energy not served: ``sum(max(P_demand - consumption, 0) dt)`` over loads that shed
  (``FlexLoad``, ``CurtailableLoad``); consumption is ``-P[MW]``.
* shifted energy of deferrable loads (``ShiftableLoad``): deferred ``sum(max(P_demand -
  consumption, 0) dt)``, made up ``sum(max(consumption - P_demand, 0) dt)``, and the
  backlog still queued at the end (``backlog[MWh]``).
* curtailed energy: ``sum((P_available - P) dt)`` over PV and wind (``P_max[MW]`` when
  ``P_available[MW]`` was not recorded).
* import/export and their peaks at the external grid.
* self-sufficiency ``1 - import / consumed`` and self-consumption ``1 - export /
  generated``, where ``generated`` is the energy of the local producers (PV, wind; a
  battery only moves energy) and ``consumed = generated + import - export`` (everything
  used inside: loads, storage losses, grid losses).
* battery throughput ``sum(|P| dt)``, charged and discharged energy, and equivalent full
  cycles ``throughput / (2 capacity)``.
* cost under a price profile: ``sum(price(t) import dt - feed_in(t) export dt)`` with the
  look-ahead strategy's tariff form (a number, or a list dividing the day evenly) at the
  time of day of ``start + time``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["series", "energy_not_served", "shifted_energy", "curtailed_energy",
           "exchange", "self_supply", "battery_use", "cost", "kpis"]

#: unit kinds (the scenario's ``units[eid]["kind"]``) per KPI
SHEDDING = ("load", "curtailable")
#: curtailable producers: PV, wind and SimBench's other generators
PRODUCERS = ("pv", "wind", "biomass", "hydro")


class _Rows:
    """Row positions of every (entity, attr) of one frame: one pass instead of one per call.

    Kept for the last frame seen only (by identity, with the frame itself held, so an id
    is never reused while cached), with its ``time`` and ``value`` columns as arrays;
    KPIs read a finished run's table, never a changing one.
    """

    frame: pd.DataFrame | None = None
    rows: dict[tuple[str, str], np.ndarray] = {}
    times: np.ndarray = np.empty(0, dtype=np.int64)
    values: np.ndarray = np.empty(0)

    @classmethod
    def of(cls, frame: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
        if cls.frame is not frame:
            cls.rows = frame.groupby(["entity", "attr"], sort=False).indices
            cls.times = frame["time"].to_numpy()
            cls.values = frame["value"].to_numpy(dtype=float)
            cls.frame = frame
        return cls.rows

    @classmethod
    def forget(cls) -> None:
        cls.frame, cls.rows = None, {}
        cls.times, cls.values = np.empty(0, dtype=np.int64), np.empty(0)


def series(frame: pd.DataFrame, entity: str, attr: str) -> pd.Series:
    """One entity's attribute over time (index ``time``); ``KeyError`` if not recorded."""
    rows = _Rows.of(frame).get((entity, attr))
    if rows is None:
        raise KeyError(f"{entity!r} has no recorded {attr!r}")
    order = np.argsort(_Rows.times[rows], kind="stable")
    rows = rows[order]
    return pd.Series(_Rows.values[rows], index=pd.Index(_Rows.times[rows], name="time"),
                     name="value")


def _hours(step_s: float) -> float:
    if not step_s > 0:
        raise ValueError(f"step_s must be > 0, got {step_s!r}")
    return step_s / 3600


def energy_not_served(frame: pd.DataFrame, step_s: float, loads: Iterable[str]) -> float:
    """MWh of demand the shedding loads did not serve."""
    dt = _hours(step_s)
    total = 0.0
    for load in loads:
        short = series(frame, load, "P_demand[MW]") + series(frame, load, "P[MW]")
        total += float(short.clip(lower=0).sum()) * dt
    return total


def shifted_energy(frame: pd.DataFrame, step_s: float, loads: Iterable[str]
                   ) -> dict[str, float]:
    """Deferrable loads: energy deferred, made up later, and still queued at the end."""
    dt = _hours(step_s)
    deferred = made_up = backlog = 0.0
    for load in loads:
        gap = series(frame, load, "P_demand[MW]") + series(frame, load, "P[MW]")
        deferred += float(gap.clip(lower=0).sum()) * dt
        made_up += float((-gap).clip(lower=0).sum()) * dt
        backlog += float(series(frame, load, "backlog[MWh]").iloc[-1])
    return {"shifted_MWh": deferred, "made_up_MWh": made_up, "backlog_end_MWh": backlog}


def curtailed_energy(frame: pd.DataFrame, step_s: float, producers: Iterable[str]) -> float:
    """MWh the producers could have produced but did not."""
    dt = _hours(step_s)
    recorded = set(frame.loc[frame["attr"] == "P_available[MW]", "entity"])
    total = 0.0
    for unit in producers:
        available = series(frame, unit, "P_available[MW]" if unit in recorded else "P_max[MW]")
        total += float((available - series(frame, unit, "P[MW]")).sum()) * dt
    return total


def exchange(frame: pd.DataFrame, step_s: float, ext_id: str) -> dict[str, float]:
    """Import and export (MWh) at the external grid and their peaks (MW)."""
    dt = _hours(step_s)
    ext = series(frame, ext_id, "P[MW]")
    return {"import_MWh": float(ext.clip(lower=0).sum()) * dt,
            "export_MWh": float((-ext).clip(lower=0).sum()) * dt,
            "peak_import_MW": float(max(ext.max(), 0.0)),
            "peak_export_MW": float(max(-ext.min(), 0.0))}


def self_supply(frame: pd.DataFrame, step_s: float, ext_id: str,
                producers: Iterable[str]) -> dict[str, float]:
    """Self-sufficiency and self-consumption (shares, 0..1; NaN without the energy)."""
    dt = _hours(step_s)
    generated = sum(float(series(frame, u, "P[MW]").clip(lower=0).sum()) * dt
                    for u in producers)
    flows = exchange(frame, step_s, ext_id)
    consumed = generated + flows["import_MWh"] - flows["export_MWh"]
    return {"generated_MWh": generated, "consumed_MWh": consumed,
            "self_sufficiency": 1 - flows["import_MWh"] / consumed if consumed > 0
            else float("nan"),
            "self_consumption": 1 - flows["export_MWh"] / generated if generated > 0
            else float("nan")}


def battery_use(frame: pd.DataFrame, step_s: float, capacities: Mapping[str, float]
                ) -> dict[str, float]:
    """Charged, discharged and throughput energy (MWh) and equivalent full cycles.

    ``equivalent_full_cycles``: the fleet's, throughput / (2 x total capacity);
    ``max_battery_cycles``: the most any one battery did.
    """
    dt = _hours(step_s)
    charged = discharged = most = 0.0
    for battery, capacity in capacities.items():
        if not capacity > 0:
            raise ValueError(f"capacity of {battery!r} must be > 0 MWh, got {capacity!r}")
        p = series(frame, battery, "P[MW]")
        into, out = float((-p).clip(lower=0).sum()) * dt, float(p.clip(lower=0).sum()) * dt
        charged += into
        discharged += out
        most = max(most, (into + out) / (2 * capacity))
    total = sum(capacities.values())
    return {"charged_MWh": charged, "discharged_MWh": discharged,
            "throughput_MWh": charged + discharged,
            "equivalent_full_cycles": (charged + discharged) / (2 * total) if total else 0.0,
            "max_battery_cycles": most}


def _tariff_at(values: float | Sequence[float], seconds_of_day: np.ndarray, what: str
               ) -> np.ndarray:
    from mosaik_components.mas.strategies.lookahead.params import tariff

    table = tariff(values, what)
    return table[(seconds_of_day // (86400 / table.size)).astype(int) % table.size]


def cost(frame: pd.DataFrame, step_s: float, ext_id: str, price: float | Sequence[float],
         feed_in: float | Sequence[float] = 0.0, start: str = "00:00") -> float:
    """What the exchange cost: import at ``price``, export paid ``feed_in`` (per MWh)."""
    dt = _hours(step_s)
    ext = series(frame, ext_id, "P[MW]")
    moment = datetime.fromisoformat(start) if len(start) > 8 else datetime.fromisoformat(
        f"2000-01-01 {start}")
    offset = moment.hour * 3600 + moment.minute * 60 + moment.second
    of_day = (offset + ext.index.to_numpy(dtype=float)) % 86400
    buy = _tariff_at(price, of_day, "price")
    sell = _tariff_at(feed_in, of_day, "feed_in")
    values = ext.to_numpy()
    return float((buy * np.clip(values, 0, None) - sell * np.clip(-values, 0, None)).sum()
                 * dt)


def kpis(frame: pd.DataFrame, step_s: float, units: Mapping[str, Mapping[str, Any]],
         ext_id: str, capacities: Mapping[str, float] | None = None,
         price: float | Sequence[float] | None = None, feed_in: float | Sequence[float] = 0.0,
         start: str = "00:00") -> dict[str, float]:
    """Every KPI above for a run; ``units`` maps entity -> ``{"kind": ...}``.

    Kinds: ``pv``, ``wind``, ``load`` (FlexLoad), ``curtailable``, ``shiftable``,
    ``battery``; a producer with ``"fixed": True`` has no curtailment (no ``P_max``).
    Batteries need ``capacities``; the cost needs ``price``.
    """
    try:
        return _kpis(frame, step_s, units, ext_id, capacities, price, feed_in, start)
    finally:
        _Rows.forget()  # the run's table is not kept alive by the index


def _kpis(frame: pd.DataFrame, step_s: float, units: Mapping[str, Mapping[str, Any]],
          ext_id: str, capacities: Mapping[str, float] | None,
          price: float | Sequence[float] | None, feed_in: float | Sequence[float],
          start: str) -> dict[str, float]:
    def of(*kinds: str) -> list[str]:
        return [u for u, meta in units.items() if meta["kind"] in kinds]

    result: dict[str, float] = {**exchange(frame, step_s, ext_id),
                                **self_supply(frame, step_s, ext_id, of(*PRODUCERS))}
    result["energy_not_served_MWh"] = energy_not_served(frame, step_s, of(*SHEDDING))
    # a fixed producer (``"fixed": True``, e.g. a mosaik-pv plant) cannot be curtailed
    result["curtailed_MWh"] = curtailed_energy(
        frame, step_s, [u for u in of(*PRODUCERS) if not units[u].get("fixed", False)])
    if of("shiftable"):
        result.update(shifted_energy(frame, step_s, of("shiftable")))
    batteries = of("battery")
    if batteries:
        if capacities is None:
            raise ValueError("battery KPIs need capacities={battery: MWh}")
        result.update(battery_use(frame, step_s, {b: capacities[b] for b in batteries}))
    if price is not None:
        result["cost"] = cost(frame, step_s, ext_id, price, feed_in, start)
    return result
