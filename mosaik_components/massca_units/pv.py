"""``PV``: photovoltaics on pvlib (solar position, transposition, PVWatts), curtailable.

Per step, for all entities at once: the sun's position at the site (``latitude``,
``longitude``, ``altitude``; simulation time is the site's local standard time,
``utc_offset_h`` hours from UTC, from ``start``), plane-of-array irradiance on each
module plane (``tilt``, ``azimuth``; Hay-Davies transposition with ``albedo``), cell
temperature (SAPM, open rack glass/glass), PVWatts DC power with temperature
coefficient ``gamma_pdc`` and a flat inverter efficiency ``inverter_eff``.

This corrects mosaik-pv's model, which takes the solar declination from the day of the
*month* (so June 21 and December 21 give the same sun) and ignores longitude.

With the simulator's ``horizon`` > 1 the same model turns the weather forecast inputs
(``GHI_forecast[W/m2]``, ... from a ``Weather`` source created with a horizon) into the
available power over the horizon: the ``flex`` output, curtailable to 0 at
``curtail_cost`` per MWh. ``P_curtailed[MW]`` and the counter ``E_curtailed[MWh]``
report what was not produced.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .base import FLEX_ATTRS, Entity, UnitSimulator, start_cmd
from .forecasts import forecast_attr
from .params import PVParams, PVSiteParams
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite
from .unitflex import producer_flex, required_forecast

__all__ = ["PVSimulator", "pv_power", "pv_power_series", "sun_position", "main"]

WEATHER = ["GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]", "T_air[degC]", "wind_speed[m/s]"]
META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "PV": {
            "public": True,
            "params": ["peak_mw", "tilt", "azimuth", "gamma_pdc", "inverter_eff",
                       "curtail_cost"],
            "attrs": [*WEATHER, *(forecast_attr(a) for a in WEATHER), "P_available[MW]",
                      "POA[W/m2]", "P_curtailed[MW]", "E_curtailed[MWh]", *SETPOINT_ATTRS,
                      *POWER_ATTRS, *FLEX_ATTRS],
            "trigger": SETPOINT_ATTRS,
        },
    },
}
FORECAST = {attr: forecast_attr(attr) for attr in WEATHER}
#: steps of the sun's position computed at once (a day at 15 minutes)
SUN_AHEAD = 96
SITE_PARAMS = ("latitude", "longitude", "altitude", "utc_offset_h", "start", "albedo")


def sun_position(times: pd.DatetimeIndex, site: dict[str, Any]) -> np.ndarray:
    """Apparent zenith, azimuth (degrees) and extraterrestrial DNI (W/m2): rows x times.

    ``times`` are the site's local standard time (``utc_offset_h``).
    """
    import pvlib

    local = times.tz_localize(f"Etc/GMT{-int(site['utc_offset_h']):+d}")
    sun = pvlib.solarposition.get_solarposition(
        local, site["latitude"], site["longitude"], site["altitude"])
    return np.array([sun["apparent_zenith"].to_numpy(), sun["azimuth"].to_numpy(),
                     pvlib.irradiance.get_extra_radiation(local).to_numpy()])


def pv_power(when: pd.Timestamp, site: dict[str, Any], weather: dict[str, float],
             peak_mw: np.ndarray, tilt: np.ndarray, azimuth: np.ndarray,
             gamma_pdc: np.ndarray, inverter_eff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AC power (MW) and plane-of-array irradiance (W/m2) of every module plane."""
    ac, poa = pv_power_series(pd.DatetimeIndex([when]), site,
                              {k: np.array([v]) for k, v in weather.items()},
                              peak_mw, tilt, azimuth, gamma_pdc, inverter_eff)
    return ac[0], poa[0]


def pv_power_series(times: pd.DatetimeIndex, site: dict[str, Any],
                    weather: dict[str, np.ndarray], peak_mw: np.ndarray, tilt: np.ndarray,
                    azimuth: np.ndarray, gamma_pdc: np.ndarray, inverter_eff: np.ndarray,
                    sun: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """AC power (MW) and POA irradiance (W/m2): arrays (times x module planes).

    ``weather`` holds one value per time for every attribute of :data:`WEATHER`; ``sun``
    is :func:`sun_position` of ``times`` when the caller has it already.
    """
    import pvlib

    zenith, sun_azimuth, dni_extra = (column[:, np.newaxis] for column in (
        sun if sun is not None else sun_position(times, site)))
    column = {k: np.asarray(v, dtype=float)[:, np.newaxis] for k, v in weather.items()}
    poa = pvlib.irradiance.get_total_irradiance(
        tilt[np.newaxis, :], azimuth[np.newaxis, :], zenith, sun_azimuth,
        column["DNI[W/m2]"], column["GHI[W/m2]"], column["DHI[W/m2]"], dni_extra=dni_extra,
        albedo=site["albedo"], model="haydavies",
    )["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float), nan=0.0).clip(min=0.0)
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    cell = pvlib.temperature.sapm_cell(poa, column["T_air[degC]"],
                                       column["wind_speed[m/s]"], **params)
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, peak_mw[np.newaxis, :],
                                   gamma_pdc[np.newaxis, :])
    return np.clip(dc * inverter_eff[np.newaxis, :], 0.0, None), poa


class PVSimulator(UnitSimulator):
    """pvlib PV plants (see the module docstring)."""

    model = "PV"
    prefix = "PV"

    def __init__(self) -> None:
        super().__init__(META)
        self.site: dict[str, Any] = {}
        #: the sun's position by simulation time (s): the horizon rolls, the sun repeats
        self.sun: dict[int, np.ndarray] = {}

    def configure_params(self, **params: Any) -> None:
        """The site from validated :class:`~.params.PVSiteParams`."""
        self.site = PVSiteParams.checked(self.sid, params).model_dump()

    def make(self, eid: str, **params: Any) -> Entity:
        """A PV plant from validated :class:`~.params.PVParams`."""
        checked = PVParams.checked(eid, params)
        entity = Entity(eid, checked.model_dump(), "production")
        entity.state["poa"] = 0.0
        return entity

    def _weather(self, time: int, inputs: dict[str, dict[str, Any]]) -> dict[str, float]:
        weather: dict[str, float] | None = None
        for eid in self.entities:
            given = inputs.get(eid, {})
            values = {}
            for attr in WEATHER:
                if attr not in given:
                    raise ValueError(f"{self.sid}.{eid}: no {attr} input at time {time}")
                values[attr] = sum(check_finite(f"{eid}: {attr} from {s!r}", v)
                                   for s, v in given[attr].items())
            if weather is not None and values != weather:
                raise ValueError(f"{self.sid}: all PV entities of one simulator share one "
                                 f"site; {eid} got different weather at time {time}")
            weather = values
        return weather or {}

    def _forecast(self, time: int, inputs: dict[str, dict[str, Any]],
                  now: dict[str, float]) -> dict[str, np.ndarray]:
        """Weather over the horizon (interval 0 = ``now``); one site for all entities."""
        first = next(iter(self.entities))
        forecast = {attr: required_forecast(f"{self.sid}.{first}", inputs.get(first, {}),
                                            FORECAST[attr], self.horizon, time, now[attr])
                    for attr in WEATHER}
        if self.horizon > 1:
            sent = inputs.get(first, {})
            for eid in self.entities:
                given = inputs.get(eid, {})
                if any(given.get(FORECAST[a]) != sent.get(FORECAST[a]) for a in WEATHER):
                    raise ValueError(f"{self.sid}: all PV entities of one simulator share one "
                                     f"site; {eid} got a different forecast at time {time}")
        return forecast

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        if not self.entities:
            return
        weather = self._forecast(time, inputs, self._weather(time, inputs))
        entities = list(self.entities.values())
        columns = {name: np.array([e.params[name] for e in entities])
                   for name in ("peak_mw", "tilt", "azimuth", "gamma_pdc", "inverter_eff")}
        when = self.site["start"] + pd.Timedelta(seconds=time)
        times = pd.date_range(when, periods=self.horizon, freq=pd.Timedelta(
            seconds=self.step_size))
        ac, poa = pv_power_series(times, self.site, weather, **columns,
                                  sun=self._sun(time))
        for i, entity in enumerate(entities):
            available = float(ac[0, i])
            power = entity.power
            power.uncontrolled, power.p_min, power.p_max = available, 0.0, available
            entity.state["poa"] = float(poa[0, i])
            entity.set_flex(producer_flex(self.step_h, ac[:, i], entity.params["curtail_cost"]))

    def _sun(self, time: int) -> np.ndarray:
        """The sun over the horizon, computed once per simulation time.

        A missing time brings the next :data:`SUN_AHEAD` steps along: pvlib computes a
        day of steps in one call for about the price of one step.
        """
        seconds = [time + k * self.step_size for k in range(self.horizon)]
        if any(t not in self.sun for t in seconds):
            ahead = [time + k * self.step_size for k in range(max(self.horizon, SUN_AHEAD))]
            missing = [t for t in ahead if t not in self.sun]
            when = self.site["start"] + pd.to_timedelta(missing, unit="s")
            fresh = sun_position(pd.DatetimeIndex(when), self.site)
            self.sun.update(zip(missing, fresh.T, strict=True))
        for old in [t for t in self.sun if t < time]:
            del self.sun[old]
        return np.array([self.sun[t] for t in seconds]).T

    def settle(self, entity: Entity) -> None:
        entity.settle_total("E_curtailed[MWh]",
                            (entity.power.p_max - entity.power.p) * self.step_h)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        return {"P_available[MW]": entity.power.p_max, "POA[W/m2]": entity.state["poa"],
                "P_curtailed[MW]": entity.power.p_max - entity.power.p}


def main() -> None:
    """Start the simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    start_cmd(PVSimulator())


if __name__ == "__main__":
    main()
