"""Who supplies what: PV used by contracted jobs vs grid energy, interval by interval. Pure.

A producer's actual PV energy in an interval serves the jobs contracted to it that run
then; if they need more, every one of them gets the same share of its need from the PV
(``min(1, PV / need)``) and the rest from the grid; PV left over is surplus (exported,
or used by the neighbours physically, but not by contract). Jobs contracted to the grid
take all their energy from the grid. So, per job and interval, ``pv + grid = load``
exactly, and per producer ``used + surplus = production``.

:func:`settle` does this for any window of intervals; the neighbourhood simulator calls
it one step at a time with the contracts valid then, and :func:`settle` over the whole
day with the final contracts gives the same numbers (a test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .energy import interval_energy
from .model import Job
from .protocol import GRID, Contract

__all__ = ["Settlement", "settle", "job_loads"]


@dataclass(frozen=True, slots=True)
class Settlement:
    """Wh per interval (arrays over the window) per job, house and producer."""

    first: int
    count: int
    job_load: dict[str, np.ndarray]
    job_pv: dict[str, np.ndarray]
    producer_production: dict[str, np.ndarray]
    producer_used: dict[str, np.ndarray]

    def job_grid(self, job: str) -> np.ndarray:
        """Grid energy of a job: its load minus the PV it got."""
        return self.job_load[job] - self.job_pv[job]

    def producer_surplus(self, producer: str) -> np.ndarray:
        """PV a producer made beyond what its contracted jobs used."""
        return self.producer_production[producer] - self.producer_used[producer]


def job_loads(jobs: Mapping[str, Job], contracts: Mapping[str, Contract], first: int,
              count: int, step: int) -> dict[str, np.ndarray]:
    """Wh per interval of every contracted job at its contracted start."""
    return {job_id: interval_energy(jobs[job_id].profile, contract.start, first, count, step)
            for job_id, contract in contracts.items()}


def settle(loads: Mapping[str, np.ndarray], contracts: Mapping[str, Contract],
           production: Mapping[str, np.ndarray], first: int = 0) -> Settlement:
    """Split every job's load into PV and grid (module docstring).

    ``loads`` are the jobs' Wh per interval, ``production`` every producer's actual Wh per
    interval, over the same window of intervals.
    """
    count = len(next(iter(production.values()))) if production else (
        len(next(iter(loads.values()))) if loads else 0)
    need = {p: np.zeros(count) for p in production}
    for job_id, load in loads.items():
        producer = contracts[job_id].producer
        if producer != GRID:
            if producer not in need:
                raise KeyError(f"job {job_id}: contracted to unknown producer {producer!r}")
            need[producer] += load
    share = {}
    used = {}
    for producer, demand in need.items():
        pv = production[producer]
        supplied = np.minimum(demand, pv)
        used[producer] = supplied
        with np.errstate(divide="ignore", invalid="ignore"):
            share[producer] = np.where(demand > 0.0, supplied / demand, 0.0)
    job_pv = {}
    for job_id, load in loads.items():
        producer = contracts[job_id].producer
        job_pv[job_id] = np.zeros(count) if producer == GRID else load * share[producer]
    return Settlement(first, count, dict(loads), job_pv, dict(production), used)
