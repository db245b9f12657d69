"""One cell's grid as its controller sees it: a :class:`~..mas.model.grid.GridView`.

A :class:`CellSpec` fixes, once, what belongs to cell ``c`` of a network whose tables
carry the ``cell`` column (:mod:`.cells`, :mod:`.simbench`):

* buses: in-service buses with ``cell == c``, except external-grid (slack) buses;
* branches: in-service lines and transformers with ``cell == c``;
* units: the names the scenario gives (the mosaik entity ids of the controller's
  children, e.g. MAS agent eids) and the bus each unit injects at, which must be a bus of
  the cell;
* limits: a validated :class:`~..mas.model.grid.GridLimits`;
* per unit, the reactive power (MVAr) that comes with each MW of its active power
  (``q_per_p``: ``tan φ`` of a load at a fixed power factor, 0 by default), so the
  sensitivities are those of the unit's real injection, not of active power alone.

:func:`grid_view` then reads one power flow's voltages and loadings and the sensitivities
(:mod:`.sensitivity`) of those quantities to each unit's active power. Names follow
mosaik-pandapower-2's entity ids (``Bus-<i>``, ``Line-<i>``) and the GridSimulator's
``Transformer-<i>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandapower as pp

from ..mas.model.errors import ConfigError, StateError
from ..mas.model.grid import GridLimits, GridView
from .sensitivity import Branches, Layout, OperatingPoint

__all__ = ["CellSpec", "CellIndex", "cell_spec", "cell_index", "grid_view", "BRANCH_MODELS"]

#: pandapower table -> mosaik model name of its entities
BRANCH_MODELS = {"line": "Line", "trafo": "Transformer"}


@dataclass(frozen=True)
class CellSpec:
    """What a cell's view shows (see the module docstring)."""

    cell: int
    buses: tuple[int, ...]
    branches: tuple[tuple[str, int], ...]
    units: tuple[str, ...]
    unit_buses: tuple[int, ...]
    limits: GridLimits
    unit_q_per_p: tuple[float, ...] = ()

    @property
    def bus_names(self) -> tuple[str, ...]:
        """Mosaik entity ids of the buses."""
        return tuple(f"Bus-{b}" for b in self.buses)

    @property
    def branch_names(self) -> tuple[str, ...]:
        """Mosaik entity ids of the branches."""
        return tuple(f"{BRANCH_MODELS[t]}-{i}" for t, i in self.branches)


def cell_spec(net: pp.pandapowerNet, cell: object, units: object,
              limits: object = None, what: str = "CellView", q_per_p: object = None
              ) -> CellSpec:
    """Validate and fix a cell's view; errors name ``what``, the field and the value."""
    if "cell" not in net.bus.columns:
        raise ConfigError(f"{what}: the grid's bus table has no 'cell' column; build it with "
                          "build_cells or build_simbench_cells, or add the column")
    if isinstance(cell, bool) or not isinstance(cell, int | np.integer):
        raise ConfigError(f"{what}.cell must be an integer, got {cell!r}")
    slack = set(net.ext_grid.bus[net.ext_grid.in_service].astype(int))
    in_cell = net.bus.index[(net.bus["cell"] == cell) & net.bus.in_service]
    buses = tuple(int(b) for b in in_cell if int(b) not in slack)
    if not buses:
        known = sorted(int(c) for c in set(net.bus["cell"]) if c >= 0)
        raise ConfigError(f"{what}.cell={cell!r}: no bus of the grid belongs to it "
                          f"(cells: {known})")
    branches = tuple((table, int(i)) for table in ("line", "trafo") if "cell" in net[table]
                     for i in net[table].index[(net[table]["cell"] == cell)
                                               & net[table].in_service])
    names, unit_buses = _units(units, set(buses), cell, what)
    return CellSpec(int(cell), buses, branches, names, unit_buses, _limits(limits, what),
                    _q_per_p(q_per_p, names, what))


#: Largest ``|q_per_p|`` accepted (MVAr per MW): a power factor of about 0.2.
MAX_Q_PER_P = 5.0


def _q_per_p(q_per_p: object, names: tuple[str, ...], what: str) -> tuple[float, ...]:
    if q_per_p is None:
        return (0.0,) * len(names)
    if not isinstance(q_per_p, Mapping):
        raise ConfigError(f"{what}.q_per_p must be a mapping unit name -> MVAr per MW, "
                          f"got {q_per_p!r}")
    unknown = sorted(set(q_per_p) - set(names), key=str)
    if unknown:
        raise ConfigError(f"{what}.q_per_p: {unknown} are not among its units")
    values = []
    for name in names:
        value = q_per_p.get(name, 0.0)
        if (isinstance(value, bool) or not isinstance(value, int | float | np.number)
                or not abs(float(value)) <= MAX_Q_PER_P):
            raise ConfigError(f"{what}.q_per_p[{name!r}] must be a number within "
                              f"[-{MAX_Q_PER_P}, {MAX_Q_PER_P}] MVAr per MW, got {value!r}")
        values.append(float(value))
    return tuple(values)


def _units(units: object, buses: set[int], cell: object, what: str
           ) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if not isinstance(units, Mapping) or not units:
        raise ConfigError(f"{what}.units must be a non-empty mapping unit name -> bus index, "
                          f"got {units!r}")
    names, unit_buses = [], []
    for name, bus in units.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{what}.units: unit name {name!r} is not a non-empty string")
        if isinstance(bus, bool) or not isinstance(bus, int | np.integer):
            raise ConfigError(f"{what}.units[{name!r}] must be a bus index, got {bus!r}")
        if int(bus) not in buses:
            raise ConfigError(f"{what}.units[{name!r}]: bus {bus!r} is not a (non-slack, "
                              f"in-service) bus of cell {cell!r}")
        names.append(name)
        unit_buses.append(int(bus))
    return tuple(names), tuple(unit_buses)


def _limits(limits: object, what: str) -> GridLimits:
    if limits is None:
        return GridLimits()
    if isinstance(limits, GridLimits):
        return GridLimits.checked(limits.v_min, limits.v_max, limits.loading_max,
                                  what=f"{what}.limits")
    if not isinstance(limits, Mapping):
        raise ConfigError(f"{what}.limits must be a dict with v_min, v_max, loading_max, "
                          f"got {limits!r}")
    unknown = set(limits) - {"v_min", "v_max", "loading_max"}
    if unknown:
        raise ConfigError(f"{what}.limits: unknown field(s) {sorted(unknown)}")
    try:
        return GridLimits.checked(**limits, what=f"{what}.limits")
    except StateError as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True, eq=False)
class CellIndex:
    """A :class:`CellSpec` resolved against one :class:`~.sensitivity.Layout`."""

    spec: CellSpec
    rows: np.ndarray  # positions of the buses in V
    branches: Branches
    unique_injections: tuple[tuple[int, float], ...]  # distinct (bus, q_per_p), solved once
    unit_columns: np.ndarray  # unit -> column in the solution for unique_injections


def cell_index(spec: CellSpec, layout: Layout) -> CellIndex:
    """Positions of a cell's buses, branches and unit injections in a power flow's arrays."""
    injections = tuple(zip(spec.unit_buses, spec.unit_q_per_p, strict=True))
    unique = tuple(dict.fromkeys(injections))
    column_of = {injection: i for i, injection in enumerate(unique)}
    return CellIndex(spec, np.array([layout.bus_row[b] for b in spec.buses], dtype=int),
                     layout.branches(spec.branches), unique,
                     np.array([column_of[i] for i in injections], dtype=int))


def grid_view(index: CellIndex, point: OperatingPoint) -> GridView:
    """The cell's :class:`GridView` at ``point`` (one power flow)."""
    spec = index.spec
    buses, q_per_p = zip(*index.unique_injections, strict=True)
    d_voltage = point.solve(buses, q_per_p)
    vm = np.abs(point.voltage[index.rows])
    dv_dp = point.magnitude(d_voltage, index.rows)[:, index.unit_columns]
    loading = index.branches.loading(point.voltage)
    dloading_dp = index.branches.sensitivity(point.voltage, d_voltage)[:, index.unit_columns]
    return GridView(spec.bus_names, vm, spec.branch_names, loading, spec.units, dv_dp,
                    dloading_dp, spec.limits)
