"""A tiny profile-following unit simulator for the demo scenario (no data files).

``Unit`` follows a seeded daily profile: ``shape="pv"`` is a clear-sky bell with
clouds, ``shape="load"`` a two-peak household-like curve. It publishes ``current``,
``min`` and ``max`` (MW, magnitudes in the unit's own direction) and applies the
MAS's ``scale_factor`` (additive MW change) when one arrives in the same step.
"""

from __future__ import annotations

import math
import random
from typing import Any

import mosaik_api_v3

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Unit": {
            "public": True,
            "params": ["shape", "peak", "flex", "seed"],
            "attrs": ["current", "min", "max", "P[MW]", "scale_factor"],
            "trigger": ["scale_factor"],
        },
    },
}


def profile_value(shape: str, peak: float, seconds: int, rng: random.Random) -> float:
    """The uncontrolled power at ``seconds`` after midnight (MW)."""
    hour = (seconds % 86400) / 3600
    if shape == "pv":
        sun = max(0.0, math.sin(math.pi * (hour - 6) / 12)) if 6 <= hour <= 18 else 0.0
        return peak * sun * rng.uniform(0.7, 1.0)
    if shape == "load":
        morning = 0.35 * math.exp(-((hour - 8) ** 2) / 4)
        evening = 0.6 * math.exp(-((hour - 19) ** 2) / 6)
        return peak * (0.4 + morning + evening) * rng.uniform(0.95, 1.05)
    raise ValueError(f"shape must be 'pv' or 'load', got {shape!r}")


class DemoUnits(mosaik_api_v3.Simulator):
    """Seeded profile units; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.units: dict[str, dict[str, Any]] = {}

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900) -> dict:
        self.step_size = step_size
        return self.meta

    def create(self, num: int, model: str, shape: str, peak: float, flex: float = 0.0,
               seed: int = 0) -> list[dict[str, str]]:
        out = []
        for _ in range(num):
            eid = f"{shape}_{len(self.units)}"
            self.units[eid] = {"shape": shape, "peak": peak, "flex": flex,
                               "rng": random.Random(seed + len(self.units)), "p": 0.0, "raw": 0.0}
            out.append({"eid": eid, "type": model})
        return out

    def step(self, time: int, inputs: dict, max_advance: int) -> int:
        for eid, unit in self.units.items():
            given = inputs.get(eid, {})
            if "scale_factor" in given:  # same-time iteration: change this step's power
                unit["p"] = unit["raw"] + sum(given["scale_factor"].values())
            else:
                unit["raw"] = profile_value(unit["shape"], unit["peak"], time, unit["rng"])
                unit["p"] = unit["raw"]
        return (time // self.step_size + 1) * self.step_size

    def get_data(self, outputs: dict) -> dict:
        data = {}
        for eid, attrs in outputs.items():
            unit = self.units[eid]
            raw = unit["raw"]
            if unit["shape"] == "pv":
                values = {"current": unit["p"], "min": 0.0, "max": raw, "P[MW]": unit["p"]}
            else:
                values = {"current": unit["p"], "min": raw * (1 - unit["flex"]),
                          "max": raw * (1 + unit["flex"]), "P[MW]": -unit["p"]}
            data[eid] = {a: values[a] for a in attrs}
        return data
