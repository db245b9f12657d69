"""The external event process: seeded random arrivals and scheduled events, with expiry.

An event of kind ``k`` starting at period ``s`` is active in periods ``s .. s + ttl - 1``
(``ttl`` of its kind) and scales the price by ``1 + coef`` there (see :mod:`.price`).
Random arrivals: in every period, one draw of the seeded generator decides whether an
event arrives (probability ``rate_per_day * step / 1 day``) and, if so, a second draw
picks its kind by weight. Periods are drawn in order, whatever the caller asks for, so
the events depend only on the settings, the step and the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .config import EventSettings

__all__ = ["Event", "EventProcess"]


@dataclass(frozen=True, slots=True)
class Event:
    """One event: its kind, coefficient, first period and time to live (periods)."""

    kind: str
    coef: float
    start: int
    ttl: int

    def active(self, period: int) -> bool:
        """Whether the event scales the price in ``period``."""
        return self.start <= period < self.start + self.ttl

    def to_dict(self) -> dict[str, float | int | str]:
        """The plain form sent through mosaik."""
        return {"kind": self.kind, "coef": self.coef, "start": self.start, "ttl": self.ttl}


class EventProcess:
    """Events of one run (see the module docstring)."""

    def __init__(self, settings: EventSettings, step_s: int, seed: int | str) -> None:
        self.settings = settings
        self.chance = settings.probability(step_s)
        self.rng = random.Random(f"events/{seed}")
        self.kinds = sorted(settings.kinds)
        self.weights = [settings.kinds[k].weight for k in self.kinds]
        self.events: list[Event] = [self._make(s.kind, s.period) for s in settings.scheduled]
        self.drawn = 0  # periods drawn so far

    def _make(self, kind: str, start: int) -> Event:
        spec = self.settings.kinds[kind]
        return Event(kind, spec.coef, start, spec.ttl)

    def active(self, period: int) -> list[Event]:
        """The events active in ``period`` (drawing arrivals up to it first)."""
        if period < 0:
            raise ValueError(f"period must be >= 0, got {period}")
        while self.drawn <= period:
            if self.chance > 0 and self.rng.random() < self.chance:
                kind = self.rng.choices(self.kinds, self.weights)[0]
                self.events.append(self._make(kind, self.drawn))
            self.drawn += 1
        return [event for event in self.events if event.active(period)]
