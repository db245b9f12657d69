"""Building strategies and negotiations from names: the registries' one entry point.

A strategy is a name from :data:`~.STRATEGIES`, a ``"package.module:Class"`` string
(imported here), a class, or an instance; options (e.g. ``surplus_priority``) go to
the class. A negotiation is a name from :data:`~.NEGOTIATIONS` plus its settings.
Every failure is a :class:`~..model.errors.ConfigError` naming the value.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from ..model.errors import ConfigError
from .base import Strategy

__all__ = ["resolve", "build_strategy"]


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


def build_strategy(value: object, options: Mapping[str, Any] | None = None) -> Strategy:
    """The strategy ``value`` names (see the module docstring), built with ``options``."""
    from . import STRATEGIES

    options = dict(options or {})
    if isinstance(value, str) and value in STRATEGIES:
        factory: Any = STRATEGIES[value]
    elif isinstance(value, str) and ":" not in value:
        raise ConfigError(f"strategy: unknown name {value!r}; known: {sorted(STRATEGIES)} "
                          "or 'package.module:Class'")
    else:
        factory = resolve(value, "strategy")
    if isinstance(factory, type):
        try:
            strategy = factory(**options)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"strategy {value!r}: bad option(s) {options}: {exc}") from None
    elif options:
        raise ConfigError(f"strategy {value!r} is an instance; options {options} cannot apply")
    else:
        strategy = factory
    if not isinstance(strategy, Strategy):
        raise ConfigError(f"strategy {value!r} lacks aggregate/decide/split/name")
    return strategy
