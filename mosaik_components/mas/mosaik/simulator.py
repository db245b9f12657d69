"""The mosaik side: ``MosaikAgents``, a mosaik simulator that hosts the agent system.

``init``/``setup_done``/``step`` are generator functions that ``yield`` awaitables:
mosaik (in-process) and mosaik_api_v3 (``cmd`` subprocess) await them on their own
loop, which is where the mango containers run: no nested event loops, no threads.

Per ``step``: inputs -> unit states (through the mode's :class:`~.bridge.Bridge`) ->
one coordination cycle (:meth:`~..runtime.runtime.MasRuntime.run_cycle`, which returns
a typed report) -> outputs. In a ``world.group()`` with weak connections back to the
units, mosaik steps the MAS again at the same time with the units' new powers; the MAS
emits unit setpoints again only while they still move by more than ``tolerance`` MW and
at most ``max_iterations`` times per mosaik time.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Generator, Mapping
from typing import Any

import mosaik_api_v3

from ..model.errors import ConfigError, HierarchyError, StateError, StrategyError
from ..model.flexibility import is_number
from ..model.grid import GridView
from ..model.hierarchy import Role, Tree, build_tree
from ..runtime.runtime import CycleInput, CycleReport, MasRuntime
from ..strategies.negotiation import Negotiation
from .bridge import Bridge, Convergence, Entity, TypedBridge, by_role
from .config import MasConfig, parse_config
from .massca import MasscaBridge
from .meta import CORE_EID, META, MODEL_PREFIX, MODEL_ROLES, STRUCTURED_INPUTS
from .status import StatusServer, StatusSettings
from .unit_io import KINDS, STATIC_PARAMS

__all__ = ["MosaikAgents"]

logger = logging.getLogger(__name__)

#: MASSCA's default ``step_size`` (seconds)
MASSCA_STEP_SIZE = 900


class MosaikAgents(mosaik_api_v3.Simulator):
    """mosaik simulator hosting a mango multi-agent system (see the README tables)."""

    def __init__(self) -> None:
        super().__init__(copy.deepcopy(META))
        self.config = MasConfig()
        self.bridge: Bridge = TypedBridge(self.config)
        self.convergence: Convergence = self.bridge.convergence()
        self.runtime: MasRuntime | None = None
        self.entities: dict[str, Entity] = {}
        #: entity numbers start at 1, as MASSCA's (``Agent_1``, ...; the core is agent 0)
        self.counter = 1
        self.time = -1
        self.iteration = 0
        self.report: CycleReport | None = None
        #: totals over the iterations at the current time
        self.steptime = 0.0
        self.messages = 0
        self.negotiations = 0
        self.offset = 0.0
        #: measured external exchange in the first iteration at this time (uncontrolled)
        self.ext_first: float | None = None
        self.status: StatusServer | None = None

    # -- mosaik API -------------------------------------------------------------------
    def init(self, sid: str, time_resolution: float = 1.0, **sim_params: Any
             ) -> Generator[Any, Any, dict[str, Any]]:
        """Validate the parameters, start the mango container(s) (binds the socket)."""
        self.sid = sid
        self.config = parse_config(sim_params)
        self.bridge = (MasscaBridge(self.config, self.entities) if self.config.massca_mode
                       else TypedBridge(self.config))
        self.convergence = self.bridge.convergence()
        model = self.meta["models"]["MosaikAgents"]
        extra = [a for a in self.config.extra_attrs if a not in model["attrs"]]
        model["attrs"].extend(extra)  # MASSCA's META: the hooks' own output attributes
        model["non-persistent"].extend(extra)
        verbose = self.config.params.verbose
        logging.getLogger("mosaik_components.mas").setLevel(
            logging.DEBUG if verbose >= 2 else logging.INFO if verbose == 1 else logging.WARNING)
        params = self.config.params
        status = StatusSettings.checked(params.status_port, params.status_host,
                                        params.status_token, params.status_until,
                                        params.allow_remote)
        if status is not None:  # the live status API, on this loop (status.py)
            self.status = StatusServer(self, status)
            yield self.status.start()
        self.runtime = MasRuntime(self.bridge.coordination(), self.config.transport,
                                  self.config.params.timeout, self.config.strategy_params)
        yield self.runtime.start()
        if self.config.hooks.initialize is not None:
            self.config.hooks.initialize(**self._hook_kwargs())
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
            if not is_number(value) or not math.isfinite(value):
                raise ConfigError(f"model {model}: parameter {name!r} must be a finite number, "
                                  f"got {value!r}")
        own = {k: v for k, v in params.items() if k not in ("controller", "kind")}
        created = []
        for _ in range(num):
            eid = self._new_eid(model, declared)
            self.entities[eid] = Entity(eid, model, parent, declared, kind, dict(own),
                                        dict(static))
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
        self.runtime.build(tree, self._negotiators(tree))
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
        self._read_inputs(inputs)
        try:
            run = self.convergence.start(first)
        except StrategyError as exc:
            raise StrategyError(f"time {time}: {exc}") from None
        if not run:
            return self._next_step(time)  # this time is settled (MASSCA's round counter)
        cycle = self._cycle_input(time, first)
        report = yield runtime.run_cycle(cycle)
        self.report = report
        self.steptime += report.seconds
        self.messages += report.messages
        self.negotiations += report.negotiations
        self.bridge.after_cycle(report)
        self.convergence.settle(report, self.entities, self.bridge.net, self.iteration)
        if self.status is not None:  # what this step settled, for the status API
            self.status.stepped(cycle.states)
        return self._next_step(time)

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        """Outputs of units (setpoints), controllers (aggregates) and the core (metrics)."""
        data: dict[str, dict[str, Any]] = {}
        report = self.report
        for eid, attrs in outputs.items():
            entity = self.entities.get(eid)
            if entity is None:
                raise ConfigError(f"get_data: unknown entity {eid!r}")
            if report is None:
                continue  # nothing decided yet
            if entity.role == "unit":
                if self.convergence.emit_units:
                    data[eid] = self.bridge.unit_outputs(
                        entity, report.results[eid], attrs, self.convergence.converged,
                        self.time, self.iteration == 0)
            else:
                data[eid] = self._upper_outputs(eid, entity.role == "core", attrs, report)
        return data

    def finalize(self) -> None:
        """Stop the agents and close the sockets; call the ``finalize`` hook."""
        if self.runtime is not None:
            self.runtime.close()
        if self.status is not None:
            self.status.close()
        if self.config.hooks.finalize is not None:
            self.config.hooks.finalize(**self._hook_kwargs())

    def get_info(self) -> dict[str, Any]:
        """Where the agents live and what they rejected (a mosaik extra method)."""
        assert self.runtime is not None
        return {**self.runtime.describe(),
                "address": list(self.runtime.address) if isinstance(
                    self.runtime.address, tuple) else self.runtime.address,
                "status": self.status.describe() if self.status is not None else None}

    # -- helpers ----------------------------------------------------------------------
    def _hook_kwargs(self) -> dict[str, Any]:
        """What ``initialize``/``finalize`` get: MASSCA's parameters with its hooks."""
        if isinstance(self.bridge, MasscaBridge):
            return dict(self.bridge.kwargs)
        return dict(self.config.user_params)

    def _next_step(self, time: int) -> int | None:
        """Stepped by its inputs; with MASSCA's hooks also every ``step_size`` (default 900).

        MASSCA's simulator returned ``time + step_size`` from every step, so mosaik steps it
        then even without new inputs (e.g. one second after a time-shifted input).
        """
        if not self.config.massca_mode:
            return None
        return time + (self.config.params.step_size or MASSCA_STEP_SIZE)

    def _negotiators(self, tree: Tree) -> dict[str, Negotiation]:
        """Controllers that split by negotiating: the core between cells, the rest within."""
        chosen: dict[str, Negotiation] = {}
        if self.config.within_cell is not None:
            chosen.update({eid: self.config.within_cell for eid in tree.controllers()})
        if self.config.between_cells is not None and tree.nodes[tree.root].children:
            chosen[tree.root] = self.config.between_cells
        return chosen

    def _cycle_input(self, time: int, first: bool) -> CycleInput:
        """Unit states, the offset and grid views of this iteration."""
        bridge = self.bridge
        units = by_role(self.entities, "unit")
        for entity in units:
            entity.state = bridge.unit_state(entity, time, first)
            if first or entity.base is None:
                entity.base = entity.state
        core = by_role(self.entities, "core")[0]
        if first:
            self.ext_first = core.values.get("P_ext[MW]")
        offset, core.state = bridge.core_state(core, units, time, first)
        self.offset = offset
        grids = {e.eid: GridView.from_dict(e.objects["grid"], f"controller {e.eid!r} grid")
                 for e in by_role(self.entities, "controller") if "grid" in e.objects}
        return CycleInput(time, self.iteration, {u.eid: u.state for u in units}, offset,
                          core.state, self.config.params.step_size, grids)

    def _upper_outputs(self, eid: str, core: bool, attrs: list[str], report: CycleReport
                       ) -> dict[str, Any]:
        """A controller's or the core's outputs; a user hook's values take precedence."""
        if core:
            values = self._core_values(report)
        else:
            values = self.bridge.controller_outputs(report.aggregates.get(eid),
                                                    report.targets.get(eid))
            values.update(grid_outputs(report.notes.get(eid)))
        values.update(self.bridge.hook_outputs(eid, core, attrs, report,
                                               self.convergence.converged, self.time,
                                               self.iteration == 0))
        return _pick(values, attrs)

    def _core_values(self, report: CycleReport) -> dict[str, Any]:
        values: dict[str, Any] = {
            "messages": self.messages,
            "rejected": report.rejected,
            "iterations": self.iteration + 1,
            "converged": self.convergence.converged,
            "negotiations": self.negotiations,
            "deviation[MW]": report.deviation,
        }
        if self.config.params.performance:  # MASSCA: the step's wall time only if asked
            values["steptime"] = self.steptime
        bases = [e.base for e in by_role(self.entities, "unit")]
        values.update(self.bridge.system_outputs(report, self.offset, bases))
        if self.ext_first is not None:  # measured before the agents acted at this time
            values["P_uncontrolled[MW]"] = self.ext_first
        return values

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
        """Read the step's inputs; ``raw`` holds only this step's (MASSCA's ``input_data``).

        With MASSCA's ``input_method`` the hook reads the raw inputs (as in MASSCA, any
        value, e.g. NaN or None, reaches it); numbers are summed where they are numbers.
        """
        keep_raw = self.config.hooks.input_method is not None  # only its hook reads them
        raw_ok = self.config.massca_mode and keep_raw
        if keep_raw:
            for entity in self.entities.values():
                entity.raw = {}
        for eid, attrs in inputs.items():
            entity = self.entities.get(eid)
            if entity is None:
                raise ConfigError(f"step: input for unknown entity {eid!r}")
            if keep_raw:
                entity.raw = {attr: dict(sources) for attr, sources in attrs.items()}
            for attr, sources in attrs.items():
                if attr in STRUCTURED_INPUTS:
                    entity.objects[attr] = _single(eid, attr, sources)
                    continue
                try:
                    entity.values[attr] = _summed(eid, attr, sources)
                except StateError:
                    if not raw_ok:
                        raise
                    entity.values.pop(attr, None)


def _summed(eid: str, attr: str, sources: Mapping[str, Any]) -> float:
    total = 0.0
    for src, value in sources.items():
        if not is_number(value) or not math.isfinite(value):
            raise StateError(f"entity {eid!r}: input {attr!r} from {src!r} must be "
                             f"a finite number, got {value!r}")
        total += float(value)
    return total


def _single(eid: str, attr: str, sources: Mapping[str, Any]) -> Any:
    if len(sources) != 1:
        raise StateError(f"entity {eid!r}: input {attr!r} takes exactly one source, got "
                         f"{sorted(sources)}")
    return next(iter(sources.values()))


def grid_outputs(note: Mapping[str, Any] | None) -> dict[str, Any]:
    """A grid-aware controller's report as output attributes (zeros without a report)."""
    if note is None:
        return {"grid_violations": 0, "grid_excess": 0.0, "grid_curtailed[MW]": 0.0}
    remaining = note["remaining"]
    return {"grid_violations": len(remaining),
            "grid_excess": max((v["excess"] for v in remaining), default=0.0),
            "grid_curtailed[MW]": note["curtailed_mw"]}


def _pick(values: Mapping[str, Any], attrs: list[str]) -> dict[str, Any]:
    return {a: values[a] for a in attrs if a in values}
