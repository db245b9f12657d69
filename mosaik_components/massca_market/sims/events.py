"""``EventSimulator``: the external process that fires random price events (mosaik).

Time-based with ``step_size`` seconds; outputs are persistent (mosaik's default for
time-based simulators). Model ``Events`` (one entity per independent process); params
are the fields of :class:`~..core.config.EventSettings` (``kinds``, ``rate_per_day``,
``scheduled``); simulator param ``seed``. Outputs per step:

| Attribute | Meaning |
|---|---|
| ``events`` | the active events: ``[{"kind", "coef", "start", "ttl"}]`` (in periods) |
| ``event_factor`` | the product of ``1 + coef`` over them |
| ``active`` | how many are active |

Connect ``events`` to every ``Market`` of :class:`~.market.MarketSimulator`. A bad
setting (unknown scheduled kind, negative rate, coefficient <= -1, ...) raises an error
naming the field and the value when the entity is created, before the run.
"""

from __future__ import annotations

from typing import Any

import mosaik_api_v3

from ..core.config import EventSettings, validate
from ..core.events import Event, EventProcess
from ..core.price import event_factor
from ..errors import MarketConfigError

__all__ = ["EventSimulator", "META", "main"]

META = {
    "api_version": "3.0",
    "type": "time-based",
    "models": {"Events": {"public": True, "params": list(EventSettings.model_fields),
                          "attrs": ["events", "event_factor", "active"]}},
}


class EventSimulator(mosaik_api_v3.Simulator):
    """External events (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.seed = 0
        self.processes: dict[str, EventProcess] = {}
        self.active: dict[str, list[Event]] = {}

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             seed: int = 0) -> dict[str, Any]:
        for name, value, low in (("step_size", step_size, 1), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise MarketConfigError(f"{sid}: {name} must be an integer >= {low}, got "
                                        f"{value!r}")
        self.sid, self.step_size, self.seed = sid, step_size, seed
        return self.meta

    def create(self, num: int, model: str, **params: Any) -> list[dict[str, Any]]:
        if model != "Events":
            raise MarketConfigError(f"{self.sid}: unknown model {model!r}; known: 'Events'")
        settings = validate(EventSettings, params, where=f"{self.sid}.Events")
        if settings.probability(self.step_size) > 1:
            raise MarketConfigError(f"{self.sid}.Events.rate_per_day: {settings.rate_per_day} "
                                    f"exceeds one event per step of {self.step_size} s")
        created = []
        for _ in range(num):
            eid = f"Events_{len(self.processes)}"
            # one process per entity; a second entity gets its own stream
            seed = self.seed if not self.processes else f"{self.seed}/{eid}"
            self.processes[eid] = EventProcess(settings, self.step_size, seed)
            created.append({"eid": eid, "type": model})
        return created

    def step(self, time: int, inputs: dict[str, Any], max_advance: int) -> int:
        period = time // self.step_size
        self.active = {eid: process.active(period) for eid, process in self.processes.items()}
        return time + self.step_size

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        data = {}
        for eid, attrs in outputs.items():
            events = self.active.get(eid, [])
            values = {"events": [event.to_dict() for event in events],
                      "event_factor": event_factor(event.coef for event in events),
                      "active": len(events)}
            data[eid] = {attr: values[attr] for attr in attrs}
        return data


def main() -> None:
    """Run as a mosaik ``cmd`` simulator: ``python -m ...sims.events HOST:PORT``."""
    mosaik_api_v3.start_simulation(EventSimulator(), "massca market events")


if __name__ == "__main__":
    main()
