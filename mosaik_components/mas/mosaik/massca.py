"""MASSCA's method files at the mosaik edge: its hooks as a coordination, its defaults.

MASSCA users write ``input_method``, ``aggregation_method``, ``execute_method`` and
``output_method`` functions over plain state dicts. :class:`MasscaCoordination` calls
them with MASSCA's argument names at every agent (the runtime treats the dicts as opaque
payloads), and :func:`sum_states` is MASSCA's default aggregation. Nothing below the
mosaik layer knows about these dicts.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model.errors import StateError, StrategyError
from ..model.flexibility import Target, UnitState
from ..runtime.runtime import CycleReport
from ..strategies.coordination import Coordination, CycleInfo
from .bridge import Entity, exchange_outputs, state_attrs
from .config import MasConfig
from .meta import CORE_INPUTS, aid_of
from .unit_io import unit_outputs, unit_state

__all__ = ["sum_states", "MasscaCoordination", "MasscaBridge", "MasscaRounds", "Hook", "aid_of",
           "as_state", "as_target", "call_hook", "hook_params"]


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


def call_hook(hook: Hook, *args: Any, **kwargs: Any) -> Any:
    """Call a user hook with the keyword arguments its signature accepts.

    A hook with ``**kwargs`` gets all of them; one written for MASSCA's older revision
    (e.g. ``execute_method(aeid, aid, instruction, current_state, requested_states)``
    without ``**kwargs``) gets only those it names, as MASSCA called it.
    """
    try:
        signature = inspect.signature(hook)
    except (TypeError, ValueError):
        return hook(*args, **kwargs)
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return hook(*args, **kwargs)
    names = {p.name for p in parameters if p.kind in (inspect.Parameter.KEYWORD_ONLY,
                                                       inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    return hook(*args, **{k: v for k, v in kwargs.items() if k in names})


def hook_params(config: MasConfig) -> dict[str, Any]:
    """The keyword arguments MASSCA gave its hooks: its parameters, with its defaults.

    MASSCA passed its whole parameter dict (``verbose`` 1, ``performance`` True,
    ``convergence_steps`` 2, ``convegence_max_steps`` 5 unless given, ``state_dict``, the
    hooks themselves) plus the user's own parameters.
    """
    params, hooks = config.params, config.hooks
    given = params.model_fields_set
    values: dict[str, Any] = {
        "verbose": params.verbose if "verbose" in given else 1,
        "performance": params.performance,
        "convergence_steps": 2 if params.convergence_steps is None else params.convergence_steps,
        "convegence_max_steps": params.max_iterations if "max_iterations" in given else 5,
        "state_dict": params.state_dict,
        "input_method": hooks.input_method, "output_method": hooks.output_method,
        "states_agg_method": hooks.aggregation_method,
        "aggregation_method": hooks.aggregation_method,
        "execute_method": hooks.execute_method,
        "initialize": hooks.initialize, "finalize": hooks.finalize,
    }
    if params.META is not None:
        values["META"] = params.META
    values.update({k: v for k, v in config.user_params.items() if k != "verbose"})
    return values


@dataclass(slots=True)
class MasscaCoordination:
    """MASSCA's hooks at every agent, with MASSCA's state semantics (module docstring).

    Keeps what MASSCA's agents kept: every controller's and the core's own state (what
    ``execute_method`` returned, initially ``initial_state``/``state_dict``), and the
    ``ok`` flag of the core's last decision. States and instructions are keyed by MASSCA's
    aids (:func:`aid_of`) when they reach the hooks and by entity ids inside massca.
    """

    execute_method: Hook
    aggregation_method: Hook
    params: dict[str, Any] = field(default_factory=dict)
    #: eid -> the entity's own state (controllers, core)
    own: dict[str, Any] = field(default_factory=dict)
    #: eid -> the state an entity starts from
    initial: Callable[[str], Any] = lambda eid: None
    last_ok: bool = True

    def take_notes(self) -> dict[str, Any]:
        """MASSCA's hooks report nothing beyond their states."""
        return {}

    def own_state(self, eid: str) -> Any:
        """The entity's own state (a deep copy, as MASSCA's agents handed it on)."""
        if eid not in self.own:
            self.own[eid] = self.initial(eid)
        return copy.deepcopy(self.own[eid])

    def aggregate(self, eid: str, own: Any, children: Mapping[str, Any], info: CycleInfo) -> Any:
        """``aggregation_method(aeid, aid, requested_states, current_state)``.

        ``current_state`` is the controller's own state, not its last aggregate.
        """
        return call_hook(self.aggregation_method, eid, aid_of(eid), _by_aid(children),
                         self.own_state(eid), **self.params)

    def decide(self, eid: str, children: Mapping[str, Any], info: CycleInfo) -> dict[str, Any]:
        """``execute_method`` at the top (``instruction=None``); its ``ok`` counts a round."""
        ok, instructions, state = self._call(eid, None, info.core_state, children, info)
        self.own[eid] = state
        self.last_ok = bool(ok)
        return _by_eid(eid, instructions, children)

    def split(self, eid: str, instruction: Any, own: Any, children: Mapping[str, Any],
              info: CycleInfo) -> dict[str, Any]:
        """``execute_method`` at a controller with its instruction and its reported state."""
        ok, instructions, state = self._call(eid, instruction, own, children, info)
        self.own[eid] = state
        if not ok:
            raise StrategyError(f"execute_method at {eid!r} returned ok=False (MASSCA raised "
                                "'Redispatch method did not converged!' here)")
        return _by_eid(eid, instructions, children)

    def execute(self, eid: str, instruction: Any, own: Any, info: CycleInfo) -> Any:
        """``execute_method`` at a unit (no requested states); returns its new state."""
        ok, _instructions, state = self._call(eid, instruction, own, {}, info)
        if not ok:
            raise StrategyError(f"execute_method at {eid!r} returned ok=False")
        return state

    def _call(self, eid: str, instruction: Any, current: Any, children: Mapping[str, Any],
              info: CycleInfo) -> tuple[Any, Any, Any]:
        """``execute_method`` with MASSCA's arguments.

        MASSCA's newer revision gives the simulator's parameters and ``current_time``/
        ``first_time_step`` to every call (its older one only the parameters, and only at
        the core); :func:`call_hook` passes what the hook's signature accepts.
        """
        result = call_hook(
            self.execute_method, eid, aid_of(eid), instruction=instruction,
            current_state=current, requested_states=_by_aid(children), current_time=info.time,
            first_time_step=info.first_time_step, **self.params,
        )
        if not (isinstance(result, tuple) and len(result) == 3):
            raise StrategyError(f"execute_method at {eid!r} must return (ok, instructions, "
                                f"state), got {result!r}")
        return result


def _by_aid(children: Mapping[str, Any]) -> dict[str, Any]:
    return {aid_of(eid): state for eid, state in children.items()}


def _by_eid(eid: str, instructions: object, children: Mapping[str, Any]) -> dict[str, Any]:
    """The hook's instructions (keyed by aid) for the children (keyed by eid)."""
    if not children:
        return {}
    aids = {aid_of(child): child for child in children}
    if not isinstance(instructions, Mapping) or not set(aids) <= set(instructions):
        got = sorted(instructions) if isinstance(instructions, Mapping) else instructions
        raise StrategyError(f"execute_method at {eid!r} must return one instruction per "
                            f"child {sorted(aids)}, got {got!r}")
    return {child: instructions[aid] for aid, child in aids.items()}


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
class MasscaRounds:
    """MASSCA's convergence: a count of the rounds the core's ``execute_method`` said ok.

    From ``steps`` such rounds on, the time is converged and further same-time steps run
    no cycle (outputs stay as they were). At most ``max_cycles`` cycles per time
    (``convegence_max_steps``): a further step at the same time before convergence raises
    a :class:`StrategyError` (MASSCA documented this bound but never applied it; its loop
    ran on until mosaik's own iteration limit stopped the run).
    """

    steps: int
    coordination: MasscaCoordination
    max_cycles: int = 10
    rounds: int = 0
    cycles: int = 0
    converged: bool = False
    emit_units: bool = True

    def start(self, first: bool) -> bool:
        """Whether to run a cycle in this step."""
        if first:
            self.rounds = self.cycles = 0
        if self.rounds >= self.steps:
            return False
        if self.cycles >= self.max_cycles:
            raise StrategyError(
                f"MASSCA's execute_method at the core said ok in {self.rounds} of "
                f"{self.cycles} cycles at this time; convergence_steps={self.steps} needs "
                f"{self.steps} and convegence_max_steps={self.max_cycles} allows no more")
        self.cycles += 1
        return True

    def settle(self, report: CycleReport, entities: Mapping[str, Entity],
               net: Callable[[Any], float | None], iteration: int) -> None:
        """Count the round; MASSCA's ``converged`` flag for ``output_method``."""
        self.rounds += 1 if self.coordination.last_ok else 0
        self.converged = self.rounds >= self.steps


@dataclass(slots=True)
class MasscaBridge:
    """MASSCA's method files: state dicts in, the hooks' outputs out (MASSCA semantics).

    A unit's state is what ``input_method`` made of this step's inputs, or, when it got
    none, what its ``execute_method`` returned last; the core's state goes through
    ``input_method`` in every step; hooks see MASSCA's aids (:func:`aid_of`).
    """

    config: MasConfig
    entities: Mapping[str, Entity]
    hooks_coordination: MasscaCoordination = field(init=False)
    #: what every hook gets as keyword arguments (:func:`hook_params`)
    kwargs: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        hooks = self.config.hooks
        assert hooks.execute_method is not None
        self.kwargs = hook_params(self.config)
        self.hooks_coordination = MasscaCoordination(
            hooks.execute_method, hooks.aggregation_method or sum_states, self.kwargs,
            initial=self._initial)

    def _initial(self, eid: str) -> Any:
        entity = self.entities[eid]
        start = entity.params.get("initial_state", self.config.params.initial_state)
        start = start if start is not None else self.config.params.state_dict
        return copy.deepcopy(start)

    def coordination(self) -> Coordination:
        """MASSCA's hooks at every agent (``sum_states`` when no aggregation hook)."""
        return self.hooks_coordination

    def convergence(self) -> MasscaRounds:
        """MASSCA's round counter (``convergence_steps``, default 2 as in MASSCA)."""
        params = self.config.params
        steps = 2 if params.convergence_steps is None else int(params.convergence_steps)
        return MasscaRounds(steps, self.hooks_coordination, params.max_iterations)

    def _input(self, entity: Entity, current: Any, time: int, first: bool) -> Any:
        hook = self.config.hooks.input_method
        assert hook is not None
        return call_hook(hook, entity.eid, aid_of(entity.eid), entity.raw, current, time, first,
                         **self.kwargs)

    def unit_state(self, entity: Entity, time: int, first: bool) -> Any:
        """``input_method`` on fresh inputs; else the state it has (MASSCA's agents).

        Without ``input_method`` the power inputs are read as for typed strategies and
        handed to the hooks as MASSCA's state dict.
        """
        current = entity.state if entity.state is not None else self._initial(entity.eid)
        if self.config.hooks.input_method is None:
            return unit_state(entity.eid, entity.kind, entity.values, entity.static).to_massca()
        if not entity.raw:
            return current
        return self._input(entity, copy.deepcopy(current), time, first)

    def core_state(self, core: Entity, units: list[Entity], time: int, first: bool
                   ) -> tuple[float, Any]:
        """The core's own state, through ``input_method`` in every step as in MASSCA."""
        if self.config.hooks.input_method is not None:
            state = self._input(core, self.hooks_coordination.own_state(core.eid), time, first)
            self.hooks_coordination.own[core.eid] = state
        else:
            unknown = (set(core.values) | set(core.objects)) - set(CORE_INPUTS)
            if unknown:
                raise StateError(f"core {core.eid!r}: unknown input(s) {sorted(unknown)}; "
                                 f"known: {list(CORE_INPUTS)}")
            state = self.hooks_coordination.own_state(core.eid)
        return (state if isinstance(state, float) else 0.0), state

    def after_cycle(self, report: CycleReport) -> None:
        """A unit's state becomes what its ``execute_method`` returned (as in MASSCA)."""
        for eid, result in report.results.items():
            self.entities[eid].state = result

    def net(self, value: Any) -> float | None:
        """Net power of a hook's state or instruction dict."""
        target = as_target(value)
        return None if target is None else target.net

    def unit_outputs(self, entity: Entity, result: Any, attrs: list[str], converged: bool,
                     time: int, first: bool) -> dict[str, Any]:
        """Exactly what ``output_method`` returns; without one, the typed attributes."""
        hook = self.config.hooks.output_method
        if hook is not None:
            return dict(call_hook(hook, entity.eid, aid_of(entity.eid), attrs, result, converged,
                                  time, first, **self.kwargs) or {})
        target, base = as_target(result), as_state(entity.base)
        if target is None or base is None:
            raise StateError(f"unit {entity.eid!r}: cannot compute {attrs} from result "
                             f"{result!r}; give an output_method")
        typed = unit_outputs(entity.kind, target, base)
        missing = [a for a in attrs if a not in typed]
        if missing:
            raise StateError(f"unit {entity.eid!r}: attribute(s) {missing} have no value; "
                             "give an output_method")
        return {a: typed[a] for a in attrs}

    def hook_outputs(self, eid: str, core: bool, attrs: list[str], report: CycleReport,
                     converged: bool, time: int, first: bool) -> dict[str, Any]:
        """``output_method`` at a controller or the core, as MASSCA called it there.

        A controller's ``current_state`` is the instruction it received; the core's is its
        own state (what its ``execute_method`` returned) and ``steptime`` is not among its
        ``attrs``. The values override the typed ones; without ``output_method``: none.
        """
        hook = self.config.hooks.output_method
        if hook is None:
            return {}
        state = self.hooks_coordination.own.get(eid) if core else report.targets.get(eid)
        wanted = [a for a in attrs if a != "steptime"] if core else list(attrs)
        return dict(call_hook(hook, eid, aid_of(eid), wanted, state, converged, time, first,
                              **self.kwargs) or {})

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
