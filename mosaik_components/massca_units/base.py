"""A base class for massca's unit simulators: stepping, setpoints, outputs, horizon.

Subclasses describe one model: how to create an entity from validated params
(:meth:`UnitSimulator.make`), how to compute every entity's uncontrolled power and band
for a new time (:meth:`UnitSimulator.advance`, may be vectorised over entities; it also
sets :attr:`Entity.flex`, the entity's flexibility over the simulator's ``horizon``), and
what extra outputs an entity has (:meth:`UnitSimulator.extra_outputs`).

Every entity publishes ``flex``: its :class:`~mosaik_components.mas.model.HorizonFlex`
in plain form (interval 0 = this step, ``horizon`` intervals of ``step_size``), the
input the agents' look-ahead strategies read.

Energy counters (``E_...[MWh]`` outputs) settle like a battery's state of charge: a
step's contribution is recomputed from its final setpoint in every same-time iteration
(:meth:`Entity.settle_total`) and committed when the next time starts, so iterations
never count twice.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import mosaik_api_v3

from mosaik_components.mas.model.horizon import HorizonFlex

from .params import SimParams
from .setpoints import Direction, UnitPower, apply_setpoints, power_outputs

__all__ = ["UnitSimulator", "Entity", "FLEX_ATTRS", "start_cmd"]

#: Output attributes every unit simulator has besides its power attributes.
FLEX_ATTRS = ["flex"]


class Entity:
    """One unit: its parameters, its direction, this step's power and horizon."""

    __slots__ = ("eid", "params", "direction", "power", "state", "flex", "_flex_dict",
                 "committed", "totals")

    def __init__(self, eid: str, params: dict[str, Any], direction: Direction) -> None:
        self.eid = eid
        self.params = params
        self.direction = direction
        self.power = UnitPower()
        self.state: dict[str, Any] = {}
        self.flex: HorizonFlex | None = None
        self._flex_dict: dict[str, Any] | None = None
        #: energy counters (MWh) at the start of this step / after its final setpoint
        self.committed: dict[str, float] = {}
        self.totals: dict[str, float] = {}

    def set_flex(self, flex: HorizonFlex) -> None:
        """Set the horizon flexibility of this step (its plain form is made when asked)."""
        self.flex = flex
        self._flex_dict = None

    def flex_dict(self) -> dict[str, Any]:
        """The plain form of :attr:`flex` (``HorizonFlex.to_dict``)."""
        if self.flex is None:
            raise ValueError(f"{self.eid}: no horizon flexibility yet")
        if self._flex_dict is None:
            self._flex_dict = self.flex.to_dict()
        return self._flex_dict

    def settle_total(self, name: str, increment: float) -> None:
        """Counter ``name`` = its committed value + this step's ``increment`` (MWh)."""
        self.totals[name] = self.committed.get(name, 0.0) + increment

    def commit(self) -> None:
        """A new time starts: the last step's counters are final."""
        self.committed.update(self.totals)


class UnitSimulator(mosaik_api_v3.Simulator):
    """Hybrid unit simulator following the package's setpoint convention."""

    model: str = ""
    prefix: str = ""

    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        self.step_size = 900
        self.horizon = 1
        self.entities: dict[str, Entity] = {}
        self.time = -1

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             horizon: int = 1, **params: Any) -> dict[str, Any]:
        """Simulator params: ``step_size`` (s), ``horizon`` (intervals of the ``flex``).

        Subclasses take further simulator params (:meth:`configure_params`).
        """
        checked = SimParams.checked(sid, {"time_resolution": time_resolution,
                                          "step_size": step_size, "horizon": horizon})
        self.sid = sid
        self.step_size = checked.step_size
        self.horizon = checked.horizon
        self.configure_params(**params)
        return self.meta

    @property
    def step_h(self) -> float:
        """The step (one interval of the horizon) in hours."""
        return self.step_size / 3600

    def configure_params(self, **params: Any) -> None:
        """Simulator-level params (none by default; not mosaik_api_v3's ``configure``)."""
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
        """After the setpoint is applied (e.g. update a state of charge, counters)."""

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        """Model-specific output attributes."""
        return {}

    def step(self, time: int, inputs: dict[str, dict[str, Any]], max_advance: int) -> int:
        """New data at a new time; apply setpoints (also in same-time iterations)."""
        if time != self.time:
            self.time = time
            for entity in self.entities.values():
                entity.commit()
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
                      **self.extra_outputs(entity), **entity.totals}
            if "flex" in attrs:
                values["flex"] = entity.flex_dict()
            missing = [a for a in attrs if a not in values]
            if missing:
                raise ValueError(f"{self.sid}.{eid}: no output attribute(s) {missing}")
            data[eid] = {a: values[a] for a in attrs}
        return data


def start_cmd(simulator: mosaik_api_v3.Simulator) -> None:
    """Serve ``simulator`` to a mosaik world that started this process in ``cmd`` mode.

    Each simulator module's ``main()`` calls it, so ``SIM_CONFIG`` entries such as
    ``{"cmd": "%(python)s -m mosaik_components.massca_units.battery %(addr)s"}`` work.
    """
    mosaik_api_v3.start_simulation(simulator, type(simulator).__doc__ or "")
