"""A mosaik sink that writes one CSV row per time step (last value of same-time loops)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import mosaik_api_v3

META = {
    "api_version": "3.0",
    "type": "event-based",
    "models": {"Recorder": {"public": True, "any_inputs": True, "params": [], "attrs": []}},
}


class Recorder(mosaik_api_v3.Simulator):
    """Collects ``{time: {"src.attr": value}}`` and writes a tidy-wide CSV in finalize."""

    def __init__(self) -> None:
        super().__init__(META)
        self.rows: dict[int, dict[str, Any]] = {}
        self.path = Path("results.csv")

    def init(self, sid: str, time_resolution: float = 1.0, path: str = "results.csv") -> dict:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.meta

    def create(self, num: int, model: str) -> list[dict[str, str]]:
        if num != 1:
            raise ValueError(f"Recorder: create exactly one entity, got num={num}")
        return [{"eid": "recorder", "type": model}]

    def step(self, time: int, inputs: dict, max_advance: int) -> None:
        row = self.rows.setdefault(time, {})
        for attrs in inputs.values():
            for attr, sources in attrs.items():
                for src, value in sources.items():
                    row[f"{src}.{attr}"] = value
        return None

    def finalize(self) -> None:
        columns = sorted({c for row in self.rows.values() for c in row})
        with self.path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", *columns])
            for time in sorted(self.rows):
                row = self.rows[time]
                writer.writerow([time, *(row.get(c, "") for c in columns)])
