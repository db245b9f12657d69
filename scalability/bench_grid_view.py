"""Benchmark: the grid step with CellView outputs, the grid-aware strategy, the linear error.

On SimBench cells (``build_simbench_cells``, default codes, round-robin feeders) over the
noon hours of the default day, the GridSimulator (in-process, called directly as mosaik
would: ``step`` then ``get_data``) gets every load and sgen's power on its bus and
publishes one CellView per cell. Printed per cell count:

* ``power flow``: ``step`` (recycled runpp with lightsim2grid and result extraction),
* ``views``: ``get_data`` of every CellView's ``grid`` (Jacobian, one LU, per-cell
  solves, GridView.to_dict), ``parse``: GridView.from_dict of all views (the MAS side),
* ``grid_aware``/``balance``: one cycle of the strategy at every cell controller
  (aggregate + split, the top's decide excluded) with the units' bands: PV and wind
  ``[0, available]``, loads +-20 %, batteries +-rating,
* ``lin. error``: for one unit per cell (the one farthest down its feeder) a +-0.5 MW
  step: largest |predicted - power-flow| voltage change (pu) and loading change
  (percentage points, branches above 50 % loading).

Times are medians over the steps (first step, a fresh power flow, excluded) and the min
in brackets::

    python scalability/bench_grid_view.py --cells 5 50 --steps 8
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
import pandapower as pp
import pandas as pd

from mosaik_components.mas.model.flexibility import Flex, Target, UnitState
from mosaik_components.mas.model.grid import GridView
from mosaik_components.mas.strategies import BalanceStrategy, GridAware
from mosaik_components.mas.strategies.base import View
from mosaik_components.massca_grid import GridSimulator
from mosaik_components.massca_grid.simbench import (
    DEFAULT_CODES,
    DEFAULT_START,
    SimbenchCells,
    build_simbench_cells,
)

UNIT_TABLES = ("load", "sgen", "storage")


def units_of(net: pd.DataFrame) -> dict[int, dict[str, int]]:
    """cell -> {unit name: bus} for every load, sgen and storage."""
    cells: dict[int, dict[str, int]] = {}
    for table in UNIT_TABLES:
        for index, row in net[table].iterrows():
            cells.setdefault(int(row.cell), {})[f"{table}_{index}"] = int(row.bus)
    return cells


def bus_inputs(net: pd.DataFrame, powers: object, step: int) -> dict:
    """Bus-level mosaik inputs (MW) from the element powers of one interval."""
    inputs: dict[str, dict[str, dict[str, float]]] = {}
    for table, frame, attr in (("load", powers.load_p_mw, "P_load[MW]"),
                               ("sgen", powers.sgen_p_mw, "P_gen[MW]")):
        values = frame.iloc[step]
        for index, bus in net[table].bus.items():
            inputs.setdefault(f"Bus-{bus}", {}).setdefault(attr, {})[f"{table}_{index}"] = (
                float(values[index]))
    return inputs


def states_of(names: list[str], net: pd.DataFrame, powers: object, step: int
              ) -> list[UnitState]:
    """The units' states at an interval (bands as in the module docstring)."""
    states = []
    for name in names:
        table, index = name.rsplit("_", 1)
        index = int(index)
        if table == "load":
            demand = float(powers.load_p_mw.iloc[step][index])
            states.append(UnitState(consumption=Flex(demand, 0.8 * demand, 1.2 * demand)))
        elif table == "sgen":
            available = float(powers.sgen_p_mw.iloc[step][index])
            states.append(UnitState(production=Flex(available, 0.0, available)))
        else:
            rating = float(net.storage.max_p_mw[index])
            states.append(UnitState(Flex(0.0, 0.0, rating), Flex(0.0, 0.0, rating)))
    return states


def cycle(strategy: object, states: dict[int, list[UnitState]], views: dict[int, View]) -> float:
    """Seconds for aggregate + split at every cell (split of the aggregate's baseline)."""
    started = time.perf_counter()
    for cell, children in states.items():
        own = strategy.aggregate(children, views[cell])
        target = Target(own.production.baseline, own.consumption.baseline)
        strategy.split(target, children, views[cell])
    return time.perf_counter() - started


def linear_error(cells: SimbenchCells, powers: object, step: int) -> tuple[float, float]:
    """Largest voltage and loading error of a +-0.5 MW step (module docstring)."""
    from mosaik_components.massca_grid.cellview import cell_index, cell_spec, grid_view
    from mosaik_components.massca_grid.sensitivity import layout_of, operating_point

    net = copy.deepcopy(cells.net)
    net.load["p_mw"] = powers.load_p_mw.iloc[step].to_numpy()
    net.load["q_mvar"] = powers.load_q_mvar.iloc[step].to_numpy()
    net.sgen["p_mw"] = powers.sgen_p_mw.iloc[step].to_numpy()
    pp.runpp(net, numba=False)
    layout = layout_of(net)
    point = operating_point(net, layout)
    worst_v = worst_l = 0.0
    for cell in sorted(set(net.bus.cell[net.bus.cell >= 0])):
        buses = net.bus.index[net.bus.cell == cell]
        far = int(net.res_bus.vm_pu[buses].idxmax())
        spec = cell_spec(net, int(cell), {"probe": far})
        view = grid_view(cell_index(spec, layout), point)
        loaded = view.loading_pct > 50.0
        for step_mw in (0.5, -0.5):
            changed = copy.deepcopy(net)
            pp.create_sgen(changed, far, p_mw=step_mw)
            pp.runpp(changed, numba=False)
            true_v = changed.res_bus.vm_pu[list(spec.buses)].to_numpy() - view.vm_pu
            worst_v = max(worst_v, float(np.abs(true_v - step_mw * view.dv_dp[:, 0]).max()))
            true_l = np.array([changed[f"res_{t}"].loading_percent[i]
                               for t, i in spec.branches]) - view.loading_pct
            if loaded.any():
                error = np.abs(true_l - step_mw * view.dloading_dp[:, 0])[loaded]
                worst_l = max(worst_l, float(error.max()))
    return worst_v, worst_l


def bench(count: int, steps: int, start: pd.Timestamp) -> dict[str, object]:
    cells = build_simbench_cells(DEFAULT_CODES, count)
    net = cells.net  # the tables as built (the simulator works on a copy)
    powers = cells.powers(start, 1)
    sim = GridSimulator()
    sim.init("Grid-0", 1.0, step_size=None)
    sim.create(1, "Grid", net=copy.deepcopy(net))
    units = units_of(net)
    views = {cell: sim.create(1, "CellView", cell=cell, units=units[cell])[0]["eid"]
             for cell in sorted(units)}
    sim.setup_done()
    sim.disable_elements([f"Load-{i}" for i in net.load.index]
                         + [f"StaticGen-{i}" for i in net.sgen.index])
    noon = list(range(44, 44 + steps))  # 11:00 CET on
    times: dict[str, list[float]] = {k: [] for k in ("power flow", "views", "parse",
                                                     "grid_aware", "balance")}
    for number, step in enumerate(noon):
        started = time.perf_counter()
        sim.step(step * 900, bus_inputs(net, powers, step), step * 900)
        flow = time.perf_counter() - started
        started = time.perf_counter()
        data = sim.get_data({eid: ["grid"] for eid in views.values()})
        made = time.perf_counter() - started
        started = time.perf_counter()
        parsed = {cell: GridView.from_dict(data[eid]["grid"]) for cell, eid in views.items()}
        parse = time.perf_counter() - started
        states = {cell: states_of(list(units[cell]), net, powers, step) for cell in units}
        cell_views = {cell: View(f"cell{cell}", step * 900, 0, 900.0, parsed[cell],
                                 tuple(units[cell])) for cell in units}
        aware = cycle(GridAware(), states, cell_views)
        plain = cycle(BalanceStrategy(), states, cell_views)
        if number:  # the first power flow is a fresh one
            for key, value in zip(times, (flow, made, parse, aware, plain), strict=True):
                times[key].append(value)
    buses = int((net.bus.cell >= 0).sum())
    n_units = sum(len(u) for u in units.values())
    result: dict[str, object] = {"cells": count, "buses": buses, "units": n_units}
    for key, values in times.items():
        result[key] = f"{statistics.median(values) * 1e3:.1f} ms ({min(values) * 1e3:.1f})"
    if count <= 5:
        v_err, l_err = linear_error(cells, powers, noon[len(noon) // 2])
        result["lin. error"] = f"{v_err:.1e} pu, {l_err:.2f} pp"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", type=int, default=[5, 50])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--start", type=pd.Timestamp, default=DEFAULT_START)
    args = parser.parse_args()
    rows = [bench(count, args.steps + 1, args.start) for count in args.cells]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
