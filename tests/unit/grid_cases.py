"""Small feeders with real AC power flows for the grid-sensitivity and grid-strategy tests.

    ext grid (110 kV, 1.02 pu) -- trafo -- b1 -- b2 -- b3 -- b4 -- b5   (20 kV, 3 km each)
                                                load2      load4/bat4  pv5

Every unit is one sgen whose ``p_mw`` is the unit's net injection (generation
positive), so a power flow sees exactly what the strategy sets. :func:`closed_loop`
plays mosaik's same-time iteration by hand: power flow -> the cell's GridView
(:mod:`mosaik_components.massca_grid.cellview`) -> aggregate, decide, split -> setpoints.
:func:`opf_optimum` is the exact reference: pandapower's AC OPF maximising PV output.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pandapower as pp

from mosaik_components.mas.model.flexibility import Flex, UnitState
from mosaik_components.mas.model.grid import GridLimits
from mosaik_components.mas.strategies.base import View
from mosaik_components.massca_grid import GridSimulator
from mosaik_components.massca_grid.cellview import cell_index, cell_spec, grid_view
from mosaik_components.massca_grid.sensitivity import layout_of, operating_point

DEFAULT_LIMITS = GridLimits()


@dataclass(frozen=True)
class Unit:
    bus: int
    kind: str  # "load" (fixed), "flexload" (may rise to 2x), "pv", "battery"
    size: float

    def state(self, x: float) -> UnitState:
        """The unit's state when it runs at net injection ``x``."""
        if self.kind == "load":
            return UnitState(consumption=Flex(-x, self.size, self.size))
        if self.kind == "flexload":
            return UnitState(consumption=Flex(-x, self.size, 2 * self.size))
        if self.kind == "pv":
            return UnitState(production=Flex(x, 0.0, self.size))
        return UnitState(Flex(max(x, 0.0), 0.0, self.size), Flex(max(-x, 0.0), 0.0, self.size))

    @property
    def uncontrolled(self) -> float:
        return {"load": -self.size, "flexload": -self.size, "pv": self.size}.get(self.kind, 0.0)

    @property
    def band(self) -> tuple[float, float]:
        """Net injection band."""
        return {"load": (-self.size, -self.size), "flexload": (-2 * self.size, -self.size),
                "pv": (0.0, self.size)}.get(self.kind, (-self.size, self.size))


def feeder(units: dict[str, tuple[int, str, float]], max_i_ka: float = 0.4,
           slack_vm: float = 1.02) -> tuple[pp.pandapowerNet, dict[str, Unit]]:
    """The feeder of the module docstring with one sgen per unit, cell 0 below the trafo."""
    net = pp.create_empty_network()
    buses = [pp.create_bus(net, 110.0 if i == 0 else 20.0) for i in range(6)]
    pp.create_ext_grid(net, buses[0], vm_pu=slack_vm)
    pp.create_transformer(net, buses[0], buses[1], "25 MVA 110/20 kV")
    for i in range(1, 5):
        pp.create_line_from_parameters(net, buses[i], buses[i + 1], 3.0, 0.3, 0.35, 10.0,
                                       max_i_ka)
    net.bus["cell"] = [-1, 0, 0, 0, 0, 0]
    net.line["cell"] = 0
    net.trafo["cell"] = 0
    made = {}
    for name, (bus, kind, size) in units.items():
        made[name] = Unit(bus, kind, size)
        pp.create_sgen(net, bus, made[name].uncontrolled, name=name)
    return net, made


def pv_feeder(kind: str = "battery", max_i_ka: float = 0.4, slack_vm: float = 1.02
              ) -> tuple[pp.pandapowerNet, dict[str, Unit]]:
    """10 MW of PV at the feeder's end; a battery or a flexible load at bus 4."""
    flexible = ("bat4", "battery", 1.5) if kind == "battery" else ("flex4", "flexload", 0.8)
    return feeder({"load2": (2, "load", 1.0), "load4": (4, "load", 0.8),
                   flexible[0]: (4, flexible[1], flexible[2]), "pv5": (5, "pv", 10.0)},
                  max_i_ka, slack_vm)


@dataclass
class LoopResult:
    """Where the closed loop ended: setpoints, the AC power flow there, the reports."""

    x: dict[str, float]
    vm_max: float
    loading_max: float
    iterations: int
    reports: list = field(default_factory=list)
    boxes: list = field(default_factory=list)


def closed_loop(strategy, net: pp.pandapowerNet, units: dict[str, Unit], offset: float,
                limits: GridLimits = DEFAULT_LIMITS, iterations: int = 12,
                tolerance: float = 1e-6) -> LoopResult:
    """Iterate power flow -> view -> strategy until setpoints move less than ``tolerance``."""
    x = {name: unit.uncontrolled for name, unit in units.items()}
    spec = cell_spec(net, 0, {name: unit.bus for name, unit in units.items()},
                     {"v_min": limits.v_min, "v_max": limits.v_max,
                      "loading_max": limits.loading_max})
    result = LoopResult(x, 0.0, 0.0, 0)
    for iteration in range(iterations):
        net.sgen["p_mw"] = [x[name] for name in units]
        pp.runpp(net, numba=False)
        layout = layout_of(net)
        view = View("cell", 0, iteration, 900.0,
                    grid_view(cell_index(spec, layout), operating_point(net, layout)),
                    tuple(units))
        states = [unit.state(x[name]) for name, unit in units.items()]
        own = strategy.aggregate(states, view)
        target = strategy.decide(own, offset, View("core"))
        if hasattr(strategy, "split_with_report"):
            targets, report = strategy.split_with_report(target, states, view)
            result.reports.append(report)
        else:
            targets = strategy.split(target, states, view)
        result.boxes.append(own)
        new = {name: t.production - t.consumption for name, t in zip(units, targets,
                                                                      strict=True)}
        result.iterations = iteration + 1
        moved = max(abs(new[name] - x[name]) for name in units)
        x = new
        if moved < tolerance:
            break
    net.sgen["p_mw"] = [x[name] for name in units]
    pp.runpp(net, numba=False)
    result.x = x
    result.vm_max = float(net.res_bus.vm_pu[net.bus.cell == 0].max())  # the slack excluded
    result.loading_max = float(max(net.res_line.loading_percent.max(),
                                   net.res_trafo.loading_percent.max()))
    return result


def opf_optimum(net: pp.pandapowerNet, units: dict[str, Unit], limits: GridLimits = DEFAULT_LIMITS
                ) -> dict[str, float]:
    """pandapower's AC OPF: maximum PV output within every unit's band and the limits."""
    opf = copy.deepcopy(net)
    opf.sgen["controllable"] = True
    opf.sgen["min_q_mvar"] = 0.0
    opf.sgen["max_q_mvar"] = 0.0
    for position, unit in enumerate(units.values()):
        low, high = unit.band
        opf.sgen.loc[opf.sgen.index[position], ["min_p_mw", "max_p_mw", "p_mw"]] = (
            low, high, unit.uncontrolled)
        if unit.kind == "pv":
            pp.create_poly_cost(opf, opf.sgen.index[position], "sgen", cp1_eur_per_mw=-1.0)
    opf.bus["min_vm_pu"], opf.bus["max_vm_pu"] = limits.v_min, limits.v_max
    opf.bus.loc[opf.ext_grid.bus, ["min_vm_pu", "max_vm_pu"]] = (0.9, 1.1)
    opf.line["max_loading_percent"] = limits.loading_max
    opf.trafo["max_loading_percent"] = limits.loading_max
    opf.ext_grid["min_p_mw"], opf.ext_grid["max_p_mw"] = -1000.0, 1000.0
    pp.runopp(opf, init="pf", calculate_voltage_angles=False)
    assert opf.OPF_converged
    return {name: float(p) for name, p in zip(units, opf.res_sgen.p_mw, strict=True)}


def pv_curtailment(x: dict[str, float], units: dict[str, Unit]) -> float:
    """MW of PV not produced."""
    return float(sum(unit.size - x[name] for name, unit in units.items() if unit.kind == "pv"))


def started_grid(net: pp.pandapowerNet) -> GridSimulator:
    """A grid simulator on ``net``, set up as mosaik would, stepping on inputs only."""
    sim = GridSimulator()
    sim.init("Grid-0", 1.0, step_size=None)
    sim.create(1, "Grid", net=net)
    sim.setup_done()
    return sim
