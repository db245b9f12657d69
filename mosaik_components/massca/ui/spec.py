"""What a user asks the web app to run: a validated cells scenario, N seeds.

:class:`RunSpec` checks every field (a :class:`ValueError` naming the field and the value)
and turns into the ``massca cells`` command lines of its runs (seeds ``seed`` ...
``seed + runs - 1``).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mosaik_components.mas.strategies import STRATEGIES

__all__ = ["RunSpec", "LEVELS", "DATA_YEAR"]

LEVELS = ("balance", "cohda")
#: the shipped weather and load data cover this year (site standard time)
DATA_YEAR = 2019
PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,60}")
LIMITS = {"cells": (1, 50), "depth": (1, 10), "hours": (1, 24 * 14), "runs": (1, 10),
          "seed": (0, 2**31 - 1)}


def _integer(name: str, value: object) -> int:
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{name}: must be a whole number, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name}: must be within [{low}, {high}], got {value!r}")
    return int(value)


@dataclass(frozen=True)
class RunSpec:
    """A scenario and how many runs (seeds) of it."""

    cells: int = 1
    depth: int = 1
    strategy: str = "balance"
    within_cell: str = "balance"
    between_cells: str = "balance"
    start: str = "2019-06-21"
    hours: int = 24
    seed: int = 42
    runs: int = 1
    der_scale: float = 1.0
    no_mas: bool = False
    prefix: str = ""

    @classmethod
    def checked(cls, **fields: object) -> RunSpec:
        """The spec from form values; :class:`ValueError` naming a bad field."""
        spec = cls(**{k: v for k, v in fields.items() if v is not None})  # type: ignore[arg-type]
        for name in LIMITS:
            _integer(name, getattr(spec, name))
        if spec.strategy not in STRATEGIES:
            raise ValueError(f"strategy: must be one of {sorted(STRATEGIES)}, "
                             f"got {spec.strategy!r}")
        for name in ("within_cell", "between_cells"):
            if getattr(spec, name) not in LEVELS:
                raise ValueError(f"{name}: must be one of {list(LEVELS)}, "
                                 f"got {getattr(spec, name)!r}")
        spec._check_time()
        if isinstance(spec.der_scale, bool) or not isinstance(spec.der_scale, int | float) \
                or not 0 <= spec.der_scale <= 100:
            raise ValueError(f"der_scale: must be a number within [0, 100], "
                             f"got {spec.der_scale!r}")
        if spec.prefix and not PREFIX.fullmatch(spec.prefix):
            raise ValueError(f"name: letters, digits, '.', '_' or '-' only, got {spec.prefix!r}")
        return spec

    def _check_time(self) -> None:
        try:
            start = pd.Timestamp(self.start)
        except ValueError:
            raise ValueError(f"start: not a date, got {self.start!r}") from None
        if start.tzinfo is not None or start != start.floor("15min"):
            raise ValueError(f"start: a local time on the 15-min grid, got {self.start!r}")
        end = start + pd.Timedelta(hours=int(self.hours))
        if start.year != DATA_YEAR or end > pd.Timestamp(f"{DATA_YEAR + 1}-01-01"):
            raise ValueError(f"start/hours: the data covers {DATA_YEAR}; {self.start} + "
                             f"{self.hours} h leaves it")

    def names(self, now: dt.datetime | None = None) -> list[str]:
        """The run names: ``<prefix>-s<seed>`` (prefix: ``ui-<timestamp>`` if empty)."""
        prefix = self.prefix or f"ui-{(now or dt.datetime.now()):%Y%m%d-%H%M%S}"
        return [f"{prefix}-s{self.seed + k}" for k in range(self.runs)]

    def argv(self, name: str, seed: int, root: Path) -> list[str]:
        """The command line of one run (a ``massca cells`` process with a status API)."""
        argv = [sys.executable, "-m", "mosaik_components.massca", "cells", "--data", "cigre",
                "--runs", str(root), "--name", name, "--seed", str(seed), "--quiet",
                "--cells", str(self.cells), "--depth", str(self.depth),
                "--start", str(self.start), "--until", str(int(self.hours) * 3600),
                "--der-scale", repr(float(self.der_scale))]
        if self.no_mas:
            return [*argv, "--no-mas"]
        return [*argv, "--strategy", self.strategy, "--within-cell", self.within_cell,
                "--between-cells", self.between_cells, "--status-port", "0"]
