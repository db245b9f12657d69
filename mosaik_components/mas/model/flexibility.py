"""The state model: a unit's or a cell's production and consumption flexibility.

Pure data and arithmetic, no mango and no mosaik. Sign convention used everywhere in
massca: powers are in MW; *production* and *consumption* are both non-negative
magnitudes; a net power ``P[MW]`` is ``production - consumption`` (generation
positive, load negative).

A :class:`Flex` is one direction's band ``min <= max`` plus the value it runs at now
(``current`` may lie outside the band: a unit that produces more than it may is moved
back into the band by the strategy, never silently clipped in the data).

A :class:`UnitState` is the flexibility of the interval being decided; its optional
``horizon`` (:class:`~.horizon.HorizonFlex`) extends it over the intervals ahead, and a
:class:`Target`'s optional ``plan`` (:class:`~.horizon.Plan`) is the schedule over that
horizon whose first interval is the target. Strategies that do not look ahead ignore both.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import StateError
from .horizon import HorizonFlex, Plan

__all__ = ["Flex", "UnitState", "Target", "aggregate", "net_band", "from_net",
           "HorizonFlex", "Plan", "is_number", "tolerance", "REL_TOL", "check_summable",
           "MAX_TOTAL"]

#: Relative part of every invariant check's tolerance: sums of n values of size M carry
#: rounding errors of about n * 2.2e-16 * M, far below this for any realistic n.
REL_TOL = 1e-9


def is_number(value: object) -> bool:
    """True for a real number that is not a bool (numpy scalars included)."""
    if type(value) is float or type(value) is int:  # the common case, without the ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def tolerance(absolute: float, magnitude: float) -> float:
    """``absolute`` plus :data:`REL_TOL` times ``magnitude`` (the size of what is compared)."""
    return absolute + REL_TOL * abs(magnitude)


def _check_number(name: str, value: object) -> float:
    if not is_number(value):
        raise StateError(f"{name} must be a number, got {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise StateError(f"{name} must be finite, got {value!r}")
    return number


#: The largest summed band (MW) a system may have: a quarter of the float range, room
#: for the sums and differences a strategy takes.
MAX_TOTAL = sys.float_info.max / 4


def check_summable(states: Mapping[str, UnitState]) -> None:
    """Raise :class:`StateError` if the units' bands add up beyond :data:`MAX_TOTAL`.

    Every value is finite on its own; their sum must leave a strategy room to compute.
    The error names the units with the largest bands: it is an input error, not a
    strategy's.
    """
    total = 0.0
    for state in states.values():
        total += state.production.max + state.consumption.max
    if total <= MAX_TOTAL:
        return
    largest = sorted(states, key=lambda e: -(states[e].production.max
                                             + states[e].consumption.max))[:3]
    sizes = ", ".join(f"{e!r} ({states[e].production.max:.3g} MW production, "
                      f"{states[e].consumption.max:.3g} MW consumption)" for e in largest)
    raise StateError(f"the units' bands add up to {total:.3g} MW, beyond the {MAX_TOTAL:.3g} "
                     f"MW floating point arithmetic can handle; largest: {sizes}")


@dataclass(frozen=True, slots=True)
class Flex:
    """One direction's flexibility in MW: what runs now and the band it may be moved in."""

    current: float = 0.0
    min: float = 0.0
    max: float = 0.0

    @classmethod
    def checked(cls, current: object, lo: object, hi: object, what: str = "flex") -> Flex:
        """Build a Flex after validating every value; errors name ``what`` and the value."""
        cur = _check_number(f"{what}.current", current)
        low = _check_number(f"{what}.min", lo)
        high = _check_number(f"{what}.max", hi)
        if low < 0 or high < 0 or cur < 0:
            raise StateError(
                f"{what}: production/consumption magnitudes must be >= 0, "
                f"got current={cur}, min={low}, max={high}"
            )
        if low > high:
            raise StateError(f"{what}: min ({low}) is greater than max ({high})")
        return cls(cur, low, high)

    @property
    def baseline(self) -> float:
        """``current`` moved into ``[min, max]`` (equal to ``current`` when inside)."""
        return min(max(self.current, self.min), self.max)

    def __add__(self, other: Flex) -> Flex:
        return Flex(self.current + other.current, self.min + other.min, self.max + other.max)


ZERO = Flex()


@dataclass(frozen=True, slots=True)
class UnitState:
    """Production and consumption flexibility of one unit or one aggregate.

    ``horizon``: the flexibility over the intervals ahead (interval 0 is this state), or
    ``None`` when only this interval is known.
    """

    production: Flex = ZERO
    consumption: Flex = ZERO
    horizon: HorizonFlex | None = None

    @classmethod
    def of_horizon(cls, horizon: HorizonFlex) -> UnitState:
        """The state whose interval 0 and look-ahead are ``horizon``."""
        p, c = horizon.production, horizon.consumption
        return cls(Flex(float(p.expected[0]), float(p.min[0]), float(p.max[0])),
                   Flex(float(c.expected[0]), float(c.min[0]), float(c.max[0])), horizon)

    @property
    def net(self) -> float:
        """Net power now (generation positive)."""
        return self.production.current - self.consumption.current

    def __add__(self, other: UnitState) -> UnitState:
        """The sum of this interval's flexibility (horizons are aggregated by strategies)."""
        return UnitState(self.production + other.production, self.consumption + other.consumption)

    def to_massca(self) -> dict[str, dict[str, float]]:
        """MASSCA's state dict: ``{'production': {min, max, current}, 'consumption': ...}``."""
        return {
            "production": {
                "min": self.production.min,
                "max": self.production.max,
                "current": self.production.current,
            },
            "consumption": {
                "min": self.consumption.min,
                "max": self.consumption.max,
                "current": self.consumption.current,
            },
        }

    @classmethod
    def from_massca(cls, state: Mapping[str, Any], what: str = "state") -> UnitState:
        """Read a MASSCA state dict; every missing or bad field is a :class:`StateError`."""
        if not isinstance(state, Mapping):
            raise StateError(f"{what} must be a dict with 'production' and 'consumption', "
                             f"got {state!r}")
        flexes = []
        for key in ("production", "consumption"):
            part = state.get(key)
            if not isinstance(part, Mapping):
                raise StateError(f"{what}.{key} must be a dict with min/max/current, got {part!r}")
            try:
                flexes.append(
                    Flex.checked(part["current"], part["min"], part["max"], f"{what}.{key}")
                )
            except KeyError as missing:
                raise StateError(f"{what}.{key} has no field {missing}") from None
        return cls(flexes[0], flexes[1])


@dataclass(frozen=True, slots=True)
class Target:
    """An instruction: the production and consumption a subtree shall run at (MW).

    ``plan``: the schedule over the horizon this target starts (its interval 0 equals
    ``production``/``consumption``), for look-ahead strategies; otherwise ``None``.
    """

    production: float
    consumption: float
    plan: Plan | None = None

    @property
    def net(self) -> float:
        """Net power of the target (generation positive)."""
        return self.production - self.consumption


def aggregate(states: Iterable[UnitState]) -> UnitState:
    """Sum the flexibility of children: currents, minima and maxima add up."""
    p_cur = p_min = p_max = c_cur = c_min = c_max = 0.0
    for state in states:
        p, c = state.production, state.consumption
        p_cur += p.current
        p_min += p.min
        p_max += p.max
        c_cur += c.current
        c_min += c.min
        c_max += c.max
    return UnitState(Flex(p_cur, p_min, p_max), Flex(c_cur, c_min, c_max))


def from_net(current: float, p_min: float, p_max: float, what: str = "unit") -> UnitState:
    """Split a net band (generation positive) into production and consumption parts.

    A storage that may go from -2 MW (charging) to +1 MW (discharging) and now charges
    at 0.5 MW becomes production ``[0, 1]`` at 0 and consumption ``[0, 2]`` at 0.5.
    Any setpoint pair inside those bands has a net value inside ``[p_min, p_max]``.
    """
    cur = _check_number(f"{what}.P[MW]", current)
    low = _check_number(f"{what}.P_min[MW]", p_min)
    high = _check_number(f"{what}.P_max[MW]", p_max)
    if low > high:
        raise StateError(f"{what}: P_min[MW] ({low}) is greater than P_max[MW] ({high})")
    production = Flex(max(cur, 0.0), max(low, 0.0), max(high, 0.0))
    consumption = Flex(max(-cur, 0.0), max(-high, 0.0), max(-low, 0.0))
    return UnitState(production, consumption)


def net_band(state: UnitState) -> tuple[float, float]:
    """The net power band ``(P_min, P_max)`` a state spans (generation positive)."""
    return (
        state.production.min - state.consumption.max,
        state.production.max - state.consumption.min,
    )
