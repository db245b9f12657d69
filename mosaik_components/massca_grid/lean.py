"""Grid outputs from a power flow's voltages alone, without pandapower's result tables.

pandapower's recycled power flow (``runpp(..., recycle=...)`` after a first
``runpp(..., only_v_results=True)``) solves for the bus voltages and skips filling its
result tables; on the cells grids that is ~10x faster per power flow (the tables cost
most of it). :class:`LeanResults` computes the outputs a scenario usually reads from
those voltages (:data:`LEAN_OUTPUTS`): bus voltage magnitude and angle, line current
and loading, transformer loading (pandapower's current-based definition), the external
grid's active and reactive power (the slack bus's injection plus its demand).

Every other output, or an external grid that shares its bus with another source, is not
covered (:meth:`LeanResults.covers`); the grid simulator then
runs pandapower's full power flow instead, from then on. :func:`check_against_tables`
compares every covered output with the tables of a full power flow to the same
solution, so a pandapower whose internals differ is found before a lean result is used.
(``only_v_results`` is the option pandapower's own time-series module uses when only
voltages are logged; it is kept from the last non-recycled ``runpp``, which is why the
simulator runs that one twice: once full, once voltages only.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandapower as pp
import pandas as pd

from .sensitivity import BranchKey, Layout, SolvedState

__all__ = ["LEAN_OUTPUTS", "TABLES_CHECKED", "LeanLayout", "LeanResults", "check_against_tables",
           "lean_layout"]

#: model -> the outputs :class:`LeanResults` computes
LEAN_OUTPUTS: dict[str, frozenset[str]] = {
    "Bus": frozenset({"Vm[pu]", "Va[deg]"}),
    "Line": frozenset({"loading[%]", "I[kA]"}),
    "Transformer": frozenset({"loading[%]"}),
    "ExternalGrid": frozenset({"P[MW]", "Q[MVar]"}),
}
#: pandapower's result tables :func:`check_against_tables` compares with
TABLES_CHECKED = ("res_bus", "res_line", "res_trafo", "res_ext_grid")
#: largest differences allowed against pandapower's tables (relative, absolute)
RTOL, ATOL = 1e-6, 1e-6


@dataclass(frozen=True, eq=False)
class LeanLayout:
    """What :class:`LeanResults` needs that stays fixed on one topology."""

    layout: Layout
    rating_ka: dict[int, float]  # line -> the current (kA) of 100 % loading
    elements: dict[str, frozenset[int]]  # model -> every index of its table
    ext_grid_rows: dict[int, int]  # external grid alone at its (solved) bus -> row of V


def lean_layout(net: pp.pandapowerNet, layout: Layout) -> LeanLayout:
    """The fixed part of :class:`LeanResults` after a power flow on ``net``."""
    rating = (net.line.max_i_ka * net.line.df * net.line.parallel).to_numpy(dtype=float)
    grids = net.ext_grid[net.ext_grid.in_service.to_numpy(dtype=bool)]
    sources = list(grids.bus) + list(net.gen.bus[net.gen.in_service.to_numpy(dtype=bool)])
    rows = {int(i): layout.bus_row.get(int(b), layout.buses)
            for i, b in zip(grids.index, grids.bus, strict=True) if sources.count(b) == 1}
    return LeanLayout(layout, dict(zip(net.line.index.tolist(), rating.tolist(), strict=True)),
                      {"Bus": frozenset(net.bus.index.tolist()),
                       "Line": frozenset(net.line.index.tolist()),
                       "Transformer": frozenset(net.trafo.index.tolist())},
                      {i: row for i, row in rows.items() if row < layout.buses})


class LeanResults:
    """The covered outputs of one power flow (see the module docstring).

    As in pandapower's tables, a bus or branch outside the solved network (out of
    service, or cut off by open switches) has NaN.
    """

    def __init__(self, fixed: LeanLayout, state: SolvedState) -> None:
        layout = self.layout = fixed.layout
        self.voltage = state.voltage
        branches = layout.every_branch
        loading = branches.loading(state.voltage)
        self.loading: dict[BranchKey, float] = dict(zip(branches.keys, loading.tolist(),
                                                        strict=True))
        self.rating_ka = fixed.rating_ka
        self.elements = fixed.elements
        rows = np.array(list(fixed.ext_grid_rows.values()), dtype=int)
        power = state.injection_mva(layout, rows) + (state.demand_mw[rows]
                                                     + 1j * state.demand_mvar[rows])
        self.ext_grid = dict(zip(fixed.ext_grid_rows, power.tolist(), strict=True))

    def covers(self, model: str, idx: int, attrs: Iterable[str]) -> bool:
        """Whether every attribute of element ``idx`` of ``model`` is computed here."""
        if not LEAN_OUTPUTS.get(model, frozenset()).issuperset(attrs):
            return False
        if model == "ExternalGrid":
            return idx in self.ext_grid
        return idx in self.elements[model]

    def get(self, model: str, idx: int, attr: str) -> float:
        """One covered output (check :meth:`covers` first)."""
        if model == "Bus":
            row = self.layout.bus_row.get(idx, len(self.voltage))
            if row >= len(self.voltage):  # not solved
                return math.nan
            v = self.voltage[row]
            return float(abs(v)) if attr == "Vm[pu]" else float(np.degrees(np.angle(v)))
        if model == "ExternalGrid":
            power = self.ext_grid[idx]
            return float(power.real if attr == "P[MW]" else power.imag)
        loading = self.loading.get((_TABLE[model], idx), math.nan)
        if attr == "I[kA]":
            return loading / 100.0 * self.rating_ka[idx]
        return loading


_TABLE = {"Line": "line", "Transformer": "trafo"}


def check_against_tables(tables: Mapping[str, pd.DataFrame], lean: LeanResults
                         ) -> str | None:
    """The first covered output that differs from pandapower's result tables, or None.

    ``tables``: :data:`TABLES_CHECKED` of a full power flow to the same solution.
    """
    buses = sorted(lean.elements["Bus"])
    lines, trafos = sorted(lean.elements["Line"]), sorted(lean.elements["Transformer"])
    pairs = [("Bus", "res_bus", "vm_pu", "Vm[pu]", buses),
             ("Bus", "res_bus", "va_degree", "Va[deg]", buses),
             ("ExternalGrid", "res_ext_grid", "p_mw", "P[MW]", list(lean.ext_grid)),
             ("ExternalGrid", "res_ext_grid", "q_mvar", "Q[MVar]", list(lean.ext_grid)),
             ("Line", "res_line", "loading_percent", "loading[%]", lines),
             ("Line", "res_line", "i_ka", "I[kA]", lines),
             ("Transformer", "res_trafo", "loading_percent", "loading[%]", trafos)]
    for model, table, column, attr, indices in pairs:
        if not indices:
            continue
        theirs = tables[table][column].loc[indices].to_numpy(dtype=float)
        ours = np.array([lean.get(model, idx, attr) for idx in indices])
        if not np.allclose(ours, theirs, rtol=RTOL, atol=ATOL, equal_nan=True):
            worst = int(np.argmax(np.abs(ours - theirs)))
            return (f"{model}-{indices[worst]} {attr}: {ours[worst]!r} from the voltages, "
                    f"{theirs[worst]!r} in pandapower's {table}.{column}")
    return None
