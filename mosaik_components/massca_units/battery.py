"""``Battery``: storage with state of charge, power limits and charge/discharge efficiency.

Uncontrolled it idles (0 MW). Charging at ``P`` MW for ``dt`` hours stores ``P dt
eta_c``, discharging draws ``P dt / eta_d`` from the store (one-way efficiencies
``charge_efficiency``/``discharge_efficiency``; by default both ``sqrt(efficiency)``,
``efficiency`` being the round trip). The state of charge stays within ``[soc_min,
soc_max] x capacity_mwh``: the band of a step is what the battery can discharge/charge
without leaving it, within ``p_discharge_mw``/``p_charge_mw``. The state of charge of a
step is settled from the final setpoint of that step, so same-time iterations never count
twice.

``flex`` (over the simulator's ``horizon``): production ``[0, p_discharge_mw]`` and
consumption ``[0, p_charge_mw]`` per interval, the energy limit ``soc`` with both
efficiencies, and ``wear_cost`` per MWh discharged. With ``terminal="cyclic"`` (default)
and a horizon longer than one interval, the state of charge at the horizon's end must be
at least today's, so a plan never empties the battery just because its horizon ends.
Interval 0's band is narrowed to what keeps that plan feasible
(:meth:`~mosaik_components.mas.model.HorizonFlex.tightened`).

Outputs: ``SOC[MWh]``, ``SOC[%]``, the counters ``E_charged[MWh]`` and
``E_discharged[MWh]`` (at the terminals) and ``cycles``: equivalent full cycles,
``(E_charged + E_discharged) / (2 capacity_mwh)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mosaik_components.mas.model.errors import StateError
from mosaik_components.mas.model.horizon import Band, Costs, EnergyLimit, HorizonFlex

from .base import FLEX_ATTRS, Entity, UnitSimulator, start_cmd
from .params import BatteryParams
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS

__all__ = ["BatterySimulator", "battery_band", "battery_flex", "next_soc", "main"]

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Battery": {
            "public": True,
            "params": ["capacity_mwh", "p_charge_mw", "p_discharge_mw", "efficiency",
                       "charge_efficiency", "discharge_efficiency", "soc_init", "soc_min",
                       "soc_max", "wear_cost", "terminal"],
            "attrs": ["SOC[MWh]", "SOC[%]", "E_charged[MWh]", "E_discharged[MWh]", "cycles",
                      *SETPOINT_ATTRS, *POWER_ATTRS, *FLEX_ATTRS],
            "trigger": SETPOINT_ATTRS,
        },
    },
}


def _one_way(p: dict[str, float]) -> tuple[float, float]:
    if "eta_c" in p:
        return p["eta_c"], p["eta_d"]
    eta = math.sqrt(p["efficiency"])
    return eta, eta


def battery_band(soc: float, hours: float, p: dict[str, float]) -> tuple[float, float]:
    """Net power band (generation positive) from state of charge ``soc`` (MWh).

    ``p`` holds ``capacity_mwh``, ``soc_min``, ``soc_max``, ``p_charge_mw``,
    ``p_discharge_mw`` and either ``efficiency`` (round trip) or ``eta_c``/``eta_d``.
    """
    eta_c, eta_d = _one_way(p)
    low_e, high_e = p["soc_min"] * p["capacity_mwh"], p["soc_max"] * p["capacity_mwh"]
    discharge = min(p["p_discharge_mw"], max(soc - low_e, 0.0) * eta_d / hours)
    charge = min(p["p_charge_mw"], max(high_e - soc, 0.0) / (eta_c * hours))
    return -charge, discharge


def next_soc(soc: float, p_net: float, hours: float, efficiency: float,
             discharge_efficiency: float | None = None) -> float:
    """State of charge after running at ``p_net`` MW (generation positive) for ``hours``.

    One argument: ``efficiency`` is the round trip (each way its square root); two:
    the one-way charge and discharge efficiencies.
    """
    if discharge_efficiency is None:
        eta_c = eta_d = math.sqrt(efficiency)
    else:
        eta_c, eta_d = efficiency, discharge_efficiency
    if p_net >= 0:
        return soc - p_net * hours / eta_d
    return soc - p_net * hours * eta_c


def battery_flex(soc: float, p: dict[str, float], horizon: int, step_h: float, costs: Costs,
                 cyclic: bool = True, what: str = "battery") -> HorizonFlex:
    """A battery's horizon flexibility from its state of charge ``soc`` (MWh).

    ``p`` holds ``capacity_mwh``, ``soc_min``, ``soc_max``, ``p_charge_mw``,
    ``p_discharge_mw``, ``eta_c``, ``eta_d``; ``cyclic`` (with ``horizon > 1``) asks for
    at least ``soc`` at the horizon's end. Interval 0 is narrowed (``tightened``).
    """
    lower = np.full(horizon, p["soc_min"] * p["capacity_mwh"])
    upper = np.full(horizon, p["soc_max"] * p["capacity_mwh"])
    if cyclic and horizon > 1:
        lower[-1] = max(lower[-1], min(soc, upper[-1]))
    limit = EnergyLimit("soc", soc, lower, upper, p["eta_c"], p["eta_d"])
    zeros = np.zeros(horizon)
    flex = HorizonFlex(step_h, Band(zeros, zeros, np.full(horizon, p["p_discharge_mw"])),
                       Band(zeros, zeros, np.full(horizon, p["p_charge_mw"])), (limit,), costs)
    return flex.tightened(what)


class BatterySimulator(UnitSimulator):
    """Batteries (see the module docstring)."""

    model = "Battery"
    prefix = "Battery"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, **params: Any) -> Entity:
        """A battery from validated :class:`~.params.BatteryParams`."""
        checked = BatteryParams.checked(eid, params)
        eta_c, eta_d = checked.one_way
        p = checked.model_dump(include={"capacity_mwh", "p_charge_mw", "p_discharge_mw",
                                        "soc_init", "soc_min", "soc_max"})
        p.update(eta_c=eta_c, eta_d=eta_d)
        entity = Entity(eid, p, "net")
        entity.state.update(soc=p["soc_init"] * p["capacity_mwh"], soc_end=None,
                            costs=Costs(wear=checked.wear_cost), terminal=checked.terminal)
        return entity

    def horizon_flex(self, entity: Entity) -> HorizonFlex:
        """Interval 0 narrowed so that the plan over the horizon stays feasible."""
        try:
            return battery_flex(entity.state["soc"], entity.params, self.horizon, self.step_h,
                                entity.state["costs"], entity.state["terminal"] == "cyclic",
                                f"{self.sid}.{entity.eid}.flex")
        except StateError as exc:  # only float noise at a bound can get here
            raise ValueError(str(exc)) from None

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        for entity in self.entities.values():
            if entity.state["soc_end"] is not None:
                entity.state["soc"] = entity.state["soc_end"]  # the last step is settled
            flex = self.horizon_flex(entity)
            entity.set_flex(flex)
            power = entity.power
            power.uncontrolled = 0.0
            power.p_min = -float(flex.consumption.max[0])
            power.p_max = float(flex.production.max[0])

    def settle(self, entity: Entity) -> None:
        p = entity.params
        net = entity.power.p
        entity.state["soc_end"] = next_soc(entity.state["soc"], net, self.step_h,
                                           p["eta_c"], p["eta_d"])
        entity.settle_total("E_charged[MWh]", max(-net, 0.0) * self.step_h)
        entity.settle_total("E_discharged[MWh]", max(net, 0.0) * self.step_h)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        capacity = entity.params["capacity_mwh"]
        soc = entity.state["soc_end"]
        throughput = (entity.totals.get("E_charged[MWh]", 0.0)
                      + entity.totals.get("E_discharged[MWh]", 0.0))
        return {"SOC[MWh]": soc, "SOC[%]": 100.0 * soc / capacity,
                "cycles": throughput / (2.0 * capacity)}


def main() -> None:
    """Start the simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    start_cmd(BatterySimulator())


if __name__ == "__main__":
    main()
