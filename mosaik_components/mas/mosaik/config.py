"""The MAS simulator's parameters (``world.start("MAS", **params)``) as a declared model.

:class:`MasParams` (pydantic, strict) declares every parameter with its type and range;
:func:`parse_config` validates the raw keyword arguments with it and builds what the
simulator runs with (:class:`MasConfig`: the strategy object, the negotiations, the
transport). Every bad value raises :class:`~..model.errors.ConfigError` naming the
parameter and the value. Hooks may be callables (in-process) or
``"package.module:function"`` strings, which also work when the simulator runs as a
``cmd`` subprocess. numpy scalars count as numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..model.errors import ConfigError
from ..runtime.transport import (
    DEFAULT_MAX_FRAME,
    TRANSPORTS,
    TransportConfig,
    is_loopback,
    read_secret_file,
)
from ..strategies import NEGOTIATIONS
from ..strategies.base import Strategy
from ..strategies.negotiation import Negotiation
from ..strategies.registry import build_strategy, resolve

__all__ = ["MasParams", "MasConfig", "Hooks", "parse_config", "resolve", "validated"]

logger = logging.getLogger(__name__)

HOOK_NAMES = (
    "input_method", "output_method", "aggregation_method", "execute_method",
    "initialize", "finalize",
)
#: MASSCA's other spellings
ALIASES = {"states_agg_method": "aggregation_method", "convegence_max_steps": "max_iterations"}
#: More containers than this only cost sockets and start-up time (mosaik gives a
#: simulator's init 10 s).
MAX_CONTAINERS = 64
#: How a level splits: the configured strategy (MASSCA's ``default``) or a negotiation.
STRATEGY_LEVELS = ("strategy", "default", "balance")


def _plain(value: object) -> object:
    """Return numpy scalars as Python numbers (so ``np.int64(3)`` is an integer)."""
    return value.item() if isinstance(value, np.generic) else value


Number = Annotated[float, BeforeValidator(_plain), Field(allow_inf_nan=False)]
Positive = Annotated[float, BeforeValidator(_plain), Field(gt=0, allow_inf_nan=False)]
Integer = Annotated[int, BeforeValidator(_plain)]


class CohdaParams(BaseModel):
    """``cohda={...}``: COHDA's options."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    levels: Annotated[Integer, Field(ge=2)] = 11
    neighbours: Annotated[Integer, Field(ge=2)] = 4
    rewire: Annotated[Number, Field(ge=0, le=1)] = 0.1
    max_updates: Annotated[Integer, Field(ge=1)] = 1_000


class MasParams(BaseModel):
    """Every parameter of the MAS simulator, with its type, range and default."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              arbitrary_types_allowed=True)

    step_size: Annotated[Integer, Field(gt=0)] | None = None
    strategy: Any = "balance"
    #: the strategy's options by name (JSON-compatible, so worker processes rebuild it)
    strategy_options: dict[str, Any] = {}
    surplus_priority: Literal["consume", "curtail"] | None = None
    timeout: Positive = 30.0
    tolerance: Positive = 1e-6
    max_iterations: Annotated[Integer, Field(ge=1)] = 10
    #: MASSCA's: < 0 silent (its sweep's default -1), 0 warnings, 1 info, 2 debug
    verbose: Annotated[Integer, Field(ge=-1)] = 0
    performance: bool = True
    state_dict: dict[str, Any] | None = None
    initial_state: dict[str, Any] | None = None
    META: dict[str, Any] | None = None
    within_cell: str = "strategy"
    between_cells: str = "strategy"
    cohda: CohdaParams = CohdaParams()
    seed: Annotated[Integer, Field(ge=0)] = 0
    # where the agents live
    transport: str = "tcp"
    containers: Annotated[Integer, Field(ge=1, le=MAX_CONTAINERS)] = 1
    processes: bool = False
    workers: list[str] = []
    allow_remote: bool = False
    # the live status API (status.py): off unless status_port is given (0: a free port)
    status_port: Annotated[Integer, Field(ge=0, le=65535)] | None = None
    status_host: str = "127.0.0.1"
    status_token: str | None = None
    status_until: Annotated[Integer, Field(gt=0)] | None = None
    # security: the largest message (bytes); the run's secret (needed with workers)
    max_frame: Annotated[Integer, Field(ge=1024)] = DEFAULT_MAX_FRAME
    secret_file: str | None = None
    # MASSCA hooks (callables or "module:function")
    input_method: Any = None
    output_method: Any = None
    aggregation_method: Any = None
    execute_method: Any = None
    initialize: Any = None
    finalize: Any = None
    #: MASSCA's round counter (only with execute_method; default 2 there)
    convergence_steps: Annotated[Integer, Field(ge=1)] | None = None


@dataclass(frozen=True, slots=True)
class Hooks:
    """MASSCA-compatible user hooks (all optional)."""

    input_method: Callable[..., Any] | None = None
    output_method: Callable[..., Any] | None = None
    aggregation_method: Callable[..., Any] | None = None
    execute_method: Callable[..., Any] | None = None
    initialize: Callable[..., Any] | None = None
    finalize: Callable[..., Any] | None = None


@dataclass(frozen=True, slots=True)
class MasConfig:
    """What the simulator runs with, built from validated :class:`MasParams`."""

    params: MasParams = MasParams()
    strategy: Strategy = field(default_factory=lambda: build_strategy("balance"))
    #: the strategy's own parameters, for worker processes to rebuild it
    strategy_params: Mapping[str, Any] = field(default_factory=lambda: {"strategy": "balance"})
    transport: TransportConfig = TransportConfig()
    hooks: Hooks = Hooks()
    #: the negotiation within cells / between cells, or None for the strategy's split
    within_cell: Negotiation | None = None
    between_cells: Negotiation | None = None
    extra_attrs: tuple[str, ...] = ()
    user_params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def massca_mode(self) -> bool:
        """True when MASSCA's ``execute_method`` replaces the typed strategy."""
        return self.hooks.execute_method is not None


def validated(model: type[BaseModel], data: Mapping[str, Any], what: str = "") -> Any:
    """``model`` validated from ``data``; a :class:`ConfigError` naming field and value."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        name = f"{what}.{where}" if what and where else (what or where)
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"unknown parameter {name!r}") from None
        message = first["msg"][:1].lower() + first["msg"][1:]
        raise ConfigError(f"{name}: {message}, got {first['input']!r}") from None


def _hooks(params: dict[str, Any]) -> Hooks:
    found = {}
    for name in HOOK_NAMES:
        value = params.get(name)
        if value is None:
            continue
        hook = resolve(value, name)
        if not callable(hook):
            raise ConfigError(f"{name} must be callable or 'module:function', got {value!r}")
        found[name] = hook
    return Hooks(**found)


def _extra_attrs(meta: Mapping[str, Any] | None) -> tuple[str, ...]:
    if meta is None:
        return ()
    try:
        attrs = meta["models"]["MosaikAgents"]["attrs"]
    except (KeyError, TypeError):
        raise ConfigError("META must look like MASSCA's: "
                          "{'models': {'MosaikAgents': {'attrs': [...]}}}") from None
    if not isinstance(attrs, list) or not all(isinstance(a, str) for a in attrs):
        raise ConfigError(f"META attrs must be a list of strings, got {attrs!r}")
    return tuple(attrs)


def _level(params: MasParams, name: str) -> Negotiation | None:
    value = getattr(params, name)
    if value in STRATEGY_LEVELS:
        return None
    if value not in NEGOTIATIONS:
        raise ConfigError(f"{name} must be one of {sorted([*STRATEGY_LEVELS, *NEGOTIATIONS])}, "
                          f"got {value!r}")
    if value == "cohda":
        settings = {**params.cohda.model_dump(), "seed": params.seed}
        return NEGOTIATIONS[value].from_settings(settings)  # type: ignore[attr-defined, no-any-return]
    return NEGOTIATIONS[value].from_settings({})  # type: ignore[attr-defined, no-any-return]


def _address(value: object, name: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"{name} must be 'host:port', got {value!r}")
    return host, int(port)


def _transport(params: MasParams, raw: dict[str, Any]) -> TransportConfig:
    cls = TRANSPORTS.get(params.transport)
    if cls is None:
        raise ConfigError(f"transport must be one of {sorted(TRANSPORTS)}, "
                          f"got {params.transport!r}")
    transport = cls.from_params(raw, params.containers)  # type: ignore[attr-defined]
    remote = transport.remote_hosts()
    for index, entry in enumerate(params.workers):
        host, _ = _address(entry, f"workers[{index}]")
        if not is_loopback(host):
            remote.append(host)
    if remote and not params.allow_remote:
        raise ConfigError(f"{remote[0]!r} is not loopback: reaching or exposing the agents "
                          "on the network needs allow_remote=True (set it deliberately)")
    if remote:
        logger.warning("MAS reaches or listens on non-loopback hosts %s (allow_remote=True)",
                       remote)
    if (params.processes or params.workers) and params.transport != "tcp":
        raise ConfigError("worker processes talk TCP: use transport='tcp' with "
                          "processes/workers")
    if params.processes and params.workers:
        raise ConfigError("give either processes=True (spawn workers here) or workers=[...] "
                          "(started elsewhere), not both")
    if params.workers and params.secret_file is None:
        raise ConfigError("workers started elsewhere need the run's secret: give "
                          "secret_file=FILE, the file their --secret-file names")
    if params.secret_file is not None:
        read_secret_file(params.secret_file)  # ConfigError now, not at start
    return TransportConfig(transport, params.containers, params.processes,
                           tuple(params.workers), params.max_frame, params.secret_file)


def _transport_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Pop the selected transport's parameters; another transport's are an error."""
    kind = raw.get("transport", "tcp")
    cls = TRANSPORTS.get(kind) if isinstance(kind, str) else None
    own = cls.params if cls is not None else ()
    for other in TRANSPORTS.values():
        for name in other.params:
            if name in raw and name not in own:
                raise ConfigError(f"{name} is a parameter of transport {other.name!r}, not of "
                                  f"{kind!r}; set transport={other.name!r} to use it")
    return {k: raw.pop(k) for k in own if k in raw}


def _massca_spellings(raw: dict[str, Any]) -> None:
    """MASSCA's other parameter names; ``convergence_steps`` counts only with its hooks."""
    for alias, name in ALIASES.items():
        if alias in raw:
            if name in raw:
                raise ConfigError(f"give either {alias!r} or {name!r}, not both")
            raw[name] = raw.pop(alias)
    if raw.get("convergence_steps") is not None and raw.get("execute_method") is None:
        logger.warning("convergence_steps (MASSCA's round counter) is replaced by a tolerance "
                       "on setpoint changes: set 'tolerance' (MW) and 'max_iterations'")


def parse_config(raw_params: Mapping[str, Any]) -> MasConfig:
    """Validate the keyword arguments of ``world.start("MAS", ...)`` (module docstring)."""
    raw = dict(raw_params)
    _massca_spellings(raw)
    transport_raw = _transport_params(raw)
    hooks = _hooks(raw)
    known = set(MasParams.model_fields)
    user = {k: raw.pop(k) for k in list(raw) if k not in known}
    if user and hooks.execute_method is None:
        raise ConfigError(f"unknown parameter(s) {sorted(user)} (user parameters are only "
                          "accepted together with MASSCA hooks, which receive them)")
    params: MasParams = validated(MasParams, raw)
    options = dict(params.strategy_options)
    if params.surplus_priority is not None:
        if "surplus_priority" in options:
            raise ConfigError("give surplus_priority either directly or in strategy_options")
        options["surplus_priority"] = params.surplus_priority
    strategy_params = {"strategy": params.strategy, **options}
    config = MasConfig(
        params=params, strategy=build_strategy(params.strategy, options),
        strategy_params=strategy_params, transport=_transport(params, transport_raw),
        hooks=hooks, within_cell=_level(params, "within_cell"),
        between_cells=_level(params, "between_cells"), extra_attrs=_extra_attrs(params.META),
        user_params={"verbose": params.verbose, **user},
    )
    remote = config.transport.processes or config.transport.workers
    if remote and (config.massca_mode or not isinstance(params.strategy, str)):
        raise ConfigError("with worker processes the strategy must be a name or "
                          "'module:Class' string (workers rebuild it), and MASSCA hooks are "
                          "not supported")
    if config.massca_mode and (config.within_cell or config.between_cells):
        raise ConfigError("within_cell/between_cells negotiations work with typed strategies, "
                          "not with MASSCA's execute_method")
    return config
