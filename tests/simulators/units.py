"""A small time-based unit simulator for integration tests.

Each ``Unit`` follows a list of powers (MW magnitude in its own direction, one per
step, repeated at the end) and publishes ``current``/``min``/``max``. The setpoint
input ``scale_factor`` is an additive change applied to this step's uncontrolled
power only when it arrives at this step (so same-time iterations do not accumulate).
"""

from __future__ import annotations

from typing import Any

import mosaik_api_v3

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Unit": {
            "public": True,
            "params": ["profile", "min", "max"],
            "attrs": ["current", "min", "max", "scale_factor"],
            "trigger": ["scale_factor"],
        },
    },
    "extra_methods": ["get_log", "set_profile"],
}


class Units(mosaik_api_v3.Simulator):
    def __init__(self) -> None:
        super().__init__(META)
        self.units: dict[str, dict[str, Any]] = {}
        self.step_size = 900
        self.log: list[tuple[int, str, float]] = []

    def init(self, sid, time_resolution=1.0, step_size=900):
        self.step_size = step_size
        return self.meta

    def create(self, num, model, profile, min=None, max=None):
        out = []
        for _ in range(num):
            eid = f"U{len(self.units)}"
            self.units[eid] = {"profile": list(profile), "min": min, "max": max, "p": 0.0}
            out.append({"eid": eid, "type": model})
        return out

    def step(self, time, inputs, max_advance):
        index = time // self.step_size
        for eid, unit in self.units.items():
            profile = unit["profile"]
            p = profile[min(index, len(profile) - 1)]
            given = inputs.get(eid, {})
            if "scale_factor" in given:
                p += sum(given["scale_factor"].values())
            unit["p"] = p
            self.log.append((time, eid, p))
        return (index + 1) * self.step_size

    def get_log(self):
        """Every (time, eid, power) the units ran at, iterations included."""
        return list(self.log)

    def set_profile(self, eid, profile):
        """Replace a unit's profile (tests inject bad values this way)."""
        self.units[eid]["profile"] = list(profile)

    def get_data(self, outputs):
        data = {}
        for eid, attrs in outputs.items():
            unit = self.units[eid]
            values = {"current": unit["p"], "min": unit["min"], "max": unit["max"]}
            data[eid] = {a: values[a] for a in attrs if values.get(a) is not None}
        return data
