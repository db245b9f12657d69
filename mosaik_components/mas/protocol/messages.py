"""The coordination protocol's message types.

One cycle per mosaik step (or per same-time iteration), identified by ``cycle``:

1. ``FlexReport``   child -> parent: the child's (aggregated) flexibility.
2. ``Instruction``  parent -> child: that child's own target, never anyone else's.
3. ``AgentFailure`` any -> core: the agent raised; the cycle fails naming it.
4. ``UnitsDone``    relay -> core: every unit of one other container is done.

Worker processes (:mod:`.worker`) are greeted with ``Hello``/``Welcome`` (the first
contact: the MAS learns the worker container's random id, so everything after it is
bound to that container and this run, see :mod:`.envelope`), set up with
``SetupPart``/``SetupDone``/``Wire``, get each cycle's unit states in one
``CycleStart`` and stop on ``Shutdown``. A worker takes ``SetupPart`` only once, bound
to it, and every later control message only from the agent that set it up.

A unit's completion is counted in the container that hosts it: by the core in its
own container, by a completion relay in every other one.

Payloads are ``UnitState``/``Target`` (or, with MASSCA's hooks, what the hooks
exchange); :mod:`.codec` teaches mango's JSON codec all of them so the same messages can
cross TCP/MQTT containers (no pickle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mango import json_serializable

__all__ = [
    "FlexReport",
    "Instruction",
    "AgentFailure",
    "UnitsDone",
    "Hello",
    "Welcome",
    "SetupPart",
    "SetupDone",
    "Wire",
    "CycleStart",
    "Shutdown",
    "HOST_AID",
    "MESSAGE_TYPES",
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

    From a worker process it carries the units' results (targets packed by
    :func:`.columns.pack_targets`) and the controllers' ``{"states", "targets"}`` (packed
    by :mod:`.columns`), in the order of its setup nodes.
    """

    cycle: int
    container: int
    results: dict[str, Any] | None = None
    controllers: dict[str, Any] | None = None
    #: the worker's ``[messages sent (this one included), COHDA negotiations,
    #: their deviation in MW, messages it rejected]`` since its last report
    counts: list[float] | None = None


@json_serializable
@dataclass(slots=True)
class Hello:
    """Core's process -> worker, first contact: you are container ``container``."""

    container: int


@json_serializable
@dataclass(slots=True)
class Welcome:
    """Worker -> core's process, bound to the Hello's sender: container ``container``.

    Its envelope carries the worker container's id, which the MAS binds everything
    after it to.
    """

    container: int


@json_serializable
@dataclass(slots=True)
class SetupPart:
    """Core's process -> worker: build these nodes (``[eid, role, parent, children]``).

    ``core`` is ``[eid, [host, port], aid]``; ``strategy`` the strategy's parameters
    (``{"strategy": name or "module:Class", ...}``); ``negotiation`` the negotiation's
    spec by the eid of each local controller that leads one (``{eid: {"name": "cohda",
    "settings": {...}}}``); ``negotiators`` those controllers' eids; ``peers`` every
    container of the run as ``{container id: address}``.
    """

    container: int
    core: list[Any]
    nodes: list[list[Any]]
    strategy: dict[str, Any]
    negotiation: dict[str, Any]
    negotiators: list[str]
    peers: dict[str, Any]


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
    """Core's process -> worker: ``controller`` negotiates among ``children``.

    ``addresses`` are the children's ``{eid: [[host, port], aid]}``; ``negotiation`` is
    the negotiation's ``{"name": ..., "settings": {...}}``.
    """

    controller: str
    children: list[str]
    addresses: dict[str, list[Any]]
    negotiation: dict[str, Any]


@json_serializable
@dataclass(slots=True)
class CycleStart:
    """Core's process -> worker: start ``cycle`` with these unit states.

    ``states`` are packed by :func:`.columns.pack_states`, one per unit of the worker in
    the order of its :class:`SetupPart` nodes: no eids, 48 bytes per unit.
    """

    cycle: int
    time: int
    iteration: int
    states: dict[str, Any]


@json_serializable
@dataclass(slots=True)
class Shutdown:
    """Core's process -> worker: stop."""

    reason: str = "done"


#: The mango id of a worker process's control agent (receives setup and cycle starts).
HOST_AID = "massca_host"

MESSAGE_TYPES = (FlexReport, Instruction, AgentFailure, UnitsDone, Hello, Welcome, SetupPart,
                 SetupDone, Wire, CycleStart, Shutdown)
