"""What an agent computes at each protocol step: the :class:`Coordination` seam.

Agents only move payloads; a :class:`Coordination` gives them meaning.
:class:`StrategyCoordination` wraps a typed :class:`~.base.Strategy` and checks its
results against the protocol's invariants (targets inside the band, children's targets
adding up to the parent's) so a faulty user strategy fails loudly. MASSCA's method
files plug in through another implementation at the mosaik edge
(:mod:`mosaik_components.mas.mosaik.massca`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..model.errors import StrategyError
from ..model.flexibility import MAX_TOTAL, Target, UnitState, check_summable, tolerance
from ..model.grid import GridView
from .base import Strategy, View, accepts_view

__all__ = ["CycleInfo", "Coordination", "StrategyCoordination", "CHECK_TOL"]

#: MW tolerance for the invariant checks of strategy results; a relative part
#: (:data:`~..model.flexibility.REL_TOL` of the values compared) is added, so systems of
#: any size are checked alike.
CHECK_TOL = 1e-6


@dataclass(slots=True)
class CycleInfo:
    """What every agent knows about the running cycle."""

    time: int = 0
    iteration: int = 0
    offset: float = 0.0
    core_state: Any = None
    #: seconds per interval, when the simulator knows it
    step_s: float | None = None
    #: the measured grid of every agent that has one connected (eid -> view)
    grids: Mapping[str, GridView] = field(default_factory=dict)

    @property
    def first_time_step(self) -> bool:
        """True in the first iteration at a mosaik time (MASSCA's ``first_time_step``)."""
        return self.iteration == 0


class Coordination(Protocol):
    """The four computations of the protocol."""

    def aggregate(self, eid: str, own: Any, children: Mapping[str, Any], info: CycleInfo) -> Any:
        """A controller's report to its parent, from its children's reports."""
        ...

    def decide(self, eid: str, children: Mapping[str, Any], info: CycleInfo) -> dict[str, Any]:
        """The top's instructions, one per child."""
        ...

    def split(
        self, eid: str, instruction: Any, own: Any, children: Mapping[str, Any],
        info: CycleInfo,
    ) -> dict[str, Any]:
        """A controller's instructions, one per child, from its own instruction.

        ``own`` is the aggregate the controller reported up in this cycle.
        """
        ...

    def execute(self, eid: str, instruction: Any, own: Any, info: CycleInfo) -> Any:
        """A unit's result (what it will run at) from its instruction."""
        ...

    def take_notes(self) -> dict[str, Any]:
        """Per-controller reports of the last cycle(s), plain data (then cleared)."""
        ...


@dataclass(slots=True)
class StrategyCoordination:
    """Typed strategies on :class:`UnitState` / :class:`Target`, invariants enforced."""

    strategy: Strategy
    #: which of aggregate/decide/split take the ``view`` argument
    _viewed: tuple[bool, bool, bool] = field(init=False)
    #: eid -> the plain report of a strategy with ``split_with_report`` (this cycle)
    _notes: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        s = self.strategy
        self._viewed = (accepts_view(s.aggregate, 1), accepts_view(s.decide, 2),
                        accepts_view(s.split, 2))

    @staticmethod
    def view(eid: str, info: CycleInfo, children: Mapping[str, Any] | None = None) -> View:
        """What agent ``eid`` knows in this cycle (``children``: their eids, in order)."""
        return View(eid, info.time, info.iteration, info.step_s, info.grids.get(eid),
                    tuple(children or ()))

    def take_notes(self) -> dict[str, Any]:
        """What reporting strategies said per controller since the last call (then cleared)."""
        notes, self._notes = self._notes, {}
        return notes

    def aggregate(
        self, eid: str, own: Any, children: Mapping[str, UnitState], info: CycleInfo
    ) -> UnitState:
        """Delegate to the strategy and type-check the result."""
        states = list(children.values())
        try:
            result = (self.strategy.aggregate(states, self.view(eid, info, children))
                      if self._viewed[0] else self.strategy.aggregate(states))  # type: ignore[call-arg]
        except Exception:
            check_summable(children)  # inputs that overflow are the inputs' fault
            raise
        if not isinstance(result, UnitState):
            raise StrategyError(f"{self.strategy.name}.aggregate returned {result!r} for {eid!r}, "
                                "expected a UnitState")
        if not _finite(result):
            check_summable(children)
            raise StrategyError(f"{self.strategy.name}.aggregate returned a non-finite "
                                f"aggregate for {eid!r}: {result!r}")
        return result

    def decide(
        self, eid: str, children: Mapping[str, UnitState], info: CycleInfo
    ) -> dict[str, Target]:
        """Decide the system target, then split it among the top-level children."""
        # the strategy's own view; inputs that overflow are named there (input errors)
        system = self.aggregate(eid, None, children, info)
        target = (self.strategy.decide(system, info.offset, self.view(eid, info))
                  if self._viewed[1] else self.strategy.decide(system, info.offset))  # type: ignore[call-arg]
        _check_target(target, system, f"{self.strategy.name}.decide at {eid!r}")
        return self.split(eid, target, system, children, info)

    def split(
        self, eid: str, instruction: Target, own: UnitState, children: Mapping[str, UnitState],
        info: CycleInfo,
    ) -> dict[str, Target]:
        """Split and verify: every child's target in its band, the sum equal to ours."""
        states = list(children.values())
        reporting = getattr(self.strategy, "split_with_report", None)
        if reporting is not None:  # e.g. grid_aware: what it did for the grid
            targets, report = reporting(instruction, states, self.view(eid, info, children))
            self._notes[eid] = report.to_dict()
        elif self._viewed[2]:
            targets = self.strategy.split(instruction, states, self.view(eid, info, children))
        else:
            targets = self.strategy.split(instruction, states)  # type: ignore[call-arg]
        where = f"{self.strategy.name}.split at {eid!r}"
        if len(targets) != len(children):
            raise StrategyError(f"{where} returned {len(targets)} targets for "
                                f"{len(children)} children")
        for (child, state), target in zip(children.items(), targets, strict=True):
            _check_target(target, state, where, child)
        for part in ("production", "consumption"):
            total = sum(getattr(t, part) for t in targets)  # of magnitudes in their bands
            wanted = getattr(instruction, part)
            if abs(total - wanted) > tolerance(CHECK_TOL, max(total, wanted)):
                raise StrategyError(f"{where}: children's {part} targets add up to {total}, "
                                    f"not to the instruction's {wanted}")
        return dict(zip(children, targets, strict=True))

    def execute(self, eid: str, instruction: Target, own: UnitState, info: CycleInfo) -> Target:
        """A unit runs at its target."""
        return instruction


def _finite(state: UnitState) -> bool:
    """True if ``state``'s bands leave room for a strategy's arithmetic.

    (The margin of :func:`~..model.flexibility.check_summable`.)
    """
    return state.production.max + state.consumption.max <= MAX_TOTAL


def _check_target(target: object, band: UnitState, where: str, child: str | None = None
                  ) -> None:
    """``target`` is a Target inside ``band``; else a StrategyError naming where it came from.

    ``where`` and ``child`` name the split (or decision) and the child. This runs once per
    child and cycle: the message is built only for a breach.
    """
    if not isinstance(target, Target):
        raise StrategyError(f"{_named(where, child)} returned {target!r}, expected a Target")
    for part in ("production", "consumption"):
        value = getattr(target, part)
        flex = getattr(band, part)
        tol = tolerance(CHECK_TOL, flex.max)  # magnitudes: max is the largest
        if not flex.min - tol <= value <= flex.max + tol:
            raise StrategyError(f"{_named(where, child)}: {part} target {value} MW outside "
                                f"the band [{flex.min}, {flex.max}]")


def _named(where: str, child: str | None) -> str:
    return where if child is None else f"{where} for child {child!r}"
