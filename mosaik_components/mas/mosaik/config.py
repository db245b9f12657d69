"""Typed, validated configuration of the MAS simulator (``world.start("MAS", **params)``).

Every bad value raises :class:`~.errors.ConfigError` naming the parameter and value.
Hooks may be callables (in-process) or ``"package.module:function"`` strings, which
also work when the simulator runs as a ``cmd`` subprocess.
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..model.errors import ConfigError
from ..runtime.transport import LOOPBACK, TransportConfig
from ..strategies import STRATEGIES
from ..strategies.base import Strategy
from ..strategies.cohda.tree import CohdaSettings

__all__ = ["MasConfig", "Hooks", "parse_config", "resolve"]

logger = logging.getLogger(__name__)

HOOK_NAMES = (
    "input_method", "output_method", "aggregation_method", "execute_method",
    "initialize", "finalize",
)
ALIASES = {"states_agg_method": "aggregation_method"}
#: More containers than this only cost sockets and start-up time (mosaik gives a
#: simulator's init 10 s).
MAX_CONTAINERS = 64
#: How a level splits: the configured strategy (MASSCA's ``default``) or COHDA.
LEVEL_CHOICES = {"strategy": "strategy", "default": "strategy", "balance": "strategy",
                 "cohda": "cohda"}
COHDA_FIELDS = {"levels": (2, True), "neighbours": (2, True), "rewire": (0, False),
                "max_updates": (1, True)}


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
    """All simulator parameters, validated."""

    step_size: int | None = None
    strategy: Strategy = field(default_factory=lambda: STRATEGIES["balance"]())
    timeout: float = 30.0
    tolerance: float = 1e-6
    max_iterations: int = 10
    transport: TransportConfig = TransportConfig()
    verbose: int = 0
    performance: bool = True
    hooks: Hooks = Hooks()
    state_dict: Mapping[str, Any] | None = None
    initial_state: Mapping[str, Any] | None = None
    extra_attrs: tuple[str, ...] = ()
    user_params: Mapping[str, Any] = field(default_factory=dict)
    #: the strategy's own parameters, for worker processes to rebuild it
    strategy_params: Mapping[str, Any] = field(default_factory=lambda: {"strategy": "balance"})
    within_cell: str = "strategy"
    between_cells: str = "strategy"
    cohda: CohdaSettings = CohdaSettings()

    @property
    def massca_mode(self) -> bool:
        """True when MASSCA's ``execute_method`` replaces the typed strategy."""
        return self.hooks.execute_method is not None


def resolve(value: object, what: str) -> Any:
    """A callable/object as is, or the object named by a ``"module:attr"`` string."""
    if not isinstance(value, str):
        return value
    module_name, sep, attr = value.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"{what}: expected 'package.module:name', got {value!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{what}: cannot import module {module_name!r} ({exc})") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"{what}: module {module_name!r} has no {attr!r}") from None


def _number(params: dict[str, Any], name: str, default: float, *, integer: bool = False,
            minimum: float | None = None, positive: bool = False) -> Any:
    value = params.pop(name, default)
    if value is None:
        return None if default is None else default
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{name} must be {'an integer' if integer else 'a number'}, "
                          f"got {value!r}")
    if not math.isfinite(value) or (positive and value <= 0) or (
        minimum is not None and value < minimum
    ):
        bound = "> 0" if positive else f">= {minimum}"
        raise ConfigError(f"{name} must be finite and {bound}, got {value!r}")
    return value


def _strategy(params: dict[str, Any]) -> Strategy:
    value = params.pop("strategy", "balance")
    options = {k: params.pop(k) for k in ("surplus_priority",) if k in params}
    if isinstance(value, str) and value in STRATEGIES:
        try:
            strategy = STRATEGIES[value](**options)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"strategy {value!r}: bad option(s) {options}: {exc}") from None
    elif isinstance(value, str) and ":" not in value:
        raise ConfigError(f"strategy: unknown name {value!r}; known: {sorted(STRATEGIES)} "
                          "or 'package.module:Class'")
    else:
        strategy = resolve(value, "strategy")
        if isinstance(strategy, type):
            strategy = strategy(**options)
    if not isinstance(strategy, Strategy):
        raise ConfigError(f"strategy {value!r} lacks aggregate/decide/split/name")
    if getattr(strategy, "surplus_priority", "consume") not in ("consume", "curtail"):
        raise ConfigError(f"surplus_priority must be 'consume' or 'curtail', "
                          f"got {strategy.surplus_priority!r}")  # type: ignore[attr-defined]
    return strategy


def _hooks(params: dict[str, Any]) -> Hooks:
    for alias, name in ALIASES.items():
        if alias in params:
            if name in params:
                raise ConfigError(f"give either {alias!r} or {name!r}, not both")
            params[name] = params.pop(alias)
    found = {}
    for name in HOOK_NAMES:
        value = params.pop(name, None)
        if value is None:
            continue
        hook = resolve(value, name)
        if not callable(hook):
            raise ConfigError(f"{name} must be callable or 'module:function', got {value!r}")
        found[name] = hook
    return Hooks(**found)


def _extra_attrs(meta: object) -> tuple[str, ...]:
    if meta is None:
        return ()
    try:
        attrs = meta["models"]["MosaikAgents"]["attrs"]  # type: ignore[index]
    except (KeyError, TypeError):
        raise ConfigError("META must look like MASSCA's: "
                          "{'models': {'MosaikAgents': {'attrs': [...]}}}") from None
    if not all(isinstance(a, str) for a in attrs):
        raise ConfigError(f"META attrs must be strings, got {attrs!r}")
    return tuple(attrs)


def _level(params: dict[str, Any], name: str) -> str:
    value = params.pop(name, "strategy")
    if not isinstance(value, str) or value not in LEVEL_CHOICES:
        raise ConfigError(f"{name} must be one of {sorted(LEVEL_CHOICES)}, got {value!r}")
    return LEVEL_CHOICES[value]


def _cohda(params: dict[str, Any]) -> CohdaSettings:
    raw = params.pop("cohda", None)
    seed = params.pop("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    if raw is None:
        return CohdaSettings(seed=seed)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"cohda must be a dict with keys {sorted(COHDA_FIELDS)}, got {raw!r}")
    unknown = sorted(set(raw) - set(COHDA_FIELDS))
    if unknown:
        raise ConfigError(f"cohda: unknown key(s) {unknown}; known: {sorted(COHDA_FIELDS)}")
    values = {f"cohda.{key}": value for key, value in raw.items()}
    settings = {key: _number(values, f"cohda.{key}", getattr(CohdaSettings(), key),
                             integer=integer, minimum=minimum)
                for key, (minimum, integer) in COHDA_FIELDS.items()}
    if settings["rewire"] > 1:
        raise ConfigError(f"cohda.rewire must be <= 1, got {settings['rewire']!r}")
    return CohdaSettings(seed=seed, **settings)


def _address(params: dict[str, Any], name: str, default: str) -> tuple[str, int]:
    value = params.pop(name, default)
    host, sep, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"{name} must be 'host:port', got {value!r}")
    return host, int(port)


def _topic(params: dict[str, Any]) -> str:
    topic = params.pop("topic", "massca")
    if not isinstance(topic, str) or not topic or any(c in topic for c in "#+"):
        raise ConfigError(f"topic must be a non-empty MQTT topic without wildcards, "
                          f"got {topic!r}")
    return topic


def _workers(params: dict[str, Any], allow_remote: bool) -> tuple[bool, list[str]]:
    processes = params.pop("processes", False)
    if not isinstance(processes, bool):
        raise ConfigError(f"processes must be True or False, got {processes!r}")
    workers = params.pop("workers", [])
    if isinstance(workers, str) or not isinstance(workers, list | tuple):
        raise ConfigError(f"workers must be a list of 'host:port', got {workers!r}")
    for index, entry in enumerate(workers):
        worker_host, _ = _address({f"workers[{index}]": entry}, f"workers[{index}]", "")
        if worker_host not in LOOPBACK and not allow_remote:
            raise ConfigError(f"workers[{index}] {entry!r} is not loopback; set "
                              "allow_remote=True to reach workers on other hosts")
    return processes, list(workers)


def _transport(params: dict[str, Any]) -> TransportConfig:
    host = params.pop("host", "127.0.0.1")
    if not isinstance(host, str) or not host:
        raise ConfigError(f"host must be a non-empty string, got {host!r}")
    allow_remote = params.pop("allow_remote", False)
    if not isinstance(allow_remote, bool):
        raise ConfigError(f"allow_remote must be True or False, got {allow_remote!r}")
    if host not in LOOPBACK and not allow_remote:
        raise ConfigError(f"host {host!r} is not loopback: binding it exposes the agents to "
                          "the network; set allow_remote=True to do so deliberately")
    port = _number(params, "port", 0, integer=True, minimum=0)
    containers = _number(params, "containers", 1, integer=True, minimum=1)
    if containers > MAX_CONTAINERS:
        raise ConfigError(f"containers must be <= {MAX_CONTAINERS} (cells share containers; "
                          f"use fewer, bigger ones), got {containers!r}")
    if port > 65535 or (port and port + containers - 1 > 65535):
        raise ConfigError(f"port must be <= 65535 (port + containers - 1), got {port!r}")
    kind = params.pop("transport", "tcp")
    if kind not in ("tcp", "mqtt"):
        raise ConfigError(f"transport must be 'tcp' or 'mqtt', got {kind!r}")
    broker = _address(params, "broker", "127.0.0.1:1883")
    if broker[0] not in LOOPBACK and not allow_remote:
        raise ConfigError(f"broker {broker[0]!r} is not loopback; set allow_remote=True to "
                          "use a broker on another host")
    topic = _topic(params)
    processes, workers = _workers(params, allow_remote)
    if (processes or workers) and kind != "tcp":
        raise ConfigError("worker processes talk TCP: use transport='tcp' with "
                          "processes/workers")
    if processes and workers:
        raise ConfigError("give either processes=True (spawn workers here) or workers=[...] "
                          "(started elsewhere), not both")
    return TransportConfig(kind, containers, host, port, broker, topic, processes,
                           tuple(workers))


def parse_config(raw: Mapping[str, Any]) -> MasConfig:
    """Validate the keyword arguments of ``world.start("MAS", ...)``."""
    params = dict(raw)
    hooks = _hooks(params)
    transport = _transport(params)
    verbose = _number(params, "verbose", 0, integer=True, minimum=0)
    performance = params.pop("performance", True)
    if not isinstance(performance, bool):
        raise ConfigError(f"performance must be True or False, got {performance!r}")
    state_dict = params.pop("state_dict", None)
    initial_state = params.pop("initial_state", None)
    for name, value in (("state_dict", state_dict), ("initial_state", initial_state)):
        if value is not None and not isinstance(value, Mapping):
            raise ConfigError(f"{name} must be a dict, got {value!r}")
    if "convegence_max_steps" in params and "max_iterations" not in params:
        params["max_iterations"] = params.pop("convegence_max_steps")  # MASSCA's spelling
    if params.pop("convergence_steps", None) is not None:
        logger.warning("convergence_steps (MASSCA's round counter) is replaced by a tolerance "
                       "on setpoint changes: set 'tolerance' (MW) and 'max_iterations'")
    strategy_params = {k: params[k] for k in ("strategy", "surplus_priority") if k in params}
    config = MasConfig(
        step_size=_number(params, "step_size", None, integer=True, positive=True),
        strategy=_strategy(params),
        timeout=_number(params, "timeout", 30.0, positive=True),
        tolerance=_number(params, "tolerance", 1e-6, positive=True),
        max_iterations=_number(params, "max_iterations", 10, integer=True, minimum=1),
        transport=transport, verbose=verbose, performance=performance, hooks=hooks,
        state_dict=state_dict, initial_state=initial_state,
        extra_attrs=_extra_attrs(params.pop("META", None)),
        strategy_params=strategy_params or {"strategy": "balance"},
        within_cell=_level(params, "within_cell"),
        between_cells=_level(params, "between_cells"),
        cohda=_cohda(params),
    )
    remote = config.transport.processes or config.transport.workers
    if remote and (config.massca_mode or not isinstance(
            config.strategy_params.get("strategy", "balance"), str)):
        raise ConfigError("with worker processes the strategy must be a name or "
                          "'module:Class' string (workers rebuild it), and MASSCA hooks are "
                          "not supported")
    if config.massca_mode and "cohda" in (config.within_cell, config.between_cells):
        raise ConfigError("within_cell/between_cells 'cohda' works with typed strategies, "
                          "not with MASSCA's execute_method")
    if params and not config.massca_mode:
        raise ConfigError(f"unknown parameter(s) {sorted(params)} (user parameters are only "
                          "accepted together with MASSCA hooks, which receive them)")
    return _with_user_params(config, params)


def _with_user_params(config: MasConfig, params: dict[str, Any]) -> MasConfig:
    return replace(config, user_params={"verbose": config.verbose, **params})
