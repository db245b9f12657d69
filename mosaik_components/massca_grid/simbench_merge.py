"""Join parts of several pandapower networks into one, sharing one external grid.

Used by :mod:`.simbench` to put feeders of different SimBench grids side by side. The
element tables are replicated with shifted indices (no ``merge_nets``, which is slow),
bus references and switch elements are shifted alike, and every part's external-grid bus
is fused into the first part's, which keeps the only external grid: each SimBench grid
hangs on its own 110 kV slack, and fusing slacks at one voltage changes no power flow.
"""

from __future__ import annotations

import copy

import pandapower as pp
import pandas as pd

from ..mas.model.errors import ConfigError

__all__ = ["join_parts", "BUS_REFS", "ELECTRICAL_TABLES"]

#: The tables a part may have, and their bus reference columns.
BUS_REFS: dict[str, tuple[str, ...]] = {
    "bus": (), "line": ("from_bus", "to_bus"), "trafo": ("hv_bus", "lv_bus"),
    "trafo3w": ("hv_bus", "mv_bus", "lv_bus"), "switch": ("bus",), "load": ("bus",),
    "sgen": ("bus",), "storage": ("bus",), "ext_grid": ("bus",),
}
ELECTRICAL_TABLES = tuple(BUS_REFS)
_SWITCH_TARGETS = {"b": "bus", "l": "line", "t": "trafo", "t3": "trafo3w"}


def join_parts(parts: list[pp.pandapowerNet], what: list[str]) -> pp.pandapowerNet:
    """One network from ``parts`` (``what`` names each part in errors)."""
    _check_slacks(parts, what)
    offsets = dict.fromkeys(ELECTRICAL_TABLES, 0)
    frames: dict[str, list[pd.DataFrame]] = {table: [] for table in ELECTRICAL_TABLES}
    shared_slack = int(parts[0].ext_grid.bus.iloc[0])
    for number, part in enumerate(parts):
        shifted = {table: _shift(part, table, offsets) for table in ELECTRICAL_TABLES}
        if number:
            _fuse_slack(shifted, int(part.ext_grid.bus.iloc[0]) + offsets["bus"], shared_slack)
        for table, frame in shifted.items():
            frames[table].append(frame)
            if len(part[table]):
                offsets[table] += int(part[table].index.max()) + 1
    net = copy.deepcopy(parts[0])
    for table, parts_of_table in frames.items():
        non_empty = [f for f in parts_of_table if len(f)]
        if non_empty:
            net[table] = pd.concat(non_empty)
    return net


def _check_slacks(parts: list[pp.pandapowerNet], what: list[str]) -> None:
    for part, name in zip(parts, what, strict=True):
        _check_tables(part, name)
        if len(part.ext_grid) != 1:
            raise ConfigError(f"{name}: expected one external grid, found {len(part.ext_grid)}")
    slack = parts[0].ext_grid.iloc[0]
    for part, name in zip(parts[1:], what[1:], strict=True):
        other = part.ext_grid.iloc[0]
        if (other.vm_pu, other.va_degree) != (slack.vm_pu, slack.va_degree):
            raise ConfigError(f"{name}: external grid at vm_pu={other.vm_pu}, va_degree="
                              f"{other.va_degree}, but {what[0]} has vm_pu={slack.vm_pu}, "
                              f"va_degree={slack.va_degree}; cannot share one slack")


def _check_tables(part: pp.pandapowerNet, name: str) -> None:
    for key, value in part.items():
        if (isinstance(value, pd.DataFrame) and len(value) and not key.startswith("_")
                and not key.startswith("res_") and key not in ELECTRICAL_TABLES):
            raise ConfigError(f"{name}: has {len(value)} element(s) in table {key!r}, which "
                              "the cell builder does not handle")


def _shift(part: pp.pandapowerNet, table: str, offsets: dict[str, int]) -> pd.DataFrame:
    frame = part[table].copy()
    frame.index = frame.index + offsets[table]
    for column in BUS_REFS[table]:
        frame[column] = frame[column] + offsets["bus"]
    if table == "switch" and len(frame):
        frame["element"] = [int(element) + offsets[_SWITCH_TARGETS[kind]]
                            for element, kind in zip(frame["element"], frame["et"],
                                                     strict=True)]
    return frame


def _fuse_slack(shifted: dict[str, pd.DataFrame], bus: int, shared: int) -> None:
    """Point every reference to ``bus`` at ``shared``; drop the bus and its ext grid."""
    for table, columns in BUS_REFS.items():
        frame = shifted[table]
        for column in columns:
            frame[column] = frame[column].where(frame[column] != bus, shared)
    switch = shifted["switch"]
    if len(switch):
        is_bus_switch = (switch["et"] == "b") & (switch["element"] == bus)
        switch.loc[is_bus_switch, "element"] = shared
    shifted["bus"] = shifted["bus"].drop(index=bus)
    shifted["ext_grid"] = shifted["ext_grid"].iloc[0:0]
