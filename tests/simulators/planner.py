"""A look-ahead planner for tests: the pure ``lookahead`` strategy without agents.

    units --flex--> Planner (one entity)       Port_i --P_set[MW]--> unit i (weak)

Stands in for the MAS's agents in tests of the energy-true unit simulators: once per
mosaik time (first iteration) it reads every unit's ``flex``, aggregates them into one
cell and the system, decides, splits down both levels and sends each unit its interval 0.
Same-time iterations after that emit nothing, so the loop ends.
"""

from __future__ import annotations

from typing import Any

import mosaik_api_v3

from mosaik_components.mas.model.flexibility import UnitState
from mosaik_components.mas.model.horizon import HorizonFlex
from mosaik_components.mas.strategies.base import View
from mosaik_components.mas.strategies.lookahead import LookaheadStrategy

META = {
    "api_version": "3.0",
    "type": "event-based",
    "models": {
        "Planner": {"public": True, "any_inputs": True, "params": [], "attrs": []},
        "Port": {"public": True, "params": ["unit"], "attrs": ["P_set[MW]"]},
    },
}


class Planner(mosaik_api_v3.Simulator):
    def __init__(self) -> None:
        super().__init__(META)
        self.ports: dict[str, str] = {}  # port eid -> unit full id
        self.setpoints: dict[str, float] = {}
        self.time = -1
        self.plans: dict[int, dict[str, Any]] = {}  # time -> unit -> Plan

    def init(self, sid, time_resolution=1.0, offset=0.0, **options):
        self.strategy = LookaheadStrategy(**options)
        self.offset = offset
        return self.meta

    def create(self, num, model, unit=None):
        if model == "Planner":
            return [{"eid": "planner", "type": model}]
        eid = f"Port_{len(self.ports)}"
        self.ports[eid] = unit
        return [{"eid": eid, "type": model}]

    def step(self, time, inputs, max_advance):
        if time == self.time:
            self.setpoints = {}
            return None
        self.time = time
        flexes = inputs["planner"]["flex"]
        units = list(self.ports.values())
        states = [UnitState.of_horizon(HorizonFlex.from_dict(flexes[u], u)) for u in units]
        s = self.strategy
        cell = s.aggregate(states, View("cell", time))
        system = s.aggregate([cell], View("core", time))
        target = s.decide(system, self.offset, View("core", time))
        (cell_target,) = s.split(target, [cell], View("core", time))
        targets = s.split(cell_target, states, View("cell", time))
        self.plans[time] = {u: t.plan for u, t in zip(units, targets, strict=True)}
        self.setpoints = {port: t.net for port, t in zip(self.ports, targets, strict=True)}
        return None

    def get_data(self, outputs):
        return {eid: {"P_set[MW]": self.setpoints[eid]} for eid in outputs
                if eid in self.setpoints}
