"""Seeded synthetic neighbourhoods: appliance jobs and PV predictions for one summer day.

Used for the shipped example (``data/example.xml``), the tests and the benchmark. Every
random choice comes from ``numpy.random.default_rng(seed)``.

* Appliances (load templates, 1-min cumulative profiles): dish washer (1.3 kWh in 2 h),
  washing machine (0.9 kWh in 1.5 h), tumble dryer (3 kWh in 1 h 40 min), water heater
  (1.5 kWh in 1 h), EV charging (7.4 kWh in 2 h at 3.7 kW) and an oven (1 kWh in 45 min,
  always a fixed job: earliest = latest).
* Jobs: created around a morning and an evening peak and during the day; the earliest
  start is up to 2 h after creation; the window is 0 (fixed jobs, a fifth) or 1-10 h.
* PV: a clear-sky day shape (sunrise 5:00, sunset 21:00), a per-unit peak of 3-8 kWp and
  a cloud factor per unit and hour. Predictions are issued at 0:00, 6:00, 12:00 and
  18:00, each from its issue time to the end of the day in 15-min points, with an error
  that shrinks from +-30 % to +-5 %.
"""

from __future__ import annotations

import numpy as np

from .model import (
    Consumer,
    House,
    Job,
    LoadProfile,
    Neighbourhood,
    Prediction,
    Producer,
    Profile,
    User,
)

__all__ = ["APPLIANCES", "appliance_profile", "pv_truth", "make_neighbourhood"]

DAY = 86400
#: template -> list of (minutes, kW) phases
APPLIANCES: dict[str, list[tuple[int, float]]] = {
    "dishwasher": [(5, 0.1), (20, 2.0), (50, 0.15), (15, 2.0), (30, 0.05)],
    "washing_machine": [(15, 2.0), (60, 0.3), (15, 0.5)],
    "dryer": [(80, 2.2), (20, 0.3)],
    "water_heater": [(60, 1.5)],
    "ev_charging": [(120, 3.7)],
    "oven": [(15, 2.0), (30, 1.0)],
}
#: relative frequency of each appliance among the jobs
WEIGHTS = {"dishwasher": 0.25, "washing_machine": 0.25, "dryer": 0.12, "water_heater": 0.18,
           "ev_charging": 0.05, "oven": 0.15}
ISSUES = (0, 6 * 3600, 12 * 3600, 18 * 3600)
ERRORS = (0.30, 0.20, 0.10, 0.05)


def appliance_profile(template: str) -> LoadProfile:
    """The 1-min cumulative load profile of an appliance in :data:`APPLIANCES`."""
    times, energy = [0], [0.0]
    for minutes, kw in APPLIANCES[template]:
        for _ in range(minutes):
            times.append(times[-1] + 60)
            energy.append(energy[-1] + kw * 1000.0 / 60.0)
    return LoadProfile(tuple(times), tuple(round(e, 6) for e in energy))


def pv_truth(peak_kw: float, clouds: np.ndarray, resolution: int = 900) -> np.ndarray:
    """Mean W per ``resolution`` interval of a day: clear-sky shape times hourly clouds."""
    mid = (np.arange(DAY // resolution) + 0.5) * resolution / 3600.0
    shape = np.clip(np.sin((mid - 5.0) / 16.0 * np.pi), 0.0, None) ** 1.3
    hourly = np.interp(mid, np.arange(24) + 0.5, clouds)
    return peak_kw * 1000.0 * 0.85 * shape * hourly


def _predictions(truth_w: np.ndarray, rng: np.random.Generator, resolution: int
                 ) -> tuple[Prediction, ...]:
    out = []
    for issued, error in zip(ISSUES, ERRORS, strict=True):
        first = issued // resolution
        factor = 1.0 + error * np.interp(np.arange(len(truth_w)) / (3600 / resolution),
                                         np.arange(25), rng.uniform(-1.0, 1.0, 25))
        power = np.clip(truth_w * factor, 0.0, None)[first:]
        cumulative = np.concatenate(([0.0], np.cumsum(power * resolution / 3600.0)))
        times = issued + resolution * np.arange(len(cumulative))
        out.append(Prediction(issued, Profile(tuple(int(t) for t in times),
                                              tuple(round(float(e), 6) for e in cumulative))))
    return tuple(out)


def _job_times(rng: np.random.Generator, fixed: bool) -> tuple[int, int, int]:
    peak = rng.choice(3, p=[0.35, 0.3, 0.35])
    hour = (rng.normal(7.5, 1.0), rng.uniform(9.0, 16.0), rng.normal(18.5, 1.5))[peak]
    created = int(np.clip(hour, 0.0, 22.0) * 60) * 60
    earliest = created + int(rng.integers(0, 121)) * 60
    window = 0 if fixed else int(rng.integers(60, 601)) * 60
    return created, earliest, earliest + window


def make_neighbourhood(houses: int = 6, jobs: int = 24, pv_share: float = 0.5, seed: int = 0,
                       name: str = "synthetic", start: str = "2024-06-21T00:00:00"
                       ) -> Neighbourhood:
    """A neighbourhood of ``houses`` houses and ``jobs`` jobs (module docstring).

    Each house has one user, every appliance of :data:`APPLIANCES` as a consumer device
    and, for a share ``pv_share`` of the houses (at least one), a PV unit.
    """
    if houses < 1 or jobs < 0 or not 0.0 <= pv_share <= 1.0:
        raise ValueError(f"need houses >= 1, jobs >= 0, 0 <= pv_share <= 1; got {houses}, "
                         f"{jobs}, {pv_share}")
    rng = np.random.default_rng(seed)
    loads = {t: appliance_profile(t) for t in APPLIANCES}
    with_pv = set(rng.choice(houses, size=max(1, round(houses * pv_share)), replace=False)
                  .tolist())
    names = list(WEIGHTS)
    owners = rng.integers(0, houses, size=jobs)
    kinds = rng.choice(len(names), size=jobs, p=list(WEIGHTS.values()))
    times: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
    for owner, kind in zip(owners.tolist(), kinds.tolist(), strict=True):
        template = names[kind]
        fixed = template == "oven" or rng.random() < 0.1
        times.setdefault((owner, template), []).append(_job_times(rng, fixed))
    per_device: dict[tuple[int, str], list[Job]] = {}
    for (owner, template), found in times.items():  # numbered in creation order
        device = f"{owner + 1}{names.index(template) + 1:02d}"
        per_device[(owner, template)] = [
            Job(f"{owner + 1}:{device}:{n}", str(owner + 1), device, created, earliest, latest,
                template, loads[template])
            for n, (created, earliest, latest) in enumerate(sorted(found), 1)]
    out = []
    for h in range(houses):
        devices: list[Consumer | Producer] = [
            Consumer(f"{h + 1}{k + 1:02d}", template, template,
                     tuple(per_device.get((h, template), ())))
            for k, template in enumerate(names)]
        if h in with_pv:
            peak = float(rng.uniform(3.0, 8.0))
            clouds = np.clip(rng.uniform(0.55, 1.0) + rng.normal(0.0, 0.12, 24), 0.1, 1.0)
            devices.append(Producer(f"{h + 1}99", f"pv{h + 1}", f"{peak:.1f}kWp",
                                    _predictions(pv_truth(peak, clouds), rng, 900)))
        out.append(House(str(h + 1), (User("1", tuple(devices)),)))
    return Neighbourhood(f"{name}-{seed}", tuple(out), loads, name=name, start=start)
