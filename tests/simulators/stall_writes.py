"""Run ``massca cells`` with a time-series write that stalls half-way (fault injection).

    python -m tests.simulators.stall_writes MARKER -- <massca cells options>

The real CSV writer writes the first half of the rows into the temporary file, flushes
it, touches MARKER and then hangs, so a test can SIGKILL the run in the middle of the
write. Nothing else is changed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from mosaik_components.massca.scenarios import cells
from mosaik_components.massca_results import timeseries
from mosaik_components.massca_results.atomic import PARTIAL_MARK

write_csv = timeseries.write_csv


def stalling_write_csv(frame: pd.DataFrame, path: Path) -> None:
    name = Path(str(path)).name
    if not (name.startswith(".timeseries.csv") and PARTIAL_MARK in name):
        write_csv(frame, path)
        return
    write_csv(frame.iloc[: len(frame) // 2], path)
    Path(MARKER).write_text(str(len(frame)))  # the number of rows the whole file would have
    time.sleep(600)
    raise AssertionError("not killed")


if __name__ == "__main__":
    MARKER, _, *argv = sys.argv[1:]
    timeseries.write_csv = stalling_write_csv
    sys.exit(cells.cli(argv))
