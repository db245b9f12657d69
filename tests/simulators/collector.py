"""An event-based mosaik sink that records every value it receives, per time."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import mosaik_api_v3

META = {
    "api_version": "3.0",
    "type": "event-based",
    "models": {"Collector": {"public": True, "any_inputs": True, "params": [], "attrs": []}},
    "extra_methods": ["last", "series"],
}


class Collector(mosaik_api_v3.Simulator):
    def __init__(self) -> None:
        super().__init__(META)
        #: data[src_full_id][attr] -> list of (time, value), in arrival order
        self.data: dict[str, dict[str, list[tuple[int, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def init(self, sid, time_resolution=1.0):
        return self.meta

    def create(self, num, model):
        return [{"eid": f"C{i}", "type": model} for i in range(num)]

    def step(self, time, inputs, max_advance):
        for attrs in inputs.values():
            for attr, sources in attrs.items():
                for src, value in sources.items():
                    self.data[src][attr].append((time, value))
        return None

    def last(self, src: str, attr: str) -> dict[int, Any]:
        """The last value per time (after same-time iterations)."""
        return dict(self.data[src][attr])

    def series(self, src: str, attr: str) -> list[tuple[int, Any]]:
        """Every value received, in arrival order, with its time."""
        return list(self.data[src][attr])
