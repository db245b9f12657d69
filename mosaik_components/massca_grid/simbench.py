"""Power cells on SimBench grids: feeders of German MV grids with a year of 15-min profiles.

:func:`build_simbench_cells` returns a :class:`SimbenchCells`: one pandapower network made
of the selected cells and the per-element power profiles that drive it.

**Cells.** A cell is one *feeder* (``level="feeder"``, default): a connected part of a
grid behind the substation busbar, found from the topology (:mod:`.feeders`); or one
whole grid behind its HV/MV transformers (``level="grid"``). ``cells=N`` takes feeders
round-robin over ``codes`` (feeder 1 of each code, then feeder 2, ...), so neighbouring
cells come from different grids; ``cells=["1-MV-semiurb--1-sw:2", ...]`` names them
(``code:k``, k-th feeder in topology order, 1-based). Feeders with fewer than
``min_buses`` buses are skipped by ``cells=N``. Parts of a grid outside the selected
cells are removed (feeder level: the unselected feeders and the elements connected
directly to the substation busbars, listed in :attr:`SimbenchCells.dropped`). All
selected grids share one 110 kV slack (:mod:`.simbench_merge`).

**Metadata** in explicit columns (set here, never parsed from names later):

* ``cell`` (int) on ``bus``, ``line``, ``trafo``, ``switch``, ``load``, ``sgen``,
  ``storage``: the cell's number, ``-1`` for the shared substation (HV buses,
  transformers and busbars at feeder level; HV buses only at grid level);
* ``unit_kind`` on ``load`` (``"load"``), ``sgen`` (``"pv"``, ``"wind"``,
  ``"biomass"``, ``"hydro"`` from SimBench's ``type``; ``lv_RES``, the aggregated
  low-voltage renewables of MV grids, is ``"pv"``: their ``lv_*`` profiles are zero
  whenever SimBench's PV profiles are, correlation 0.96) and ``storage``
  (``"battery"``);
* ``simbench_code`` on every table, and SimBench's own ``profile`` column.

**Batteries.** SimBench's future scenarios (``--1-``, ``--2-``) have home storage units
(``type`` ``PV_Storage``) in their LV equivalents; they become dispatchable batteries:
rated power ``sn_mva`` (written to ``max_p_mw``/``min_p_mw`` symmetrically), capacity
``max_e_mwh``, initial charge ``soc_percent``; their SimBench profile is not used (the
agents dispatch them) and ``p_mw`` is 0. ``storage="none"`` removes them.

**Profiles** (:meth:`SimbenchCells.powers`): SimBench's relative profiles times each
element's ``p_mw`` (loads: ``q_mvar`` from the ``_qload`` profiles; sgens: no reactive
power), exactly as ``simbench.get_absolute_values`` computes them (tested). Units: MW and
MVAr, loads consumption-positive, sgens generation-positive (pandapower's convention).
Time axis: SimBench labels its 35,136 values (366 days of 2016 at 15 min) in German civil
time with daylight saving (the labels 02:00-02:45 are missing on 2016-03-27 and repeat
on 2016-10-30). massca places them on **CET, UTC+01:00 without daylight saving**, like
its other shipped data (local standard time): a uniform 15-min axis from
2016-01-01 00:00 to 2016-12-31 23:45; a summer label ``21.06.2016 12:00`` (CEST) is
11:00 CET. A value holds for the 15 minutes that start at its timestamp.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandapower as pp
import pandas as pd
from pandapower.toolbox import drop_buses

from ..mas.model.errors import ConfigError
from .feeders import find_sections
from .simbench_cache import CachedGrid, load_grid
from .simbench_merge import BUS_REFS, join_parts

__all__ = ["build_simbench_cells", "SimbenchCells", "ElementPowers", "SGEN_KINDS",
           "DEFAULT_CODES", "DEFAULT_START", "time_axis"]

#: SimBench sgen ``type`` -> ``unit_kind``.
SGEN_KINDS = {"PV_MV": "pv", "lv_RES": "pv", "PV": "pv", "Wind_MV": "wind",
              "Biomass_MV": "biomass", "Hydro_MV": "hydro"}
#: Grids the default cells come from (see BENCHMARKS.md, "SimBench data").
DEFAULT_CODES = ("1-MV-rural--1-sw", "1-MV-semiurb--1-sw", "1-MV-comm--1-sw",
                 "1-MV-urban--2-sw", "1-MV-rural--2-sw", "1-MV-semiurb--2-sw",
                 "1-MV-comm--2-sw", "1-MV-urban--1-sw")
#: The default day (CET), a sunny Sunday: see BENCHMARKS.md, "SimBench data".
DEFAULT_START = pd.Timestamp("2016-05-29")
_NOT_ELECTRICAL = ("measurement", "substation", "loadcases")
CET = "Etc/GMT-1"  # UTC+01:00 (the sign of Etc/ zones is inverted)


@dataclass(frozen=True)
class ElementPowers:
    """Element powers over a time window (columns: the network's element indices)."""

    time: pd.DatetimeIndex
    load_p_mw: pd.DataFrame
    load_q_mvar: pd.DataFrame
    sgen_p_mw: pd.DataFrame


@dataclass
class SimbenchCells:
    """The network of the cells, their description and the source profiles."""

    net: pp.pandapowerNet
    cells: pd.DataFrame
    grids: dict[str, CachedGrid]
    dropped: dict[str, list[str]] = field(default_factory=dict)
    #: the element columns the relative profiles multiply, as built (``net`` may change)
    ratings: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.ratings:
            self.ratings = {
                "load": self.net.load[["simbench_code", "profile", "p_mw", "q_mvar"]].copy(),
                "sgen": self.net.sgen[["simbench_code", "profile", "p_mw"]].copy()}

    @cached_property
    def time(self) -> pd.DatetimeIndex:
        """The full time axis (naive timestamps, CET; see the module docstring)."""
        return time_axis(next(iter(self.grids.values())).time_labels)

    def powers(self, start: object = DEFAULT_START, days: float = 1.0) -> ElementPowers:
        """Element powers from ``start`` (CET) for ``days`` (see the module docstring).

        Computed from the elements' ``p_mw``/``q_mvar`` as built (:attr:`ratings`), so
        writing powers into :attr:`net` (as a power flow loop does) changes nothing here.
        """
        rows = self._window(start, days)
        time = self.time[rows]
        load, sgen = self.ratings["load"], self.ratings["sgen"]
        return ElementPowers(
            time,
            _absolute(load, self.grids, "load", "_pload", "p_mw", rows, time),
            _absolute(load, self.grids, "load", "_qload", "q_mvar", rows, time),
            _absolute(sgen, self.grids, "sgen", "", "p_mw", rows, time),
        )

    def write_csv(self, path: str | os.PathLike[str], start: object = DEFAULT_START,
                  days: float = 1.0) -> Path:
        """Element powers as a CSV that ``ProfileSimulator`` reads.

        Columns: ``time`` (CET), ``load_<i>`` (MW), ``load_<i>_q`` (MVAr), ``sgen_<i>``
        (MW) for every load and sgen index ``i`` of :attr:`net`. A ``LoadProfile``
        with ``column="load_7"`` then publishes load 7's MW as ``P_pu`` (use
        ``peak_mw=1``).
        """
        powers = self.powers(start, days)
        frame = pd.concat([
            powers.load_p_mw.rename(columns=lambda i: f"load_{i}"),
            powers.load_q_mvar.rename(columns=lambda i: f"load_{i}_q"),
            powers.sgen_p_mw.rename(columns=lambda i: f"sgen_{i}"),
        ], axis=1)
        frame.index.name = "time"
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(target)
        return target

    def _window(self, start: object, days: float) -> slice:
        try:
            begin = pd.Timestamp(start)
        except (TypeError, ValueError):
            raise ConfigError(f"start={start!r} is not a timestamp") from None
        if isinstance(days, bool) or not isinstance(days, int | float) or not days > 0:
            raise ConfigError(f"days must be a number > 0, got {days!r}")
        time = self.time
        steps = int(round(days * 96))
        if begin not in time:
            raise ConfigError(f"start={str(begin)!r} is not on SimBench's 15-min axis "
                              f"({time[0]} .. {time[-1]} CET)")
        first = time.get_loc(begin)
        if first + steps > len(time):
            raise ConfigError(f"start={str(begin)!r} + days={days}: the profiles end at "
                              f"{time[-1]} CET")
        return slice(first, first + steps)


def time_axis(labels: Sequence[str]) -> pd.DatetimeIndex:
    """SimBench's civil-time labels as naive CET timestamps (see the module docstring)."""
    civil = pd.DatetimeIndex(pd.to_datetime(list(labels), format="%d.%m.%Y %H:%M"))
    local = civil.tz_localize("Europe/Berlin", ambiguous="infer")
    return local.tz_convert(CET).tz_localize(None)


def build_simbench_cells(
    codes: Sequence[str] = DEFAULT_CODES,
    cells: int | Sequence[str] | None = 5,
    *,
    level: Literal["feeder", "grid"] = "feeder",
    min_buses: int = 3,
    storage: Literal["simbench", "none"] = "simbench",
    cache_dir: str | os.PathLike[str] | None = None,
) -> SimbenchCells:
    """The network of the selected cells (see the module docstring).

    Every argument is checked before a grid is loaded; errors name the argument and value.
    Only the grids the selection needs are loaded (``cells=N <= len(codes)``: the first N).
    """
    codes = _check_args(codes, cells, level, min_buses, storage)
    if isinstance(cells, int) and cells <= len(codes):
        codes = codes[:cells]
    grids = {code: load_grid(code, cache_dir) for code in codes}
    first = next(iter(grids.values()))
    for grid in grids.values():
        if grid.time_labels != first.time_labels:
            raise ConfigError(f"codes: {grid.code!r} has another time axis than {first.code!r}")
    candidates = {code: _candidates(grid, level, min_buses) for code, grid in grids.items()}
    chosen = _choose(cells, candidates, level)
    used = list(dict.fromkeys(code for code, _ in chosen))
    parts, rows, dropped = [], [], {}
    for code in used:
        mine = [(cell, number) for cell, (c, number) in enumerate(chosen) if c == code]
        part, part_rows, part_dropped = _part(grids[code], mine, candidates[code], level,
                                              storage)
        parts.append(part)
        rows += part_rows
        if part_dropped:
            dropped[code] = part_dropped
    net = join_parts(parts, used)
    table = pd.DataFrame(rows).set_index("cell").sort_index().fillna(0).astype(
        {"feeder": int, "buses": int})
    return SimbenchCells(net, table, {c: grids[c] for c in used}, dropped)


def _check_args(codes: object, cells: object, level: object, min_buses: object,
                storage: object) -> list[str]:
    """Validated, de-duplicated codes (those ``cells`` names, when it names cells)."""
    if isinstance(codes, str) or not isinstance(codes, Sequence) or not codes:
        raise ConfigError(f"codes must be a non-empty list of SimBench codes, got {codes!r}")
    codes = list(dict.fromkeys(codes))
    for code in codes:
        if not isinstance(code, str) or not code.startswith(("1-MV-", "1-LV-")):
            raise ConfigError(f"codes: {code!r} is not an MV or LV SimBench code (e.g. "
                              "'1-MV-rural--1-sw'); only those split into feeder cells")
    for name, value, allowed in (("level", level, ("feeder", "grid")),
                                 ("storage", storage, ("simbench", "none"))):
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {list(allowed)}, got {value!r}")
    if isinstance(min_buses, bool) or not isinstance(min_buses, int) or min_buses < 1:
        raise ConfigError(f"min_buses must be an integer >= 1, got {min_buses!r}")
    if cells is None or (isinstance(cells, int) and not isinstance(cells, bool) and cells >= 1):
        return codes
    if isinstance(cells, str | bool | int) or not isinstance(cells, Sequence) or not cells:
        raise ConfigError(f"cells must be an integer >= 1 or a list of 'code:k', got {cells!r}")
    named = list(dict.fromkeys(_parse_ref(ref, level)[0] for ref in cells))
    return _check_args(named, None, level, min_buses, storage)


def _parse_ref(ref: object, level: object) -> tuple[str, int]:
    """``"code:k"`` -> (code, k); at grid level a bare code means (code, 0)."""
    if not isinstance(ref, str):
        raise ConfigError(f"cells: {ref!r} is not a 'code:k' string")
    code, sep, number = ref.rpartition(":")
    if level == "grid" and not sep:
        return ref, 0
    if not sep or not number.isdigit() or int(number) < 1:
        raise ConfigError(f"cells: {ref!r} must be 'code:k' with k >= 1 (k-th feeder)")
    return code, int(number)


def _candidates(grid: CachedGrid, level: str, min_buses: int
                ) -> dict[int, frozenset[int]]:
    """Feeder number (1-based) -> buses; at grid level one part, number 0."""
    sections = find_sections(grid.net)
    if level == "grid":
        supplied = set(grid.net.bus.index) - sections.unsupplied - sections.hv
        return {0: frozenset(int(b) for b in supplied)}
    if not sections.feeders:
        raise ConfigError(f"codes: SimBench grid {grid.code!r} has no feeder behind its "
                          "substation")
    return {number: buses for number, buses in enumerate(sections.feeders, start=1)
            if len(buses) >= min_buses}


def _choose(cells: int | Sequence[str] | None, candidates: dict[str, dict[int, frozenset[int]]],
            level: str) -> list[tuple[str, int]]:
    if cells is not None and not isinstance(cells, int):
        chosen = []
        for ref in cells:
            code, number = _parse_ref(ref, level)
            if number not in candidates[code]:
                raise ConfigError(f"cells: {ref!r}: {code} has no such feeder with enough "
                                  f"buses (eligible: {sorted(candidates[code])})")
            if (code, number) in chosen:
                raise ConfigError(f"cells: {ref!r} is listed twice")
            chosen.append((code, number))
        return chosen
    order = []
    rounds = max(len(c) for c in candidates.values())
    for position in range(rounds):
        for code, feeders in candidates.items():
            numbers = sorted(feeders)
            if position < len(numbers):
                order.append((code, numbers[position]))
    if cells is None:
        return order
    if cells > len(order):
        raise ConfigError(f"cells={cells}: the grids {list(candidates)} have only {len(order)} "
                          f"eligible {'feeders' if level == 'feeder' else 'grids'}")
    return order[:cells]


def _part(grid: CachedGrid, mine: list[tuple[int, int]], feeders: dict[int, frozenset[int]],
          level: str, storage: str) -> tuple[pp.pandapowerNet, list[dict], list[str]]:
    """One grid reduced to its chosen cells, with metadata columns."""
    net = copy.deepcopy(grid.net)
    for table in _NOT_ELECTRICAL:
        if table in net:
            net[table] = net[table].iloc[0:0]
    if storage == "none":
        net.storage = net.storage.iloc[0:0]
    sections = find_sections(net)
    cell_of_bus = {bus: -1 for bus in (sections.hv if level == "grid" else sections.substation)}
    rows = []
    for cell, number in mine:
        cell_of_bus.update(dict.fromkeys(feeders[number], cell))
        rows.append({"cell": cell, "code": grid.code, "feeder": number,
                     "buses": len(feeders[number])})
    dropped = _drop_substation_units(net, sections.substation) if level == "feeder" else []
    drop_buses(net, [b for b in net.bus.index if b not in cell_of_bus], drop_elements=True)
    _label(net, grid.code, cell_of_bus)
    for row in rows:
        counts = _unit_counts(net, row["cell"])
        if not counts:
            raise ConfigError(f"cells: {grid.code}:{row['feeder']} has no load, sgen or "
                              "storage: a cell needs units")
        row.update(counts)
    return net, rows, dropped


def _drop_substation_units(net: pp.pandapowerNet, substation: frozenset[int]) -> list[str]:
    """Remove the loads, sgens and storage on substation buses; returns what went."""
    dropped = []
    for table in ("load", "sgen", "storage"):
        on_substation = net[table].index[net[table].bus.isin(substation)]
        dropped += [f"{table} {i} ({net[table].name.at[i]})" for i in on_substation]
        net[table] = net[table].drop(index=on_substation)
    return dropped


def _label(net: pp.pandapowerNet, code: str, cell_of_bus: dict[int, int]) -> None:
    bus_cell = pd.Series(cell_of_bus, dtype=int).reindex(net.bus.index)
    net.bus["cell"] = bus_cell.astype(int)
    for table, columns in BUS_REFS.items():
        if table == "bus":
            continue
        cells = np.full(len(net[table]), -1, dtype=int)
        for column in columns:
            cells = np.maximum(cells, bus_cell.reindex(net[table][column]).to_numpy(dtype=int))
        net[table]["cell"] = cells
    switch = net.switch
    if len(switch):  # a line's or transformer's switch belongs to that branch's cell
        for kind, target in (("l", "line"), ("t", "trafo")):
            rows = switch.index[switch.et == kind]
            owner = net[target]["cell"].reindex(switch.element[rows]).to_numpy(dtype=int)
            switch.loc[rows, "cell"] = np.maximum(switch.cell[rows].to_numpy(), owner)
    for table in BUS_REFS:
        net[table]["simbench_code"] = code
    net.load["unit_kind"] = "load"
    unknown = set(net.sgen["type"]) - set(SGEN_KINDS)
    if unknown:
        raise ConfigError(f"codes: {code!r} has sgen type(s) {sorted(unknown)} that massca "
                          f"does not map to a unit kind (known: {sorted(SGEN_KINDS)})")
    net.sgen["unit_kind"] = net.sgen["type"].map(SGEN_KINDS)
    net.storage["unit_kind"] = "battery"
    rating = net.storage["sn_mva"].astype(float)
    net.storage["max_p_mw"] = rating
    net.storage["min_p_mw"] = -rating
    net.storage["p_mw"] = 0.0


def _unit_counts(net: pp.pandapowerNet, cell: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in ("load", "sgen", "storage"):
        kinds = net[table].loc[net[table]["cell"] == cell, "unit_kind"]
        for kind, count in kinds.value_counts().items():
            counts[str(kind)] = counts.get(str(kind), 0) + int(count)
    return counts


def _absolute(elements: pd.DataFrame, grids: dict[str, CachedGrid], table: str, suffix: str,
              column: str, rows: slice, time: pd.DatetimeIndex) -> pd.DataFrame:
    """Relative profile x element column, per element (SimBench's own rule)."""
    values = np.zeros((len(time), len(elements)))
    for code, group in elements.groupby("simbench_code", sort=False):
        grid = grids[code]
        sources = ("load",) if table == "load" else ("renewables", "powerplants")
        lookup = {}
        for source in sources:
            if source in grid.profiles:
                columns, data = grid.profiles[source]
                lookup.update({name: data[rows, i] for i, name in enumerate(columns)})
        positions = elements.index.get_indexer(group.index)
        for position, (index, element) in zip(positions, group.iterrows(), strict=True):
            name = f"{element['profile']}{suffix}"
            if name not in lookup:
                raise ConfigError(f"{code}: {table} {index} uses profile {name!r}, which "
                                  "the grid's profiles lack")
            values[:, position] = lookup[name] * float(element[column])
    return pd.DataFrame(values, index=time, columns=elements.index)
