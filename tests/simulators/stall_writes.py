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
from mosaik_components.massca_results.atomic import PARTIAL_MARK

write_csv = pd.DataFrame.to_csv


def stalling_to_csv(self: pd.DataFrame, path: object = None, *args: object,
                    **kwargs: object) -> object:
    name = Path(str(path)).name
    if not (name.startswith(".timeseries.csv") and PARTIAL_MARK in name):
        return write_csv(self, path, *args, **kwargs)
    write_csv(self.iloc[: len(self) // 2], path, *args, **kwargs)
    Path(MARKER).write_text(str(len(self)))  # the number of rows the whole file would have
    time.sleep(600)
    raise AssertionError("not killed")


if __name__ == "__main__":
    MARKER, _, *argv = sys.argv[1:]
    pd.DataFrame.to_csv = stalling_to_csv  # type: ignore[method-assign]
    sys.exit(cells.cli(argv))
