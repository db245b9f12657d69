"""Time-series sources: weather (``Weather``) and load profiles (``LoadProfile``).

Both read a CSV whose first column ``time`` holds timestamps (one fixed frequency) and
publish the row at ``start + simulation time``. A missing file, column or timestamp, a
step that does not land on the data's grid, or a non-finite value raises an error
naming the file, the column and the time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mosaik_api_v3
import numpy as np
import pandas as pd

__all__ = ["TimeSeries", "load_table", "WeatherSimulator", "ProfileSimulator"]


class TimeSeries:
    """A validated table: rows at a fixed frequency from ``start`` on."""

    def __init__(self, path: str | Path, columns: list[str], start: str) -> None:
        self.path = Path(path)
        self.frame = load_table(self.path, columns)
        try:
            self.start = pd.Timestamp(start)
        except (ValueError, TypeError):
            raise ValueError(f"start must be a timestamp like '2019-06-21 00:00', "
                             f"got {start!r}") from None
        index = self.frame.index
        self.freq = index[1] - index[0] if len(index) > 1 else pd.Timedelta(0)
        if self.start < index[0] or self.start > index[-1]:
            raise ValueError(f"{self.path}: start {self.start} is outside the data "
                             f"({index[0]} .. {index[-1]})")
        self.first = index.get_loc(self.start)
        self.values = self.frame.to_numpy()

    def row(self, seconds: int) -> np.ndarray:
        """The values at ``start + seconds``."""
        offset = pd.Timedelta(seconds=seconds)
        if self.freq and offset % self.freq:
            raise ValueError(f"{self.path}: time {self.start + offset} is not on the data's "
                             f"{self.freq} grid; choose a step that is a multiple of it")
        index = self.first + (int(offset / self.freq) if self.freq else 0)
        if index >= len(self.values):
            raise ValueError(f"{self.path}: no data at {self.start + offset} (data ends "
                             f"{self.frame.index[-1]})")
        return self.values[index]


def load_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read and check a time-indexed CSV (see the module docstring)."""
    if not path.is_file():
        raise FileNotFoundError(f"data file {str(path)!r} does not exist")
    try:
        frame = pd.read_csv(path, index_col="time", parse_dates=["time"])
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: cannot read a 'time' column and values ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; has {list(frame.columns)}")
    frame = frame[columns]
    numbers = frame.apply(pd.to_numeric, errors="coerce")  # text -> NaN, named below
    bad = ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise ValueError(f"{path}: column {columns[col]!r} at {frame.index[row]} is not a "
                         f"finite number ({frame.iat[row, col]!r})")
    frame = numbers
    steps = frame.index.to_series().diff().dropna()
    if len(frame) < 2 or steps.nunique() != 1 or steps.iloc[0] <= pd.Timedelta(0):
        raise ValueError(f"{path}: timestamps must increase at one fixed frequency")
    return frame


class _SourceSimulator(mosaik_api_v3.Simulator):
    """Time-based source: one table per entity, outputs mapped from its columns."""

    model = ""
    attr_columns: dict[str, str] = {}

    def __init__(self) -> None:
        attrs = list(self.attr_columns)
        super().__init__({"api_version": "3.0", "type": "time-based", "models": {
            self.model: {"public": True, "params": ["path", "start", "column"],
                         "attrs": attrs}}})
        self.step_size = 900
        self.tables: dict[str, tuple[TimeSeries, dict[str, int]]] = {}
        self.rows: dict[str, np.ndarray] = {}

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900
             ) -> dict[str, Any]:
        self.sid = sid
        self.step_size = step_size
        return self.meta

    def create(self, num: int, model: str, path: str, start: str, column: str | None = None
               ) -> list[dict[str, Any]]:
        columns = self.columns(column)
        series = TimeSeries(path, list(dict.fromkeys(columns.values())), start)
        positions = {attr: list(dict.fromkeys(columns.values())).index(col)
                     for attr, col in columns.items()}
        created = []
        for _ in range(num):
            eid = f"{self.model}_{len(self.tables)}"
            self.tables[eid] = (series, positions)
            created.append({"eid": eid, "type": model})
        return created

    def columns(self, column: str | None) -> dict[str, str]:
        return dict(self.attr_columns)

    def step(self, time: int, inputs: dict, max_advance: int) -> int:
        for eid, (series, _) in self.tables.items():
            self.rows[eid] = series.row(time)
        return time + self.step_size

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, float]]:
        data = {}
        for eid, attrs in outputs.items():
            _, positions = self.tables[eid]
            data[eid] = {a: float(self.rows[eid][positions[a]]) for a in attrs}
        return data


class WeatherSimulator(_SourceSimulator):
    """``Weather``: irradiance, air temperature and wind speed from a weather CSV."""

    model = "Weather"
    attr_columns = {"GHI[W/m2]": "ghi", "DNI[W/m2]": "dni", "DHI[W/m2]": "dhi",
                    "T_air[degC]": "temp_air", "wind_speed[m/s]": "wind_speed"}


class ProfileSimulator(_SourceSimulator):
    """``LoadProfile``: one column (``column``) of a profile CSV as ``P_pu`` (per unit)."""

    model = "LoadProfile"
    attr_columns = {"P_pu": ""}

    def columns(self, column: str | None) -> dict[str, str]:
        if not column:
            raise ValueError(f"{self.sid}: LoadProfile needs column=<name of the CSV column>")
        return {"P_pu": column}
