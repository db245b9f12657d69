"""The mosaik side: ``MosaikAgents``, a mosaik simulator that hosts the agent system.

``init``/``setup_done``/``step`` are generator functions that ``yield`` awaitables:
mosaik (in-process) and mosaik_api_v3 (``cmd`` subprocess) await them on their own
loop, which is where the mango container runs: no nested event loops, no threads.

Per ``step``: inputs -> unit states -> one coordination cycle (see :mod:`.runtime`)
-> outputs. In a ``world.group()`` with weak connections back to the units, mosaik
steps the MAS again at the same time with the units' new powers; the MAS emits unit
setpoints again only while they still move by more than ``tolerance`` MW and at most
``max_iterations`` times per mosaik time.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import mosaik_api_v3

from ..model.errors import ConfigError, HierarchyError, StateError
from ..model.flexibility import Target, UnitState
from ..model.hierarchy import Role, Tree, build_tree
from ..runtime.runtime import MasRuntime
from ..strategies.coordination import Coordination, MasscaCoordination, StrategyCoordination
from .config import MasConfig, parse_config
from .massca import sum_states
from .meta import CORE_EID, CORE_INPUTS, META, MODEL_PREFIX, MODEL_ROLES
from .unit_io import KINDS, STATIC_PARAMS, Kind, unit_outputs, unit_state

__all__ = ["MosaikAgents"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Entity:
    """One created entity and everything the simulator keeps about it."""

    eid: str
    model: str
    parent: str | None
    declared: Role | None
    kind: Kind = "producer"
    params: dict[str, Any] = field(default_factory=dict)
    static: dict[str, float] = field(default_factory=dict)
    role: Role | None = None
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    state: Any = None
    base: Any = None
    last_set: float | None = None


class MosaikAgents(mosaik_api_v3.Simulator):
    """mosaik simulator hosting a mango multi-agent system (see the README tables)."""

    def __init__(self) -> None:
        super().__init__(copy.deepcopy(META))
        self.config = MasConfig()
        self.runtime: MasRuntime | None = None
        self.entities: dict[str, Entity] = {}
        self.counter = 0
        self.time = -1
        self.iteration = 0
        self.converged = True
        self.steptime = 0.0
        self.messages = 0
        self.negotiations = 0
        self.deviation = 0.0
        self.emit_units = True
        #: measured external exchange in the first iteration at this time (uncontrolled)
        self.ext_first: float | None = None

    # -- mosaik API -------------------------------------------------------------------
    def init(self, sid: str, time_resolution: float = 1.0, **sim_params: Any
             ) -> Generator[Any, Any, dict[str, Any]]:
        """Validate the parameters, start the mango container (binds the socket)."""
        self.sid = sid
        self.config = parse_config(sim_params)
        for attr in self.config.extra_attrs:
            for model in ("MosaikAgents",):
                attrs = self.meta["models"][model]["attrs"]
                if attr not in attrs:
                    attrs.append(attr)
        logging.getLogger("mosaik_components.mas").setLevel(
            logging.DEBUG if self.config.verbose >= 2 else
            logging.INFO if self.config.verbose == 1 else logging.WARNING
        )
        self.runtime = MasRuntime(self._coordination(), timeout=self.config.timeout,
                                  transport=self.config.transport,
                                  strategy_params=self.config.strategy_params,
                                  cohda=self.config.cohda)
        yield self.runtime.start()
        if self.config.hooks.initialize is not None:
            self.config.hooks.initialize(**self.config.user_params)
        return self.meta

    def create(self, num: int, model: str, **params: Any) -> list[dict[str, Any]]:
        """Create agents; ``controller`` names the parent (eid, or None for top level)."""
        if model not in MODEL_ROLES:
            raise ConfigError(f"unknown model {model!r}; known: {sorted(MODEL_ROLES)}")
        allowed = set(self.meta["models"][model]["params"])
        unknown = set(params) - allowed
        if unknown:
            raise ConfigError(f"model {model}: unknown parameter(s) {sorted(unknown)}; "
                              f"allowed: {sorted(allowed)}")
        declared = MODEL_ROLES[model]
        if model == "MosaikAgents" and "controller" not in params:
            declared = "core"  # MASSCA: `mas.MosaikAgents()` without controller is the core
        parent = params.get("controller")
        self._check_parent(parent, model)
        kind = params.get("kind", "producer")
        if kind not in KINDS:
            raise ConfigError(f"model {model}: kind must be one of {KINDS}, got {kind!r}")
        static = {k: v for k, v in params.items() if k in STATIC_PARAMS}
        for name, value in static.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or (
                not math.isfinite(value)
            ):
                raise ConfigError(f"model {model}: parameter {name!r} must be a finite number, "
                                  f"got {value!r}")
        created = []
        for _ in range(num):
            eid = self._new_eid(model, declared)
            self.entities[eid] = Entity(eid, model, parent, declared, kind,
                                        {k: v for k, v in params.items()
                                         if k not in ("controller", "kind")}, dict(static))
            created.append({"eid": eid, "type": model})
        return created

    def setup_done(self) -> Generator[Any, Any, None]:
        """Validate the whole tree and create one mango agent per entity."""
        assert self.runtime is not None
        tree = build_tree({e: x.parent for e, x in self.entities.items()},
                          {e: x.declared for e, x in self.entities.items()})
        for eid, node in tree.nodes.items():
            self.entities[eid].role = node.role
            if node.role == "unit" and self.entities[eid].declared == "controller":
                logger.warning("controller %s has no children; it takes part as an empty unit",
                               eid)
        self.runtime.build(tree, self._negotiators(tree), self.config.cohda)
        yield self.runtime.attach()

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]], max_advance: int
             ) -> Generator[Any, Any, int | None]:
        """Run one coordination cycle on this step's inputs."""
        runtime = self.runtime
        assert runtime is not None and runtime.tree is not None
        first = time != self.time
        self.iteration = 0 if first else self.iteration + 1
        self.time = time
        if first:
            self.steptime = 0.0
            self.messages = 0
            self.negotiations = 0
        runtime.info.time = time
        runtime.info.iteration = self.iteration
        self._read_inputs(inputs)
        self._update_states(first)
        report = yield runtime.run_cycle(lambda unit: self.entities[unit.eid].state)
        self.steptime += report.seconds
        self.messages += report.messages
        self.negotiations += report.negotiations
        self.deviation = report.deviation
        self._check_convergence()
        return None

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        """Outputs of units (setpoints), controllers (aggregates) and the core (metrics)."""
        assert self.runtime is not None
        data: dict[str, dict[str, Any]] = {}
        for eid, attrs in outputs.items():
            entity = self.entities.get(eid)
            if entity is None:
                raise ConfigError(f"get_data: unknown entity {eid!r}")
            role = entity.role
            if role == "unit":
                if self.emit_units and self.time >= 0:
                    data[eid] = self._unit_data(entity, attrs)
            elif role == "core":
                data[eid] = self._core_data(entity, attrs)
            else:
                data[eid] = self._controller_data(entity, attrs)
        return data

    def finalize(self) -> None:
        """Stop the agents and close the socket; call the ``finalize`` hook."""
        if self.runtime is not None:
            self.runtime.close()
        if self.config.hooks.finalize is not None:
            self.config.hooks.finalize(**self.config.user_params)

    # -- helpers ----------------------------------------------------------------------
    def _negotiators(self, tree: Tree) -> list[str]:
        """Controllers that split with COHDA: the core between cells, the rest within."""
        chosen = tree.controllers() if self.config.within_cell == "cohda" else []
        if self.config.between_cells == "cohda" and tree.nodes[tree.root].children:
            chosen.append(tree.root)
        return chosen

    def _coordination(self) -> Coordination:
        hooks = self.config.hooks
        if self.config.massca_mode:
            return MasscaCoordination(hooks.execute_method,
                                      hooks.aggregation_method or sum_states,
                                      dict(self.config.user_params))
        if hooks.aggregation_method is not None:
            raise ConfigError("aggregation_method needs execute_method too (MASSCA mode); "
                              "for typed strategies implement Strategy.aggregate")
        return StrategyCoordination(self.config.strategy)

    def _check_parent(self, parent: object, model: str) -> None:
        if parent is None:
            return
        if not isinstance(parent, str):
            raise HierarchyError(f"model {model}: controller must be an entity id (str) or "
                                 f"None, got {parent!r}")
        if parent not in self.entities:
            raise HierarchyError(f"model {model}: controller {parent!r} is not an entity of "
                                 f"{self.sid}; create controllers before their children")
        if self.entities[parent].declared == "unit":
            raise HierarchyError(f"model {model}: controller {parent!r} is a unit; units "
                                 "cannot have children")

    def _new_eid(self, model: str, declared: Role | None) -> str:
        if declared == "core":
            if any(e.declared == "core" for e in self.entities.values()):
                raise HierarchyError("only one core agent per MAS simulator; "
                                     f"{CORE_EID!r} exists already")
            return CORE_EID
        eid = f"{MODEL_PREFIX[model]}_{self.counter}"
        self.counter += 1
        return eid

    def _read_inputs(self, inputs: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        for eid, attrs in inputs.items():
            entity = self.entities.get(eid)
            if entity is None:
                raise ConfigError(f"step: input for unknown entity {eid!r}")
            entity.raw = {attr: dict(sources) for attr, sources in attrs.items()}
            for attr, sources in attrs.items():
                total = 0.0
                for src, value in sources.items():
                    if isinstance(value, bool) or not isinstance(value, int | float) or (
                        not math.isfinite(value)
                    ):
                        raise StateError(f"entity {eid!r}: input {attr!r} from {src!r} must be "
                                         f"a finite number, got {value!r}")
                    total += value
                entity.values[attr] = total

    def _update_states(self, first: bool) -> None:
        hooks = self.config.hooks
        for entity in self.entities.values():
            role = entity.role
            if role == "controller":
                continue
            hooked = hooks.input_method is not None and (
                role == "unit" or self.config.massca_mode)  # a typed core keeps its offset
            if hooked and (entity.raw or entity.state is None):
                state = hooks.input_method(
                    entity.eid, entity.eid, entity.raw, self._own_state(entity), self.time,
                    first, **self.config.user_params,
                )
                if not self.config.massca_mode and role == "unit":
                    state = UnitState.from_massca(state, f"input_method({entity.eid})")
            elif role == "core":
                unknown = set(entity.values) - set(CORE_INPUTS)
                if unknown:
                    raise StateError(f"core {entity.eid!r}: unknown input(s) {sorted(unknown)}; "
                                     f"known: {list(CORE_INPUTS)}")
                continue  # the core's offset needs the units' states: see below
            else:
                state = unit_state(entity.eid, entity.kind, entity.values, entity.static)
            entity.state = state
            if first or entity.base is None:
                entity.base = state
        core = self.entities[self.runtime.tree.root]  # type: ignore[union-attr]
        if first:
            self.ext_first = core.values.get("P_ext[MW]")
        if not self.config.massca_mode:
            core.state = self._offset(core)
        info = self.runtime.info  # type: ignore[union-attr]
        info.core_state = core.state
        info.offset = core.state if isinstance(core.state, float) else 0.0

    def _offset(self, core: Entity) -> float:
        """Net demand outside the agents (MW, import positive).

        ``P_offset[MW]`` plus, when the measured exchange ``P_ext[MW]`` is connected, what
        it shows beyond the units' own powers (losses, unmanaged elements).
        """
        offset = core.values.get("P_offset[MW]", 0.0)
        if "P_ext[MW]" in core.values:
            units = sum(_as_state(self.entities[u.eid].state).net  # type: ignore[union-attr]
                        for u in self.runtime.units)  # type: ignore[union-attr]
            offset += core.values["P_ext[MW]"] + units
        return offset

    def _own_state(self, entity: Entity) -> Any:
        if entity.state is not None:
            return entity.state
        start = entity.params.get("initial_state", self.config.initial_state)
        start = start if start is not None else self.config.state_dict
        return copy.deepcopy(start) if start is not None else None

    def _check_convergence(self) -> None:
        """Decide whether setpoints still move and whether to emit them again.

        Converged: setpoints moved <= tolerance since the last iteration (or, in the
        first iteration at a time, the units already run at them).
        """
        change = 0.0
        for agent in self.runtime.units:  # type: ignore[union-attr]
            entity = self.entities[agent.eid]
            setpoint = _net(agent.result)
            reference = entity.last_set if self.iteration > 0 else _net(entity.state)
            if setpoint is not None and reference is not None:
                change = max(change, abs(setpoint - reference))
            entity.last_set = setpoint
        self.converged = change <= self.config.tolerance
        exhausted = self.iteration + 1 >= self.config.max_iterations
        if exhausted and not self.converged:
            logger.warning("MAS did not converge at time %s within %s iterations (last change "
                           "%.3g MW > tolerance %.3g MW)", self.time, self.config.max_iterations,
                           change, self.config.tolerance)
        self.emit_units = self.iteration == 0 or not (self.converged or exhausted)

    def _unit_data(self, entity: Entity, attrs: list[str]) -> dict[str, Any]:
        agent = self.runtime.view(entity.eid)  # type: ignore[union-attr]
        result = agent.result
        data: dict[str, Any] = {}
        hooks = self.config.hooks
        if hooks.output_method is not None:
            state = result if self.config.massca_mode else _massca_result(result, entity.base)
            data.update(hooks.output_method(
                entity.eid, entity.eid, attrs, current_state=state, converged=self.converged,
                current_time_step=self.time, first_time_step=self.iteration == 0,
                **self.config.user_params,
            ) or {})
        missing = [a for a in attrs if a not in data]
        if missing:
            target, base = _as_target(result), _as_state(entity.base)
            if target is None or base is None:
                raise StateError(f"unit {entity.eid!r}: cannot compute {missing} from "
                                 f"result {result!r}; return them from output_method")
            typed = unit_outputs(entity.kind, target, base)
            for attr in missing:
                if attr not in typed:
                    raise ConfigError(f"unit {entity.eid!r}: attribute {attr!r} has no value; "
                                      "return it from output_method")
                data[attr] = typed[attr]
        return data

    def _controller_data(self, entity: Entity, attrs: list[str]) -> dict[str, Any]:
        agent = self.runtime.view(entity.eid)  # type: ignore[union-attr]
        state, target = _as_state(agent.state), _as_target(agent.target)
        values: dict[str, Any] = {}
        if state is not None:
            values.update(_state_attrs(state))
        if target is not None:
            values["P_set[MW]"] = target.net
        return {a: values[a] for a in attrs if a in values}

    def _core_data(self, entity: Entity, attrs: list[str]) -> dict[str, Any]:
        core = self.runtime.core  # type: ignore[union-attr]
        values: dict[str, Any] = {
            "steptime": self.steptime,
            "messages": self.messages,
            "rejected": self.runtime.stats.rejected,  # type: ignore[union-attr]
            "iterations": self.iteration + 1,
            "converged": self.converged,
            "negotiations": self.negotiations,
            "deviation[MW]": self.deviation,
        }
        children = [_as_state(s) for s in core.reports.values()]
        if children and all(s is not None for s in children):
            total = sum(children, UnitState())  # type: ignore[arg-type]
            values.update(_state_attrs(total))
            offset = self.runtime.info.offset  # type: ignore[union-attr]
            targets = [_as_target(t) for t in core.instructions.values()]
            if all(t is not None for t in targets):
                planned = sum(t.consumption - t.production for t in targets)  # type: ignore
                values["P_exchange[MW]"] = planned + offset
            if self.ext_first is not None:  # measured before the agents acted at this time
                values["P_uncontrolled[MW]"] = self.ext_first
            else:
                bases = [_as_state(self.entities[u.eid].base)
                         for u in self.runtime.units]  # type: ignore[union-attr]
                if all(b is not None for b in bases):
                    values["P_uncontrolled[MW]"] = offset - sum(b.net for b in bases)  # type: ignore
        return {a: values[a] for a in attrs if a in values}


def _state_attrs(state: UnitState) -> dict[str, float]:
    p, c = state.production, state.consumption
    return {
        "P[MW]": state.net,
        "production[MW]": p.current, "production_min[MW]": p.min, "production_max[MW]": p.max,
        "consumption[MW]": c.current, "consumption_min[MW]": c.min,
        "consumption_max[MW]": c.max,
    }


def _as_state(value: Any) -> UnitState | None:
    if isinstance(value, UnitState):
        return value
    if isinstance(value, Mapping):
        try:
            return UnitState.from_massca(value)
        except StateError:
            return None
    return None


def _as_target(value: Any) -> Target | None:
    if isinstance(value, Target):
        return value
    state = _as_state(value)
    if state is None:
        return None
    return Target(state.production.current, state.consumption.current)


def _net(result: Any) -> float | None:
    target = _as_target(result)
    return None if target is None else target.net


def _massca_result(result: Target, base: UnitState) -> dict[str, dict[str, float]]:
    state = base.to_massca()
    state["production"]["current"] = result.production
    state["consumption"]["current"] = result.consumption
    state["production"]["scale_factor"] = result.production - base.production.current
    state["consumption"]["scale_factor"] = result.consumption - base.consumption.current
    return state
