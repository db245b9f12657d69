"""``FlexLoad``: a load that follows a per-unit profile and may be moved within a band.

Demand ``peak_mw * P_pu`` (``P_pu`` from a ``LoadProfile``); the MAS may move the
consumption anywhere in ``[(1 - flex_down), (1 + flex_up)] x`` that demand. This is
MASSCA's energy-blind flexible load: consumption below demand is never made up (it is
energy not served, ``shed_cost`` per MWh in the ``flex`` output) and consumption above
demand is simply consumed. Reactive power follows a fixed power factor ``cos_phi``
(inductive).

Outputs besides the power attributes: ``P_demand[MW]`` and the counter
``E_not_served[MWh]`` (demand minus consumption, where positive); with the simulator's
``horizon`` > 1 the ``P_pu_forecast`` input gives the demand over the horizon.
:mod:`.curtailable` and :mod:`.shiftable` are the energy-true loads.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mosaik_components.mas.model.horizon import Costs

from .base import FLEX_ATTRS, Entity, UnitSimulator, start_cmd
from .params import FlexLoadParams
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite
from .unitflex import consumer_flex, required_forecast

__all__ = ["FlexLoadSimulator", "load_band", "profile_demand", "main"]

LOAD_ATTRS = ["P_pu", "P_pu_forecast", "P_demand[MW]", "E_not_served[MWh]", *SETPOINT_ATTRS,
              *POWER_ATTRS, *FLEX_ATTRS, "Q[MVar]", "Q_load[MVar]"]
META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "FlexLoad": {
            "public": True,
            "params": ["peak_mw", "flex_down", "flex_up", "cos_phi", "shed_cost"],
            "attrs": LOAD_ATTRS,
            "trigger": SETPOINT_ATTRS,
        },
    },
}


def load_band(demand: float, flex_down: float, flex_up: float) -> tuple[float, float]:
    """The consumption band (MW) around ``demand``."""
    return demand * (1.0 - flex_down), demand * (1.0 + flex_up)


def profile_demand(sim: UnitSimulator, eid: str, time: int,
                   inputs: dict[str, dict[str, Any]]) -> np.ndarray:
    """Demand (MW) over the horizon of ``sim``: ``peak_mw`` x the profile (and forecast)."""
    sources = inputs.get(eid, {}).get("P_pu")
    if not sources:
        raise ValueError(f"{sim.sid}.{eid}: no P_pu input at time {time}; connect a "
                         "LoadProfile")
    pu = sum(check_finite(f"{eid}: P_pu from {s!r}", v) for s, v in sources.items())
    if pu < 0:
        raise ValueError(f"{sim.sid}.{eid}: P_pu must be >= 0, got {pu!r}")
    profile = required_forecast(f"{sim.sid}.{eid}", inputs.get(eid, {}), "P_pu_forecast",
                                sim.horizon, time, pu)
    if (profile < 0).any():
        raise ValueError(f"{sim.sid}.{eid}: P_pu_forecast must be >= 0 at time {time}")
    return sim.entities[eid].params["peak_mw"] * profile


class FlexLoadSimulator(UnitSimulator):
    """Flexible loads (see the module docstring)."""

    model = "FlexLoad"
    prefix = "FlexLoad"

    def __init__(self, meta: dict[str, Any] | None = None) -> None:
        super().__init__(meta or META)

    def make(self, eid: str, **params: Any) -> Entity:
        """A flexible load from validated :class:`~.params.FlexLoadParams`."""
        checked = FlexLoadParams.checked(eid, params)
        p = checked.model_dump(include={"peak_mw", "flex_down", "flex_up", "cos_phi"})
        return self.load_entity(eid, p, checked.cos_phi, Costs(shed=checked.shed_cost))

    def load_entity(self, eid: str, params: dict[str, float], cos_phi: float,
                    costs: Costs) -> Entity:
        """An entity with its (validated) power factor and its costs."""
        params["tan_phi"] = math.tan(math.acos(cos_phi))
        entity = Entity(eid, params, "consumption")
        entity.state.update(costs=costs, demand=0.0)
        return entity

    def bands(self, entity: Entity, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The consumption band (MW) per interval around ``demand``."""
        p = entity.params
        return load_band(demand, p["flex_down"], p["flex_up"])  # type: ignore[return-value]

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        for eid, entity in self.entities.items():
            demand = profile_demand(self, eid, time, inputs)
            low, high = self.bands(entity, demand)
            power = entity.power
            power.uncontrolled, power.p_min, power.p_max = -demand[0], -high[0], -low[0]
            entity.state["demand"] = float(demand[0])
            entity.set_flex(consumer_flex(self.step_h, demand, low, high,
                                          entity.state["costs"]))

    def settle(self, entity: Entity) -> None:
        short = max(entity.state["demand"] + entity.power.p, 0.0)  # p is -consumption
        entity.settle_total("E_not_served[MWh]", short * self.step_h)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        q = -entity.power.p * entity.params["tan_phi"]
        return {"Q[MVar]": -q, "Q_load[MVar]": q, "P_demand[MW]": entity.state["demand"]}


def main() -> None:
    """Start the simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    start_cmd(FlexLoadSimulator())


if __name__ == "__main__":
    main()
