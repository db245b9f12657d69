"""``TidyRecorder``: a mosaik sink that keeps a tidy (long) time series of every input.

Hybrid, stepping every ``step_size`` seconds on its own; its inputs trigger nothing
(they cost mosaik no scheduling) except the event attributes in :data:`EVENT_INPUTS`
(the agents' setpoints, non-persistent outputs that exist only at the time they are
sent), so connecting them raises no mosaik warning and none is missed. For each of its
steps, source entity and attribute it keeps the value it received; started outside a
``world.group()`` it gets the settled values of each step. An event arriving between two
of its own steps is recorded at its own time; the regular grid of steps is kept.
``python -m mosaik_components.massca_results.recorder HOST:PORT`` starts it for
mosaik's ``cmd`` mode.
Values are typed when they arrive (numbers as floats, booleans as 0/1, ``None`` as NaN;
anything else is an error naming the source). At ``finalize`` (unless :meth:`write`
already wrote everything) it writes ``timeseries.csv`` (``fmt="parquet"``:
``.parquet``, ``fmt="hdf5"``: ``.h5``) atomically, with the columns of
:mod:`.timeseries`. ``start`` may carry a UTC offset (``2019-06-21T00:00-05:00``); the
``datetime`` column then does too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mosaik_api_v3
import numpy as np
import pandas as pd

from .timeseries import (
    FORMATS,
    RECORD_COLUMNS,
    require_engine,
    tidy_table,
    timeseries_path,
    typed_value,
    write_timeseries,
)

__all__ = ["EVENT_INPUTS", "TidyRecorder", "main", "records_frame"]

#: Inputs that trigger a step: the event (non-persistent) outputs of massca's simulators,
#: i.e. what the agents send a unit (``mosaik_components.mas.mosaik.unit_io.UNIT_OUTPUTS``).
EVENT_INPUTS = (
    "P_set[MW]", "delta[MW]", "scale_factor",
    "production[MW]", "consumption[MW]", "production_delta[MW]", "consumption_delta[MW]",
)

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {"Recorder": {"public": True, "any_inputs": True, "params": [], "attrs": [],
                            "trigger": list(EVENT_INPUTS), "persistent": [],
                            "non-persistent": []}},
    "extra_methods": ["get_records", "frame", "write"],
}


class TidyRecorder(mosaik_api_v3.Simulator):
    """See the module docstring; the in-process instance exposes :meth:`frame`."""

    def __init__(self) -> None:
        super().__init__(META)
        #: time -> (source, attribute) -> value, in the order recorded
        self.rows: dict[int, dict[tuple[str, str], float]] = {}
        self.out = Path("results")
        self.fmt = "csv"
        self.step_size = 900
        self.start: pd.Timestamp | None = None
        #: steps recorded since the last write
        self.unwritten = True
        #: :meth:`get_records`' result until the next step (None: to be built)
        self._records: dict[str, Any] | None = None
        #: :meth:`frame`'s result until the next step (None: to be built)
        self._frame: pd.DataFrame | None = None

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             out: str = "results", fmt: str = "csv", start: str | None = None
             ) -> dict[str, Any]:
        if fmt not in FORMATS:
            raise ValueError(f"{sid}: fmt must be one of {sorted(FORMATS)}, got {fmt!r}")
        require_engine(fmt)
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
        row = self.rows.get(time)
        if row is None:
            row = self.rows[time] = {}
        for attrs in inputs.values():
            for attr, sources in attrs.items():
                for src, value in sources.items():  # floats as they are, the rest typed
                    row[src, attr] = value if type(value) is float else typed_value(
                        value, f"recorder input {attr!r} from {src!r} at time {time}")
        self.unwritten = True
        self._records = self._frame = None
        return (time // self.step_size + 1) * self.step_size  # an event keeps the grid

    def get_records(self) -> dict[str, Any]:
        """Everything recorded so far, JSON-compatible (a mosaik extra method).

        ``{"start": ISO timestamp or None, "time": [...], "entity": [...], "attr": [...],
        "value": [...]}``, one list per column, in the order recorded;
        :func:`records_frame` turns it into the tidy table. Built once per step recorded
        (writing the file and reading the table after a run share it): read it, do not
        change it.
        """
        if self._records is None:
            start = self.start.isoformat() if self.start is not None else None
            times: list[int] = []
            keys: list[tuple[str, str]] = []
            values: list[float] = []
            for time, row in self.rows.items():
                times += [time] * len(row)
                keys += row
                values += row.values()
            self._records = {"start": start, "time": times,
                             "entity": [entity for entity, _ in keys],
                             "attr": [attr for _, attr in keys], "value": values}
        return self._records

    def frame(self) -> pd.DataFrame:
        """The tidy table of everything recorded so far (a mosaik extra method).

        It returns the frame itself, so it serves a recorder started in-process, as
        massca's scenarios start it.
        """
        if self._frame is None:
            self._frame = records_frame(self.get_records())
        return self._frame

    def write(self) -> str:
        """Write the table atomically and return its path (a mosaik extra method)."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = write_timeseries(self.frame(), timeseries_path(self.out, self.fmt), self.fmt)
        self.unwritten = False
        return str(path)

    def finalize(self) -> None:
        """Write the results file (unless :meth:`write` already wrote every step)."""
        if self.unwritten:
            self.write()


def records_frame(records: dict[str, Any]) -> pd.DataFrame:
    """The tidy table of :meth:`TidyRecorder.get_records`' result.

    Columns ``time``, ``datetime`` (with a start), ``entity``, ``attr``, ``value``
    (float64), sorted by time, entity and attribute.
    """
    start = pd.Timestamp(records["start"]) if records["start"] is not None else None
    dtypes = {"time": np.int64, "entity": object, "attr": object, "value": np.float64}
    return tidy_table(pd.DataFrame({column: np.array(records[column], dtype=dtypes[column])
                                    for column in RECORD_COLUMNS}), start)


def main() -> None:
    """Start the recorder for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    mosaik_api_v3.start_simulation(TidyRecorder(), "massca tidy recorder")


if __name__ == "__main__":
    main()
