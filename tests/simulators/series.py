"""A time-based test source: ``Series`` publishes one value per step (the last repeats).

Stands in for a time-based grid simulator (e.g. mosaik-pandapower-2's external grid
``P[MW]``, import positive) feeding the MAS's core through a time-shifted connection.
Like a grid it takes any inputs (the units' powers), which it ignores: connecting them
keeps it from running ahead of the units (mosaik then finds its output of ``t - 1``).
"""

from __future__ import annotations

import mosaik_api_v3

META = {
    "api_version": "3.0",
    "type": "time-based",
    "models": {"Series": {"public": True, "any_inputs": True, "params": ["values"],
                          "attrs": ["P[MW]"]}},
}


class SeriesSimulator(mosaik_api_v3.Simulator):
    def __init__(self) -> None:
        super().__init__(META)
        self.values: dict[str, list[float]] = {}
        self.time = 0

    def init(self, sid, time_resolution=1.0, step_size=900):
        self.step_size = step_size
        return self.meta

    def create(self, num, model, values):
        out = []
        for _ in range(num):
            eid = f"S{len(self.values)}"
            self.values[eid] = list(values)
            out.append({"eid": eid, "type": model})
        return out

    def step(self, time, inputs, max_advance):
        self.time = time
        return time + self.step_size

    def get_data(self, outputs):
        index = self.time // self.step_size
        return {eid: {"P[MW]": self.values[eid][min(index, len(self.values[eid]) - 1)]}
                for eid in outputs}
