"""Local stand-ins for the external data sources of MASSCA's scalability scenario.

MASSCA's scenario (``scalability/scenario.py`` of the original repository) reads two
things from outside: its PV simulator asks the PVGIS web API for an hourly series of a
1 kWp plant (and caches the answer with ``faas_cache_dict`` in ``data/pvgis_cache.faas``),
and its flexible-load simulator reads ``data/syntetic_loads_15min.zip`` (one CSV: a
``Time`` column and one column per load entity ``FLSim-0``, ``FLSim-1``, ... in MW).
Neither is reachable offline, so this module makes both from massca's shipped data:

* :func:`pvgis_answer`: a JSON answer shaped like PVGIS's ``seriescalc`` (``inputs`` with
  the optimal slope, ``outputs.hourly`` with ``time`` ``YYYYmmdd:HH10``, ``P`` in W for
  1 kWp, ``G(i)``, ``H_sun``, ``T2m``, ``WS10m``, ``Int``) computed with pvlib from the
  shipped TMY3 year (Greensboro, NC) on the requested year's calendar. PVGIS reports UTC;
  here the weather's local standard time is reported as is, so the day's PV peak falls
  near 12:00 of the simulated clock.
* :func:`load_table`: the load CSV, each column a BDEW profile (``h0`` for even, ``g0`` for
  odd columns) of the shipped 2019 profiles laid on the requested dates, scaled to a
  seeded peak of ``1.3 * k`` MW with ``k`` in 1..15 (the range of MASSCA's own synthetic
  loads, ``scalability/data/loads.py``).
* :func:`write_massca_data` writes both (and the PVGIS cache file when ``faas_cache_dict``
  is installed, keyed as MASSCA's ``PVGIS.get_radiation_data`` keys its requests).

Nothing here imports MASSCA; the functions are deterministic.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data import data_dir

__all__ = ["PVGIS_REQUEST", "pvgis_answer", "pvgis_cache_key", "load_table",
           "write_load_zip", "write_massca_data", "LOAD_ZIP", "PVGIS_ANSWER"]

#: The request MASSCA's scenario makes for every PV plant: ``PVGIS.get_radiation_data``'s
#: arguments with the scenario's ``PVMODEL_PARAMS`` (lat, lon, optimal_both) applied.
PVGIS_REQUEST: dict[str, Any] = {
    "azimuth": 0, "database": "PVGIS-SARAH", "datatype": "hourly", "datayear": 2016,
    "kwargs": {}, "lat": 52.373, "lon": 9.738, "optimal_angle": False, "optimal_both": True,
    "pvtech": "CIS", "slope": 0, "system_loss": 14,
}
LOAD_ZIP = "syntetic_loads_15min.zip"
PVGIS_ANSWER = "pvgis_answer.json"
#: PVWatts temperature coefficient (1/K) for the CIS modules MASSCA requests.
GAMMA_CIS = -0.0036
INVERTER_EFF = 0.96


def pvgis_cache_key(request: Mapping[str, Any] = PVGIS_REQUEST) -> str:
    """The key under which MASSCA's PV simulator caches a PVGIS answer.

    MASSCA joins the sorted ``name:value`` pairs of the request's arguments with ``", "``
    and takes the MD5 hex digest.
    """
    text = ", ".join(f"{key}:{value}" for key, value in sorted(request.items()))
    return hashlib.md5(text.encode()).hexdigest()


def _weather(year: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The shipped 15-min weather laid on ``year``, day of year by day of year.

    In a leap year February 29 repeats February 28 and later days shift by one.
    """
    folder = data_dir()
    site = json.loads((folder / "site.json").read_text())
    frame = pd.read_csv(folder / "weather_15min.csv", index_col="time", parse_dates=["time"])
    first = frame.index[0].normalize()
    parts = []
    for day in pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="D", inclusive="left"):
        number = day.dayofyear - (1 if day.is_leap_year and day.dayofyear > 59 else 0)
        source = first + pd.Timedelta(days=number - 1)
        block = frame.loc[source:source + pd.Timedelta(hours=23, minutes=45)]
        parts.append(block.set_axis(block.index - source + day))
    return pd.concat(parts), site


def _sun(weather: pd.DataFrame, site: Mapping[str, Any]) -> pd.DataFrame:
    import pvlib

    times = weather.index.tz_localize(f"Etc/GMT{-int(site['utc_offset_h']):+d}")
    sun = pvlib.solarposition.get_solarposition(times, site["latitude"], site["longitude"],
                                                site["altitude"])
    sun["dni_extra"] = pvlib.irradiance.get_extra_radiation(times)
    return sun


def _pv_power(weather: pd.DataFrame, sun: pd.DataFrame, tilt: float, azimuth: float,
              loss: float) -> tuple[np.ndarray, np.ndarray]:
    """AC power (W per kWp) and plane-of-array irradiance (W/m2) per 15 min."""
    import pvlib

    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, sun["apparent_zenith"], sun["azimuth"], weather["dni"].to_numpy(),
        weather["ghi"].to_numpy(), weather["dhi"].to_numpy(),
        dni_extra=sun["dni_extra"], model="haydavies",
    )["poa_global"].fillna(0.0).clip(lower=0.0).to_numpy()
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    cell = pvlib.temperature.sapm_cell(poa, weather["temp_air"].to_numpy(),
                                       weather["wind_speed"].to_numpy(), **params)
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, 1000.0, GAMMA_CIS)
    return np.clip(dc * INVERTER_EFF * (1 - loss / 100), 0.0, None), poa


def _optimal_tilt(weather: pd.DataFrame, sun: pd.DataFrame, azimuth: float, loss: float
                  ) -> float:
    """The whole degree in 0..60 with the highest yearly yield (5-degree grid, then refined)."""
    yields: dict[int, float] = {}

    def best(tilts: range) -> int:
        for tilt in tilts:
            if tilt not in yields:
                yields[tilt] = float(_pv_power(weather, sun, tilt, azimuth, loss)[0].sum())
        return max(yields, key=lambda tilt: (yields[tilt], -tilt))

    coarse = best(range(0, 61, 5))
    return float(best(range(max(coarse - 4, 0), min(coarse + 4, 60) + 1)))


def pvgis_answer(request: Mapping[str, Any] = PVGIS_REQUEST) -> dict[str, Any]:
    """A PVGIS ``seriescalc`` answer for ``request`` from the shipped weather (module doc).

    With ``optimal_both``/``optimal_angle`` the slope is the whole degree in 0..60 with the
    highest yearly yield (:func:`_optimal_tilt`) and the azimuth is 0 (south, PVGIS's
    convention); else the
    request's ``slope``/``azimuth`` are used.
    """
    year = int(request["datayear"])
    loss = float(request["system_loss"])
    weather, site = _weather(year)
    sun = _sun(weather, site)
    optimal = bool(request["optimal_both"] or request["optimal_angle"])
    azimuth = 0.0 if request["optimal_both"] else float(request["azimuth"])
    if optimal:
        slope = _optimal_tilt(weather, sun, 180.0 + azimuth, loss)
    else:
        slope = float(request["slope"])
    power, poa = _pv_power(weather, sun, slope, 180.0 + azimuth, loss)
    hourly = pd.DataFrame({"P": power, "G(i)": poa,
                           "H_sun": sun["apparent_elevation"].clip(lower=0.0).to_numpy(),
                           "T2m": weather["temp_air"], "WS10m": weather["wind_speed"]},
                          index=weather.index)
    hourly = hourly.resample("h").mean()
    rows = [{"time": f"{stamp:%Y%m%d:%H}10", "P": round(float(row["P"]), 2),
             "G(i)": round(float(row["G(i)"]), 2), "H_sun": round(float(row["H_sun"]), 2),
             "T2m": round(float(row["T2m"]), 2), "WS10m": round(float(row["WS10m"]), 2),
             "Int": 0.0}
            for stamp, row in hourly.iterrows()]
    return {
        "inputs": {
            "location": {"latitude": request["lat"], "longitude": request["lon"],
                         "elevation": site["altitude"]},
            "meteo_data": {"radiation_db": request["database"], "year_min": year,
                           "year_max": year, "source": f"massca {site['source']}"},
            "mounting_system": {"fixed": {
                "slope": {"value": slope, "optimal": optimal},
                "azimuth": {"value": azimuth, "optimal": bool(request["optimal_both"])},
                "type": "building-integrated"}},
            "pv_module": {"technology": request["pvtech"], "peak_power": 1.0,
                          "system_loss": loss},
        },
        "outputs": {"hourly": rows},
        "meta": {"note": "generated by mosaik_components.massca.massca_data from massca's "
                         f"shipped weather ({site['name']}), not by PVGIS"},
    }


def load_table(columns: int = 1000, start: str = "2016-01-01", days: int = 7,
               seed: int = 13) -> pd.DataFrame:
    """MASSCA's load file format from the shipped BDEW profiles (module docstring)."""
    if columns < 1 or days < 1:
        raise ValueError(f"columns and days must be >= 1, got columns={columns}, days={days}")
    profiles = pd.read_csv(data_dir() / "load_profiles_15min.csv", index_col="time",
                           parse_dates=["time"])
    steps = days * 96
    if steps > len(profiles):
        raise ValueError(f"days must be at most {len(profiles) // 96}, got {days}")
    rng = np.random.default_rng(seed)
    peaks = 1.3 * rng.integers(1, 16, size=columns)
    shapes = {name: profiles[name].to_numpy()[:steps] for name in ("h0", "g0")}
    table = {f"FLSim-{i}": np.round(peaks[i] * shapes["h0" if i % 2 == 0 else "g0"], 5)
             for i in range(columns)}
    time = pd.date_range(pd.Timestamp(start), periods=steps, freq="15min")
    return pd.DataFrame({"Time": time.strftime("%Y-%m-%d %H:%M:%S"), **table})


def write_load_zip(path: str | Path, table: pd.DataFrame) -> Path:
    """Write ``table`` as a zip holding one CSV (what ``pd.read_csv(..., 'zip')`` reads)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(path.with_suffix(".csv").name, table.to_csv(index=False))
    return path


def write_massca_data(folder: str | Path, columns: int = 1000, days: int = 7,
                      answer: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the load zip, the PVGIS answer and (with ``faas_cache_dict``) the PVGIS cache.

    ``folder`` is MASSCA's ``scalability/data``; ``answer`` defaults to
    :func:`pvgis_answer`; returns the files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    answer = dict(answer) if answer is not None else pvgis_answer()
    written = [write_load_zip(folder / LOAD_ZIP, load_table(columns, days=days))]
    (folder / PVGIS_ANSWER).write_text(json.dumps(answer))
    written.append(folder / PVGIS_ANSWER)
    try:
        from faas_cache_dict.file_faas_cache_dict import FileBackedFaaSCache
    except ImportError:
        return written
    cache = FileBackedFaaSCache.init(key_name="pvgis_cache", root_path=str(folder))
    cache[pvgis_cache_key()] = answer
    written.append(folder / "pvgis_cache.faas")
    return written
