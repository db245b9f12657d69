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

An aggregate may keep its members apart by class: a :class:`HorizonFlex` with ``parts``
(named independent parts whose bands add up to its own) and a :class:`Plan` with
``parts`` (one schedule per part). A part never has parts of its own.

:meth:`HorizonFlex.tightened` narrows interval 0's bands to what keeps every energy limit
feasible over the rest of the horizon (:func:`reachable_levels`), and rejects a horizon
whose energy limits cannot be kept from their initial level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import StateError

__all__ = ["Band", "EnergyLimit", "Costs", "HorizonFlex", "Plan", "as_array",
           "reachable_levels", "forward_levels", "flow_range", "first_box", "impossible"]

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
        """How far (MWh) a schedule leaves ``[lower, upper]`` at its worst; 0 if it keeps it.

        A schedule shorter than the limit is checked over its own intervals.
        """
        level = self.levels(production, consumption, step_h)
        n = level.size
        return float(max(0.0, (self.lower[:n] - level).max(), (level - self.upper[:n]).max()))

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
    ``shift``: consumption below ``expected`` that is made up later (a deferrable load).
    ``wear``: energy produced (a battery's discharge: its wear per MWh of throughput).
    """

    shed: float = 0.0
    curtail: float = 0.0
    shift: float = 0.0
    wear: float = 0.0

    @classmethod
    def checked(cls, shed: object = 0.0, curtail: object = 0.0, what: str = "costs", *,
                shift: object = 0.0, wear: object = 0.0) -> Costs:
        """Validate: finite and non-negative."""
        values = []
        for label, value in (("shed", shed), ("curtail", curtail), ("shift", shift),
                             ("wear", wear)):
            number = _number(value, f"{what}.{label}")
            if number < 0:
                raise StateError(f"{what}.{label} must be >= 0, got {value!r}")
            values.append(number)
        return cls(*values)

    def to_dict(self) -> dict[str, float]:
        """Plain form: ``{"shed", "curtail", "shift", "wear"}``."""
        return {"shed": self.shed, "curtail": self.curtail, "shift": self.shift,
                "wear": self.wear}


COST_FIELDS = frozenset({"shed", "curtail", "shift", "wear"})


#: MW tolerance when checking that the bands of an aggregate are the sums of its parts'.
SUM_TOL = 1e-9


def _check_parts(parts: tuple[tuple[str, Any], ...], length: int, what: str) -> None:
    keys = [key for key, _ in parts]
    if any(not isinstance(key, str) or not key for key in keys):
        raise StateError(f"{what}: part names must be non-empty strings, got {keys!r}")
    if len(set(keys)) != len(keys):
        raise StateError(f"{what}: part names must be unique, got {keys!r}")
    for key, part in parts:
        if part.parts:
            raise StateError(f"{what}: part {key!r} has parts of its own")
        if len(part) != length:
            raise StateError(f"{what}: part {key!r} has {len(part)} intervals, the whole "
                             f"{length}")


def _sums_match(total: np.ndarray, pieces: list[np.ndarray]) -> bool:
    if len(pieces) == 1:
        return total is pieces[0] or bool(np.array_equal(total, pieces[0]))
    summed = np.sum(pieces, axis=0)
    scale = 1.0 + float(np.abs(summed).max(initial=0.0))
    return float(np.abs(total - summed).max(initial=0.0)) <= SUM_TOL * scale


@dataclass(frozen=True, slots=True, eq=False)
class HorizonFlex:
    """A unit's or an aggregate's flexibility over ``len(self)`` intervals (module doc).

    ``parts``: for an aggregate that keeps its members apart by class, the named parts
    (each a :class:`HorizonFlex` without parts of its own) whose bands add up to this
    one's; energy limits and costs then live in the parts.
    """

    step_h: float
    production: Band
    consumption: Band
    energy: tuple[EnergyLimit, ...] = ()
    costs: Costs = field(default_factory=Costs)
    parts: tuple[tuple[str, HorizonFlex], ...] = ()

    def __post_init__(self) -> None:
        if len(self.production) != len(self.consumption):
            raise StateError(f"horizon: production has {len(self.production)} intervals, "
                             f"consumption {len(self.consumption)}")
        for limit in self.energy:
            if limit.lower.size != len(self.production):
                raise StateError(f"horizon: energy limit {limit.name!r} has {limit.lower.size} "
                                 f"intervals, the bands {len(self.production)}")
        if self.parts:
            _check_parts(self.parts, len(self), "horizon")
            for key, part in self.parts:
                if part.step_h != self.step_h:
                    raise StateError(f"horizon: part {key!r} has step_h {part.step_h}, the "
                                     f"whole {self.step_h}")
            for side in ("production", "consumption"):
                whole = getattr(self, side)
                bands = [getattr(part, side) for _, part in self.parts]
                for name in ("expected", "min", "max"):
                    if not _sums_match(getattr(whole, name),
                                       [getattr(band, name) for band in bands]):
                        raise StateError(f"horizon: {side}.{name} is not the sum of the parts'")

    def __len__(self) -> int:
        return len(self.production)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, HorizonFlex) and self.step_h == other.step_h
                and self.production == other.production
                and self.consumption == other.consumption
                and self.energy == other.energy and self.costs == other.costs
                and self.parts == other.parts)

    __hash__ = None  # type: ignore[assignment]

    def part(self, key: str) -> HorizonFlex:
        """The part named ``key``; a :class:`StateError` if there is none."""
        for name, part in self.parts:
            if name == key:
                return part
        raise StateError(f"horizon has no part {key!r}; it has {[k for k, _ in self.parts]}")

    def violation(self, plan: Plan) -> float:
        """The worst breach of a plan (MW for bands, MWh for energy limits); 0 if feasible.

        With parts, a plan with parts is also checked part by part.
        """
        worst = 0.0
        for band, values in ((self.production, plan.production),
                             (self.consumption, plan.consumption)):
            worst = max(worst, float((band.min - values).max()), float((values - band.max).max()))
        for limit in self.energy:
            worst = max(worst, limit.violation(plan.production, plan.consumption, self.step_h))
        for key, part_plan in plan.parts:
            worst = max(worst, self.part(key).violation(part_plan))
        return worst

    def tightened(self, what: str = "flex") -> HorizonFlex:
        """Interval 0's bands narrowed to what keeps every energy limit over the horizon.

        For each limit, the levels from which the rest of the horizon can still keep it
        (:func:`reachable_levels`) bound the energy flow of interval 0; the bands become
        the largest box of production and consumption inside that flow range (exact for a
        unit that only produces or only consumes, and for a battery whose minima are 0).
        Raises a :class:`StateError` naming ``what`` and the limit if no schedule keeps it.
        """
        production, consumption = self.production, self.consumption
        for limit in self.energy:
            production, consumption = _tighten_first(limit, production, consumption,
                                                     self.step_h, f"{what}.energy[{limit.name}]")
        if production is self.production and consumption is self.consumption:
            return self
        return HorizonFlex(self.step_h, production, consumption, self.energy, self.costs,
                           self.parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-compatible form (see :meth:`from_dict`)."""
        data = {
            "step_h": self.step_h,
            "production": self.production.to_lists(),
            "consumption": self.consumption.to_lists(),
            "energy": [limit.to_dict() for limit in self.energy],
            "costs": self.costs.to_dict(),
        }
        if self.parts:
            data["parts"] = [[key, part.to_dict()] for key, part in self.parts]
        return data

    @classmethod
    def from_dict(cls, data: object, what: str = "flex") -> HorizonFlex:
        """Read and validate the form :meth:`to_dict` writes; errors name the field."""
        if not isinstance(data, Mapping):
            raise StateError(f"{what} must be a dict with step_h, production, consumption, "
                             f"got {data!r}")
        unknown = set(data) - {"step_h", "production", "consumption", "energy", "costs", "parts"}
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
        if not isinstance(costs, Mapping) or set(costs) - COST_FIELDS:
            raise StateError(f"{what}.costs must be a dict with keys from {sorted(COST_FIELDS)},"
                             f" got {costs!r}")
        parts = _parts(data.get("parts", []), what, lambda d, w: cls.from_dict(d, w))
        try:
            return cls(step_h, bands[0], bands[1], limits,
                       Costs.checked(**{k: costs[k] for k in costs}, what=f"{what}.costs"),
                       parts)
        except StateError as exc:
            if str(exc).startswith(what):
                raise
            raise StateError(f"{what}: {str(exc).removeprefix('horizon: ')}") from None


def _parts(data: object, what: str, read: Any) -> tuple[tuple[str, Any], ...]:
    """``[[name, part], ...]`` read with ``read(part, what)``; a part has no parts."""
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise StateError(f"{what}.parts must be a list of [name, part], got {data!r}")
    parts = []
    for i, item in enumerate(data):
        if (not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 2
                or not isinstance(item[0], str)):
            raise StateError(f"{what}.parts[{i}] must be [name, part], got {item!r}")
        if isinstance(item[1], Mapping) and "parts" in item[1]:
            raise StateError(f"{what}.parts[{i}] ({item[0]!r}) has parts of its own")
        parts.append((item[0], read(item[1], f"{what}.parts[{i}]")))
    return tuple(parts)


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


def reachable_levels(lower: np.ndarray, upper: np.ndarray, flow_min: np.ndarray,
                     flow_max: np.ndarray, step_h: float) -> tuple[np.ndarray, np.ndarray]:
    """The levels after each interval from which the rest of the horizon keeps the bounds.

    ``lower``/``upper`` (MWh) bound the level after every interval, ``flow_min``/
    ``flow_max`` (MW, stored-energy flow: ``charge_efficiency * c - p /
    discharge_efficiency``) the change per interval. Returns ``(low, high)``: after
    interval ``k`` the level must lie in ``[low[k], high[k]]`` for a schedule of the
    remaining intervals to exist (``low > high`` where none does). Works on arrays of
    shape ``(..., H)`` (many units at once); exact for one chain of levels.
    """
    # low[k] = max over j >= k of (lower[j] - step_h * sum(flow_max[k+1..j])): a suffix max
    up_in = step_h * np.cumsum(flow_max, axis=-1)
    down_in = step_h * np.cumsum(flow_min, axis=-1)
    low = up_in + _suffix(np.maximum, np.asarray(lower, dtype=float) - up_in)
    high = down_in + _suffix(np.minimum, np.asarray(upper, dtype=float) - down_in)
    return low, high


def forward_levels(initial: np.ndarray | float, lower: np.ndarray, upper: np.ndarray,
                   flow_min: np.ndarray, flow_max: np.ndarray, step_h: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The levels after each interval that a schedule from ``initial`` can reach.

    The counterpart of :func:`reachable_levels` forward in time: after interval ``k`` the
    level lies in ``[low[k], high[k]]`` whatever the schedule (within the flow bounds and
    the level bounds so far). Works on arrays of shape ``(..., H)``.
    """
    start = np.asarray(initial, dtype=float)[..., np.newaxis]
    up_in = step_h * np.cumsum(flow_max, axis=-1)
    down_in = step_h * np.cumsum(flow_min, axis=-1)
    high = up_in + np.minimum(start, np.minimum.accumulate(
        np.asarray(upper, dtype=float) - up_in, axis=-1))
    low = down_in + np.maximum(start, np.maximum.accumulate(
        np.asarray(lower, dtype=float) - down_in, axis=-1))
    return low, high


def _suffix(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
    return ufunc.accumulate(values[..., ::-1], axis=-1)[..., ::-1]


def flow_range(limit: EnergyLimit, production: Band, consumption: Band
               ) -> tuple[np.ndarray, np.ndarray]:
    """The stored-energy flow (MW) the bands allow per interval, for ``limit``."""
    eta_c, eta_d = limit.charge_efficiency, limit.discharge_efficiency
    return (eta_c * consumption.min - production.max / eta_d,
            eta_c * consumption.max - production.min / eta_d)


def first_box(initial: np.ndarray, lower: np.ndarray, upper: np.ndarray,
              production: tuple[np.ndarray, np.ndarray], consumption: tuple[np.ndarray,
                                                                            np.ndarray],
              eta_c: float, eta_d: float, step_h: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interval 0's box for many units at once (rows), from their bounds over the horizon.

    ``lower``/``upper`` (rows x H) bound the level, ``production``/``consumption`` are
    ``(min, max)`` arrays (rows x H). Returns ``(p_min, p_max, c_min, c_max)`` of interval
    0 (rows) and the first interval at which each row is infeasible (-1 where feasible):
    the largest box of production and consumption whose every corner keeps the flow of
    interval 0 within what the rest of the horizon can still follow.
    """
    p_lo, p_hi = production
    c_lo, c_hi = consumption
    flow_min, flow_max = eta_c * c_lo - p_hi / eta_d, eta_c * c_hi - p_lo / eta_d
    low, high = reachable_levels(lower, upper, flow_min, flow_max, step_h)
    lo_f = np.maximum(flow_min[:, 0], (low[:, 0] - initial) / step_h)
    hi_f = np.minimum(flow_max[:, 0], (high[:, 0] - initial) / step_h)
    empty = low > high + ENERGY_TOL
    bad = np.where(empty.any(axis=1), empty.argmax(axis=1),
                   np.where(lo_f > hi_f + ENERGY_TOL / step_h, 0, -1))
    p_lo0, p_hi0, c_lo0, c_hi0 = p_lo[:, 0], p_hi[:, 0], c_lo[:, 0], c_hi[:, 0]
    p_max = np.minimum(p_hi0, np.maximum(p_lo0, eta_d * (eta_c * c_lo0 - lo_f)))
    c_max = np.minimum(c_hi0, np.maximum(c_lo0, (hi_f + p_lo0 / eta_d) / eta_c))
    c_min = np.minimum(c_max, np.maximum(c_lo0, (lo_f + p_max / eta_d) / eta_c))
    p_min = np.minimum(p_max, np.maximum(p_lo0, eta_d * (eta_c * c_max - hi_f)))
    return p_min, p_max, c_min, c_max, bad


def _tighten_first(limit: EnergyLimit, production: Band, consumption: Band, step_h: float,
                   what: str) -> tuple[Band, Band]:
    row = np.newaxis
    p_min, p_max, c_min, c_max, bad = first_box(
        np.array([limit.initial]), limit.lower[row], limit.upper[row],
        (production.min[row], production.max[row]), (consumption.min[row],
                                                     consumption.max[row]),
        limit.charge_efficiency, limit.discharge_efficiency, step_h)
    if bad[0] >= 0:
        raise StateError(impossible(what, limit.initial, int(bad[0])))
    return (_with_first(production, float(p_min[0]), float(p_max[0])),
            _with_first(consumption, float(c_min[0]), float(c_max[0])))


def impossible(what: str, initial: float, interval: int) -> str:
    """The error message of an energy limit no schedule can keep."""
    return (f"{what}: no schedule keeps the level within [lower, upper] from its initial "
            f"level {initial} MWh (first impossible at interval {interval})")


def _with_first(band: Band, low: float, high: float) -> Band:
    if low == band.min[0] and high == band.max[0]:
        return band
    lo, hi = band.min.copy(), band.max.copy()
    lo[0], hi[0] = low, high
    return Band(band.expected, lo, hi)


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """A schedule over a horizon: production and consumption per interval (MW).

    ``parts``: one named schedule per part of an aggregate (see :class:`HorizonFlex`);
    they add up to this plan.
    """

    production: np.ndarray
    consumption: np.ndarray
    parts: tuple[tuple[str, Plan], ...] = ()

    def __post_init__(self) -> None:
        if self.production.shape != self.consumption.shape or self.production.ndim != 1:
            raise StateError(f"plan: production {self.production.shape} and consumption "
                             f"{self.consumption.shape} must be 1-d of equal length")
        if self.parts:
            _check_parts(self.parts, len(self), "plan")
            for side in ("production", "consumption"):
                if not _sums_match(getattr(self, side),
                                   [getattr(part, side) for _, part in self.parts]):
                    raise StateError(f"plan: {side} is not the sum of the parts'")

    def __len__(self) -> int:
        return int(self.production.size)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Plan) and _same(self.production, other.production)
                and _same(self.consumption, other.consumption) and self.parts == other.parts)

    __hash__ = None  # type: ignore[assignment]

    @property
    def net(self) -> np.ndarray:
        """Net power per interval (generation positive)."""
        return self.production - self.consumption

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.production + other.production, self.consumption + other.consumption)

    def to_lists(self) -> list[Any]:
        """``[production, consumption]`` as plain lists, plus the parts if any.

        With parts a third element ``[[name, [production, consumption]], ...]``.
        """
        lists: list[Any] = [self.production.tolist(), self.consumption.tolist()]
        if self.parts:
            lists.append([[key, part.to_lists()] for key, part in self.parts])
        return lists

    @classmethod
    def from_lists(cls, data: object, what: str = "plan") -> Plan:
        """Inverse of :meth:`to_lists`, validated."""
        if not isinstance(data, Sequence) or isinstance(data, str) or len(data) not in (2, 3):
            raise StateError(f"{what} must be [production, consumption(, parts)], got {data!r}")
        production = as_array(data[0], f"{what}.production")
        consumption = as_array(data[1], f"{what}.consumption", production.size)
        parts = _parts(data[2], what, lambda d, w: cls.from_lists(d, w)) if len(data) == 3 else ()
        if any(part.parts for _, part in parts):
            raise StateError(f"{what}: a part has parts of its own")
        try:
            return cls(production, consumption, parts)
        except StateError as exc:
            raise StateError(f"{what}: {str(exc).removeprefix('plan: ')}") from None

    def to_dict(self) -> dict[str, Any]:
        """Plain form with parts: ``{"production", "consumption"[, "parts"]}``."""
        data: dict[str, Any] = {"production": self.production.tolist(),
                                "consumption": self.consumption.tolist()}
        if self.parts:
            data["parts"] = [[key, part.to_dict()] for key, part in self.parts]
        return data

    @classmethod
    def from_dict(cls, data: object, what: str = "plan") -> Plan:
        """Inverse of :meth:`to_dict`, validated; errors name the field."""
        if not isinstance(data, Mapping) or set(data) - {"production", "consumption", "parts"}:
            raise StateError(f"{what} must be a dict with production, consumption[, parts], "
                             f"got {data!r}")
        try:
            production = as_array(data["production"], f"{what}.production")
            consumption = as_array(data["consumption"], f"{what}.consumption", production.size)
        except KeyError as missing:
            raise StateError(f"{what} has no field {missing}") from None
        parts = _parts(data.get("parts", []), what, lambda d, w: cls.from_dict(d, w))
        try:
            return cls(production, consumption, parts)
        except StateError as exc:
            raise StateError(f"{what}: {str(exc).removeprefix('plan: ')}") from None
