"""Build a pandapower network of N power cells, each a CIGRE MV feeder.

Every cell is pandapower's ``create_cigre_network_mv(with_der="pv_wind")`` with the
second transformer branch switched off as in MASSCA (``Trafo 0-12``; its buses 12-14,
which are then unsupplied, are left out together with their elements), plus the two
batteries of CIGRE's full DER variant (buses 5 and 10). All cells hang on cell 0's
110 kV bus, which keeps the only external grid.

Roles are explicit metadata in their own columns, never parsed from names:

* ``cell`` (int) on ``bus``, ``line``, ``trafo``, ``switch``, ``load``, ``sgen``,
  ``storage`` (the shared 110 kV bus and the external grid belong to cell 0);
* ``unit_kind`` on ``load`` (``"load"``), ``sgen`` (``"pv"``/``"wind"``) and
  ``storage`` (``"battery"``);
* ``load_class`` on ``load`` (``"residential"``/``"commercial"``, from CIGRE's table
  order: loads 0-9 are residential, 10-17 commercial).

The tables are replicated directly with shifted indices (50 cells in well under a
second), instead of ``pandapower.toolbox.merge_nets`` (~34 s for 50 cells).
"""

from __future__ import annotations

import copy
from functools import lru_cache

import pandapower as pp
import pandapower.networks as pn
import pandas as pd
from pandapower.toolbox import drop_buses

from ..mas.model.errors import ConfigError

__all__ = ["build_cells", "UNIT_TABLES", "HV_BUS"]

#: The element tables that hold units, and their kind column.
UNIT_TABLES = ("load", "sgen", "storage")
#: Index of the shared 110 kV bus (cell 0's ``Bus 0``).
HV_BUS = 0

_SECOND_BRANCH_TRAFO = 1  # "Trafo 0-12"
_DROPPED_BUSES = (12, 13, 14)  # unsupplied once the second branch is off
_RESIDENTIAL_LOADS = range(0, 10)  # CIGRE MV table order: R1..R14, then CI1..CI14
_BATTERIES = ((5, 0.6, 2.4), (10, 0.2, 0.8))  # (bus, P_max MW, capacity MWh)
_BUS_COLUMNS = {
    "line": ("from_bus", "to_bus"), "trafo": ("hv_bus", "lv_bus"), "switch": ("bus",),
    "load": ("bus",), "sgen": ("bus",), "storage": ("bus",),
}


@lru_cache(maxsize=1)
def _template() -> pp.pandapowerNet:
    """One cell, with metadata, before replication (cached; copied on use)."""
    net = pn.create_cigre_network_mv(with_der="pv_wind")
    drop_buses(net, list(_DROPPED_BUSES), drop_elements=True)  # incl. Trafo 0-12
    if _SECOND_BRANCH_TRAFO in net.trafo.index:
        raise RuntimeError("CIGRE MV: the second transformer branch was not removed")
    net.load["unit_kind"] = "load"
    net.load["load_class"] = [
        "residential" if i in _RESIDENTIAL_LOADS else "commercial" for i in net.load.index
    ]
    kinds = {"PV": "pv", "WP": "wind"}
    unknown = set(net.sgen["type"]) - set(kinds)
    if unknown:
        raise RuntimeError(f"unexpected sgen types in the CIGRE MV network: {unknown}")
    net.sgen["unit_kind"] = net.sgen["type"].map(kinds)
    for bus, p_mw, e_mwh in _BATTERIES:
        pp.create_storage(net, bus, p_mw=0.0, max_e_mwh=e_mwh, max_p_mw=p_mw,
                          min_p_mw=-p_mw, soc_percent=50.0, name=f"Battery {bus}")
    net.storage["unit_kind"] = "battery"
    return net


def build_cells(cells: int) -> pp.pandapowerNet:
    """A network of ``cells`` CIGRE MV cells tied to one 110 kV bus and external grid."""
    if isinstance(cells, bool) or not isinstance(cells, int) or cells < 1:
        raise ConfigError(f"cells must be an integer >= 1, got {cells!r}")
    template = _template()
    net = copy.deepcopy(template)
    bus_step = int(template.bus.index.max()) + 1
    tables: dict[str, list[pd.DataFrame]] = {"bus": []}
    for table in _BUS_COLUMNS:
        tables[table] = []
    for cell in range(cells):
        offset = cell * bus_step
        buses = template.bus if cell == 0 else template.bus.drop(index=HV_BUS)
        tables["bus"].append(_shifted(buses, offset, cell))
        for table, columns in _BUS_COLUMNS.items():
            frame = template[table]
            part = _shifted(frame, cell * _step(frame), cell)
            for column in columns:
                part[column] = _remap(part[column], offset)
            if table == "switch":
                part["element"] = _switch_elements(part, template, cell)
            tables[table].append(part)
    for table, parts in tables.items():
        net[table] = pd.concat(parts)
    net.bus["cell"] = net.bus["cell"].astype(int)
    net.ext_grid["cell"] = 0
    return net


def _step(frame: pd.DataFrame) -> int:
    return int(frame.index.max()) + 1 if len(frame) else 0


def _shifted(frame: pd.DataFrame, offset: int, cell: int) -> pd.DataFrame:
    part = frame.copy()
    part.index = part.index + offset
    part["cell"] = cell
    if "name" in part.columns:
        part["name"] = [None if pd.isna(name) else f"C{cell} {name}" for name in frame["name"]]
    return part


def _remap(buses: pd.Series, offset: int) -> pd.Series:
    """Shift bus references; the shared 110 kV bus stays cell 0's."""
    return buses.where(buses == HV_BUS, buses + offset).astype(int)


def _switch_elements(part: pd.DataFrame, template: pp.pandapowerNet, cell: int) -> pd.Series:
    """Switch ``element`` columns point into the line or trafo table of the same cell."""
    line_step, trafo_step = _step(template.line), _step(template.trafo)
    return pd.Series(
        [element + cell * (line_step if kind == "l" else trafo_step)
         for element, kind in zip(part["element"], part["et"], strict=True)],
        index=part.index, dtype=int,
    )
