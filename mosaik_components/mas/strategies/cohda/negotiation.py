"""COHDA as a :class:`~..negotiation.Negotiation`: how a controller's children agree.

The controller (or the core) leads (:class:`CohdaLead`); each child is a member
(:class:`CohdaMember`, around a :class:`~.protocol.Participant`) whose neighbours are
siblings on a seeded small-world overlay (:func:`overlay_for`). The objective is the net
power (generation positive) the controller shall run at: its instruction's net value, or
at the core the value that makes the external-grid exchange zero. Each child's options
come from the band it reported this cycle (:func:`.schedules.options_for`), its solution
goes back to a target with :func:`.schedules.target_for_net`.

COHDA is a heuristic over discrete options: the children's targets add up to the
instruction only as well as the negotiation found (``deviation`` in MW).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ...model.errors import StrategyError
from ...model.flexibility import Target, UnitState
from ..negotiation import Outgoing, Sender, WireType
from .model import Objective
from .overlay import neighbour_lists, small_world
from .protocol import Done, Initiator, Participant, Start, Update
from .schedules import options_for, target_for_net
from .wire import WIRE_TYPES

__all__ = ["CohdaSettings", "CohdaNegotiation", "CohdaLead", "CohdaMember", "overlay_for"]


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
class CohdaLead:
    """The negotiating controller's side: start, count weight, targets for the children."""

    children: list[str]
    initiator: Initiator = field(init=False)
    target: float = 0.0
    deviation: float = 0.0

    def __post_init__(self) -> None:
        self.initiator = Initiator(len(self.children))

    def start(self, net: float, reports: Mapping[str, UnitState]) -> list[Outgoing]:
        """A new negotiation for net power ``net`` MW; one start per child, child order."""
        self.target = net
        starts = self.initiator.start(Objective.of([net]))
        return list(zip(self.children, starts, strict=True))

    def receive(self, child: str, message: Any, reports: Mapping[str, UnitState]
                ) -> dict[str, Target] | None:
        """Count a return; once the negotiation ended, every child's target."""
        if type(message) is not Done:
            raise StrategyError(f"COHDA lead got {type(message).__name__} from {child!r}")
        solution = self.initiator.receive(message)
        if solution is None:
            return None
        targets = {}
        for index, name in enumerate(self.children):
            state = reports[name]
            if not isinstance(state, UnitState):
                raise StrategyError(f"COHDA needs typed flexibility reports, got {state!r} "
                                    f"from {name!r}")
            targets[name] = target_for_net(state, float(solution.schedules[index, 0]))
        achieved = sum(t.net for t in targets.values())
        self.deviation = abs(self.target - achieved)
        return targets


@dataclass(slots=True)
class CohdaMember:
    """A child's side: a COHDA participant whose options come from its reported band."""

    participant: Participant
    lead: str
    levels: int

    @property
    def neighbours(self) -> list[str]:
        """The overlay neighbours (sibling eids)."""
        return [str(peer) for peer in self.participant.neighbours]

    def receive(self, sender: Sender, eid: str, message: Any, state: UnitState) -> bool:
        """A start from the lead, or an update from a neighbour; anything else is rejected."""
        kind = type(message)
        if kind is Start and sender == "lead":
            if not isinstance(state, UnitState):
                raise StrategyError(f"COHDA needs a typed flexibility state, got {state!r}")
            self.participant.options = options_for(state, self.levels)
            self.participant.start(message)
            return True
        if kind is Update and sender == "neighbour":
            self.participant.receive(message)
            return True
        return False

    def flush(self) -> list[Outgoing]:
        """Decide; updates to the neighbours or the weight back to the lead."""
        out, done = self.participant.flush()
        messages: list[Outgoing] = [(str(peer), update) for peer, update in out]
        if done is not None:
            messages.append((self.lead, done))
        return messages


@dataclass(frozen=True, slots=True)
class CohdaNegotiation:
    """COHDA (Hinrichs, Sonnenschein, Lehnhoff 2013) with exact termination detection."""

    settings: CohdaSettings = CohdaSettings()
    name: str = "cohda"
    messages: tuple[type, ...] = (Start, Update, Done)

    def wire_types(self) -> list[WireType]:
        """Start, Update and Done as JSON (arrays as lists, weights as ``[num, exp]``)."""
        return list(WIRE_TYPES)

    def neighbours(self, controller: str, children: Sequence[str]) -> dict[str, list[str]]:
        """The seeded small-world overlay among ``children``."""
        return overlay_for(controller, children, self.settings)

    def lead(self, controller: str, children: Sequence[str]) -> CohdaLead:
        """The controller's side."""
        return CohdaLead(list(children))

    def members(self, controller: str, children: Sequence[str]) -> dict[str, CohdaMember]:
        """Every child's participant; its index is its position among ``children``."""
        overlay = self.neighbours(controller, children)
        return {child: CohdaMember(Participant(index, np.empty((0, 1)), overlay[child],
                                               self.settings.max_updates),
                                   controller, self.settings.levels)
                for index, child in enumerate(children)}

    def settings_dict(self) -> dict[str, Any]:
        """The settings in plain form."""
        return asdict(self.settings)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> CohdaNegotiation:
        """Rebuild from :meth:`settings_dict`'s form."""
        return cls(CohdaSettings(**settings))
