"""MASSCA's method files at the mosaik edge: its hooks as a coordination, its defaults.

MASSCA users write ``input_method``, ``aggregation_method``, ``execute_method`` and
``output_method`` functions over plain state dicts. :class:`MasscaCoordination` calls
them with MASSCA's argument names at every agent (the runtime treats the dicts as opaque
payloads), and :func:`sum_states` is MASSCA's default aggregation. Nothing below the
mosaik layer knows about these dicts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model.errors import StateError, StrategyError
from ..model.flexibility import Target, UnitState
from ..runtime.runtime import CycleReport
from ..strategies.coordination import Coordination, CycleInfo
from .bridge import Entity, exchange_outputs, own_state, state_attrs
from .config import MasConfig
from .meta import CORE_INPUTS
from .unit_io import unit_outputs, unit_state

__all__ = ["sum_states", "MasscaCoordination", "MasscaBridge", "Hook", "as_state", "as_target"]


def sum_states(
    aeid: str, aid: str, requested_states: Mapping[str, Any], current_state: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """MASSCA's ``aggregate_states``: add up every numeric field of the children's dicts."""
    states = list(requested_states.values())
    if not states:
        return copy.deepcopy(current_state) if current_state is not None else {}
    total = copy.deepcopy(dict(states[0]))
    for key in total:
        total[key] = dict(total[key]) if isinstance(total[key], Mapping) else total[key]
    for state in states[1:]:
        for key, part in state.items():
            if isinstance(part, Mapping):
                for field, value in part.items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        total[key][field] = total[key].get(field, 0.0) + value
            elif isinstance(part, int | float) and not isinstance(part, bool):
                total[key] = total.get(key, 0.0) + part
    return total


Hook = Callable[..., Any]


@dataclass(slots=True)
class MasscaCoordination:
    """MASSCA-compatible hooks; ``params`` are passed to every hook as keyword arguments."""

    execute_method: Hook
    aggregation_method: Hook
    params: dict[str, Any] = field(default_factory=dict)

    def aggregate(
        self, eid: str, own: Any, children: Mapping[str, Any], info: CycleInfo
    ) -> Any:
        """``aggregation_method(aeid, aid, requested_states, current_state, **params)``."""
        return self.aggregation_method(eid, eid, requested_states=dict(children),
                                       current_state=own, **self.params)

    def decide(self, eid: str, children: Mapping[str, Any], info: CycleInfo) -> dict[str, Any]:
        """``execute_method`` at the top: ``instruction=None``."""
        return self._execute(eid, None, info.core_state, children, info)

    def split(
        self, eid: str, instruction: Any, own: Any, children: Mapping[str, Any],
        info: CycleInfo,
    ) -> dict[str, Any]:
        """``execute_method`` at a controller with its own instruction and aggregate."""
        return self._execute(eid, instruction, own, children, info)

    def execute(self, eid: str, instruction: Any, own: Any, info: CycleInfo) -> Any:
        """``execute_method`` at a unit (no requested states); returns its new state."""
        ok, _instructions, state = self.execute_method(
            eid, eid, instruction=instruction, current_state=own, requested_states={},
            current_time=info.time, first_time_step=info.first_time_step, **self.params,
        )
        return state if state is not None else instruction

    def _execute(
        self, eid: str, instruction: Any, own: Any, children: Mapping[str, Any], info: CycleInfo
    ) -> dict[str, Any]:
        result = self.execute_method(
            eid, eid, instruction=instruction, current_state=own,
            requested_states=dict(children), current_time=info.time,
            first_time_step=info.first_time_step, **self.params,
        )
        if not (isinstance(result, tuple) and len(result) == 3):
            raise StrategyError(f"execute_method at {eid!r} must return (ok, instructions, "
                                f"state), got {result!r}")
        instructions = result[1]
        if not isinstance(instructions, Mapping) or set(instructions) != set(children):
            got = sorted(instructions) if isinstance(instructions, Mapping) else instructions
            raise StrategyError(f"execute_method at {eid!r} must return one instruction per "
                                f"child {sorted(children)}, got {got!r}")
        return {child: instructions[child] for child in children}


def as_state(value: Any) -> UnitState | None:
    """A MASSCA state dict (or a UnitState) as a UnitState; None if it is not one."""
    if isinstance(value, UnitState):
        return value
    if isinstance(value, Mapping):
        try:
            return UnitState.from_massca(value)
        except StateError:
            return None
    return None


def as_target(value: Any) -> Target | None:
    """A MASSCA state dict's currents (or a Target) as a Target; None if it is not one."""
    if isinstance(value, Target):
        return value
    state = as_state(value)
    if state is None:
        return None
    return Target(state.production.current, state.consumption.current)


@dataclass(slots=True)
class MasscaBridge:
    """MASSCA's method files: state dicts in, the hooks' instructions out."""

    config: MasConfig

    def coordination(self) -> Coordination:
        """MASSCA's hooks at every agent (``sum_states`` when no aggregation hook)."""
        hooks = self.config.hooks
        assert hooks.execute_method is not None
        return MasscaCoordination(hooks.execute_method, hooks.aggregation_method or sum_states,
                                  dict(self.config.user_params))

    def _hooked(self, entity: Entity, time: int, first: bool) -> Any:
        hook = self.config.hooks.input_method
        assert hook is not None
        return hook(entity.eid, entity.eid, entity.raw, own_state(entity, self.config), time,
                    first, **self.config.user_params)

    def unit_state(self, entity: Entity, time: int, first: bool) -> Any:
        """``input_method``'s dict, or the typed state from the inputs as MASSCA's dict."""
        if self.config.hooks.input_method is not None and (entity.raw or entity.state is None):
            return self._hooked(entity, time, first)
        return unit_state(entity.eid, entity.kind, entity.values, entity.static).to_massca()

    def core_state(self, core: Entity, units: list[Entity], time: int, first: bool
                   ) -> tuple[float, Any]:
        """The core's state from ``input_method`` (MASSCA's external network), no offset."""
        if self.config.hooks.input_method is not None and (core.raw or core.state is None):
            state = self._hooked(core, time, first)
        else:
            unknown = (set(core.values) | set(core.objects)) - set(CORE_INPUTS)
            if unknown:
                raise StateError(f"core {core.eid!r}: unknown input(s) {sorted(unknown)}; "
                                 f"known: {list(CORE_INPUTS)}")
            state = core.state
        return (state if isinstance(state, float) else 0.0), state

    def net(self, value: Any) -> float | None:
        """Net power of a hook's state or instruction dict."""
        target = as_target(value)
        return None if target is None else target.net

    def unit_outputs(self, entity: Entity, result: Any, attrs: list[str], converged: bool,
                     time: int, first: bool) -> dict[str, Any]:
        """``output_method`` with the unit's result; the rest from the result's currents."""
        data: dict[str, Any] = {}
        hook = self.config.hooks.output_method
        if hook is not None:
            data.update(hook(entity.eid, entity.eid, attrs, current_state=result,
                             converged=converged, current_time_step=time, first_time_step=first,
                             **self.config.user_params) or {})
        missing = [a for a in attrs if a not in data]
        if missing:
            target, base = as_target(result), as_state(entity.base)
            if target is None or base is None:
                raise StateError(f"unit {entity.eid!r}: cannot compute {missing} from "
                                 f"result {result!r}; return them from output_method")
            typed = unit_outputs(entity.kind, target, base)
            for attr in missing:
                if attr not in typed:
                    raise StateError(f"unit {entity.eid!r}: attribute {attr!r} has no value; "
                                     "return it from output_method")
                data[attr] = typed[attr]
        return data

    def controller_outputs(self, state: Any, target: Any) -> dict[str, Any]:
        """The aggregate's attributes and instructed net power, where the dicts have them."""
        typed_state, typed_target = as_state(state), as_target(target)
        values: dict[str, Any] = state_attrs(typed_state) if typed_state is not None else {}
        if typed_target is not None:
            values["P_set[MW]"] = typed_target.net
        return values

    def system_outputs(self, report: CycleReport, offset: float,
                       bases: list[Any]) -> dict[str, Any]:
        """As the typed bridge, where the hooks' dicts are MASSCA state dicts."""
        states = [as_state(s) for s in report.top_reports.values()]
        if not states or any(s is None for s in states):
            return {}
        targets = [as_target(t) for t in report.top_instructions.values()]
        typed_bases = [as_state(b) for b in bases]
        return exchange_outputs(
            states, targets if targets and all(t is not None for t in targets) else None,  # type: ignore[arg-type]
            offset, typed_bases if all(b is not None for b in typed_bases) else None)  # type: ignore[arg-type]
