"""The coordination protocol's message types.

One cycle per mosaik step (or per same-time iteration), identified by ``cycle``:

1. ``FlexReport``   child -> parent: the child's (aggregated) flexibility.
2. ``Instruction``  parent -> child: that child's own target, never anyone else's.
3. ``AgentFailure`` any -> core: the agent raised; the cycle fails naming it.
4. ``UnitsDone``    relay -> core: every unit of one other container is done.

Worker processes (:mod:`.worker`) are set up with ``SetupPart``/``SetupDone``/``Wire``,
get each cycle's unit states in one ``CycleStart`` and stop on ``Shutdown``.

A unit's completion is counted in the container that hosts it: by the core in its
own container, by a completion relay in every other one.

Payloads are ``UnitState``/``Target`` for typed strategies or plain dicts for
MASSCA-style hooks; :func:`register_codec` teaches a mango codec all of them so the
same messages can cross TCP/MQTT containers (JSON, no pickle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mango import json_serializable
from mango.messages.codecs import Codec

from ..model.flexibility import Flex, Target, UnitState
from ..strategies.cohda.codec import register_cohda

__all__ = [
    "FlexReport",
    "Instruction",
    "AgentFailure",
    "UnitsDone",
    "SetupPart",
    "SetupDone",
    "Wire",
    "CycleStart",
    "Shutdown",
    "MESSAGE_TYPES",
    "register_codec",
]


@json_serializable
@dataclass(slots=True)
class FlexReport:
    """A child's flexibility for cycle ``cycle``."""

    cycle: int
    state: Any


@json_serializable
@dataclass(slots=True)
class Instruction:
    """The receiving child's own target for cycle ``cycle``."""

    cycle: int
    target: Any


@json_serializable
@dataclass(slots=True)
class AgentFailure:
    """Agent ``agent`` raised ``error`` while working on cycle ``cycle``."""

    cycle: int
    agent: str
    error: str


@json_serializable
@dataclass(slots=True)
class UnitsDone:
    """Every unit in container ``container`` is done with cycle ``cycle``.

    From a worker process it carries the units' results (packed targets) and the
    controllers' packed ``state + target``, in the order of its setup nodes.
    """

    cycle: int
    container: int
    results: list[list[float]] | None = None
    controllers: list[list[float]] | None = None
    #: the worker's ``[messages sent (this one included), COHDA negotiations,
    #: their deviation in MW]`` in this cycle
    counts: list[float] | None = None


@json_serializable
@dataclass(slots=True)
class SetupPart:
    """Core's process -> worker: build these nodes (``[eid, role, parent, children]``).

    ``core`` is ``[eid, [host, port], aid]``; ``strategy`` the strategy's parameters
    (``{"strategy": name or "module:Class", ...}``); ``cohda`` the COHDA settings;
    ``negotiators`` the local controllers that split with COHDA.
    """

    container: int
    core: list[Any]
    nodes: list[list[Any]]
    strategy: dict[str, Any]
    cohda: dict[str, Any]
    negotiators: list[str]


@json_serializable
@dataclass(slots=True)
class SetupDone:
    """Worker -> core's process: ``{eid: aid}`` of every agent it built, and its relay's."""

    container: int
    aids: dict[str, str]
    relay: str


@json_serializable
@dataclass(slots=True)
class Wire:
    """Core's process -> worker: ``controller`` negotiates among ``children`` (COHDA).

    ``addresses`` are the children's ``{eid: [[host, port], aid]}``.
    """

    controller: str
    children: list[str]
    addresses: dict[str, list[Any]]


@json_serializable
@dataclass(slots=True)
class CycleStart:
    """Core's process -> worker: start ``cycle`` with these unit states.

    ``states`` are packed (:func:`pack_state`), one per unit of the worker in the
    order of its :class:`SetupPart` nodes: no eids, few bytes per unit.
    """

    cycle: int
    time: int
    iteration: int
    states: list[list[float]]


@json_serializable
@dataclass(slots=True)
class Shutdown:
    """Core's process -> worker: stop."""

    reason: str = "done"


#: The mango id of a worker process's control agent (receives setup and cycle starts).
HOST_AID = "massca_host"

MESSAGE_TYPES = (FlexReport, Instruction, AgentFailure, UnitsDone, SetupPart, SetupDone, Wire,
                 CycleStart, Shutdown)


def _flex_to(f: Flex) -> list[float]:
    return [f.current, f.min, f.max]


def _state_to(s: UnitState) -> dict[str, list[float]]:
    return {"p": _flex_to(s.production), "c": _flex_to(s.consumption)}


def _state_from(d: dict[str, list[float]]) -> UnitState:
    return UnitState(Flex(*d["p"]), Flex(*d["c"]))


def _target_to(t: Target) -> list[float]:
    return [t.production, t.consumption]


def _target_from(d: list[float]) -> Target:
    return Target(d[0], d[1])


def pack_state(s: UnitState) -> list[float]:
    """Production current/min/max, then consumption current/min/max."""
    p, c = s.production, s.consumption
    return [p.current, p.min, p.max, c.current, c.min, c.max]


def unpack_state(v: list[float]) -> UnitState:
    """Inverse of :func:`pack_state`."""
    return UnitState(Flex(v[0], v[1], v[2]), Flex(v[3], v[4], v[5]))


def pack_target(t: Target | None) -> list[float]:
    """``[production, consumption]``; ``[]`` for no target."""
    return [] if t is None else [t.production, t.consumption]


def unpack_target(v: list[float]) -> Target | None:
    """Inverse of :func:`pack_target`."""
    return Target(v[0], v[1]) if v else None


def register_codec(codec: Codec) -> Codec:
    """Add every protocol type (messages, states, targets, COHDA's) to ``codec``; return it."""
    for cls in MESSAGE_TYPES:
        codec.add_serializer(*cls.__serializer__())
    codec.add_serializer(UnitState, _state_to, _state_from)
    codec.add_serializer(Target, _target_to, _target_from)
    return register_cohda(codec)
