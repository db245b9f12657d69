"""Kinds of runs as plug-ins: what a run folder of a kind offers to compare and to view.

A run folder's ``run.json`` names its ``kind``; :data:`RUN_KINDS` maps a kind to the
``"module:attribute"`` of its :class:`RunKind`, imported only when needed. A new kind of
run (e.g. neighbourhood scheduling) is a module with a :class:`RunKind` plus one line
here; the web app's views are registered the same way (``massca.ui.views.VIEWS``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

__all__ = ["Kpi", "RunKind", "RUN_KINDS", "run_kind"]


@dataclass(frozen=True, slots=True)
class Kpi:
    """A number in a run's ``summary.json``: its key, a label with unit, which way is good."""

    key: str
    label: str
    better: str | None = None  # "lower", "higher" or None


class RunKind(Protocol):
    """What a kind of run offers (see the module docstring)."""

    name: str
    title: str
    kpis: tuple[Kpi, ...]
    #: configuration keys that do not change what is simulated (seeds, output options)
    incidental: tuple[str, ...]

    def series(self, folder: Path) -> dict[str, pd.Series]:
        """Named time series (index: datetime or seconds) that compare overlays."""
        ...


#: kind -> "module:attribute" of its RunKind
RUN_KINDS: dict[str, str] = {
    "cells": "mosaik_components.massca.runs.cells_kind:CELLS",
}


def run_kind(name: str) -> RunKind:
    """The plug-in of kind ``name`` (:class:`KeyError` naming the known kinds)."""
    if name not in RUN_KINDS:
        raise KeyError(f"unknown run kind {name!r}; known: {sorted(RUN_KINDS)}")
    module, _, attribute = RUN_KINDS[name].partition(":")
    kind: RunKind = getattr(importlib.import_module(module), attribute)
    return kind
