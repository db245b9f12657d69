"""The neighbourhood model: houses, users, consumer devices with jobs, PV producers.

Pure and validated (frozen dataclasses). This is PySSMic's/CoSSMic's model:

* a :class:`Neighbourhood` has houses; a :class:`House` has users; a :class:`User` has
  devices;
* a :class:`Consumer` device has jobs; a :class:`Job` is one run of the device with a
  load profile, an earliest and a latest start time and the time it becomes known
  (``created``);
* a :class:`Producer` device (a PV unit) has power predictions (:class:`Prediction`),
  issued during the day; each new one replaces the older ones from its first time on.

Units: times are integer seconds from the neighbourhood's origin (the XML's ``origin``
is subtracted when reading, so PySSMic's UNIX timestamps work); energies are Wh. Profiles
are *cumulative* energy curves, as in PySSMic's CSV files (``seconds cumulative_Wh``),
linear between their points: a load profile's times count from the job's start (first
point ``0 0``), a prediction's times are absolute. Every error is a
:class:`NeighbourhoodError` naming the element and the value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "NeighbourhoodError",
    "Profile",
    "LoadProfile",
    "Prediction",
    "Job",
    "Consumer",
    "Producer",
    "Device",
    "User",
    "House",
    "Neighbourhood",
    "PRODUCER_SCORE_START",
]

#: The score a producer starts with on a fresh scoreboard (PySSMic's value).
PRODUCER_SCORE_START = 10


class NeighbourhoodError(ValueError):
    """Invalid neighbourhood data; the message names the element and the value."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise NeighbourhoodError(f"{what}: id must be a non-empty string without surrounding "
                                 f"blanks, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Profile:
    """A cumulative energy curve: ``energy_wh[i]`` Wh up to ``times[i]`` s (linear between).

    At least two points, times strictly increasing integers, energies finite and
    non-decreasing (a load or a PV unit never gives energy back).
    """

    times: tuple[int, ...]
    energy_wh: tuple[float, ...]

    def __post_init__(self) -> None:
        times, energy = tuple(self.times), tuple(float(e) for e in self.energy_wh)
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "energy_wh", energy)
        if len(times) != len(energy):
            raise NeighbourhoodError(f"profile: {len(times)} times but {len(energy)} energies")
        if len(times) < 2:
            raise NeighbourhoodError(f"profile: needs at least two points, got {len(times)}")
        for i, t in enumerate(times):
            if not _is_int(t):
                raise NeighbourhoodError(f"profile point {i + 1}: time must be an integer "
                                         f"number of seconds, got {t!r}")
            if i and t <= times[i - 1]:
                raise NeighbourhoodError(f"profile point {i + 1}: times must increase, got "
                                         f"{t} after {times[i - 1]}")
        for i, e in enumerate(energy):
            if not math.isfinite(e):
                raise NeighbourhoodError(f"profile point {i + 1}: energy must be finite, got {e}")
            if i and e < energy[i - 1]:
                raise NeighbourhoodError(
                    f"profile point {i + 1}: cumulative energy must not decrease, got {e} Wh "
                    f"after {energy[i - 1]} Wh at {times[i - 1]} s")

    @property
    def energy(self) -> float:
        """Energy over the whole profile, Wh."""
        return self.energy_wh[-1] - self.energy_wh[0]

    def rows(self) -> list[tuple[int, float]]:
        """``(seconds, cumulative Wh)`` pairs."""
        return list(zip(self.times, self.energy_wh, strict=True))


@dataclass(frozen=True, slots=True)
class LoadProfile(Profile):
    """A device's load profile: times from the job's start, first point ``0 0``, energy > 0."""

    def __post_init__(self) -> None:
        Profile.__post_init__(self)
        if self.times[0] != 0 or self.energy_wh[0] != 0:
            raise NeighbourhoodError(
                f"load profile: must start at '0 0' (time 0 s, 0 Wh), got "
                f"'{self.times[0]} {self.energy_wh[0]}'")
        if not self.energy > 0:
            raise NeighbourhoodError("load profile: has no energy (last cumulative value is 0)")

    @property
    def duration(self) -> int:
        """Seconds from the job's start to its end."""
        return self.times[-1]


@dataclass(frozen=True, slots=True)
class Prediction:
    """A PV power prediction issued at ``issued`` s: cumulative Wh at absolute times.

    It is valid from ``profile.times[0]`` to ``profile.times[-1]``; the newest prediction
    valid at a time replaces the older ones there.
    """

    issued: int
    profile: Profile

    def __post_init__(self) -> None:
        if not _is_int(self.issued) or self.issued < 0:
            raise NeighbourhoodError(f"prediction: issued must be an integer >= 0 s, got "
                                     f"{self.issued!r}")


@dataclass(frozen=True, slots=True)
class Job:
    """One run of a consumer device, to be started within ``[earliest, latest]``.

    ``id`` is ``house:device:n`` (PySSMic's ``[house]:[device]:[n]``); ``created`` is when
    the job becomes known (it is announced to the producers then); ``template`` names
    the load profile.
    """

    id: str
    house: str
    device: str
    created: int
    earliest: int
    latest: int
    template: str
    profile: LoadProfile

    def __post_init__(self) -> None:
        _check_id(self.id, "job")
        for name in ("created", "earliest", "latest"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise NeighbourhoodError(f"job {self.id}: {name} must be an integer >= 0 s, "
                                         f"got {value!r}")
        if self.latest < self.earliest:
            raise NeighbourhoodError(f"job {self.id}: latest start {self.latest} s is before "
                                     f"earliest start {self.earliest} s")
        if self.earliest < self.created:
            raise NeighbourhoodError(f"job {self.id}: earliest start {self.earliest} s is before "
                                     f"its creation {self.created} s")
        if not isinstance(self.profile, LoadProfile):
            raise NeighbourhoodError(f"job {self.id}: profile must be a LoadProfile, got "
                                     f"{type(self.profile).__name__}")

    @property
    def energy(self) -> float:
        """Energy the job consumes, Wh."""
        return self.profile.energy

    @property
    def duration(self) -> int:
        """Seconds the job runs."""
        return self.profile.duration


@dataclass(frozen=True, slots=True)
class Consumer:
    """A consumer device (dish washer, washing machine, ...) and its jobs."""

    id: str
    name: str
    template: str
    jobs: tuple[Job, ...] = ()
    type: Literal["consumer"] = "consumer"

    def __post_init__(self) -> None:
        _check_id(self.id, "device")
        object.__setattr__(self, "jobs", tuple(self.jobs))


@dataclass(frozen=True, slots=True)
class Producer:
    """A PV unit and its predictions (at least one), in the order they are issued."""

    id: str
    name: str
    template: str
    predictions: tuple[Prediction, ...] = ()
    type: Literal["producer"] = "producer"

    def __post_init__(self) -> None:
        _check_id(self.id, "device")
        predictions = tuple(sorted(self.predictions, key=lambda p: p.issued))
        object.__setattr__(self, "predictions", predictions)
        if not predictions:
            raise NeighbourhoodError(f"producer {self.id}: needs at least one prediction")
        issued = [p.issued for p in predictions]
        if len(set(issued)) != len(issued):
            raise NeighbourhoodError(f"producer {self.id}: two predictions issued at the same "
                                     f"time ({issued})")


Device = Consumer | Producer


@dataclass(frozen=True, slots=True)
class User:
    """A user of a house and the devices they own."""

    id: str
    devices: tuple[Device, ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.id, "user")
        object.__setattr__(self, "devices", tuple(self.devices))


@dataclass(frozen=True, slots=True)
class House:
    """A house and its users."""

    id: str
    users: tuple[User, ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.id, "house")
        object.__setattr__(self, "users", tuple(self.users))

    def devices(self) -> Iterator[Device]:
        """Every device of every user."""
        for user in self.users:
            yield from user.devices

    def producers(self) -> list[Producer]:
        """The house's PV units."""
        return [d for d in self.devices() if isinstance(d, Producer)]

    def consumers(self) -> list[Consumer]:
        """The house's consumer devices."""
        return [d for d in self.devices() if isinstance(d, Consumer)]


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """A neighbourhood: houses, the load-profile templates its jobs use, the time origin.

    Device ids are unique in the neighbourhood (PySSMic's rule), house ids too; ``start``
    is an optional ISO date-time of time 0 (for plots and time axes).
    """

    id: str
    houses: tuple[House, ...]
    loads: dict[str, LoadProfile] = field(default_factory=dict)
    name: str = ""
    origin: int = 0
    start: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "neighbourhood")
        object.__setattr__(self, "houses", tuple(self.houses))
        if not self.houses:
            raise NeighbourhoodError(f"neighbourhood {self.id}: has no houses")
        _unique([h.id for h in self.houses], "house")
        _unique([d.id for h in self.houses for d in h.devices()], "device")
        _unique([j.id for j in self.jobs()], "job")
        for house in self.houses:
            for consumer in house.consumers():
                for job in consumer.jobs:
                    if job.house != house.id or job.device != consumer.id:
                        raise NeighbourhoodError(
                            f"job {job.id}: belongs to house {job.house} device {job.device} "
                            f"but is listed under house {house.id} device {consumer.id}")

    # -- look-ups -----------------------------------------------------------------------
    def producers(self) -> list[tuple[str, Producer]]:
        """``(house id, producer)`` for every PV unit, in file order."""
        return [(h.id, p) for h in self.houses for p in h.producers()]

    def consumers(self) -> list[tuple[str, Consumer]]:
        """``(house id, consumer)`` for every consumer device, in file order."""
        return [(h.id, c) for h in self.houses for c in h.consumers()]

    def jobs(self) -> list[Job]:
        """Every job, ordered by creation time, then house, device and id (announce order)."""
        jobs = [j for h in self.houses for c in h.consumers() for j in c.jobs]
        return sorted(jobs, key=job_order)

    def house(self, house_id: str) -> House:
        """The house with this id."""
        for house in self.houses:
            if house.id == house_id:
                return house
        raise NeighbourhoodError(f"neighbourhood {self.id}: no house {house_id!r}")

    def horizon(self) -> int:
        """Seconds until the last job can end and the last prediction ends."""
        ends = [j.latest + j.duration for j in self.jobs()]
        ends += [pr.profile.times[-1] for _, p in self.producers() for pr in p.predictions]
        return max(ends, default=0)


def job_order(job: Job) -> tuple[Any, ...]:
    """The order jobs are announced in: creation time, house, device, id."""
    return (job.created, job.house, job.device, job.id)


def _unique(ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise NeighbourhoodError(f"{what} id {i!r} appears twice (ids must be unique in the "
                                     "neighbourhood)")
        seen.add(i)
