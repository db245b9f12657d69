"""The setpoint convention shared by massca's unit simulators (see the package doc)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Direction", "UnitPower", "apply_setpoints", "SETPOINT_ATTRS", "POWER_ATTRS",
           "power_outputs", "check_finite"]

Direction = Literal["production", "consumption", "net"]
SETPOINT_ATTRS = ["scale_factor", "P_set[MW]"]
POWER_ATTRS = ["P[MW]", "P_min[MW]", "P_max[MW]", "current", "min", "max",
               "P_gen[MW]", "P_load[MW]", "limited[MW]"]


def check_finite(name: str, value: Any) -> float:
    """A finite number, or a ValueError naming ``name`` and the value."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


@dataclass(slots=True)
class UnitPower:
    """A unit's power in one step: net (generation positive) and its net band."""

    p: float = 0.0
    p_min: float = 0.0
    p_max: float = 0.0
    uncontrolled: float = 0.0
    limited: float = 0.0


def _sum(eid: str, attr: str, sources: Mapping[str, Any]) -> float:
    return sum(check_finite(f"{eid}: input {attr!r} from {src!r}", v) for src, v in sources.items())


def apply_setpoints(eid: str, direction: Direction, power: UnitPower,
                    inputs: Mapping[str, Mapping[str, Any]]) -> None:
    """Set ``power.p`` from this step's setpoint inputs (if any), within the band."""
    wanted: float | None = None
    if "P_set[MW]" in inputs:
        wanted = _sum(eid, "P_set[MW]", inputs["P_set[MW]"])
    if "scale_factor" in inputs:
        change = _sum(eid, "scale_factor", inputs["scale_factor"])
        if direction == "consumption":
            change = -change  # more consumption is less net power
        if wanted is not None:
            raise ValueError(f"{eid}: got both P_set[MW] and scale_factor; connect one")
        wanted = power.uncontrolled + change
    if wanted is None:
        power.p = power.uncontrolled
        power.limited = 0.0
        return
    power.p = min(max(wanted, power.p_min), power.p_max)
    power.limited = wanted - power.p


def power_outputs(direction: Direction, power: UnitPower) -> dict[str, float]:
    """Every attribute of :data:`POWER_ATTRS` for ``power``."""
    if direction == "production":
        own = (power.p, power.p_min, power.p_max)
    elif direction == "consumption":
        own = (-power.p, -power.p_max, -power.p_min)
    else:
        own = (power.p, power.p_min, power.p_max)
    return {
        "P[MW]": power.p, "P_min[MW]": power.p_min, "P_max[MW]": power.p_max,
        "current": own[0], "min": own[1], "max": own[2],
        "P_gen[MW]": max(power.p, 0.0), "P_load[MW]": max(-power.p, 0.0),
        "limited[MW]": power.limited,
    }
