"""The errors massca raises. Every message names the field or agent and the value."""

from __future__ import annotations

__all__ = [
    "MasError",
    "ConfigError",
    "StateError",
    "HierarchyError",
    "StrategyError",
    "CycleTimeoutError",
    "AgentFailedError",
    "NegotiationTimeoutError",
    "TransportError",
]


class MasError(Exception):
    """Base class of every error raised by ``mosaik_components.mas``."""


class ConfigError(MasError, ValueError):
    """A simulator parameter, model parameter or hook is invalid."""


class StateError(MasError, ValueError):
    """A flexibility value is missing, not a finite number, negative or min > max."""


class HierarchyError(MasError, ValueError):
    """The controller tree is malformed (unknown parent, cycle, two cores, ...)."""


class StrategyError(MasError):
    """A strategy returned something that breaks the protocol's invariants."""


class CycleTimeoutError(MasError, TimeoutError):
    """A coordination cycle did not finish in time; the message names the silent agents."""


class AgentFailedError(MasError):
    """An agent raised while handling its part of a coordination cycle."""


class NegotiationTimeoutError(MasError, TimeoutError):
    """A standalone COHDA negotiation did not end in time; names who never answered."""


class TransportError(MasError, ConnectionError):
    """A container could not start or lost its connection (names the container)."""
