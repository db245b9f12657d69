"""A second, deliberately trivial negotiation, to show the seam takes any algorithm.

"Ask around": the lead asks every child for its net band; each child answers with it;
the lead then splits the net target across the bands in proportion to their width
(every child ends inside its band, the targets add up to the target when it is
reachable). Two message types, no overlay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mosaik_components.mas.model.flexibility import Target, UnitState, net_band
from mosaik_components.mas.strategies.cohda.schedules import target_for_net


@dataclass(slots=True)
class Ask:
    round: int


@dataclass(slots=True)
class Answer:
    round: int
    low: float
    high: float


@dataclass(slots=True)
class AskLead:
    children: list[str]
    round: int = 0
    net: float = 0.0
    bands: dict[str, tuple[float, float]] = field(default_factory=dict)
    deviation: float = 0.0

    def start(self, net: float, reports: Mapping[str, UnitState]) -> list[tuple[str, Any]]:
        self.round += 1
        self.net, self.bands = net, {}
        return [(child, Ask(self.round)) for child in self.children]

    def receive(self, child: str, message: Any, reports: Mapping[str, UnitState]
                ) -> dict[str, Target] | None:
        if type(message) is not Answer or message.round != self.round:
            return None
        self.bands[child] = (message.low, message.high)
        if len(self.bands) < len(self.children):
            return None
        low = sum(lo for lo, _ in self.bands.values())
        high = sum(hi for _, hi in self.bands.values())
        share = 0.0 if high == low else (min(max(self.net, low), high) - low) / (high - low)
        targets = {c: target_for_net(reports[c], lo + share * (hi - lo))
                   for c, (lo, hi) in self.bands.items()}
        self.deviation = abs(self.net - sum(t.net for t in targets.values()))
        return targets


@dataclass(slots=True)
class AskMember:
    lead: str
    neighbours: list[str] = field(default_factory=list)
    outbox: list[tuple[str, Any]] = field(default_factory=list)

    def receive(self, sender: str, eid: str, message: Any, state: UnitState) -> bool:
        if sender != "lead" or type(message) is not Ask:
            return False
        self.outbox.append((self.lead, Answer(message.round, *net_band(state))))
        return True

    def flush(self) -> list[tuple[str, Any]]:
        out, self.outbox = self.outbox, []
        return out


@dataclass(frozen=True, slots=True)
class AskAround:
    name: str = "ask_around"
    messages: tuple[type, ...] = (Ask, Answer)

    def wire_types(self) -> list:
        return [(Ask, lambda m: [m.round], lambda d: Ask(*d)),
                (Answer, lambda m: [m.round, m.low, m.high], lambda d: Answer(*d))]

    def neighbours(self, controller: str, children: Sequence[str]) -> dict[str, list[str]]:
        return {child: [] for child in children}

    def lead(self, controller: str, children: Sequence[str]) -> AskLead:
        return AskLead(list(children))

    def members(self, controller: str, children: Sequence[str]) -> dict[str, AskMember]:
        return {child: AskMember(controller) for child in children}

    def settings_dict(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> AskAround:
        return cls()
