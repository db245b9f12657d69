"""The tidy time series: one typed table, written and read the same way in every format.

Columns and types, identical for CSV, Parquet and HDF5 once read with
:func:`read_timeseries`:

=========  ==========================================================================
``time``   int64, simulated seconds since the start
``datetime`` timezone-aware timestamps (when the run has a start), e.g. ``2019-06-21
           00:15:00-05:00``; absent without a start
``entity`` str, mosaik's full id (``sim.eid``)
``attr``   str, the attribute (with its unit: ``P[MW]``)
``value``  float64; booleans are stored as 0/1 (``converged``), ``None`` as NaN
=========  ==========================================================================

Every write is atomic (:func:`~.atomic.atomic_path`): a reader sees the whole file or
none. HDF5 uses the layout of mosaik-hdf5: a group ``Series`` with one group per entity
(``Series/<sim>.<eid>``) and one float64 dataset per attribute, all aligned with the
int64 dataset ``time`` at the root; the start and the format version are attributes of
the root (needs ``h5py``, the ``hdf5`` extra).
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .atomic import atomic_path

__all__ = ["FORMATS", "COLUMNS", "RECORD_COLUMNS", "typed_value", "tidy_frame", "tidy_table",
           "write_timeseries", "write_csv", "read_timeseries", "timeseries_path", "require_engine"]

#: format -> file suffix
FORMATS = {"csv": "csv", "parquet": "parquet", "hdf5": "h5"}
COLUMNS = ("time", "datetime", "entity", "attr", "value")
#: the columns recorded (``datetime`` follows from ``time`` and the start)
RECORD_COLUMNS = ("time", "entity", "attr", "value")
#: the engine each format needs, and the extra that installs it
ENGINES = {"parquet": ("pyarrow", "parquet"), "hdf5": ("h5py", "hdf5")}
HDF5_LAYOUT = "mosaik-hdf5 (Series/<entity>/<attr>, time at the root)"


def typed_value(value: Any, where: str) -> float:
    """A recorded value as a float: numbers as they are, booleans 0/1, ``None`` NaN.

    Anything else (a string, a dict) raises :class:`TypeError` naming ``where``.
    """
    if type(value) is float:  # the common case, without the ABC checks below
        return value
    if value is None:
        return math.nan
    if isinstance(value, bool | np.bool_):
        return 1.0 if value else 0.0
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{where}: the recorder keeps numbers and booleans, got {value!r}")


def tidy_frame(rows: list[list[Any]], start: pd.Timestamp | None) -> pd.DataFrame:
    """The typed table from ``[time, entity, attr, value]`` rows (values already typed)."""
    return tidy_table(pd.DataFrame(rows, columns=list(RECORD_COLUMNS)), start)


def tidy_table(frame: pd.DataFrame, start: pd.Timestamp | None) -> pd.DataFrame:
    """The typed table, sorted by time, entity and attribute, with ``datetime`` from ``start``.

    ``frame`` has the columns ``time``, ``entity``, ``attr``, ``value`` (values already
    typed).
    """
    frame = frame.astype({"time": "int64", "entity": "object", "attr": "object",
                          "value": "float64"})
    if start is not None:
        frame.insert(1, "datetime", start + pd.to_timedelta(frame["time"], unit="s"))
    return frame.sort_values(["time", "entity", "attr"], kind="stable").reset_index(drop=True)


def timeseries_path(folder: Path, fmt: str) -> Path:
    """Where a run folder keeps its time series in format ``fmt``."""
    return Path(folder) / f"timeseries.{FORMATS[fmt]}"


def require_engine(fmt: str) -> None:
    """Raise :class:`ValueError` naming the extra when ``fmt``'s engine is missing."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {sorted(FORMATS)}, got {fmt!r}")
    if fmt in ENGINES:
        module, extra = ENGINES[fmt]
        try:
            __import__(module)
        except ImportError:
            raise ValueError(f"format {fmt!r} needs {module}: pip install 'massca[{extra}]'"
                             ) from None


def write_timeseries(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write ``frame`` to ``path`` in ``fmt`` atomically; returns ``path``."""
    require_engine(fmt)
    path = Path(path)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            write_csv(frame, tmp)
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            _write_hdf5(frame, tmp)
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` (no index) to ``path`` as CSV, byte for byte what pandas writes.

    A run has one time per step but a row per entity and attribute, so every column but
    the values holds few distinct values: each is formatted once, with pandas' own text
    for timestamps and the csv module's quoting for strings. Values are written
    as pandas writes float64 (numpy's shortest round-trip text, NaN as an empty field),
    :data:`CSV_CHUNK` rows at a time. About twice as fast as ``to_csv`` on a large run; a
    column of another kind (or a missing label) leaves the whole file to pandas.
    """
    columns = [_csv_column(frame[name]) for name in frame.columns]
    if any(column is None for column in columns):
        frame.to_csv(path, index=False)
        return
    end = os.linesep
    with open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write(",".join(_csv_fields([str(name) for name in frame.columns])) + end)
        for first in range(0, len(frame), CSV_CHUNK):
            part = slice(first, first + CSV_CHUNK)
            stream.writelines(",".join(row) + end for row in zip(
                *(column(part) for column in columns), strict=True))


#: rows formatted at a time by :func:`write_csv` (bounds the memory of the text)
CSV_CHUNK = 65_536


def _csv_column(column: pd.Series) -> Callable[[slice], list[str]] | None:
    """The column's CSV fields for a slice of rows, or None when pandas has to write it."""
    kind = column.dtype.kind
    if kind == "f":
        values = column.to_numpy()

        def numbers(part: slice) -> list[str]:
            text = values[part].astype(str).astype(object)
            text[np.isnan(values[part])] = ""
            return text.tolist()

        return numbers
    if kind not in "iuMO" or column.isna().any():
        return None
    codes, distinct = pd.factorize(column)
    if kind == "M":  # pandas' text for each distinct timestamp
        lines = pd.DataFrame({"t": distinct}).to_csv(index=False, header=False).splitlines()
        if len(lines) != len(distinct):
            return None
        fields = np.array(lines, dtype=object)
    else:
        fields = np.array(_csv_fields([str(value) for value in distinct]), dtype=object)
    return lambda part: fields[codes[part]].tolist()


def _csv_fields(texts: list[str]) -> list[str]:
    """Each text as a CSV field, quoted by the csv module as pandas configures it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=os.linesep)  # minimal quoting, '"' doubled
    fields = []
    for text in texts:
        writer.writerow((text, ""))  # a second field: a lone empty field would be quoted
        fields.append(buffer.getvalue()[: -len(os.linesep) - 1])
        buffer.seek(0)
        buffer.truncate()
    return fields


def read_timeseries(path: Path) -> pd.DataFrame:
    """Read a time series written by :func:`write_timeseries` (format from the suffix)."""
    path = Path(path)
    suffix = path.suffix.lstrip(".")
    if suffix == "csv":
        frame = pd.read_csv(path, dtype={"entity": "object", "attr": "object",
                                         "value": "float64", "time": "int64"})
        if "datetime" in frame.columns:
            frame["datetime"] = pd.to_datetime(frame["datetime"], format="ISO8601")
        return frame
    if suffix == "parquet":
        return pd.read_parquet(path)
    if suffix == "h5":
        return _read_hdf5(path)
    raise ValueError(f"{path}: unknown time-series format {suffix!r}; "
                     f"known: {sorted(FORMATS.values())}")


def _write_hdf5(frame: pd.DataFrame, path: Path) -> None:
    import h5py

    times = np.sort(frame["time"].unique()).astype("int64")
    position = pd.Index(times)
    with h5py.File(path, "w") as store:
        store.attrs["layout"] = HDF5_LAYOUT
        if "datetime" in frame.columns and len(frame):
            first = frame["datetime"].iloc[0] - pd.Timedelta(int(frame["time"].iloc[0]), "s")
            store.attrs["start"] = first.isoformat()
        store.create_dataset("time", data=times)
        series = store.create_group("Series")
        for (entity, attr), part in frame.groupby(["entity", "attr"], sort=True):
            values = np.full(len(times), np.nan)
            values[position.get_indexer(part["time"])] = part["value"].to_numpy()
            group = series.require_group(str(entity))
            group.create_dataset(str(attr), data=values)


def _read_hdf5(path: Path) -> pd.DataFrame:
    import h5py

    rows: list[pd.DataFrame] = []
    with h5py.File(path, "r") as store:
        times = store["time"][()].astype("int64")
        start = store.attrs.get("start")
        for entity, group in store["Series"].items():
            for attr, dataset in group.items():
                values = dataset[()]
                keep = ~np.isnan(values)
                rows.append(pd.DataFrame({"time": times[keep], "entity": entity, "attr": attr,
                                          "value": values[keep]}))
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        {"time": pd.Series(dtype="int64"), "entity": pd.Series(dtype="object"),
         "attr": pd.Series(dtype="object"), "value": pd.Series(dtype="float64")})
    if start is not None:
        frame.insert(1, "datetime", pd.Timestamp(str(start))
                     + pd.to_timedelta(frame["time"], unit="s"))
    return frame.sort_values(["time", "entity", "attr"], kind="stable").reset_index(drop=True)
