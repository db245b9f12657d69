"""``TidyRecorder``: a mosaik sink that keeps a tidy (long) time series of every input.

Time-based with ``step_size`` (so its many inputs trigger nothing and cost mosaik no
scheduling): for each of its steps, source entity and attribute it keeps the value it
received; started outside a ``world.group()`` it gets the settled values of each step. At
``finalize`` it writes ``timeseries.csv`` (or ``timeseries.parquet`` with
``fmt="parquet"``) with the columns ``time`` (s), ``datetime``, ``entity``, ``attr``,
``value``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mosaik_api_v3
import pandas as pd

__all__ = ["TidyRecorder", "records_frame"]

META = {
    "api_version": "3.0",
    "type": "time-based",
    "models": {"Recorder": {"public": True, "any_inputs": True, "params": [], "attrs": []}},
    "extra_methods": ["get_records", "write"],
}


class TidyRecorder(mosaik_api_v3.Simulator):
    """See the module docstring; the in-process instance exposes :meth:`frame`."""

    def __init__(self) -> None:
        super().__init__(META)
        self.last: dict[tuple[int, str, str], Any] = {}
        self.out = Path("results")
        self.fmt = "csv"
        self.step_size = 900
        self.start: pd.Timestamp | None = None

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             out: str = "results", fmt: str = "csv", start: str | None = None
             ) -> dict[str, Any]:
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"{sid}: fmt must be 'csv' or 'parquet', got {fmt!r}")
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"{sid}: step_size must be an integer >= 1, got {step_size!r}")
        self.step_size = step_size
        self.out = Path(out)
        self.fmt = fmt
        self.start = pd.Timestamp(start) if start is not None else None
        return self.meta

    def create(self, num: int, model: str) -> list[dict[str, str]]:
        if num != 1:
            raise ValueError(f"create exactly one Recorder, got num={num}")
        return [{"eid": "recorder", "type": model}]

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]],
             max_advance: int) -> None:
        for attrs in inputs.values():
            for attr, sources in attrs.items():
                for src, value in sources.items():
                    self.last[(time, src, attr)] = value
        return time + self.step_size

    def get_records(self) -> dict[str, Any]:
        """Everything recorded so far, JSON-compatible (a mosaik extra method).

        ``{"start": ISO timestamp or None, "rows": [[time, entity, attr, value], ...]}``;
        :func:`records_frame` turns it into the tidy table.
        """
        start = self.start.isoformat() if self.start is not None else None
        rows = [[time, src, attr, value] for (time, src, attr), value in self.last.items()]
        return {"start": start, "rows": rows}

    def frame(self) -> pd.DataFrame:
        """The tidy table of everything recorded so far."""
        return records_frame(self.get_records())

    def write(self) -> str:
        """Write the table (see the module docstring) and return its path (extra method)."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"timeseries.{self.fmt}"
        frame = self.frame()
        if self.fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return str(path)

    def finalize(self) -> None:
        """Write the results file."""
        self.write()


def records_frame(records: dict[str, Any]) -> pd.DataFrame:
    """The tidy table of :meth:`TidyRecorder.get_records`' result.

    Columns ``time``, ``datetime``, ``entity``, ``attr``, ``value``, sorted by time,
    entity and attribute.
    """
    frame = pd.DataFrame(records["rows"], columns=["time", "entity", "attr", "value"])
    if records["start"] is not None:
        start = pd.Timestamp(records["start"])
        frame.insert(1, "datetime", start + pd.to_timedelta(frame["time"], unit="s"))
    return frame.sort_values(["time", "entity", "attr"], kind="stable").reset_index(drop=True)
