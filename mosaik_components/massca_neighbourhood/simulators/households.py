"""``HouseholdsSimulator``: the neighbourhood's houses, job loads and PV units in mosaik.

Hybrid, stepped every ``step_size`` seconds (the scheduling resolution). Per step ``t``:

* it announces, per house, the jobs created in ``[t, t + step)`` (``jobs``) and the PV
  predictions issued then (``predictions``), once, as plain dicts (event outputs);
* it takes ``contracts`` (trigger input, from the agents; new ones and moved ones) and
  checks them: the job is this house's, the start lies within ``[earliest, latest]``,
  is not in the past, and a running job is never moved;
* it runs every contracted job as a load at its start (exact energy per step from the
  cumulative profile: the job is a shiftable load), the PV units at their actual
  production (the newest prediction, :mod:`~..energy`), and settles who supplied what
  (:mod:`~..settlement`);
* ``House`` outputs its load and PV power and this step's energies; ``Neighbourhood``
  the totals and the physical exchange with the grid (all houses netted).

In a ``world.group()`` with the agents' ``contracts`` weakly connected back, a job
announced in a step is negotiated and placed in the same step. Every step's settled
values are kept; :meth:`HouseholdsSimulator.results` (an extra method) returns them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import mosaik_api_v3
import numpy as np

from ..energy import actual_production, interval_energy
from ..model import Job, Neighbourhood, NeighbourhoodError
from ..protocol import GRID, Contract
from ..settlement import settle
from ..xmlio import read_neighbourhood

__all__ = ["HouseholdsSimulator", "META", "ENERGY_ATTRS", "job_dict", "prediction_dict"]

#: Per-step energies (Wh) of a house and of the neighbourhood.
ENERGY_ATTRS = ("E_demand[Wh]", "E_pv[Wh]", "E_grid[Wh]", "E_production[Wh]",
                "E_surplus[Wh]")
HOUSE_OUT = ("P_load[MW]", "P_gen[MW]", *ENERGY_ATTRS, "jobs_running")
TOTAL_OUT = ("P_load[MW]", "P_gen[MW]", "P_import[MW]", "P_export[MW]", *ENERGY_ATTRS)
META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "House": {
            "public": True,
            "params": ["id"],
            "attrs": ["jobs", "predictions", "contracts", *HOUSE_OUT],
            "trigger": ["contracts"],
            "persistent": list(HOUSE_OUT),
            "non-persistent": ["jobs", "predictions", "contracts"],
        },
        "Neighbourhood": {
            "public": True,
            "params": [],
            "attrs": list(TOTAL_OUT),
            "persistent": list(TOTAL_OUT),
        },
    },
    "extra_methods": ["results"],
}


def job_dict(job: Job) -> dict[str, Any]:
    """A job as the plain dict announced through mosaik."""
    return {"id": job.id, "house": job.house, "device": job.device, "created": job.created,
            "earliest": job.earliest, "latest": job.latest, "template": job.template,
            "times": list(job.profile.times), "energy": list(job.profile.energy_wh)}


def prediction_dict(producer: str, prediction: Any) -> dict[str, Any]:
    """A prediction as the plain dict announced through mosaik."""
    return {"producer": producer, "issued": prediction.issued,
            "times": list(prediction.profile.times),
            "energy": list(prediction.profile.energy_wh)}


class HouseholdsSimulator(mosaik_api_v3.Simulator):
    """See the module docstring."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.neighbourhood: Neighbourhood | None = None
        self.houses: dict[str, str] = {}        # eid -> house id
        self.total: str | None = None
        self.jobs: dict[str, Job] = {}
        self.contracts: dict[str, Contract] = {}
        self.production: dict[str, np.ndarray] = {}
        self.owner: dict[str, str] = {}          # producer -> house
        self.own: dict[str, list[str]] = {}      # house -> producers
        self.time = -1
        self.values: dict[str, dict[str, float]] = {}
        self.announce: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.records: dict[int, dict[str, dict[str, float]]] = {}

    # -- mosaik API -----------------------------------------------------------------------
    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             path: str | None = None, jobs: str | None = None,
             neighbourhood: Neighbourhood | None = None, until: int | None = None
             ) -> dict[str, Any]:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"{sid}: step_size must be an integer >= 1 s, got {step_size!r}")
        if (path is None) == (neighbourhood is None):
            raise ValueError(f"{sid}: give exactly one of path (an XML file) and neighbourhood")
        self.step_size = step_size
        self.neighbourhood = neighbourhood if neighbourhood is not None else \
            read_neighbourhood(Path(path), jobs)  # type: ignore[arg-type]
        nb = self.neighbourhood
        self.jobs = {j.id: j for j in nb.jobs()}
        horizon = max(nb.horizon(), until or 0)
        count = -(-horizon // step_size) + 1
        for house, producer in nb.producers():
            self.owner[producer.id] = house
            self.own.setdefault(house, []).append(producer.id)
            self.production[producer.id] = actual_production(producer.predictions, count,
                                                             step_size)
        return self.meta

    def create(self, num: int, model: str, **params: Any) -> list[dict[str, str]]:
        assert self.neighbourhood is not None
        if model == "Neighbourhood":
            if num != 1 or self.total is not None:
                raise ValueError("create exactly one Neighbourhood entity")
            self.total = "neighbourhood"
            return [{"eid": self.total, "type": model}]
        if model != "House":
            raise ValueError(f"unknown model {model!r}; known: House, Neighbourhood")
        house_id = params.get("id")
        if num != 1:
            raise ValueError(f"create Houses one at a time (id=...), got num={num}")
        known = {h.id for h in self.neighbourhood.houses}
        if house_id not in known:
            raise ValueError(f"House id={house_id!r}: no such house in neighbourhood "
                             f"{self.neighbourhood.id} (known: {sorted(known)})")
        eid = f"House-{house_id}"
        if eid in self.houses:
            raise ValueError(f"House id={house_id!r} created twice")
        self.houses[eid] = house_id
        return [{"eid": eid, "type": model}]

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]],
             max_advance: int) -> int:
        if time % self.step_size:
            raise ValueError(f"time {time} is not a multiple of step_size {self.step_size}")
        for eid, attrs in inputs.items():
            for source, items in attrs.get("contracts", {}).items():
                for item in items or ():
                    self._contract(eid, source, item, time)
        if time != self.time:
            self.time = time
            self.announce = self._announcements(time)
        self._settle(time)
        return time + self.step_size

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = {}
        for eid, attrs in outputs.items():
            values: dict[str, Any] = {}
            for attr in attrs:
                if attr in ("jobs", "predictions"):
                    items = self.announce.get(eid, {}).pop(attr, None)
                    if items:
                        values[attr] = items
                elif attr in self.values.get(eid, {}):
                    values[attr] = self.values[eid][attr]
                else:
                    raise ValueError(f"{eid}: {attr!r} is not an output")
            data[eid] = values
        return data

    # -- extra method -----------------------------------------------------------------------
    def results(self) -> dict[str, Any]:
        """Every step's settled values and the final contracts (plain data)."""
        rows = [{"time": t, "entity": eid, **values}
                for t, entities in sorted(self.records.items())
                for eid, values in entities.items()]
        contracts = [{"job": c.job, "house": c.house, "producer": c.producer, "start": c.start,
                      "agreed": c.agreed, "declines": c.declines}
                     for c in self.contracts.values()]
        return {"step_size": self.step_size, "rows": rows, "contracts": contracts,
                "houses": dict(self.houses)}

    # -- internals ----------------------------------------------------------------------------
    def _announcements(self, time: int) -> dict[str, dict[str, list[dict[str, Any]]]]:
        assert self.neighbourhood is not None
        end = time + self.step_size
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for eid, house_id in self.houses.items():
            house = self.neighbourhood.house(house_id)
            jobs = [job_dict(j) for c in house.consumers() for j in c.jobs
                    if time <= j.created < end]
            predictions = [prediction_dict(p.id, pr) for p in house.producers()
                           for pr in p.predictions if time <= pr.issued < end]
            out[eid] = {"jobs": jobs, "predictions": predictions}
        return out

    def _contract(self, eid: str, source: str, item: Any, time: int) -> None:
        where = f"{eid}: contract from {source}"
        if not isinstance(item, dict):
            raise NeighbourhoodError(f"{where}: must be a dict, got {item!r}")
        job = self.jobs.get(item.get("job"))  # type: ignore[arg-type]
        if job is None or f"House-{job.house}" != eid:
            raise NeighbourhoodError(f"{where}: job {item.get('job')!r} is not a job of {eid}")
        producer, start = item.get("producer"), item.get("start")
        if producer != GRID and producer not in self.owner:
            raise NeighbourhoodError(f"{where}: job {job.id}: unknown producer {producer!r}")
        if isinstance(start, bool) or not isinstance(start, int) or not (
                job.earliest <= start <= job.latest):
            raise NeighbourhoodError(f"{where}: job {job.id}: start {start!r} is outside "
                                     f"[{job.earliest}, {job.latest}]")
        old = self.contracts.get(job.id)
        if old is not None and old.start < time and (old.start, old.producer) != (
                start, producer):
            raise NeighbourhoodError(f"{where}: job {job.id} started at {old.start} s and "
                                     "cannot be moved or reassigned")
        if start < time and (old is None or old.start != start):
            raise NeighbourhoodError(f"{where}: job {job.id}: start {start} s is in the past "
                                     f"(now {time} s)")
        self.contracts[job.id] = Contract(job.id, job.house, str(producer), start,
                                          int(item.get("agreed", time)),
                                          int(item.get("declines", 0)))

    def _settle(self, time: int) -> None:
        k = time // self.step_size
        loads = {}
        for job_id, contract in self.contracts.items():
            job = self.jobs[job_id]
            if contract.start < time + self.step_size and contract.start + job.duration > time:
                loads[job_id] = interval_energy(job.profile, contract.start, k, 1, self.step_size)
        production = {p: self._produced(p, k) for p in self.production}
        result = settle(loads, self.contracts, production, k)
        hours = self.step_size / 3600.0
        by_house: dict[str, list[str]] = defaultdict(list)
        for job_id in loads:
            by_house[self.jobs[job_id].house].append(job_id)
        values: dict[str, dict[str, float]] = {}
        for eid, house_id in self.houses.items():
            running = by_house.get(house_id, [])
            demand = sum(float(loads[j][0]) for j in running)
            pv = sum(float(result.job_pv[j][0]) for j in running)
            own = self.own.get(house_id, ())
            made = sum(float(production[p][0]) for p in own)
            surplus = sum(float(result.producer_surplus(p)[0]) for p in own)
            values[eid] = {
                "P_load[MW]": demand / hours / 1e6, "P_gen[MW]": made / hours / 1e6,
                "E_demand[Wh]": demand, "E_pv[Wh]": pv, "E_grid[Wh]": demand - pv,
                "E_production[Wh]": made, "E_surplus[Wh]": surplus,
                "jobs_running": float(len(running)),
            }
        if self.total is not None:
            values[self.total] = self._totals(values, hours)
        for eid, attrs in values.items():
            for attr, value in attrs.items():
                if not math.isfinite(value):
                    raise NeighbourhoodError(f"{eid}: {attr} is not finite at {time} s")
        self.values = values
        self.records[time] = {eid: dict(v) for eid, v in values.items()}

    def _produced(self, producer: str, k: int) -> np.ndarray:
        series = self.production[producer]
        return series[k:k + 1] if k < len(series) else np.zeros(1)

    def _totals(self, values: dict[str, dict[str, float]], hours: float) -> dict[str, float]:
        houses = [v for eid, v in values.items() if eid in self.houses]
        total = {attr: sum(v[attr] for v in houses) for attr in ENERGY_ATTRS}
        load = sum(v["P_load[MW]"] for v in houses)
        gen = sum(v["P_gen[MW]"] for v in houses)
        return {"P_load[MW]": load, "P_gen[MW]": gen, "P_import[MW]": max(0.0, load - gen),
                "P_export[MW]": max(0.0, gen - load), **total}


def main() -> None:
    """Run as a mosaik ``cmd`` simulator: ``python -m ...simulators.households ADDR``."""
    mosaik_api_v3.start_simulation(HouseholdsSimulator())


if __name__ == "__main__":
    main()
