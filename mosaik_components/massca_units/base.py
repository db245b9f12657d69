"""A base class for massca's unit simulators: stepping, setpoints, outputs.

Subclasses describe one model: how to create an entity from validated params
(:meth:`UnitSimulator.make`), how to compute every entity's uncontrolled power and band
for a new time (:meth:`UnitSimulator.advance`, may be vectorised over entities), and
what extra outputs an entity has (:meth:`UnitSimulator.extra_outputs`).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import mosaik_api_v3

from .setpoints import Direction, UnitPower, apply_setpoints, power_outputs

__all__ = ["UnitSimulator", "Entity"]


class Entity:
    """One unit: its parameters, its direction and this step's power."""

    __slots__ = ("eid", "params", "direction", "power", "state")

    def __init__(self, eid: str, params: dict[str, Any], direction: Direction) -> None:
        self.eid = eid
        self.params = params
        self.direction = direction
        self.power = UnitPower()
        self.state: dict[str, Any] = {}


class UnitSimulator(mosaik_api_v3.Simulator):
    """Hybrid unit simulator following the package's setpoint convention."""

    model: str = ""
    prefix: str = ""

    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        self.step_size = 900
        self.entities: dict[str, Entity] = {}
        self.time = -1

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             **params: Any) -> dict[str, Any]:
        """``step_size`` in seconds; subclasses take further simulator params."""
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"{sid}: step_size must be an integer >= 1, got {step_size!r}")
        if time_resolution != 1.0:
            raise ValueError(f"{sid}: only time_resolution=1.0 (seconds) is supported, "
                             f"got {time_resolution!r}")
        self.sid = sid
        self.step_size = step_size
        self.configure(**params)
        return self.meta

    def configure(self, **params: Any) -> None:
        """Simulator-level params (none by default)."""
        if params:
            raise ValueError(f"{self.sid}: unknown simulator parameter(s) {sorted(params)}")

    def create(self, num: int, model: str, **params: Any) -> list[dict[str, Any]]:
        """Create ``num`` entities of this simulator's model."""
        if model != self.model:
            raise ValueError(f"{self.sid}: unknown model {model!r}; known: {self.model!r}")
        created = []
        for _ in range(num):
            eid = f"{self.prefix}_{len(self.entities)}"
            self.entities[eid] = self.make(eid, **params)
            created.append({"eid": eid, "type": model})
        return created

    @abstractmethod
    def make(self, eid: str, **params: Any) -> Entity:
        """Validate ``params`` and build an entity."""

    @abstractmethod
    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        """Set every entity's ``power.uncontrolled``, ``p_min``, ``p_max`` for ``time``."""

    def settle(self, entity: Entity) -> None:
        """After the setpoint is applied (e.g. update a state of charge)."""

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        """Model-specific output attributes."""
        return {}

    def step(self, time: int, inputs: dict[str, dict[str, Any]], max_advance: int) -> int:
        """New data at a new time; apply setpoints (also in same-time iterations)."""
        if time != self.time:
            self.time = time
            self.advance(time, inputs)
        for eid, entity in self.entities.items():
            apply_setpoints(eid, entity.direction, entity.power, inputs.get(eid, {}))
            self.settle(entity)
        return time - time % self.step_size + self.step_size

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        """Requested attributes; an unknown entity or attribute is an error naming it."""
        data = {}
        for eid, attrs in outputs.items():
            entity = self.entities.get(eid)
            if entity is None:
                raise ValueError(f"{self.sid}: unknown entity {eid!r}")
            values = {**power_outputs(entity.direction, entity.power),
                      **self.extra_outputs(entity)}
            missing = [a for a in attrs if a not in values]
            if missing:
                raise ValueError(f"{self.sid}.{eid}: no output attribute(s) {missing}")
            data[eid] = {a: values[a] for a in attrs}
        return data
