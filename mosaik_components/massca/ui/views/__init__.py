"""Views of runs in the web app, one per run kind (plug-ins, like ``runs.kinds``).

A :class:`RunView` draws the overview of a run and a two-level drill-down (for cells:
a cell, then one of its units). :data:`VIEWS` maps a kind to the ``"module:attribute"``
of its view; a run of a kind without a view is shown by :class:`GenericView` (its
summary). A new kind (e.g. neighbourhood scheduling: all households, one household)
is a module with a view plus one line here.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Protocol

__all__ = ["RunView", "VIEWS", "view_for", "GenericView", "Option"]

#: a drill-down choice: (label, value)
Option = tuple[str, str]


class RunView(Protocol):
    """How the web app shows one kind of run."""

    kind: str

    def overview(self, folder: Path) -> list[Any]:
        """Dash components (figures, tables) for the whole run."""
        ...

    def parts(self, folder: Path) -> list[Option]:
        """First drill-down level (e.g. the cells)."""
        ...

    def part(self, folder: Path, part: str) -> tuple[Any, list[Option]]:
        """A part's figure and the second level's choices (e.g. the cell's units)."""
        ...

    def item(self, folder: Path, item: str) -> Any:
        """One item's figure (e.g. a unit's power, band and setpoint)."""
        ...


VIEWS: dict[str, str] = {
    "cells": "mosaik_components.massca.ui.views.cells:CELLS_VIEW",
}


class GenericView:
    """Any run: its summary as a table; no drill-down."""

    kind = "*"

    def overview(self, folder: Path) -> list[Any]:
        """The summary's numbers."""
        from dash import html

        path = Path(folder) / "summary.json"
        summary = json.loads(path.read_text()) if path.is_file() else {}
        rows = [html.Tr([html.Td(str(k)), html.Td(str(v))]) for k, v in summary.items()
                if not isinstance(v, dict | list)]
        return [html.Table(rows, className="summary")]

    def parts(self, folder: Path) -> list[Option]:
        """None."""
        return []

    def part(self, folder: Path, part: str) -> tuple[Any, list[Option]]:
        """Nothing to drill into."""
        return {}, []

    def item(self, folder: Path, item: str) -> Any:
        """Nothing to drill into."""
        return {}


def view_for(kind: str | None) -> RunView:
    """The view of ``kind`` (the generic one for kinds without a view)."""
    if kind not in VIEWS:
        return GenericView()
    module, _, attribute = VIEWS[str(kind)].partition(":")
    view: RunView = getattr(importlib.import_module(module), attribute)
    return view
