"""``Battery``: storage with state of charge, power limits and round-trip efficiency.

Uncontrolled it idles (0 MW). Its band for a step of ``step_size`` seconds is what it
can discharge/charge without leaving ``[soc_min, soc_max] x capacity_mwh`` and within
``p_discharge_mw``/``p_charge_mw``. Charging stores ``|P| dt sqrt(eta)``, discharging
draws ``P dt / sqrt(eta)`` (``eta``: round-trip efficiency). The state of charge of a
step is settled from the final setpoint of that step, so same-time iterations never
count twice, and it never leaves its bounds.
"""

from __future__ import annotations

import math
from typing import Any

from .base import Entity, UnitSimulator
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite

__all__ = ["BatterySimulator", "battery_band", "next_soc"]

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Battery": {
            "public": True,
            "params": ["capacity_mwh", "p_charge_mw", "p_discharge_mw", "efficiency",
                       "soc_init", "soc_min", "soc_max"],
            "attrs": ["SOC[MWh]", "SOC[%]", *SETPOINT_ATTRS, *POWER_ATTRS],
            "trigger": SETPOINT_ATTRS,
        },
    },
}


def battery_band(soc: float, hours: float, p: dict[str, float]) -> tuple[float, float]:
    """Net power band (generation positive) from state of charge ``soc`` (MWh)."""
    eta = math.sqrt(p["efficiency"])
    low_e, high_e = p["soc_min"] * p["capacity_mwh"], p["soc_max"] * p["capacity_mwh"]
    discharge = min(p["p_discharge_mw"], max(soc - low_e, 0.0) * eta / hours)
    charge = min(p["p_charge_mw"], max(high_e - soc, 0.0) / (eta * hours))
    return -charge, discharge


def next_soc(soc: float, p_net: float, hours: float, efficiency: float) -> float:
    """State of charge after running at ``p_net`` MW (generation positive) for ``hours``."""
    eta = math.sqrt(efficiency)
    if p_net >= 0:
        return soc - p_net * hours / eta
    return soc - p_net * hours * eta


class BatterySimulator(UnitSimulator):
    """Batteries (see the module docstring)."""

    model = "Battery"
    prefix = "Battery"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, capacity_mwh: float = 1.0, p_charge_mw: float = 0.5,
             p_discharge_mw: float = 0.5, efficiency: float = 0.9, soc_init: float = 0.5,
             soc_min: float = 0.0, soc_max: float = 1.0, **unknown: Any) -> Entity:
        if unknown:
            raise ValueError(f"{eid}: unknown parameter(s) {sorted(unknown)}")
        p = {name: check_finite(f"{eid}.{name}", value) for name, value in
             (("capacity_mwh", capacity_mwh), ("p_charge_mw", p_charge_mw),
              ("p_discharge_mw", p_discharge_mw), ("efficiency", efficiency),
              ("soc_init", soc_init), ("soc_min", soc_min), ("soc_max", soc_max))}
        if p["capacity_mwh"] <= 0 or p["p_charge_mw"] < 0 or p["p_discharge_mw"] < 0:
            raise ValueError(f"{eid}: need capacity_mwh > 0 and power limits >= 0")
        if not 0 < p["efficiency"] <= 1:
            raise ValueError(f"{eid}.efficiency must be in (0, 1], got {efficiency!r}")
        if not 0 <= p["soc_min"] <= p["soc_init"] <= p["soc_max"] <= 1:
            raise ValueError(f"{eid}: need 0 <= soc_min <= soc_init <= soc_max <= 1, got "
                             f"{soc_min}, {soc_init}, {soc_max}")
        entity = Entity(eid, p, "net")
        entity.state.update(soc=p["soc_init"] * p["capacity_mwh"], soc_start=None)
        return entity

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        hours = self.step_size / 3600
        for entity in self.entities.values():
            if entity.state["soc_start"] is not None:
                entity.state["soc"] = entity.state["soc_end"]  # the last step is settled
            entity.state["soc_start"] = entity.state["soc"]
            low, high = battery_band(entity.state["soc"], hours, entity.params)
            power = entity.power
            power.uncontrolled, power.p_min, power.p_max = 0.0, low, high

    def settle(self, entity: Entity) -> None:
        hours = self.step_size / 3600
        entity.state["soc_end"] = next_soc(entity.state["soc_start"], entity.power.p, hours,
                                           entity.params["efficiency"])

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        soc = entity.state["soc_end"]
        return {"SOC[MWh]": soc, "SOC[%]": 100.0 * soc / entity.params["capacity_mwh"]}
