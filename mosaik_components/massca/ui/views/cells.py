"""The web app's view of a cells run: exchange, cell balances, grid envelopes, drill-down.

Interactive (plotly) counterparts of the run's PNG plots, from the same time series and
``entities.json``: the exchange with and without the agents, the stacked cell balances,
voltage and loading envelopes with their limits; a cell's units, then one unit's power
within its band and its setpoint. Times are the site's local standard time (the axis
title names the UTC offset).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mosaik_components.massca_results.plots import zone_name
from mosaik_components.massca_results.summary import wide

from ...runs.cells_kind import load_entities, load_frame, timeseries_file
from . import Option

__all__ = ["CellsView", "CELLS_VIEW", "exchange_figure", "balances_figure",
           "envelopes_figure", "cell_figure", "unit_figure"]

LIMIT = {"color": "crimson", "dash": "dash", "width": 1}


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    folder = Path(path)
    return load_frame(folder), load_entities(folder)


def load(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The run's time series and entities (cached while the file is unchanged)."""
    return _cached(str(folder), timeseries_file(folder).stat().st_mtime)


def _x(frame: pd.DataFrame, times: pd.Index) -> tuple[Any, str]:
    """Local wall-clock times for the axis and the axis title naming the zone."""
    if "datetime" not in frame.columns:
        return times, "simulated time [s]"
    clock = pd.DatetimeIndex(frame.drop_duplicates("time").set_index("time")["datetime"]
                             .loc[times])
    zone = zone_name(clock[0]) if len(clock) else ""
    return clock.tz_localize(None) if clock.tz is not None else clock, f"time ({zone})"


def _layout(fig: go.Figure, title: str, ytitle: str, xtitle: str) -> go.Figure:
    fig.update_layout(title=title, yaxis_title=ytitle, xaxis_title=xtitle, height=360,
                      margin={"l": 60, "r": 20, "t": 50, "b": 50},
                      legend={"orientation": "v", "x": 1.02, "y": 1})
    return fig


def exchange_figure(frame: pd.DataFrame, entities: dict[str, Any]) -> go.Figure:
    """External-grid exchange with and without the agents (import +)."""
    ext = wide(frame, "P[MW]")[entities["external_grid"]]
    x, xtitle = _x(frame, ext.index)
    fig = go.Figure()
    core = entities.get("core")
    if core is None:
        fig.add_scatter(x=x, y=ext.to_numpy(), name="without agents (uncontrolled)",
                        line={"color": "gray"})
    else:
        uncontrolled = wide(frame, "P_uncontrolled[MW]")[core]
        fig.add_scatter(x=x, y=uncontrolled.to_numpy(), name="without agents (uncontrolled)",
                        line={"color": "gray", "dash": "dash"})
        fig.add_scatter(x=x, y=ext.to_numpy(), name="with agents (controlled)")
    return _layout(fig, "External-grid exchange", "exchange [MW] (import +)", xtitle)


def _cell_of(entities: dict[str, Any]) -> dict[int, list[str]]:
    cells: dict[int, list[str]] = {}
    for unit, meta in entities["units"].items():
        cells.setdefault(int(meta["cell"]), []).append(unit)
    return dict(sorted(cells.items()))


def balances_figure(frame: pd.DataFrame, entities: dict[str, Any]) -> go.Figure:
    """Net power of each cell's units, stacked (generation up, consumption down)."""
    power = wide(frame, "P[MW]")
    x, xtitle = _x(frame, power.index)
    fig = go.Figure()
    total = None
    for cell, units in _cell_of(entities).items():
        net = power[units].sum(axis=1)
        total = net if total is None else total + net
        for group, part in (("up", net.clip(lower=0)), ("down", net.clip(upper=0))):
            fig.add_scatter(x=x, y=part.to_numpy(), stackgroup=group, name=f"cell {cell}",
                            legendgroup=f"cell {cell}", showlegend=group == "up",
                            line={"width": 0.5})
    if total is not None:
        fig.add_scatter(x=x, y=total.to_numpy(), name="all cells (net)",
                        line={"color": "black"})
    return _layout(fig, "Cell balances (stacked)", "net power [MW] (generation +)", xtitle)


def envelopes_figure(frame: pd.DataFrame, entities: dict[str, Any]) -> go.Figure:
    """Voltage band and line loadings over time, with their limits."""
    limits = entities.get("limits", {})
    voltages, loading = wide(frame, "Vm[pu]"), wide(frame, "loading[%]")
    x, xtitle = _x(frame, voltages.index)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_scatter(x=x, y=voltages.max(axis=1).to_numpy(), name="max voltage", row=1, col=1)
    fig.add_scatter(x=x, y=voltages.min(axis=1).to_numpy(), name="min voltage", fill="tonexty",
                    row=1, col=1)
    for key in ("v_min_pu", "v_max_pu"):
        if key in limits:
            fig.add_hline(y=limits[key], line=LIMIT, row=1, col=1)
    fig.add_scatter(x=x, y=loading.max(axis=1).to_numpy(), name="max loading", row=2, col=1)
    fig.add_scatter(x=x, y=loading.mean(axis=1).to_numpy(), name="mean loading", row=2, col=1)
    if "loading_max_pct" in limits:
        fig.add_hline(y=limits["loading_max_pct"], line=LIMIT, row=2, col=1)
    fig.update_yaxes(title_text="voltage [pu]", row=1, col=1)
    fig.update_yaxes(title_text="loading [%]", row=2, col=1)
    _layout(fig, "Grid envelopes (limits dashed)", "", "")
    fig.update_xaxes(title_text=xtitle, row=2, col=1)
    fig.update_layout(height=480)
    return fig


def cell_figure(frame: pd.DataFrame, entities: dict[str, Any], cell: int) -> go.Figure:
    """The units of one cell: each unit's net power."""
    power = wide(frame, "P[MW]")
    x, xtitle = _x(frame, power.index)
    fig = go.Figure()
    for unit in _cell_of(entities).get(cell, []):
        fig.add_scatter(x=x, y=power[unit].to_numpy(),
                        name=f"{unit} ({entities['units'][unit]['kind']})")
    return _layout(fig, f"Cell {cell}: its units", "net power [MW] (generation +)", xtitle)


def unit_figure(frame: pd.DataFrame, entities: dict[str, Any], unit: str) -> go.Figure:
    """One unit: its power, its band and the agents' setpoint (power + limited)."""
    columns = {attr: wide(frame, attr) for attr in ("P[MW]", "P_min[MW]", "P_max[MW]",
                                                   "limited[MW]")}
    power = columns["P[MW]"][unit]
    x, xtitle = _x(frame, power.index)
    fig = go.Figure()
    if unit in columns["P_min[MW]"].columns:
        fig.add_scatter(x=x, y=columns["P_max[MW]"][unit].to_numpy(), name="band max",
                        line=LIMIT)
        fig.add_scatter(x=x, y=columns["P_min[MW]"][unit].to_numpy(), name="band min",
                        line=LIMIT)
    fig.add_scatter(x=x, y=power.to_numpy(), name="power")
    if unit in columns["limited[MW]"].columns and entities.get("core") is not None:
        setpoint = power + columns["limited[MW]"][unit]
        fig.add_scatter(x=x, y=setpoint.to_numpy(), name="setpoint",
                        line={"dash": "dot"})
    kind = entities["units"][unit]["kind"]
    return _layout(fig, f"{unit} ({kind})", "net power [MW] (generation +)", xtitle)


class CellsView:
    """The cells kind's view (see the module docstring)."""

    kind = "cells"

    def overview(self, folder: Path) -> list[Any]:
        """Exchange, cell balances and grid envelopes."""
        from dash import dcc

        frame, entities = load(folder)
        return [dcc.Graph(id="run-exchange", figure=exchange_figure(frame, entities)),
                dcc.Graph(id="run-balances", figure=balances_figure(frame, entities)),
                dcc.Graph(id="run-envelopes", figure=envelopes_figure(frame, entities))]

    def parts(self, folder: Path) -> list[Option]:
        """The cells."""
        _, entities = load(folder)
        return [(f"cell {cell}", str(cell)) for cell in _cell_of(entities)]

    def part(self, folder: Path, part: str) -> tuple[Any, list[Option]]:
        """A cell's units and the choice of one of them."""
        frame, entities = load(folder)
        units = _cell_of(entities).get(int(part), [])
        options = [(f"{u} ({entities['units'][u]['kind']})", u) for u in units]
        return cell_figure(frame, entities, int(part)), options

    def item(self, folder: Path, item: str) -> Any:
        """One unit."""
        frame, entities = load(folder)
        return unit_figure(frame, entities, item)


CELLS_VIEW = CellsView()
