"""Time-series sources: weather (``Weather``) and load profiles (``LoadProfile``).

Both read a CSV whose first column ``time`` holds timestamps (one fixed frequency) and
publish the row at ``start + simulation time``. They also read mosaik-csv's format (as
MASSCA's and mosaik-pv's data files are): a first line with the model name (optional),
then a header whose first column ``Date`` holds ``YYYY-MM-DD HH:mm:ss`` timestamps, and
columns named after the attributes (``DNI[W/m2]``, ``P_pu`` or any ``column=``); such a
weather file may hold only some of the weather attributes. A missing file, column or
timestamp, a step that does not land on the data's grid, or a non-finite value raises
an error naming the file, the line, the column and the time.

With ``horizon=H`` (model parameter, intervals of the simulator's ``step_size``) an
entity also publishes a forecast of every attribute over the next ``H`` intervals
(``GHI_forecast[W/m2]``, ``P_pu_forecast``, ...: lists, interval 0 = now) made by
``forecast`` (``perfect``, ``persistence`` or ``noisy`` with ``sigma`` and ``seed``; see
:mod:`.forecasts`). Irradiance shares one error path, wind speed and load profiles have
their own, air temperature is forecast perfectly. A horizon that runs past the data (from
``start``, or over the whole run when ``until`` is given) is an error at creation.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import mosaik_api_v3
import numpy as np
import pandas as pd

from .forecasts import ForecastSpec, forecast_attr, issue

__all__ = ["MOSAIK_CSV_DATE", "TimeSeries", "load_table", "read_table", "resolve_columns",
           "WeatherSimulator", "ProfileSimulator", "main"]


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

    def index(self, seconds: int) -> int:
        """The row at ``start + seconds`` (an error if it is off the grid or past the end)."""
        offset = pd.Timedelta(seconds=seconds)
        if self.freq and offset % self.freq:
            raise ValueError(f"{self.path}: time {self.start + offset} is not on the data's "
                             f"{self.freq} grid; choose a step that is a multiple of it")
        index = self.first + (int(offset / self.freq) if self.freq else 0)
        if index >= len(self.values):
            raise ValueError(f"{self.path}: no data at {self.start + offset} (data ends "
                             f"{self.frame.index[-1]})")
        return index

    def row(self, seconds: int) -> np.ndarray:
        """The values at ``start + seconds``."""
        return self.values[self.index(seconds)]

    def check_horizon(self, horizon: int, step: int, until: int | None, what: str) -> None:
        """The data must reach ``horizon`` intervals of ``step`` s past every issue time."""
        last_issue = 0 if until is None else max(0, (until - 1) // step * step)
        needed = last_issue + (horizon - 1) * step
        self.index(last_issue)  # the step grid itself
        offset = pd.Timedelta(seconds=needed)
        if self.first + int(offset / self.freq) >= len(self.values):
            span = f"over a run of {until} s" if until is not None else "at the start"
            raise ValueError(f"{what}: a forecast horizon of {horizon} intervals of {step} s "
                             f"{span} needs data up to {self.start + offset}, but "
                             f"{self.path} ends {self.frame.index[-1]}")


#: mosaik-csv's (default) timestamp format, ``YYYY-MM-DD HH:mm:ss`` in its own notation
MOSAIK_CSV_DATE = "%Y-%m-%d %H:%M:%S"


def read_table(path: Path) -> tuple[pd.DataFrame, str | None, int]:
    """A data file's table of text values indexed by time.

    Returns ``(frame, model, header_line)``: ``model`` is the mosaik-csv model name (the
    first line when it holds one field; ``""`` for a mosaik-csv file without it) or None
    for massca's format, ``header_line`` the 1-based line of the column names. massca's
    format: header ``time,...`` with any timestamp pandas reads. mosaik-csv's: an
    optional model-name line, then a header whose first column (``Date``; any name after
    a model-name line, as mosaik-csv allows) holds ``YYYY-MM-DD HH:mm:ss`` timestamps;
    ``# comments`` after a column name are dropped.
    A timestamp that does not parse is an error naming the file, the line and the value.

    A file is parsed once per content version: the table is kept for its resolved path,
    modification time and size (a simulator creating one entity per column of a wide
    file, e.g. SimBench's 1,549 element profiles at 50 cells, would otherwise parse the
    whole file for every entity). Callers must not modify the returned frame.
    """
    if not path.is_file():
        raise FileNotFoundError(f"data file {str(path)!r} does not exist")
    stat = path.stat()
    return _parsed_table(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _parsed_table(name: str, mtime_ns: int, size: int) -> tuple[pd.DataFrame, str | None, int]:
    """:func:`read_table` of the file ``name`` as it is at ``mtime_ns`` with ``size`` bytes."""
    path = Path(name)
    with path.open(encoding="utf-8", errors="replace") as file:
        first = file.readline().strip()
    model_line = bool(first) and "," not in first
    header_line = 2 if model_line else 1
    try:
        raw = pd.read_csv(path, skiprows=header_line - 1, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: cannot read a 'time' column and values ({exc})") from None
    names = [str(c).split("#", 1)[0].strip() for c in raw.columns]
    if not names or (names[0] != "time" and not model_line and names[0] != "Date"):
        raise ValueError(f"{path}, line {header_line}: the first column must be 'time' "
                         f"(massca) or 'Date' (mosaik-csv), got {names[:1]}")
    model = first if model_line else (None if names[0] == "time" else "")
    raw.columns = names
    stamps = raw.iloc[:, 0].str.strip()
    if model is None:
        times = pd.to_datetime(stamps, errors="coerce")
    else:
        times = pd.to_datetime(stamps, format=MOSAIK_CSV_DATE, errors="coerce")
    bad = np.flatnonzero(times.isna().to_numpy())
    if bad.size:
        row = int(bad[0])
        expected = "a timestamp" if model is None else "YYYY-MM-DD HH:mm:ss (mosaik-csv)"
        raise ValueError(f"{path}, line {header_line + 1 + row}: {names[0]} "
                         f"{stamps.iat[row]!r} is not {expected}")
    frame = raw.iloc[:, 1:].set_axis(pd.DatetimeIndex(times, name="time"))
    return frame, model, header_line


def load_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read and check a time-indexed CSV in massca's or mosaik-csv's format.

    Formats: :func:`read_table`. Every value of ``columns`` must be a finite number (an
    error names the file, line, column, time and value); the timestamps must increase at
    one fixed frequency.
    """
    frame, _, header_line = read_table(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; has {list(frame.columns)}")
    frame = frame[columns]
    numbers = frame.apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce"))
    bad = ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise ValueError(f"{path}, line {header_line + 1 + row}: column {columns[col]!r} at "
                         f"{frame.index[row]} is not a finite number ({frame.iat[row, col]!r})")
    frame = numbers.astype(float)
    steps = frame.index.to_series().diff().dropna()
    if len(frame) < 2 or steps.nunique() != 1 or steps.iloc[0] <= pd.Timedelta(0):
        raise ValueError(f"{path}: timestamps must increase at one fixed frequency")
    return frame


def resolve_columns(path: Path, columns: dict[str, str]) -> dict[str, str]:
    """Attribute -> column of the file: the named column, else the attribute's own name.

    A mosaik-csv file names its columns after attributes (``DNI[W/m2]``) and may hold only
    some of them (mosaik-pv reads ``DNI[W/m2]`` alone): its entity then gives only those
    (at least one). A massca file must have every column (:func:`load_table` names what
    is missing).
    """
    frame, model, _ = read_table(path)
    have = set(frame.columns)
    resolved = {attr: col if col in have or attr not in have else attr
                for attr, col in columns.items()}
    if model is None:
        return resolved
    present = {attr: col for attr, col in resolved.items() if col in have}
    if not present:
        wanted = sorted({*columns.values(), *columns} - {""})
        raise ValueError(f"{path}: none of the columns {wanted}; has {sorted(have)}")
    return present


class _SourceSimulator(mosaik_api_v3.Simulator):
    """Time-based source: one table per entity, outputs mapped from its columns."""

    model = ""
    attr_columns: dict[str, str] = {}
    #: attributes that share one forecast error path (one tuple per path)
    noise_groups: tuple[tuple[str, ...], ...] = ()

    def __init__(self) -> None:
        attrs = list(self.attr_columns)
        super().__init__({"api_version": "3.0", "type": "time-based", "models": {
            self.model: {"public": True,
                         "params": ["path", "start", "column", "horizon", "forecast",
                                    "sigma", "seed", "until"],
                         "attrs": attrs + [forecast_attr(a) for a in attrs]}}})
        self.step_size = 900
        self.tables: dict[str, tuple[TimeSeries, dict[str, int]]] = {}
        self.specs: dict[str, ForecastSpec | None] = {}
        self.rows: dict[str, np.ndarray] = {}
        self.forecasts: dict[str, np.ndarray] = {}

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900
             ) -> dict[str, Any]:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"{sid}: step_size must be an integer >= 1, got {step_size!r}")
        self.sid = sid
        self.step_size = step_size
        return self.meta

    def create(self, num: int, model: str, path: str, start: str, column: str | None = None,
               horizon: int | None = None, forecast: str = "perfect", sigma: float = 0.0,
               seed: int = 0, until: int | None = None) -> list[dict[str, Any]]:
        columns = resolve_columns(Path(path), self.columns(column))
        series = TimeSeries(path, list(dict.fromkeys(columns.values())), start)
        positions = {attr: list(dict.fromkeys(columns.values())).index(col)
                     for attr, col in columns.items()}
        what = f"{self.sid}.{self.model}"
        spec = None
        if horizon is not None:
            spec = ForecastSpec.checked(forecast, horizon, sigma, seed, what)
            if until is not None and (isinstance(until, bool) or not isinstance(until, int)
                                      or until < 1):
                raise ValueError(f"{what}.until must be an integer >= 1 (s), got {until!r}")
            if series.freq and pd.Timedelta(seconds=self.step_size) % series.freq:
                raise ValueError(f"{what}: step_size {self.step_size} s is not a multiple of "
                                 f"the data's {series.freq}")
            series.check_horizon(spec.horizon, self.step_size, until, what)
        created = []
        for _ in range(num):
            eid = f"{self.model}_{len(self.tables)}"
            self.tables[eid] = (series, positions)
            self.specs[eid] = spec
            created.append({"eid": eid, "type": model})
        return created

    def columns(self, column: str | None) -> dict[str, str]:
        return dict(self.attr_columns)

    def step(self, time: int, inputs: dict, max_advance: int) -> int:
        step_h = self.step_size / 3600
        for eid, (series, positions) in self.tables.items():
            row = series.index(time)
            self.rows[eid] = series.values[row]
            spec = self.specs[eid]
            if spec is not None:
                stride = int(pd.Timedelta(seconds=self.step_size) / series.freq)
                if row + (spec.horizon - 1) * stride >= len(series.values):
                    raise ValueError(f"{self.sid}.{eid}: the forecast from time {time} runs "
                                     f"past the data's end {series.frame.index[-1]}")
                groups = [[positions[a] for a in group if a in positions]
                          for group in self.noise_groups]
                self.forecasts[eid] = issue(series.values, row, stride, spec, step_h,
                                            [g for g in groups if g])
        return time + self.step_size

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        data = {}
        for eid, attrs in outputs.items():
            _, positions = self.tables[eid]
            values: dict[str, Any] = {}
            for attr in attrs:
                if attr in positions:
                    values[attr] = float(self.rows[eid][positions[attr]])
                    continue
                base = next((a for a in positions if forecast_attr(a) == attr), None)
                if base is None:
                    raise ValueError(f"{self.sid}.{eid}: no output attribute {attr!r} (data "
                                     f"file {self.tables[eid][0].path} gives "
                                     f"{sorted(positions)})")
                if self.specs[eid] is None:
                    raise ValueError(f"{self.sid}.{eid}: {attr} needs a forecast: create the "
                                     "entity with horizon=<intervals>")
                values[attr] = self.forecasts[eid][:, positions[base]].tolist()
            data[eid] = values
        return data


class WeatherSimulator(_SourceSimulator):
    """``Weather``: irradiance, air temperature and wind speed from a weather CSV."""

    model = "Weather"
    attr_columns = {"GHI[W/m2]": "ghi", "DNI[W/m2]": "dni", "DHI[W/m2]": "dhi",
                    "T_air[degC]": "temp_air", "wind_speed[m/s]": "wind_speed"}
    noise_groups = (("GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]"), ("wind_speed[m/s]",))


class ProfileSimulator(_SourceSimulator):
    """``LoadProfile``: one column (``column``) of a profile CSV as ``P_pu`` (per unit)."""

    model = "LoadProfile"
    attr_columns = {"P_pu": ""}
    noise_groups = (("P_pu",),)

    def columns(self, column: str | None) -> dict[str, str]:
        if not column:
            raise ValueError(f"{self.sid}: LoadProfile needs column=<name of the CSV column>")
        return {"P_pu": column}


#: ``python -m mosaik_components.massca_units.timeseries NAME HOST:PORT``: NAME picks one
SOURCES: dict[str, type[_SourceSimulator]] = {
    "weather": WeatherSimulator, "profiles": ProfileSimulator}


def main(argv: list[str] | None = None) -> None:
    """Start a source for mosaik's ``cmd`` mode: the first argument names it.

    ``{"cmd": "%(python)s -m mosaik_components.massca_units.timeseries weather %(addr)s"}``
    (or ``profiles``); the remaining arguments are mosaik_api_v3's.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in SOURCES:
        raise SystemExit(f"usage: python -m {__name__} {{{','.join(SOURCES)}}} HOST:PORT "
                         f"[mosaik_api_v3 options]; got {args[:1]}")
    sys.argv = [sys.argv[0], *args[1:]]
    mosaik_api_v3.start_simulation(SOURCES[args[0]](), f"massca {args[0]} source")


if __name__ == "__main__":
    main()
