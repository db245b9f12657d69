"""The strategy interface: how controllers aggregate, how the top decides, how shares split.

Modelled on pandapower's controller protocol: small, pure steps that an agent calls in
order. A strategy never sees mango or mosaik, only plain data:

* ``aggregate(children)`` -> the flexibility a controller reports to its parent,
* ``decide(system, offset)`` -> the target for the whole system (called at the top),
* ``split(target, children)`` -> one target per child; they must add up to ``target``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..model.flexibility import Target, UnitState

__all__ = ["Strategy"]


@runtime_checkable
class Strategy(Protocol):
    """What a coordination strategy provides. Implementations must be deterministic."""

    name: str

    def aggregate(self, children: Sequence[UnitState]) -> UnitState:
        """Combine the children's flexibility into the controller's own."""
        ...

    def decide(self, system: UnitState, offset: float) -> Target:
        """Choose the target of the whole system.

        ``offset`` is net demand outside the agents in MW (unmanaged loads minus
        unmanaged generation, losses): the exchange with the external grid is
        ``consumption - production + offset`` (import positive).
        """
        ...

    def split(self, target: Target, children: Sequence[UnitState]) -> list[Target]:
        """Divide a controller's target among its children (same order as ``children``)."""
        ...
