"""The strategy interface: how controllers aggregate, how the top decides, how shares split.

Modelled on pandapower's controller protocol: small, pure steps that an agent calls in
order. A strategy never sees mango or mosaik, only plain data:

* ``aggregate(children, view)`` -> the flexibility a controller reports to its parent,
* ``decide(system, offset, view)`` -> the target for the whole system (called at the top),
* ``split(target, children, view)`` -> one target per child; they must add up to ``target``.

``view`` (:class:`View`) is what the deciding agent knows besides its children's reports:
which agent it is, the mosaik time and step, and the grid it measures (if connected). A
strategy method may leave ``view`` out (as the first strategies written for massca did);
:func:`accepts_view` tells the caller which form a method has.

States carry an optional horizon (:attr:`~..model.flexibility.UnitState.horizon`) and
targets an optional plan over it (:attr:`~..model.flexibility.Target.plan`): look-ahead
strategies use them, single-interval strategies ignore them.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..model.flexibility import Target, UnitState
from ..model.grid import GridView

__all__ = ["Strategy", "View", "accepts_view"]


@dataclass(frozen=True, slots=True)
class View:
    """What an agent knows in one cycle besides its children's reports.

    ``time`` is the mosaik time (s) of the interval being decided, ``step_s`` the length
    of an interval (s) when known, ``iteration`` the same-time iteration (0 first),
    ``grid`` the measured grid of the agent's cell (``None`` when not connected), and
    ``children`` the eids of the children whose states ``aggregate`` and ``split`` get,
    in the same order (empty when the runtime does not tell; strategies that match
    children to ``grid.units`` need it).
    """

    eid: str
    time: int = 0
    iteration: int = 0
    step_s: float | None = None
    grid: GridView | None = None
    children: tuple[str, ...] = ()


@runtime_checkable
class Strategy(Protocol):
    """What a coordination strategy provides. Implementations must be deterministic."""

    name: str

    def aggregate(self, children: Sequence[UnitState], view: View) -> UnitState:
        """Combine the children's flexibility into the controller's own."""
        ...

    def decide(self, system: UnitState, offset: float, view: View) -> Target:
        """Choose the target of the whole system.

        ``offset`` is net demand outside the agents in MW (unmanaged loads minus
        unmanaged generation, losses): the exchange with the external grid is
        ``consumption - production + offset`` (import positive).
        """
        ...

    def split(self, target: Target, children: Sequence[UnitState], view: View
              ) -> list[Target]:
        """Divide a controller's target among its children (same order as ``children``)."""
        ...


def accepts_view(method: object, arguments: int) -> bool:
    """True if a bound strategy ``method`` takes a trailing ``view`` argument.

    ``arguments`` is the number it takes without ``view`` (``aggregate`` 1, ``decide`` 2,
    ``split`` 2). Each method is checked on its own, so a subclass may override one
    method in the older form and inherit the others.
    """
    parameters = list(inspect.signature(method).parameters.values())  # type: ignore[arg-type]
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = [p for p in parameters if p.kind in kinds]
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return True
    return len(positional) > arguments
