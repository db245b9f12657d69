"""``WECS``: a wind turbine (wind energy conversion system), curtailable down to zero.

Power from the wind speed at hub height through a power curve. By default MASSCA's
parametric curve: zero below ``v_cut_in`` and from ``v_cut_out`` on, ``P_rated`` from
``v_rated``, and in between the cubic ``P_rated (v^3 - v_in^3) / (v_r^3 - v_in^3)``.
With ``turbine_type`` (e.g. ``"E-82/2350"``) the measured power curve of that turbine
from windpowerlib's data folder is used instead, scaled to ``P_rated``. The measured
wind speed at ``ref_height`` is extrapolated to ``hub_height`` with the power law
(exponent ``alpha``).

With the simulator's ``horizon`` > 1 the wind-speed forecast input
(``wind_speed_forecast[m/s]``) gives the available power over the horizon (``flex``,
curtailable to 0 at ``curtail_cost`` per MWh); ``P_curtailed[MW]`` and the counter
``E_curtailed[MWh]`` report what was not produced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import FLEX_ATTRS, Entity, UnitSimulator, start_cmd
from .params import WecsParams
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite
from .unitflex import producer_flex, required_forecast

__all__ = ["WecsSimulator", "parametric_power", "parametric_power_array", "turbine_curve",
           "hub_wind_speed", "main"]

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "WECS": {
            "public": True,
            "params": ["P_rated", "v_rated", "v_cut_in", "v_cut_out", "hub_height",
                       "ref_height", "alpha", "turbine_type", "curtail_cost"],
            "attrs": ["wind_speed[m/s]", "wind_speed_forecast[m/s]", "v_hub[m/s]",
                      "P_available[MW]", "P_curtailed[MW]", "E_curtailed[MWh]",
                      *SETPOINT_ATTRS, *POWER_ATTRS, *FLEX_ATTRS],
            "trigger": SETPOINT_ATTRS,
        },
    },
}


def parametric_power(v: float, p_rated: float, v_rated: float, v_in: float, v_out: float
                     ) -> float:
    """MASSCA's power curve (MW) at hub wind speed ``v`` (m/s)."""
    if v < v_in or v >= v_out:
        return 0.0
    if v >= v_rated:
        return p_rated
    return p_rated * (v**3 - v_in**3) / (v_rated**3 - v_in**3)


def parametric_power_array(v: np.ndarray, p_rated: float, v_rated: float, v_in: float,
                           v_out: float) -> np.ndarray:
    """:func:`parametric_power` for an array of hub wind speeds."""
    cubic = p_rated * (v**3 - v_in**3) / (v_rated**3 - v_in**3)
    power = np.where(v >= v_rated, p_rated, cubic)
    return np.where((v < v_in) | (v >= v_out), 0.0, power)


def hub_wind_speed(v_ref: float | np.ndarray, ref_height: float, hub_height: float,
                   alpha: float) -> float | np.ndarray:
    """Power-law extrapolation of the wind speed to hub height."""
    return v_ref * (hub_height / ref_height) ** alpha


def turbine_curve(turbine_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Wind speeds (m/s) and per-unit power of a windpowerlib turbine's power curve."""
    try:
        import windpowerlib
    except ImportError:
        raise ValueError("turbine_type needs windpowerlib (pip install 'massca[data]')") from None
    import pandas as pd

    path = Path(windpowerlib.__file__).parent / "data" / "default_turbine_data" / (
        "power_curves.csv")
    table = pd.read_csv(path, index_col=0)
    if turbine_type not in table.index:
        raise ValueError(f"turbine_type {turbine_type!r} is not in windpowerlib's "
                         f"power_curves.csv; e.g. {sorted(table.index)[:5]}")
    row = table.loc[turbine_type].dropna()
    speeds = row.index.astype(float).to_numpy()
    power = row.to_numpy(dtype=float)
    return speeds, power / power.max()


class WecsSimulator(UnitSimulator):
    """Wind turbines (see the module docstring)."""

    model = "WECS"
    prefix = "WECS"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, **params: Any) -> Entity:
        """A wind turbine from validated :class:`~.params.WecsParams`."""
        checked = WecsParams.checked(eid, params)
        p = checked.model_dump(include={"P_rated", "v_rated", "v_cut_in", "v_cut_out",
                                        "hub_height", "ref_height", "alpha"})
        curve = turbine_curve(checked.turbine_type) if checked.turbine_type else None
        entity = Entity(eid, {**p, "curve": curve, "curtail_cost": checked.curtail_cost},
                        "production")
        entity.state.update(v_hub=0.0)
        return entity

    def available(self, entity: Entity, v_ref: np.ndarray) -> np.ndarray:
        """Available power (MW) at the measured (or forecast) wind speeds ``v_ref``."""
        p = entity.params
        v = hub_wind_speed(v_ref, p["ref_height"], p["hub_height"], p["alpha"])
        if p["curve"] is not None:
            speeds, per_unit = p["curve"]
            return p["P_rated"] * np.interp(v, speeds, per_unit, left=0.0, right=0.0)
        return parametric_power_array(v, p["P_rated"], p["v_rated"], p["v_cut_in"],
                                      p["v_cut_out"])

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        for eid, entity in self.entities.items():
            sources = inputs.get(eid, {}).get("wind_speed[m/s]")
            if not sources:
                raise ValueError(f"{self.sid}.{eid}: no wind_speed[m/s] input at time {time}")
            v = sum(check_finite(f"{eid}: wind_speed from {s!r}", x) for s, x in sources.items())
            if v < 0:
                raise ValueError(f"{self.sid}.{eid}: wind_speed must be >= 0, got {v!r}")
            speeds = required_forecast(f"{self.sid}.{eid}", inputs.get(eid, {}),
                                       "wind_speed_forecast[m/s]", self.horizon, time, v)
            if (speeds < 0).any():
                raise ValueError(f"{self.sid}.{eid}: wind_speed_forecast[m/s] must be >= 0 at "
                                 f"time {time}")
            power_curve = self.available(entity, speeds)
            p = entity.params
            entity.state["v_hub"] = hub_wind_speed(v, p["ref_height"], p["hub_height"],
                                                   p["alpha"])
            available = float(power_curve[0])
            power = entity.power
            power.uncontrolled, power.p_min, power.p_max = available, 0.0, available
            entity.set_flex(producer_flex(self.step_h, power_curve, p["curtail_cost"]))

    def settle(self, entity: Entity) -> None:
        entity.settle_total("E_curtailed[MWh]",
                            (entity.power.p_max - entity.power.p) * self.step_h)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        return {"v_hub[m/s]": entity.state["v_hub"], "P_available[MW]": entity.power.p_max,
                "P_curtailed[MW]": entity.power.p_max - entity.power.p}


def main() -> None:
    """Start the simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    start_cmd(WecsSimulator())


if __name__ == "__main__":
    main()
