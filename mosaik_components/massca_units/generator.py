"""``Generator``: a generator driven by a power profile, curtailable (SimBench's sgens).

The available power is ``peak_mw x P_pu`` (``P_pu`` from a ``LoadProfile`` source, e.g. a
column of SimBench's element powers with ``peak_mw=1`` so that ``P_pu`` is already MW);
the agents may curtail it to any value in ``[0, available]`` at ``curtail_cost`` per MWh.
With the simulator's ``horizon`` > 1 the forecast input ``P_pu_forecast`` gives the
available power over the horizon (the ``flex`` output). ``P_curtailed[MW]`` and the
counter ``E_curtailed[MWh]`` report what was not produced. Use it where a generator's
power comes from measured or planned profiles rather than from weather physics (the
``PV`` and ``WECS`` simulators).
"""

from __future__ import annotations

from typing import Any

from .base import FLEX_ATTRS, Entity, UnitSimulator, start_cmd
from .params import GeneratorParams
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite
from .unitflex import producer_flex, required_forecast

__all__ = ["GeneratorSimulator", "main"]

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Generator": {
            "public": True,
            "params": ["peak_mw", "curtail_cost"],
            "attrs": ["P_pu", "P_pu_forecast", "P_available[MW]", "P_curtailed[MW]",
                      "E_curtailed[MWh]", *SETPOINT_ATTRS, *POWER_ATTRS, *FLEX_ATTRS],
            "trigger": SETPOINT_ATTRS,
        },
    },
}


class GeneratorSimulator(UnitSimulator):
    """Profile-driven curtailable generators (see the module docstring)."""

    model = "Generator"
    prefix = "Generator"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, **params: Any) -> Entity:
        """A generator from validated :class:`~.params.GeneratorParams`."""
        checked = GeneratorParams.checked(eid, params)
        return Entity(eid, {"peak_mw": checked.peak_mw, "curtail_cost": checked.curtail_cost},
                      "production")

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        for eid, entity in self.entities.items():
            sources = inputs.get(eid, {}).get("P_pu")
            if not sources:
                raise ValueError(f"{self.sid}.{eid}: no P_pu input at time {time}")
            share = sum(check_finite(f"{eid}: P_pu from {s!r}", x) for s, x in sources.items())
            if share < 0:
                raise ValueError(f"{self.sid}.{eid}: P_pu must be >= 0 (generation), got "
                                 f"{share!r} at time {time}")
            shares = required_forecast(f"{self.sid}.{eid}", inputs.get(eid, {}),
                                       "P_pu_forecast", self.horizon, time, share)
            if (shares < 0).any():
                raise ValueError(f"{self.sid}.{eid}: P_pu_forecast must be >= 0 at time {time}")
            curve = entity.params["peak_mw"] * shares
            available = float(curve[0])
            power = entity.power
            power.uncontrolled, power.p_min, power.p_max = available, 0.0, available
            entity.set_flex(producer_flex(self.step_h, curve, entity.params["curtail_cost"]))

    def settle(self, entity: Entity) -> None:
        entity.settle_total("E_curtailed[MWh]",
                            (entity.power.p_max - entity.power.p) * self.step_h)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        return {"P_available[MW]": entity.power.p_max,
                "P_curtailed[MW]": entity.power.p_max - entity.power.p}


def main() -> None:
    """Start the simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    start_cmd(GeneratorSimulator())


if __name__ == "__main__":
    main()
