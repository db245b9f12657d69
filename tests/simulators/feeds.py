"""A time-based test simulator that publishes fixed structured outputs.

``Horizon`` publishes a unit's horizon flexibility (``flex``, ``HorizonFlex.to_dict()``
form); ``GridFeed`` publishes a cell's grid view (``grid``, ``GridView.to_dict()``).
"""

from __future__ import annotations

import mosaik_api_v3

META = {
    "api_version": "3.0",
    "type": "time-based",
    "models": {
        "Horizon": {"public": True, "params": ["flex"], "attrs": ["flex"], "persistent": ["flex"]},
        "GridFeed": {"public": True, "params": ["grid"], "attrs": ["grid"],
                     "persistent": ["grid"]},
    },
}


class Feeds(mosaik_api_v3.Simulator):
    def __init__(self) -> None:
        super().__init__(META)
        self.values: dict[str, dict] = {}

    def init(self, sid, time_resolution=1.0, step_size=900):
        self.step_size = step_size
        return self.meta

    def create(self, num, model, **params):
        out = []
        for _ in range(num):
            eid = f"{model}{len(self.values)}"
            self.values[eid] = dict(params)
            out.append({"eid": eid, "type": model})
        return out

    def step(self, time, inputs, max_advance):
        return time + self.step_size

    def get_data(self, outputs):
        return {eid: {a: self.values[eid][a] for a in attrs} for eid, attrs in outputs.items()}
