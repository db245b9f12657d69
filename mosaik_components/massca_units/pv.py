"""``PV``: photovoltaics on pvlib (solar position, transposition, PVWatts), curtailable.

Per step, for all entities at once: the sun's position at the site (``latitude``,
``longitude``, ``altitude``; simulation time is the site's local standard time,
``utc_offset_h`` hours from UTC, from ``start``), plane-of-array irradiance on each
module plane (``tilt``, ``azimuth``; Hay-Davies transposition with ``albedo``), cell
temperature (SAPM, open rack glass/glass), PVWatts DC power with temperature
coefficient ``gamma_pdc`` and a flat inverter efficiency ``inverter_eff``.

This corrects mosaik-pv's model, which takes the solar declination from the day of the
*month* (so June 21 and December 21 give the same sun) and ignores longitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .base import Entity, UnitSimulator
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite

__all__ = ["PVSimulator", "pv_power"]

WEATHER = ["GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]", "T_air[degC]", "wind_speed[m/s]"]
META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "PV": {
            "public": True,
            "params": ["peak_mw", "tilt", "azimuth", "gamma_pdc", "inverter_eff"],
            "attrs": [*WEATHER, "P_available[MW]", "POA[W/m2]", *SETPOINT_ATTRS,
                      *POWER_ATTRS],
            "trigger": SETPOINT_ATTRS,
        },
    },
}
SITE_PARAMS = ("latitude", "longitude", "altitude", "utc_offset_h", "start", "albedo")


def pv_power(when: pd.Timestamp, site: dict[str, Any], weather: dict[str, float],
             peak_mw: np.ndarray, tilt: np.ndarray, azimuth: np.ndarray,
             gamma_pdc: np.ndarray, inverter_eff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AC power (MW) and plane-of-array irradiance (W/m2) of every module plane."""
    import pvlib

    times = pd.DatetimeIndex([when.tz_localize(
        f"Etc/GMT{-int(site['utc_offset_h']):+d}")])
    sun = pvlib.solarposition.get_solarposition(
        times, site["latitude"], site["longitude"], site["altitude"])
    zenith = float(sun["apparent_zenith"].iloc[0])
    sun_azimuth = float(sun["azimuth"].iloc[0])
    dni_extra = float(pvlib.irradiance.get_extra_radiation(times).iloc[0])
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, zenith, sun_azimuth, weather["DNI[W/m2]"], weather["GHI[W/m2]"],
        weather["DHI[W/m2]"], dni_extra=dni_extra, albedo=site["albedo"], model="haydavies",
    )["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float), nan=0.0).clip(min=0.0)
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    cell = pvlib.temperature.sapm_cell(poa, weather["T_air[degC]"],
                                       weather["wind_speed[m/s]"], **params)
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, peak_mw, gamma_pdc)
    return np.clip(dc * inverter_eff, 0.0, None), poa


class PVSimulator(UnitSimulator):
    """pvlib PV plants (see the module docstring)."""

    model = "PV"
    prefix = "PV"

    def __init__(self) -> None:
        super().__init__(META)
        self.site: dict[str, Any] = {}

    def configure(self, latitude: float = 52.52, longitude: float = 13.40,
                  altitude: float = 34.0, utc_offset_h: float = 1.0,
                  start: str = "2019-01-01 00:00", albedo: float = 0.2,
                  **unknown: Any) -> None:
        if unknown:
            raise ValueError(f"{self.sid}: unknown simulator parameter(s) {sorted(unknown)}")
        site = {name: check_finite(name, value) for name, value in
                (("latitude", latitude), ("longitude", longitude), ("altitude", altitude),
                 ("utc_offset_h", utc_offset_h), ("albedo", albedo))}
        if not -90 <= site["latitude"] <= 90 or not -180 <= site["longitude"] <= 180:
            raise ValueError(f"{self.sid}: latitude/longitude out of range: {latitude}, "
                             f"{longitude}")
        if site["utc_offset_h"] != int(site["utc_offset_h"]):
            raise ValueError(f"{self.sid}: utc_offset_h must be whole hours, got "
                             f"{utc_offset_h!r}")
        try:
            site["start"] = pd.Timestamp(start)
        except (ValueError, TypeError):
            raise ValueError(f"{self.sid}: start must be a timestamp, got {start!r}") from None
        self.site = site

    def make(self, eid: str, peak_mw: float = 1.0, tilt: float = 30.0, azimuth: float = 180.0,
             gamma_pdc: float = -0.004, inverter_eff: float = 0.96, **unknown: Any) -> Entity:
        if unknown:
            raise ValueError(f"{eid}: unknown parameter(s) {sorted(unknown)}")
        p = {name: check_finite(f"{eid}.{name}", value) for name, value in
             (("peak_mw", peak_mw), ("tilt", tilt), ("azimuth", azimuth),
              ("gamma_pdc", gamma_pdc), ("inverter_eff", inverter_eff))}
        if p["peak_mw"] < 0 or not 0 <= p["tilt"] <= 90 or not 0 < p["inverter_eff"] <= 1:
            raise ValueError(f"{eid}: need peak_mw >= 0, 0 <= tilt <= 90, "
                             f"0 < inverter_eff <= 1; got {peak_mw}, {tilt}, {inverter_eff}")
        entity = Entity(eid, p, "production")
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

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        if not self.entities:
            return
        weather = self._weather(time, inputs)
        entities = list(self.entities.values())
        columns = {name: np.array([e.params[name] for e in entities])
                   for name in ("peak_mw", "tilt", "azimuth", "gamma_pdc", "inverter_eff")}
        when = self.site["start"] + pd.Timedelta(seconds=time)
        ac, poa = pv_power(when, self.site, weather, **columns)
        for entity, available, irradiance in zip(entities, ac, poa, strict=True):
            power = entity.power
            power.uncontrolled, power.p_min, power.p_max = float(available), 0.0, float(available)
            entity.state["poa"] = float(irradiance)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        return {"P_available[MW]": entity.power.p_max, "POA[W/m2]": entity.state["poa"]}
