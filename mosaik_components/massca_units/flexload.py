"""``FlexLoad``: a load that follows a per-unit profile and may be shifted within a band.

Uncontrolled consumption ``peak_mw * P_pu`` (``P_pu`` from a ``LoadProfile``); the MAS
may move it to anywhere in ``[(1 - flex_down), (1 + flex_up)] x`` that value. Reactive
power follows a fixed power factor ``cos_phi`` (inductive).
"""

from __future__ import annotations

import math
from typing import Any

from .base import Entity, UnitSimulator
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite

__all__ = ["FlexLoadSimulator", "load_band"]

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "FlexLoad": {
            "public": True,
            "params": ["peak_mw", "flex_down", "flex_up", "cos_phi"],
            "attrs": ["P_pu", *SETPOINT_ATTRS, *POWER_ATTRS, "Q[MVar]", "Q_load[MVar]"],
            "trigger": SETPOINT_ATTRS,
        },
    },
}


def load_band(demand: float, flex_down: float, flex_up: float) -> tuple[float, float]:
    """The consumption band (MW) around ``demand``."""
    return demand * (1.0 - flex_down), demand * (1.0 + flex_up)


class FlexLoadSimulator(UnitSimulator):
    """Flexible loads (see the module docstring)."""

    model = "FlexLoad"
    prefix = "FlexLoad"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, peak_mw: float = 1.0, flex_down: float = 0.0,
             flex_up: float = 0.0, cos_phi: float = 1.0, **unknown: Any) -> Entity:
        if unknown:
            raise ValueError(f"{eid}: unknown parameter(s) {sorted(unknown)}")
        params = {name: check_finite(f"{eid}.{name}", value) for name, value in
                  (("peak_mw", peak_mw), ("flex_down", flex_down), ("flex_up", flex_up),
                   ("cos_phi", cos_phi))}
        if params["peak_mw"] < 0:
            raise ValueError(f"{eid}.peak_mw must be >= 0, got {peak_mw!r}")
        if not 0 <= params["flex_down"] <= 1 or params["flex_up"] < 0:
            raise ValueError(f"{eid}: need 0 <= flex_down <= 1 and flex_up >= 0, got "
                             f"flex_down={flex_down!r}, flex_up={flex_up!r}")
        if not 0 < params["cos_phi"] <= 1:
            raise ValueError(f"{eid}.cos_phi must be in (0, 1], got {cos_phi!r}")
        params["tan_phi"] = math.tan(math.acos(params["cos_phi"]))
        return Entity(eid, params, "consumption")

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        for eid, entity in self.entities.items():
            sources = inputs.get(eid, {}).get("P_pu")
            if not sources:
                raise ValueError(f"{self.sid}.{eid}: no P_pu input at time {time}; connect a "
                                 "LoadProfile")
            pu = sum(check_finite(f"{eid}: P_pu from {s!r}", v) for s, v in sources.items())
            if pu < 0:
                raise ValueError(f"{self.sid}.{eid}: P_pu must be >= 0, got {pu!r}")
            p = entity.params
            demand = p["peak_mw"] * pu
            low, high = load_band(demand, p["flex_down"], p["flex_up"])
            power = entity.power
            power.uncontrolled, power.p_min, power.p_max = -demand, -high, -low

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        q = -entity.power.p * entity.params["tan_phi"]
        return {"Q[MVar]": -q, "Q_load[MVar]": q}
