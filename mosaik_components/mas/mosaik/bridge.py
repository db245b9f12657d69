"""Between mosaik's attributes and the agents' payloads: one bridge per mode.

A :class:`Bridge` turns an entity's mosaik inputs into the state its agent reports, the
core's inputs into the cycle's offset, and the cycle's results back into output
attributes. :class:`TypedBridge` (typed strategies: :class:`~..model.UnitState` in,
:class:`~..model.Target` out) is here; MASSCA's method files have their own bridge in
:mod:`.massca`. The simulator calls whichever the configuration chose and has no mode
branches of its own.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..model.errors import StateError
from ..model.flexibility import Target, UnitState
from ..model.hierarchy import Role
from ..model.horizon import HorizonFlex
from ..runtime.runtime import CycleReport
from ..strategies.coordination import Coordination, StrategyCoordination
from .config import MasConfig
from .meta import CORE_INPUTS, aid_of
from .unit_io import Kind, unit_outputs, unit_state

__all__ = ["Entity", "Bridge", "Convergence", "Tolerance", "TypedBridge", "state_attrs",
           "exchange_outputs", "own_state", "by_role"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Entity:
    """One created entity and what the simulator keeps about it."""

    eid: str
    model: str
    parent: str | None
    declared: Role | None
    kind: Kind = "producer"
    params: dict[str, Any] = field(default_factory=dict)
    static: dict[str, float] = field(default_factory=dict)
    role: Role | None = None
    #: this step's numeric inputs, summed over their sources
    values: dict[str, float] = field(default_factory=dict)
    #: this step's structured inputs (``flex``, ``grid``): one source each
    objects: dict[str, Any] = field(default_factory=dict)
    #: this step's inputs as mosaik gave them (MASSCA's ``input_data``), kept only when
    #: an ``input_method`` hook reads them
    raw: dict[str, Any] = field(default_factory=dict)
    state: Any = None
    #: the state at the first iteration of the current time (the uncontrolled one)
    base: Any = None
    #: the setpoint (net MW) decided in the last iteration
    last_set: float | None = None
    #: the result last sent to the unit (what it runs at until the next one)
    running: Any = None
    #: the last ``flex`` input and what it parsed to (a unit re-sends the same object in
    #: same-time iterations: parsed once)
    flex_seen: tuple[Any, HorizonFlex] | None = None


class Convergence(Protocol):
    """When a mosaik time is settled, and whether unit setpoints go out again."""

    converged: bool
    emit_units: bool

    def start(self, first: bool) -> bool:
        """Whether to run a cycle in this step (``first``: first step at this time)."""
        ...

    def settle(self, report: CycleReport, entities: Mapping[str, Entity],
               net: Callable[[Any], float | None], iteration: int) -> None:
        """After a cycle: update ``converged`` and ``emit_units``."""
        ...


@dataclass(slots=True)
class Tolerance:
    """massca's convergence: a tolerance on setpoint changes.

    Converged when setpoints moved by at most ``tolerance`` MW since the last iteration
    (in the first one: the units already run at them); at most ``max_iterations``
    iterations per time; then setpoints are no longer emitted.
    """

    tolerance: float
    max_iterations: int
    converged: bool = True
    emit_units: bool = True

    def start(self, first: bool) -> bool:
        """Every step runs a cycle."""
        return True

    def settle(self, report: CycleReport, entities: Mapping[str, Entity],
               net: Callable[[Any], float | None], iteration: int) -> None:
        """Compare the new setpoints with the last ones (or the units' powers)."""
        change = 0.0
        for eid, result in report.results.items():
            entity = entities[eid]
            setpoint = net(result)
            reference = entity.last_set if iteration > 0 else net(entity.state)
            if setpoint is not None and reference is not None:
                change = max(change, abs(setpoint - reference))
            entity.last_set = setpoint
        self.converged = change <= self.tolerance
        exhausted = iteration + 1 >= self.max_iterations
        if exhausted and not self.converged:
            logger.warning("MAS did not converge within %s iterations (last change %.3g MW > "
                           "tolerance %.3g MW)", self.max_iterations, change, self.tolerance)
        self.emit_units = iteration == 0 or not (self.converged or exhausted)


class Bridge(Protocol):
    """What one mode provides (see the module docstring)."""

    def coordination(self) -> Coordination:
        """What the agents compute with."""
        ...

    def convergence(self) -> Convergence:
        """When a time is settled."""
        ...

    def after_cycle(self, report: CycleReport) -> None:
        """What a cycle's results change in the entities' states."""
        ...

    def unit_state(self, entity: Entity, time: int, first: bool) -> Any:
        """A unit's state for this cycle from its inputs."""
        ...

    def core_state(self, core: Entity, units: list[Entity], time: int, first: bool
                   ) -> tuple[float, Any]:
        """The cycle's offset (MW, import positive) and the top's own state."""
        ...

    def net(self, value: Any) -> float | None:
        """The net power (MW) a state or result stands for, if it has one."""
        ...

    def unit_outputs(self, entity: Entity, result: Any, attrs: list[str], converged: bool,
                     time: int, first: bool) -> dict[str, Any]:
        """A unit's requested output attributes from its result."""
        ...

    def controller_outputs(self, state: Any, target: Any) -> dict[str, Any]:
        """A controller's output attributes from its aggregate and instruction."""
        ...

    def hook_outputs(self, eid: str, core: bool, attrs: list[str], report: CycleReport,
                     converged: bool, time: int, first: bool) -> dict[str, Any]:
        """A controller's or the core's attributes from a user hook (override the rest)."""
        ...

    def system_outputs(self, report: CycleReport, offset: float,
                       bases: list[Any]) -> dict[str, Any]:
        """The core's aggregate outputs from the cycle's top-level reports."""
        ...


def state_attrs(state: UnitState) -> dict[str, float]:
    """A state's output attributes (``P[MW]``, production/consumption and bands)."""
    p, c = state.production, state.consumption
    return {
        "P[MW]": state.net,
        "production[MW]": p.current, "production_min[MW]": p.min, "production_max[MW]": p.max,
        "consumption[MW]": c.current, "consumption_min[MW]": c.min,
        "consumption_max[MW]": c.max,
    }


def exchange_outputs(states: list[UnitState], targets: list[Target] | None, offset: float,
                     bases: list[UnitState] | None) -> dict[str, float]:
    """The system aggregate, planned exchange and uncontrolled estimate (import positive)."""
    values: dict[str, float] = dict(state_attrs(sum(states, UnitState())))
    if targets is not None:
        values["P_exchange[MW]"] = sum(t.consumption - t.production for t in targets) + offset
    if bases is not None:
        values["P_uncontrolled[MW]"] = offset - sum(b.net for b in bases)
    return values


@dataclass(slots=True)
class TypedBridge:
    """Typed strategies: units report :class:`UnitState`, results are :class:`Target`."""

    config: MasConfig

    def coordination(self) -> Coordination:
        """The configured strategy with its invariants checked."""
        return StrategyCoordination(self.config.strategy)

    def convergence(self) -> Tolerance:
        """A tolerance on setpoint changes, bounded by ``max_iterations``."""
        return Tolerance(self.config.params.tolerance, self.config.params.max_iterations)

    def after_cycle(self, report: CycleReport) -> None:
        """Nothing: a unit's state comes from its inputs."""

    def unit_state(self, entity: Entity, time: int, first: bool) -> UnitState:
        """From ``flex`` (a horizon), an ``input_method`` hook, or the power inputs.

        A ``flex`` horizon is computed once per time, before any setpoint; after the first
        iteration the unit runs at the setpoint last sent to it, so that is its
        ``current`` power: the one behind this iteration's measured exchange and grid view.
        """
        flex = entity.objects.get("flex")
        if flex is not None:
            if entity.values:
                raise StateError(f"unit {entity.eid!r}: connect either 'flex' or power "
                                 f"attributes, not both (got {sorted(entity.values)})")
            seen = entity.flex_seen
            if seen is None or seen[0] is not flex:
                seen = entity.flex_seen = (flex, HorizonFlex.from_dict(
                    flex, f"unit {entity.eid!r} flex"))
            state = UnitState.of_horizon(seen[1])
            running = entity.running
            if first or not isinstance(running, Target):
                return state
            return replace(state, production=replace(state.production,
                                                     current=running.production),
                           consumption=replace(state.consumption, current=running.consumption))
        hook = self.config.hooks.input_method
        if hook is None:
            return unit_state(entity.eid, entity.kind, entity.values, entity.static)
        if not entity.raw and entity.state is not None:
            return entity.state  # no new input: keeps its state
        state = hook(entity.eid, aid_of(entity.eid), entity.raw, own_state(entity, self.config),
                     time, first, **self.config.user_params)
        return UnitState.from_massca(state, f"input_method({entity.eid})")

    def core_state(self, core: Entity, units: list[Entity], time: int, first: bool
                   ) -> tuple[float, Any]:
        """``P_offset[MW]`` plus what a measured ``P_ext[MW]`` shows beyond the units."""
        unknown = (set(core.values) | set(core.objects)) - set(CORE_INPUTS)
        if unknown:
            raise StateError(f"core {core.eid!r}: unknown input(s) {sorted(unknown)}; "
                             f"known: {list(CORE_INPUTS)}")
        offset = core.values.get("P_offset[MW]", 0.0)
        if "P_ext[MW]" in core.values:
            offset += core.values["P_ext[MW]"] + sum(u.state.net for u in units)
        return offset, offset

    def net(self, value: Any) -> float | None:
        """Net power of a :class:`UnitState` or :class:`Target`."""
        return value.net if isinstance(value, UnitState | Target) else None

    def unit_outputs(self, entity: Entity, result: Any, attrs: list[str], converged: bool,
                     time: int, first: bool) -> dict[str, Any]:
        """The setpoint attributes; an ``output_method`` hook may provide some of them."""
        entity.running = result
        data: dict[str, Any] = {}
        hook = self.config.hooks.output_method
        if hook is not None:
            state = _massca_result(result, entity.base)
            data.update(hook(entity.eid, entity.eid, attrs, current_state=state,
                             converged=converged, current_time_step=time,
                             first_time_step=first, **self.config.user_params) or {})
        missing = [a for a in attrs if a not in data]
        if missing:
            typed = unit_outputs(entity.kind, result, entity.base)
            for attr in missing:
                if attr not in typed:
                    raise StateError(f"unit {entity.eid!r}: attribute {attr!r} has no value; "
                                     "return it from output_method")
                data[attr] = typed[attr]
        return data

    def hook_outputs(self, eid: str, core: bool, attrs: list[str], report: CycleReport,
                     converged: bool, time: int, first: bool) -> dict[str, Any]:
        """None: typed strategies call ``output_method`` for units only."""
        return {}

    def controller_outputs(self, state: Any, target: Any) -> dict[str, Any]:
        """The aggregate's attributes and the instructed net power."""
        values: dict[str, Any] = state_attrs(state) if isinstance(state, UnitState) else {}
        if isinstance(target, Target):
            values["P_set[MW]"] = target.net
        return values

    def system_outputs(self, report: CycleReport, offset: float,
                       bases: list[Any]) -> dict[str, Any]:
        """The system aggregate, planned exchange and uncontrolled estimate."""
        states = list(report.top_reports.values())
        if not states:
            return {}
        targets = list(report.top_instructions.values())
        return exchange_outputs(states, targets if targets else None, offset, bases)


def own_state(entity: Entity, config: MasConfig) -> Any:
    """An entity's own state as MASSCA's hooks see it: its last state, else the initial one.

    The initial one is the entity's ``initial_state`` param, else the simulator's
    ``initial_state``/``state_dict`` (a deep copy), else None.
    """
    state = entity.state
    if state is not None:
        return state.to_massca() if isinstance(state, UnitState) else state
    start = entity.params.get("initial_state", config.params.initial_state)
    start = start if start is not None else config.params.state_dict
    return copy.deepcopy(start) if start is not None else None


def _massca_result(result: Target, base: UnitState) -> dict[str, dict[str, float]]:
    """A typed result as MASSCA's ``output_method`` expects it (with ``scale_factor``)."""
    state = base.to_massca()
    state["production"]["current"] = result.production
    state["consumption"]["current"] = result.consumption
    state["production"]["scale_factor"] = result.production - base.production.current
    state["consumption"]["scale_factor"] = result.consumption - base.consumption.current
    return state


def by_role(entities: Mapping[str, Entity], role: Role) -> list[Entity]:
    """The entities of one role, in creation order."""
    return [e for e in entities.values() if e.role == role]
