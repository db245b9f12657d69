"""One COHDA negotiation as a transport-free protocol: participants and an initiator.

The mango roles (:mod:`.roles`) and the tree agents (:mod:`..agents`) only move the
messages this module produces; the logic is here and is tested without any agent.

A participant perceives every message on arrival (:meth:`Participant.receive`,
merge only) and decides and acts once its inbox is empty (:meth:`Participant.flush`),
so a burst of updates costs one decision and one round of messages.

Termination is detected by *weight throwing* (Huang 1989), exact under any message
delay or order: the initiator hands out weight 1 with the start messages; every
update carries a share of its sender's weight; a participant with nothing new to
tell returns what it holds to the initiator when it flushes. The negotiation has
ended exactly when the initiator holds weight 1 again. Weights are exact dyadic
rationals (:mod:`.weight`), so no rounding can fake an end.

Every return carries the participant's current candidate; the initiator keeps the
best (see :func:`.model.better`), which at termination is the one all agree on.
``max_updates`` bounds how often one participant may change its memory per
negotiation (a safety net: past it, the participant stops spreading updates, so the
negotiation still ends; the result then says ``capped``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ...model.errors import StrategyError
from .model import (
    Candidate,
    Objective,
    SystemConfig,
    WorkingMemory,
    better,
    decide,
    merge_candidates,
)
from .weight import ONE, ZERO, Weight

__all__ = [
    "Start",
    "Update",
    "Done",
    "Participant",
    "Initiator",
    "Solution",
]

@dataclass(slots=True)
class Start:
    """Initiator -> participant: negotiate ``objective`` among ``agents`` agents."""

    negotiation: int
    objective: Objective
    agents: int
    weight: Weight


@dataclass(slots=True)
class Update:
    """Participant -> overlay neighbour: the sender's working memory."""

    negotiation: int
    sender: int
    memory: WorkingMemory
    weight: Weight


@dataclass(slots=True)
class Done:
    """Participant -> initiator: returned weight and the sender's current candidate."""

    negotiation: int
    sender: int
    candidate: Candidate | None
    weight: Weight
    capped: bool = False


@dataclass(slots=True)
class Participant:
    """Agent ``index`` of a negotiation, choosing among ``options`` (shape ``(m, H)``).

    ``neighbours`` are opaque keys (indices, mango addresses, ...) that the transport
    maps to receivers; updates are returned as ``(neighbour, Update)`` pairs.
    """

    index: int
    options: np.ndarray
    neighbours: Sequence[Hashable]
    max_updates: int = 10_000
    negotiation: int = -1
    memory: WorkingMemory | None = None
    objective: Objective | None = None
    weight: Weight = ZERO
    updates: int = 0
    capped: bool = False
    early: list[Update] = field(default_factory=list)
    spread: WorkingMemory | None = None
    pending: bool = False

    def start(self, message: Start) -> None:
        """Begin a negotiation; the first decision happens at the next :meth:`flush`."""
        if self.options.ndim != 2 or self.options.shape[1] != message.objective.horizon:
            raise StrategyError(f"participant {self.index}: options of shape "
                                f"{self.options.shape} do not match the horizon "
                                f"{message.objective.horizon}")
        self.negotiation = message.negotiation
        self.objective = message.objective
        self.weight += message.weight
        self.updates = 0
        self.capped = False
        n, horizon = message.agents, message.objective.horizon
        empty = Candidate(np.zeros((n, horizon)), np.zeros(n, dtype=np.bool_), self.index,
                          -np.inf)
        self.memory = self.spread = WorkingMemory(SystemConfig.empty(n, horizon), empty)
        self.pending = True
        early = [m for m in self.early if m.negotiation == self.negotiation]
        self.early = [m for m in self.early if m.negotiation > self.negotiation]
        for update in early:
            self.receive(update)

    def receive(self, message: Update) -> None:
        """Perceive a neighbour's memory (merge only; decide at :meth:`flush`).

        An update of a later negotiation (a neighbour started before this participant
        got its :class:`Start`, possible across containers) is kept until the start;
        one of an earlier negotiation is dropped with its weight (that negotiation
        has been given up).
        """
        if message.negotiation > self.negotiation:
            self.early.append(message)
            return
        if message.negotiation < self.negotiation or self.memory is None:
            return
        assert self.objective is not None
        self.weight += message.weight
        mine = self.memory
        config = mine.config.merge(message.memory.config)
        candidate = merge_candidates(mine.candidate, message.memory.candidate, self.index,
                                     self.objective)
        if config is not mine.config or candidate is not mine.candidate:
            self.memory = WorkingMemory(config, candidate)
            self.pending = True

    def flush(self) -> tuple[list[tuple[Hashable, Update]], Done | None]:
        """Decide once on all that was perceived; call it when the inbox is empty.

        Returns the updates for the neighbours (carrying all held weight) or, when
        there is nothing new to tell, the weight to give back to the initiator.
        """
        if self.memory is None or self.objective is None:
            return [], None
        if self.pending:
            self.pending = False
            self.memory = decide(self.index, self.options, self.memory, self.objective)
        sent = self.spread
        changed = not (_same_config(self.memory.config, sent.config)
                       and self.memory.candidate is sent.candidate)
        if changed and self.updates >= self.max_updates:
            self.capped = True
        elif changed and self.neighbours:
            return self._spread(), None
        return [], self._idle()

    def _idle(self) -> Done | None:
        if not self.weight:
            return None
        assert self.memory is not None
        weight, self.weight = self.weight, ZERO
        return Done(self.negotiation, self.index, self.memory.candidate, weight, self.capped)

    def _spread(self) -> list[tuple[Hashable, Update]]:
        assert self.memory is not None
        self.updates += 1
        self.spread = self.memory
        shares = self.weight.split(len(self.neighbours))
        self.weight = ZERO
        return [(neighbour, Update(self.negotiation, self.index, self.memory, share))
                for neighbour, share in zip(self.neighbours, shares, strict=True)]


def _same_config(a: SystemConfig, b: SystemConfig) -> bool:
    return a is b or np.array_equal(a.counters, b.counters)


@dataclass(frozen=True, slots=True)
class Solution:
    """The outcome: one schedule per participant and its performance."""

    schedules: np.ndarray
    performance: float
    capped: bool


@dataclass(slots=True)
class Initiator:
    """Starts negotiations and detects their end."""

    agents: int
    negotiation: int = -1
    returned: Weight = ZERO
    best: Candidate | None = None
    capped: bool = False
    objective: Objective | None = None
    #: every schedule any returned candidate knew (fills gaps when the cap cut spreading)
    heard: Candidate | None = None

    def start(self, objective: Objective) -> list[Start]:
        """Open a new negotiation; one :class:`Start` per participant, in index order."""
        if self.agents < 1:
            raise StrategyError("a COHDA negotiation needs at least one participant")
        self.negotiation += 1
        self.returned = ZERO
        self.best = self.heard = None
        self.capped = False
        self.objective = objective
        return [Start(self.negotiation, objective, self.agents, share)
                for share in ONE.split(self.agents)]

    def receive(self, message: Done) -> Solution | None:
        """Count returned weight; the solution once all of it is back, else ``None``."""
        if message.negotiation != self.negotiation:
            return None
        self.returned += message.weight
        self.capped = self.capped or message.capped
        candidate = message.candidate
        if candidate is not None:
            if self.best is None or better(candidate, self.best):
                self.best = candidate
            self.heard = candidate if self.heard is None else \
                merge_candidates(self.heard, candidate, -1, self.objective)  # type: ignore
        if self.returned.compare_one() < 0:
            return None
        if self.returned.compare_one() > 0:
            raise StrategyError(f"COHDA negotiation {self.negotiation}: returned weight "
                                f"{self.returned} exceeds 1 (a message was counted twice)")
        return self._solution()

    def _solution(self) -> Solution:
        best = self.best
        if best is not None and not best.complete and self.capped and self.heard is not None:
            best = merge_candidates(best, self.heard, -1, self.objective)  # type: ignore
        if best is None or not best.complete:
            missing = [] if best is None else np.flatnonzero(~best.known).tolist()
            reason = ("the update cap (max_updates) stopped the negotiation before they were "
                      "heard of" if self.capped else "is the overlay connected?")
            raise StrategyError(f"COHDA negotiation {self.negotiation} ended without a "
                                f"complete solution (participants {missing} unknown: {reason})")
        return Solution(best.schedules, best.performance, self.capped)
