"""The negotiation seam: distributed algorithms by which a controller's children agree.

Where a :class:`~.base.Strategy` splits a controller's target by itself, a negotiation
lets the children find their targets by exchanging messages among themselves (COHDA
today). The agents only move the messages; everything else is here, transport-free:

* :class:`Negotiation` — one algorithm with its settings. It names the message types it
  uses (:attr:`Negotiation.messages`, for the agents' dispatch and the codec), says which
  children may talk to which (:meth:`Negotiation.neighbours`) and makes the two sides.
* :class:`Lead` — the controller's side: :meth:`Lead.start` gives the messages that open
  a negotiation for a net power; :meth:`Lead.receive` takes its children's answers and,
  once the negotiation has ended, returns every child's :class:`~..model.Target`.
* :class:`Member` — a child's side: :meth:`Member.receive` takes a message from the
  controller or a neighbour; :meth:`Member.flush` (called when the agent's inbox is
  empty) returns the messages to send, to neighbours or to the controller.

A new algorithm is a module implementing these three plus one line in
:data:`~mosaik_components.mas.strategies.NEGOTIATIONS`; the agents do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from ..model.flexibility import Target, UnitState

__all__ = ["Negotiation", "Lead", "Member", "Outgoing", "WireType", "Sender", "negotiation_spec",
           "from_spec"]

#: A message to send: (recipient eid, message).
Outgoing = tuple[str, Any]
#: How a message type travels as JSON: (type, to plain data, from plain data).
WireType = tuple[type, Callable[[Any], Any], Callable[[Any], Any]]
#: Who a member's message came from.
Sender = Literal["lead", "neighbour"]


@runtime_checkable
class Lead(Protocol):
    """The negotiating controller's side (one negotiation at a time)."""

    #: |target - achieved| of the last negotiation that ended (MW)
    deviation: float

    def start(self, net: float, reports: Mapping[str, UnitState]) -> list[Outgoing]:
        """Open a negotiation for net power ``net`` MW among the reporting children."""
        ...

    def receive(self, child: str, message: Any, reports: Mapping[str, UnitState]
                ) -> dict[str, Target] | None:
        """Take a child's message; every child's target once the negotiation has ended."""
        ...


@runtime_checkable
class Member(Protocol):
    """A child's side of its controller's negotiations."""

    #: the siblings this child talks to
    neighbours: list[str]

    def receive(self, sender: Sender, eid: str, message: Any, state: UnitState) -> bool:
        """Take a message from the lead or neighbour ``eid``; False rejects it.

        ``state`` is the flexibility the child reported in this cycle.
        """
        ...

    def flush(self) -> list[Outgoing]:
        """The messages to send now that the inbox is empty (recipient: lead or neighbour)."""
        ...


@runtime_checkable
class Negotiation(Protocol):
    """One distributed algorithm and its settings (see the module docstring)."""

    name: str
    #: the message types it exchanges
    messages: tuple[type, ...]

    def wire_types(self) -> list[WireType]:
        """How its messages travel as JSON between containers."""
        ...

    def neighbours(self, controller: str, children: Sequence[str]) -> dict[str, list[str]]:
        """Which siblings each child talks to.

        Deterministic: it is computed wherever a child lives (e.g. in worker processes).
        """
        ...

    def lead(self, controller: str, children: Sequence[str]) -> Lead:
        """The controller's side."""
        ...

    def members(self, controller: str, children: Sequence[str]) -> dict[str, Member]:
        """Every child's side (a caller keeps those of the children it hosts)."""
        ...

    def settings_dict(self) -> dict[str, Any]:
        """Its parameters in plain form (worker processes rebuild it from them)."""
        ...

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Negotiation:
        """Rebuild from :meth:`settings_dict`'s form."""
        ...


def negotiation_spec(negotiation: Negotiation) -> dict[str, Any]:
    """A negotiation in plain form: ``{"name": ..., "settings": {...}}``."""
    return {"name": negotiation.name, "settings": negotiation.settings_dict()}


def from_spec(spec: Mapping[str, Any], registry: Mapping[str, type]) -> Negotiation:
    """Rebuild a negotiation from :func:`negotiation_spec`'s form with ``registry``."""
    cls = registry.get(spec.get("name", ""))
    if cls is None:
        raise ValueError(f"unknown negotiation {spec.get('name')!r}; known: {sorted(registry)}")
    return cls.from_settings(spec.get("settings", {}))  # type: ignore[attr-defined, no-any-return]
