"""Building the small two-cell test system used by several integration tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mosaik

# name: (kind, profile per step in MW, min, max); None bounds take the kind's default
UNITS = {
    "pv0": ("producer", [6.0, 1.0], 0.0, 6.0),
    "load0": ("consumer", [2.0, 3.0], 1.0, 4.0),
    "pv1": ("producer", [4.0, 1.0], 0.0, 4.0),
    "load1": ("consumer", [3.0, 3.0], None, None),
}
CELLS = {"pv0": 0, "load0": 0, "pv1": 1, "load1": 1}


@dataclass
class System:
    mas: Any
    units: Any
    collector: Any
    core: Any
    agents: dict[str, Any]
    sims: dict[str, Any]


def build_two_cells(world: mosaik.World, *, weak: bool, mas_params: dict | None = None,
                    depth: int = 2, mas_sim: str = "MAS") -> System:
    """core -> cell(1) -> ... (depth controllers per cell) -> units; units <-> MAS."""
    params = {"step_size": 900, **(mas_params or {})}
    if weak:
        with world.group():
            mas = world.start(mas_sim, **params)
            units = world.start("Units", step_size=900)
    else:
        mas = world.start(mas_sim, **params)
        units = world.start("Units", step_size=900)
    collector_sim = world.start("Collector")
    collector = collector_sim.Collector()
    core = mas.MosaikAgents()
    parents = []
    for cell in mas.MosaikAgents.create(2, controller=None):
        parent = cell
        for _ in range(depth - 1):
            parent = mas.MosaikAgents.create(1, controller=parent.eid)[0]
        parents.append(parent)
    agents, sims = {}, {}
    for name, (kind, profile, lo, hi) in UNITS.items():
        sim = units.Unit(profile=profile, min=lo, max=hi)
        agent = mas.MosaikAgents(controller=parents[CELLS[name]].eid, kind=kind)
        attrs = ["current"] + (["min", "max"] if lo is not None else [])
        world.connect(sim, agent, *attrs)
        if weak:
            world.connect(agent, sim, "scale_factor", weak=True)
        world.connect(agent, collector, "P_set[MW]", "scale_factor")
        agents[name], sims[name] = agent, sim
    world.connect(core, collector, "steptime", "messages", "iterations", "converged",
                  "P_exchange[MW]", "production[MW]", "consumption[MW]", "negotiations",
                  "deviation[MW]")
    return System(mas, units, collector_sim, core, agents, sims)
