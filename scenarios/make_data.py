"""Regenerate the shipped data files from packages (offline, deterministic).

* ``weather_15min.csv``: the TMY3 file of Greensboro, NC (USAF 723170) that ships in
  pvlib's ``data/`` folder (``723170TYA.CSV``), one typical year coerced to 2019, site
  local standard time (UTC-05:00, no daylight saving), hour-ending hourly values moved to
  the hour's middle and interpolated linearly to 15 min (irradiance clipped at 0).
  Columns: ``ghi``, ``dni``, ``dhi`` (W/m2), ``temp_air`` (degC), ``wind_speed`` (m/s).
* ``load_profiles_15min.csv``: BDEW standard load profiles H0 (households), G0
  (commerce), L0 (agriculture) for 2019 from demandlib, 15 min, each scaled to an annual
  peak of 1.0 (multiply by a load's peak MW).
* ``site.json``: the weather site (latitude, longitude, altitude, UTC offset).

Run ``python scenarios/make_data.py`` (needs the ``data`` extra: pvlib, demandlib).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parents[1] / "mosaik_components" / "massca" / "data"
YEAR = 2019
TMY_FILE = "723170TYA.CSV"


def weather() -> tuple[pd.DataFrame, dict]:
    import pvlib

    path = Path(pvlib.__file__).parent / "data" / TMY_FILE
    data, meta = pvlib.iotools.read_tmy3(str(path), coerce_year=YEAR, map_variables=True)
    cols = ["ghi", "dni", "dhi", "temp_air", "wind_speed"]
    hourly = data[cols].copy()
    hourly.index = hourly.index.tz_localize(None) - pd.Timedelta(minutes=30)
    hourly = hourly.sort_index()
    grid = pd.date_range(f"{YEAR}-01-01", f"{YEAR + 1}-01-01", freq="15min", inclusive="left")
    # one typical year, used circularly: pad with the other end before interpolating
    year = pd.Timedelta(days=365)
    padded = pd.concat([hourly.iloc[-2:].set_axis(hourly.index[-2:] - year), hourly,
                        hourly.iloc[:2].set_axis(hourly.index[:2] + year)])
    frame = padded.reindex(padded.index.union(grid)).interpolate("time").loc[grid]
    for col in ("ghi", "dni", "dhi"):
        frame[col] = frame[col].clip(lower=0.0)
    frame = frame.round(3)
    frame.index.name = "time"
    site = {"source": f"pvlib/data/{TMY_FILE}", "name": meta["Name"].strip('"'),
            "latitude": meta["latitude"], "longitude": meta["longitude"],
            "altitude": meta["altitude"], "utc_offset_h": meta["TZ"], "year": YEAR}
    return frame, site


def load_profiles() -> pd.DataFrame:
    from demandlib import bdew

    slp = bdew.ElecSlp(YEAR)
    profiles = slp.get_profiles("h0", "g0", "l0")
    profiles = profiles / profiles.max()
    profiles.index = pd.DatetimeIndex(profiles.index).tz_localize(None)
    profiles = profiles.loc[f"{YEAR}"].round(5)
    profiles.index.name = "time"
    return profiles


def main() -> None:
    frame, site = weather()
    frame.to_csv(HERE / "weather_15min.csv")
    (HERE / "site.json").write_text(json.dumps(site, indent=2) + "\n")
    load_profiles().to_csv(HERE / "load_profiles_15min.csv")
    print(f"wrote {HERE}/weather_15min.csv, load_profiles_15min.csv, site.json")


if __name__ == "__main__":
    main()
