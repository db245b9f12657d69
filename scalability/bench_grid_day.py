"""One day on SimBench cells: uncontrolled, ``balance`` and ``grid_aware``, without agents.

The same decisions the MAS takes, called directly (no mango, no mosaik scheduler), on
the default SimBench cells and day, so the strategies' physics and cost can be compared
before the main scenario wires them: per 15-min step, same-time iterations of

    power flow (GridSimulator) -> CellView per cell -> aggregate at each cell (its units)
    -> decide at the top -> split to the cells -> split to the units -> setpoints

until no setpoint moves by more than 1e-4 MW (at most 8 iterations). Units: every load
fixed at its SimBench profile, every PV/wind/biomass/hydro sgen curtailable to zero,
every battery (SimBench's PV home storage) within its rating and its state of charge
(0.5 of capacity at midnight, lossless). Printed per strategy: hours with a feeder bus
above 1.05 pu, worst voltage, curtailed energy, export and import, power flows, wall
time of the strategy calls and of the whole day.

``--offset`` is the net demand outside the cells the top balances (MW). With 0 (the
cells alone, MASSCA's objective) ``balance`` curtails every surplus to export nothing,
which also keeps the voltages; with a large deficit elsewhere (e.g. 100 MW) the system
wants every MW the cells can give, and only the grid limits them::

    python scalability/bench_grid_day.py --cells 5 --offset 0 100
"""

from __future__ import annotations

import argparse
import copy
import time
from typing import Any

import pandas as pd

from mosaik_components.mas.model.flexibility import Flex, UnitState
from mosaik_components.mas.model.grid import GridView
from mosaik_components.mas.strategies import BalanceStrategy, GridAware
from mosaik_components.mas.strategies.base import View
from mosaik_components.massca_grid import GridSimulator
from mosaik_components.massca_grid.simbench import (
    DEFAULT_CODES,
    DEFAULT_START,
    build_simbench_cells,
)

STEP_H = 0.25
TOLERANCE = 1e-4
MAX_ITERATIONS = 8


class Units:
    """Every load, sgen and battery of the cells: bands per step, battery energy."""

    def __init__(self, net: Any) -> None:
        self.names: list[str] = []
        self.cell: list[int] = []
        self.bus: list[int] = []
        self.kind: list[str] = []
        for table in ("load", "sgen", "storage"):
            for index, row in net[table].iterrows():
                self.names.append(f"{table}_{index}")
                self.cell.append(int(row.cell))
                self.bus.append(int(row.bus))
                self.kind.append(table)
        storage = net.storage
        self.rating = {f"storage_{i}": float(storage.max_p_mw[i]) for i in storage.index}
        self.capacity = {f"storage_{i}": float(storage.max_e_mwh[i]) for i in storage.index}
        self.soc = {name: 0.5 * cap for name, cap in self.capacity.items()}

    def states(self, powers: Any, step: int) -> dict[str, UnitState]:
        """Every unit's band at ``step`` (module docstring)."""
        states = {}
        load, sgen = powers.load_p_mw.iloc[step], powers.sgen_p_mw.iloc[step]
        for name, kind in zip(self.names, self.kind, strict=True):
            index = int(name.rsplit("_", 1)[1])
            if kind == "load":
                states[name] = UnitState(consumption=Flex(float(load[index]),
                                                          float(load[index]),
                                                          float(load[index])))
            elif kind == "sgen":
                available = float(sgen[index])
                states[name] = UnitState(production=Flex(available, 0.0, available))
            else:
                soc, cap, rating = self.soc[name], self.capacity[name], self.rating[name]
                discharge = min(rating, soc / STEP_H)
                charge = min(rating, (cap - soc) / STEP_H)
                states[name] = UnitState(Flex(0.0, 0.0, discharge), Flex(0.0, 0.0, charge))
        return states


def run_day(strategy: Any | None, count: int, start: pd.Timestamp, offset: float
            ) -> dict[str, float]:
    cells = build_simbench_cells(DEFAULT_CODES, count)
    net = cells.net
    powers = cells.powers(start, 1)
    units = Units(net)
    sim = GridSimulator()
    sim.init("Grid-0", 1.0, step_size=None)
    sim.create(1, "Grid", net=copy.deepcopy(net))
    by_cell: dict[int, list[int]] = {}
    for position, cell in enumerate(units.cell):
        by_cell.setdefault(cell, []).append(position)
    views = {cell: sim.create(1, "CellView", cell=cell, units={
        units.names[i]: units.bus[i] for i in members})[0]["eid"]
        for cell, members in by_cell.items()}
    sim.setup_done()
    sim.disable_elements([f"Load-{i}" for i in net.load.index]
                         + [f"StaticGen-{i}" for i in net.sgen.index])
    feeder_buses = [f"Bus-{b}" for b in net.bus.index[net.bus.cell >= 0]]
    record = {"h>1.05": 0.0, "Vm max": 0.0, "curtailed MWh": 0.0, "export MWh": 0.0,
              "import MWh": 0.0, "power flows": 0, "strategy s": 0.0}
    started = time.perf_counter()
    for step in range(len(powers.time)):
        states = units.states(powers, step)
        setpoints = {n: s.production.current - s.consumption.current for n, s in states.items()}
        for iteration in range(MAX_ITERATIONS):
            data = flow(sim, units, setpoints, views, feeder_buses, step)
            record["power flows"] += 1
            if strategy is None:
                break
            tick = time.perf_counter()
            new = decide(strategy, states, setpoints, by_cell, units, data, step, iteration,
                         offset)
            record["strategy s"] += time.perf_counter() - tick
            moved = max(abs(new[n] - setpoints[n]) for n in setpoints)
            setpoints = new
            if moved < TOLERANCE:
                break
        else:
            data = flow(sim, units, setpoints, views, feeder_buses, step)
            record["power flows"] += 1
        vm = max(data[b]["Vm[pu]"] for b in feeder_buses)
        record["Vm max"] = max(record["Vm max"], vm)
        record["h>1.05"] += STEP_H * (vm > 1.05 + 1e-6)
        exchange = data["ExternalGrid-0"]["P[MW]"]
        record["export MWh"] += STEP_H * max(-exchange, 0.0)
        record["import MWh"] += STEP_H * max(exchange, 0.0)
        for name, state in states.items():
            if name.startswith("sgen"):
                record["curtailed MWh"] += STEP_H * (state.production.max - setpoints[name])
            elif name.startswith("storage"):
                units.soc[name] -= STEP_H * setpoints[name]
    record["wall s"] = time.perf_counter() - started
    return record


def flow(sim: GridSimulator, units: Units, setpoints: dict[str, float],
         views: dict[int, str], feeder_buses: list[str], step: int) -> dict[str, Any]:
    """Bus inputs from the setpoints, one power flow, the outputs the day needs."""
    inputs: dict[str, dict[str, dict[str, float]]] = {}
    for name, bus in zip(units.names, units.bus, strict=True):
        x = setpoints[name]
        attrs = inputs.setdefault(f"Bus-{bus}", {})
        attrs.setdefault("P_gen[MW]", {})[name] = max(x, 0.0)
        attrs.setdefault("P_load[MW]", {})[name] = max(-x, 0.0)
    sim.step(step * 900, inputs, step * 900)
    request = {b: ["Vm[pu]"] for b in feeder_buses}
    request["ExternalGrid-0"] = ["P[MW]"]
    request.update({eid: ["grid"] for eid in views.values()})
    data = sim.get_data(request)
    data["views"] = {cell: GridView.from_dict(data[eid]["grid"]) for cell, eid in views.items()}
    return data


def decide(strategy: Any, states: dict[str, UnitState], setpoints: dict[str, float],
           by_cell: dict[int, list[int]], units: Units, data: dict[str, Any], step: int,
           iteration: int, offset: float) -> dict[str, float]:
    """One coordination cycle: cells aggregate, the top decides and splits, cells split."""
    current = {}
    for name, state in states.items():  # the units run at their last setpoints
        x = setpoints[name]
        p, c = state.production, state.consumption
        current[name] = UnitState(Flex(max(x, 0.0) if p.max > 0 else 0.0, p.min, p.max),
                                  Flex(max(-x, 0.0) if c.max > 0 else 0.0, c.min, c.max))
    names = {cell: [units.names[i] for i in members] for cell, members in by_cell.items()}
    views = {cell: View(f"cell{cell}", step * 900, iteration, 900.0, data["views"][cell],
                        tuple(names[cell])) for cell in names}
    children = {cell: [current[n] for n in names[cell]] for cell in names}
    own = {cell: strategy.aggregate(children[cell], views[cell]) for cell in names}
    top = View("core", step * 900, iteration, 900.0, None, tuple(f"cell{c}" for c in names))
    system = strategy.aggregate(list(own.values()), top)
    target = strategy.decide(system, offset, top)
    cell_targets = strategy.split(target, list(own.values()), top)
    new = {}
    for (cell, members), cell_target in zip(names.items(), cell_targets, strict=True):
        for name, unit_target in zip(members, strategy.split(cell_target, children[cell],
                                                             views[cell]), strict=True):
            new[name] = unit_target.production - unit_target.consumption
    return new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--start", type=pd.Timestamp, default=DEFAULT_START)
    parser.add_argument("--offset", type=float, nargs="+", default=[0.0, 100.0])
    args = parser.parse_args()
    rows = [{"strategy": "uncontrolled", "offset": "-",
             **run_day(None, args.cells, args.start, 0.0)}]
    for offset in args.offset:
        for name, strategy in (("balance", BalanceStrategy()), ("grid_aware", GridAware())):
            row = run_day(strategy, args.cells, args.start, offset)
            rows.append({"strategy": name, "offset": offset, **row})
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
