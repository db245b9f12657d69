"""Flexibility over a horizon of intervals: power bands per interval plus energy limits.

Interval ``k`` of a horizon covers ``[t0 + k * step, t0 + (k + 1) * step)``; interval 0 is
the one the current mosaik step decides. Powers are MW, energies MWh, ``step_h`` hours;
the sign convention is the one of :mod:`.flexibility` (production and consumption are
non-negative magnitudes, net power is generation positive).

A :class:`HorizonFlex` says what a unit (or an aggregate of units) may do over ``H``
intervals:

* ``production`` and ``consumption``: a :class:`Band` each, with the ``expected`` power
  per interval (what the unit does if nobody steers it: its forecast) and the ``min`` and
  ``max`` it may be moved to;
* ``energy``: :class:`EnergyLimit` constraints that couple the intervals (a battery's
  state of charge, the backlog of a deferrable load);
* ``costs``: what moving away from ``expected`` costs (:class:`Costs`).

A schedule over the horizon is a :class:`Plan`. Today's single-interval flexibility is
the special case ``H = 1`` without energy limits: a :class:`~.flexibility.UnitState`
whose ``horizon`` is ``None``. :meth:`HorizonFlex.to_dict` / :meth:`HorizonFlex.from_dict`
give the plain, JSON-compatible form in which unit simulators publish a horizon to the
agents through mosaik (attribute ``flex``) and in which it crosses processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import StateError

__all__ = ["Band", "EnergyLimit", "Costs", "HorizonFlex", "Plan", "as_array"]

#: MWh tolerance when checking that a plan keeps an energy limit.
ENERGY_TOL = 1e-6


def as_array(values: object, what: str, length: int | None = None) -> np.ndarray:
    """A 1-d float array of finite values; errors name ``what`` and the value."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise StateError(f"{what} must be a list of numbers, got {values!r}")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise StateError(f"{what} must be a list of numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise StateError(f"{what} must be a non-empty list of numbers, got {values!r}")
    if length is not None and array.size != length:
        raise StateError(f"{what} has {array.size} values, expected {length} (one per interval)")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise StateError(f"{what}[{bad}] must be finite, got {array[bad]!r}")
    return array


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise StateError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise StateError(f"{what} must be finite, got {value!r}")
    return number


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b))


@dataclass(frozen=True, slots=True, eq=False)
class Band:
    """One direction's power per interval: ``expected`` and the band ``[min, max]`` (MW).

    ``expected`` may lie outside the band (as :class:`~.flexibility.Flex`'s ``current``):
    the strategy moves it in, nothing is clipped in the data.
    """

    expected: np.ndarray
    min: np.ndarray
    max: np.ndarray

    @classmethod
    def checked(cls, expected: object, low: object, high: object, what: str = "band",
                length: int | None = None) -> Band:
        """Validate: equal lengths, finite, non-negative, ``min <= max`` everywhere."""
        exp = as_array(expected, f"{what}.expected", length)
        lo = as_array(low, f"{what}.min", exp.size)
        hi = as_array(high, f"{what}.max", exp.size)
        for name, array in (("expected", exp), ("min", lo), ("max", hi)):
            if (array < 0).any():
                k = int(np.flatnonzero(array < 0)[0])
                raise StateError(f"{what}.{name}[{k}]: production/consumption magnitudes must "
                                 f"be >= 0, got {array[k]!r}")
        if (lo > hi).any():
            k = int(np.flatnonzero(lo > hi)[0])
            raise StateError(f"{what}: min[{k}] ({lo[k]}) is greater than max[{k}] ({hi[k]})")
        return cls(exp, lo, hi)

    @classmethod
    def fixed(cls, values: object, what: str = "band") -> Band:
        """A band that cannot move: ``min = max = expected``."""
        exp = as_array(values, f"{what}.expected")
        return cls.checked(exp, exp, exp, what)

    @classmethod
    def zeros(cls, length: int) -> Band:
        """Nothing in this direction over ``length`` intervals."""
        zero = np.zeros(length)
        return cls(zero, zero, zero)

    @property
    def baseline(self) -> np.ndarray:
        """``expected`` moved into ``[min, max]``."""
        return np.clip(self.expected, self.min, self.max)

    def __len__(self) -> int:
        return int(self.expected.size)

    def __add__(self, other: Band) -> Band:
        return Band(self.expected + other.expected, self.min + other.min, self.max + other.max)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Band) and all(
            _same(a, b) for a, b in ((self.expected, other.expected), (self.min, other.min),
                                     (self.max, other.max)))

    __hash__ = None  # type: ignore[assignment]

    def to_lists(self) -> list[list[float]]:
        """``[expected, min, max]`` as plain lists."""
        return [self.expected.tolist(), self.min.tolist(), self.max.tolist()]


@dataclass(frozen=True, slots=True, eq=False)
class EnergyLimit:
    """Cumulative energy bounds that couple the intervals of a horizon.

    With production ``p`` and consumption ``c`` (MW) per interval, the level after
    interval ``k`` is ``initial + step_h * sum_{j <= k} (charge_efficiency * c_j -
    p_j / discharge_efficiency)`` MWh, and ``lower[k] <= level[k] <= upper[k]``.

    A battery: ``initial`` is its state of charge, ``lower``/``upper`` its energy limits,
    the efficiencies its one-way charge and discharge efficiencies. A deferrable load:
    the energy delivered so far (efficiencies 1, ``initial`` 0), at least what must have
    been served by the end of interval ``k`` and at most what was demanded by then.
    """

    name: str
    initial: float
    lower: np.ndarray
    upper: np.ndarray
    charge_efficiency: float = 1.0
    discharge_efficiency: float = 1.0

    @classmethod
    def checked(cls, name: object, initial: object, lower: object, upper: object,
                charge_efficiency: object = 1.0, discharge_efficiency: object = 1.0,
                what: str = "energy", length: int | None = None) -> EnergyLimit:
        """Validate: finite, ``lower <= upper``, efficiencies in ``(0, 1]``."""
        if not isinstance(name, str) or not name:
            raise StateError(f"{what}.name must be a non-empty string, got {name!r}")
        where = f"{what}[{name}]"
        start = _number(initial, f"{where}.initial")
        lo = as_array(lower, f"{where}.lower", length)
        hi = as_array(upper, f"{where}.upper", lo.size)
        if (lo > hi + ENERGY_TOL).any():
            k = int(np.flatnonzero(lo > hi + ENERGY_TOL)[0])
            raise StateError(f"{where}: lower[{k}] ({lo[k]}) is greater than upper[{k}] "
                             f"({hi[k]})")
        effs = []
        for label, value in (("charge_efficiency", charge_efficiency),
                             ("discharge_efficiency", discharge_efficiency)):
            eff = _number(value, f"{where}.{label}")
            if not 0 < eff <= 1:
                raise StateError(f"{where}.{label} must be in (0, 1], got {value!r}")
            effs.append(eff)
        return cls(name, start, lo, hi, effs[0], effs[1])

    def levels(self, production: np.ndarray, consumption: np.ndarray,
               step_h: float) -> np.ndarray:
        """The level after every interval for a schedule (MWh)."""
        flow = self.charge_efficiency * consumption - production / self.discharge_efficiency
        return self.initial + step_h * np.cumsum(flow)

    def violation(self, production: np.ndarray, consumption: np.ndarray,
                  step_h: float) -> float:
        """How far (MWh) a schedule leaves ``[lower, upper]`` at its worst; 0 if it keeps it."""
        level = self.levels(production, consumption, step_h)
        return float(max(0.0, (self.lower - level).max(), (level - self.upper).max()))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, EnergyLimit) and self.name == other.name
                and self.initial == other.initial and _same(self.lower, other.lower)
                and _same(self.upper, other.upper)
                and self.charge_efficiency == other.charge_efficiency
                and self.discharge_efficiency == other.discharge_efficiency)

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-compatible form."""
        return {"name": self.name, "initial": self.initial, "lower": self.lower.tolist(),
                "upper": self.upper.tolist(), "charge_efficiency": self.charge_efficiency,
                "discharge_efficiency": self.discharge_efficiency}


@dataclass(frozen=True, slots=True)
class Costs:
    """What moving away from ``expected`` costs, per MWh (any currency, e.g. EUR/MWh).

    ``shed``: consumption below ``expected`` that is never made up (energy not served).
    ``curtail``: production below ``expected`` (curtailed PV or wind).
    """

    shed: float = 0.0
    curtail: float = 0.0

    @classmethod
    def checked(cls, shed: object = 0.0, curtail: object = 0.0, what: str = "costs") -> Costs:
        """Validate: finite and non-negative."""
        values = []
        for label, value in (("shed", shed), ("curtail", curtail)):
            number = _number(value, f"{what}.{label}")
            if number < 0:
                raise StateError(f"{what}.{label} must be >= 0, got {value!r}")
            values.append(number)
        return cls(*values)


@dataclass(frozen=True, slots=True, eq=False)
class HorizonFlex:
    """A unit's or an aggregate's flexibility over ``len(self)`` intervals (module doc)."""

    step_h: float
    production: Band
    consumption: Band
    energy: tuple[EnergyLimit, ...] = ()
    costs: Costs = field(default_factory=Costs)

    def __post_init__(self) -> None:
        if len(self.production) != len(self.consumption):
            raise StateError(f"horizon: production has {len(self.production)} intervals, "
                             f"consumption {len(self.consumption)}")
        for limit in self.energy:
            if limit.lower.size != len(self.production):
                raise StateError(f"horizon: energy limit {limit.name!r} has {limit.lower.size} "
                                 f"intervals, the bands {len(self.production)}")

    def __len__(self) -> int:
        return len(self.production)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, HorizonFlex) and self.step_h == other.step_h
                and self.production == other.production
                and self.consumption == other.consumption
                and self.energy == other.energy and self.costs == other.costs)

    __hash__ = None  # type: ignore[assignment]

    def violation(self, plan: Plan) -> float:
        """The worst breach of a plan (MW for bands, MWh for energy limits); 0 if feasible."""
        worst = 0.0
        for band, values in ((self.production, plan.production),
                             (self.consumption, plan.consumption)):
            worst = max(worst, float((band.min - values).max()), float((values - band.max).max()))
        for limit in self.energy:
            worst = max(worst, limit.violation(plan.production, plan.consumption, self.step_h))
        return worst

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-compatible form (see :meth:`from_dict`)."""
        return {
            "step_h": self.step_h,
            "production": self.production.to_lists(),
            "consumption": self.consumption.to_lists(),
            "energy": [limit.to_dict() for limit in self.energy],
            "costs": {"shed": self.costs.shed, "curtail": self.costs.curtail},
        }

    @classmethod
    def from_dict(cls, data: object, what: str = "flex") -> HorizonFlex:
        """Read and validate the form :meth:`to_dict` writes; errors name the field."""
        if not isinstance(data, Mapping):
            raise StateError(f"{what} must be a dict with step_h, production, consumption, "
                             f"got {data!r}")
        unknown = set(data) - {"step_h", "production", "consumption", "energy", "costs"}
        if unknown:
            raise StateError(f"{what}: unknown field(s) {sorted(unknown)}")
        try:
            step_h = _number(data["step_h"], f"{what}.step_h")
            bands = [_band(data[part], f"{what}.{part}") for part in ("production", "consumption")]
        except KeyError as missing:
            raise StateError(f"{what} has no field {missing}") from None
        if step_h <= 0:
            raise StateError(f"{what}.step_h must be > 0, got {step_h!r}")
        if len(bands[0]) != len(bands[1]):
            raise StateError(f"{what}: production has {len(bands[0])} intervals, consumption "
                             f"{len(bands[1])}")
        energy = data.get("energy", [])
        if not isinstance(energy, Sequence) or isinstance(energy, str):
            raise StateError(f"{what}.energy must be a list, got {energy!r}")
        limits = tuple(_limit(item, f"{what}.energy[{i}]", len(bands[0]))
                       for i, item in enumerate(energy))
        costs = data.get("costs", {})
        if not isinstance(costs, Mapping) or set(costs) - {"shed", "curtail"}:
            raise StateError(f"{what}.costs must be a dict with 'shed'/'curtail', got {costs!r}")
        return cls(step_h, bands[0], bands[1], limits,
                   Costs.checked(costs.get("shed", 0.0), costs.get("curtail", 0.0),
                                 f"{what}.costs"))


def _band(data: object, what: str) -> Band:
    if not isinstance(data, Sequence) or isinstance(data, str) or len(data) != 3:
        raise StateError(f"{what} must be [expected, min, max] (three lists), got {data!r}")
    return Band.checked(data[0], data[1], data[2], what)


def _limit(data: object, what: str, length: int) -> EnergyLimit:
    if not isinstance(data, Mapping):
        raise StateError(f"{what} must be a dict, got {data!r}")
    try:
        return EnergyLimit.checked(
            data["name"], data["initial"], data["lower"], data["upper"],
            data.get("charge_efficiency", 1.0), data.get("discharge_efficiency", 1.0),
            what, length)
    except KeyError as missing:
        raise StateError(f"{what} has no field {missing}") from None


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """A schedule over a horizon: production and consumption per interval (MW)."""

    production: np.ndarray
    consumption: np.ndarray

    def __post_init__(self) -> None:
        if self.production.shape != self.consumption.shape or self.production.ndim != 1:
            raise StateError(f"plan: production {self.production.shape} and consumption "
                             f"{self.consumption.shape} must be 1-d of equal length")

    def __len__(self) -> int:
        return int(self.production.size)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Plan) and _same(self.production, other.production)
                and _same(self.consumption, other.consumption))

    __hash__ = None  # type: ignore[assignment]

    @property
    def net(self) -> np.ndarray:
        """Net power per interval (generation positive)."""
        return self.production - self.consumption

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.production + other.production, self.consumption + other.consumption)

    def to_lists(self) -> list[list[float]]:
        """``[production, consumption]`` as plain lists."""
        return [self.production.tolist(), self.consumption.tolist()]

    @classmethod
    def from_lists(cls, data: object, what: str = "plan") -> Plan:
        """Inverse of :meth:`to_lists`, validated."""
        if not isinstance(data, Sequence) or isinstance(data, str) or len(data) != 2:
            raise StateError(f"{what} must be [production, consumption], got {data!r}")
        production = as_array(data[0], f"{what}.production")
        return cls(production, as_array(data[1], f"{what}.consumption", production.size))
