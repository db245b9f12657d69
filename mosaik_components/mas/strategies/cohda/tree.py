"""COHDA as the way a controller of the MAS tree splits its share among its children.

A controller (or the core) that negotiates holds a :class:`TreeNegotiation`; each of
its children holds a :class:`~.protocol.Participant` whose neighbours are siblings on
a seeded small-world overlay (:func:`overlay_for`). The objective is the net power
(generation positive) the controller shall run at: its instruction's net value, or
at the core the value that makes the external-grid exchange zero. Each child's
options come from the band it reported this cycle (:func:`.schedules.options_for`),
its solution goes back to a target with :func:`.schedules.target_for_net`.

COHDA is a heuristic over discrete options: the children's targets add up to the
instruction only as well as the negotiation found (``deviation`` in MW).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ...model.errors import StrategyError
from ...model.flexibility import Target, UnitState
from .model import Objective
from .overlay import neighbour_lists, small_world
from .protocol import Done, Initiator, Start
from .schedules import target_for_net

__all__ = ["CohdaSettings", "TreeNegotiation", "overlay_for"]


@dataclass(frozen=True, slots=True)
class CohdaSettings:
    """COHDA parameters of a MAS simulator (``cohda={...}``, ``seed=``)."""

    levels: int = 11
    neighbours: int = 4
    rewire: float = 0.1
    max_updates: int = 1_000
    seed: int = 0


def overlay_for(controller: str, children: Sequence[str], settings: CohdaSettings
                ) -> dict[str, list[str]]:
    """Each child's overlay neighbours (child eids); seeded by ``seed`` and the controller.

    The seed mixes in a CRC of the controller's eid (not Python's salted ``hash``), so
    every controller gets its own overlay and runs are reproducible across processes.
    """
    seed = (settings.seed * 1_000_003 + zlib.crc32(controller.encode())) % 2**32
    graph = small_world(len(children), settings.neighbours, settings.rewire, seed)
    return {children[i]: [children[j] for j in nbrs]
            for i, nbrs in enumerate(neighbour_lists(graph))}


@dataclass(slots=True)
class TreeNegotiation:
    """The negotiating controller's side: start, count weight, targets for the children."""

    children: list[str]
    initiator: Initiator = field(init=False)
    target: float = 0.0
    deviation: float = 0.0

    def __post_init__(self) -> None:
        self.initiator = Initiator(len(self.children))

    def start(self, net: float) -> list[Start]:
        """A new negotiation for net power ``net`` MW; one start per child, child order."""
        self.target = net
        return self.initiator.start(Objective.of([net]))

    def receive(self, done: Done, reports: Mapping[str, UnitState]
                ) -> dict[str, Target] | None:
        """Count a return; once the negotiation ended, every child's target."""
        solution = self.initiator.receive(done)
        if solution is None:
            return None
        targets = {}
        for index, child in enumerate(self.children):
            state = reports[child]
            if not isinstance(state, UnitState):
                raise StrategyError(f"COHDA needs typed flexibility reports, got {state!r} "
                                    f"from {child!r}")
            targets[child] = target_for_net(state, float(solution.schedules[index, 0]))
        achieved = sum(t.net for t in targets.values())
        self.deviation = abs(self.target - achieved)
        return targets
