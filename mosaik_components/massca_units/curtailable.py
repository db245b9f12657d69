"""``CurtailableLoad``: a load whose consumption may be shed, at a declared cost.

Demand ``peak_mw * P_pu`` (``P_pu`` from a ``LoadProfile``); the MAS may shed up to
``shed_max`` (share, 0..1) of it, never raise it. What is shed is lost, not made up
later: energy not served, priced at ``shed_cost`` per MWh (e.g. EUR/MWh, a value of lost
load) in the ``flex`` output. Outputs besides the power attributes: ``P_demand[MW]``,
``P_shed[MW]`` and the counter ``E_not_served[MWh]``; with the simulator's ``horizon`` >
1 the ``P_pu_forecast`` input gives the demand over the horizon.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mosaik_components.mas.model.horizon import Costs

from .base import Entity, start_cmd
from .flexload import LOAD_ATTRS, FlexLoadSimulator
from .params import CurtailableLoadParams
from .setpoints import SETPOINT_ATTRS

__all__ = ["CurtailableLoadSimulator", "main"]

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "CurtailableLoad": {
            "public": True,
            "params": ["peak_mw", "shed_max", "shed_cost", "cos_phi"],
            "attrs": [*LOAD_ATTRS, "P_shed[MW]"],
            "trigger": SETPOINT_ATTRS,
        },
    },
}


class CurtailableLoadSimulator(FlexLoadSimulator):
    """Curtailable loads (see the module docstring)."""

    model = "CurtailableLoad"
    prefix = "CurtailableLoad"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, **params: Any) -> Entity:
        """A curtailable load from validated :class:`~.params.CurtailableLoadParams`."""
        checked = CurtailableLoadParams.checked(eid, params)
        return self.load_entity(eid, {"peak_mw": checked.peak_mw, "shed_max": checked.shed_max},
                                checked.cos_phi, Costs(shed=checked.shed_cost))

    def bands(self, entity: Entity, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Down to ``(1 - shed_max) x demand``, never above the demand."""
        return demand * (1.0 - entity.params["shed_max"]), demand

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        return {**super().extra_outputs(entity),
                "P_shed[MW]": max(entity.state["demand"] + entity.power.p, 0.0)}


def main() -> None:
    """Start the simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    start_cmd(CurtailableLoadSimulator())


if __name__ == "__main__":
    main()
