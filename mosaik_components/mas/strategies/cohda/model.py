"""COHDA's data and rules: pure numpy over plain arrays, no mango, no I/O.

COHDA (Combinatorial Optimization Heuristic for Distributed Agents; Hinrichs,
Sonnenschein, Lehnhoff 2013): ``n`` agents each pick one schedule out of their
feasible ones (a schedule is the net power, generation positive, over ``H``
intervals) so that the sum of all picks matches a target schedule. Each agent keeps a
working memory of

* a *system configuration*: the latest schedule it knows of every agent, each with a
  counter that the owning agent increments whenever it changes its pick, and
* a *solution candidate*: a (possibly partial) assignment with its performance and
  the agent that created it.

Perceive: merge a neighbour's memory (newer counters win; a candidate that covers a
strict superset of agents wins, then higher performance, then the smaller creator
index). Decide: pick the own schedule that is best given the others in the system
configuration; keep it only if the resulting candidate beats the current one, else
fall back to the candidate's pick. Act: if anything changed, tell the neighbours.

Agents are addressed by their index ``0..n-1`` within one negotiation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Objective",
    "SystemConfig",
    "Candidate",
    "WorkingMemory",
    "better",
    "merge_candidates",
    "decide",
]


@dataclass(frozen=True, slots=True)
class Objective:
    """Match ``target`` (MW per interval) with per-interval ``weights``.

    ``performance`` is ``-sum(weights * |target - sum of schedules|)``: 0 is a perfect
    match, larger is better.
    """

    target: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, target: object, weights: object | None = None) -> Objective:
        """Validate and build; ``weights`` default to 1 per interval."""
        t = np.asarray(target, dtype=float).reshape(-1)
        w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
        if t.size == 0 or w.shape != t.shape:
            raise ValueError(f"target {t.tolist()} and weights {w.tolist()} must be non-empty "
                             "and of equal length")
        if not (np.isfinite(t).all() and np.isfinite(w).all()) or (w < 0).any():
            raise ValueError(f"target {t.tolist()} must be finite and weights {w.tolist()} "
                             "finite and >= 0")
        return cls(t, w)

    @property
    def horizon(self) -> int:
        """Number of intervals of every schedule."""
        return int(self.target.size)

    def performance(self, cluster: np.ndarray) -> float:
        """Performance of a cluster schedule (sum over agents), shape ``(H,)``."""
        return -float(np.dot(self.weights, np.abs(self.target - cluster)))

    def performances(self, clusters: np.ndarray) -> np.ndarray:
        """Performance of each row of ``clusters`` (shape ``(m, H)``)."""
        return -(np.abs(self.target - clusters) @ self.weights)


@dataclass(frozen=True, slots=True)
class SystemConfig:
    """The latest known schedule of every agent; ``counters[i] < 0``: agent i unknown."""

    schedules: np.ndarray
    counters: np.ndarray

    @classmethod
    def empty(cls, agents: int, horizon: int) -> SystemConfig:
        """Nothing known yet."""
        return cls(np.zeros((agents, horizon)), np.full(agents, -1, dtype=np.int64))

    def merge(self, other: SystemConfig) -> SystemConfig:
        """Entries with a higher counter win; returns ``self`` when nothing is newer."""
        newer = other.counters > self.counters
        if not newer.any():
            return self
        schedules = self.schedules.copy()
        schedules[newer] = other.schedules[newer]
        return SystemConfig(schedules, np.where(newer, other.counters, self.counters))

    def with_schedule(self, agent: int, schedule: np.ndarray) -> SystemConfig:
        """``agent`` changed its pick to ``schedule`` (its counter goes up by one)."""
        schedules = self.schedules.copy()
        schedules[agent] = schedule
        counters = self.counters.copy()
        counters[agent] = max(counters[agent], 0) + 1
        return SystemConfig(schedules, counters)

    @property
    def known(self) -> np.ndarray:
        """Boolean mask of the agents whose schedule is known."""
        return self.counters >= 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A (partial) assignment: ``schedules[i]`` is valid where ``known[i]``."""

    schedules: np.ndarray
    known: np.ndarray
    creator: int
    performance: float

    @classmethod
    def build(cls, schedules: np.ndarray, known: np.ndarray, creator: int,
              objective: Objective) -> Candidate:
        """A candidate with its performance computed over the known agents."""
        cluster = schedules[known].sum(axis=0) if known.any() else np.zeros(objective.horizon)
        return cls(schedules, known, creator, objective.performance(cluster))

    @property
    def complete(self) -> bool:
        """Every agent has a schedule in this candidate."""
        return bool(self.known.all())


@dataclass(frozen=True, slots=True)
class WorkingMemory:
    """One agent's view: system configuration plus its best solution candidate."""

    config: SystemConfig
    candidate: Candidate


def better(new: Candidate, old: Candidate) -> bool:
    """The total order of candidates: strict superset, then performance, then creator."""
    if new is old:
        return False
    if not np.array_equal(new.known, old.known):
        return bool((new.known >= old.known).all())
    if new.performance != old.performance:
        return new.performance > old.performance
    return new.creator < old.creator


def merge_candidates(mine: Candidate, other: Candidate, me: int,
                     objective: Objective) -> Candidate:
    """Perceive a neighbour's candidate: keep the better one or combine both.

    If each knows agents the other does not, agent ``me`` creates a combined candidate
    (its own entries first, the other's for the rest).
    """
    if better(other, mine):
        return other
    extra = other.known & ~mine.known
    if not extra.any():
        return mine
    schedules = mine.schedules.copy()
    schedules[extra] = other.schedules[extra]
    return Candidate.build(schedules, mine.known | other.known, me, objective)


def decide(me: int, options: np.ndarray, memory: WorkingMemory,
           objective: Objective) -> WorkingMemory:
    """Choose agent ``me``'s schedule from ``options`` (shape ``(m, H)``); see module doc.

    Ties between options go to the lowest index, so the outcome is deterministic.
    """
    config, candidate = memory.config, memory.candidate
    known = candidate.known.copy()
    known[me] = False
    others = candidate.schedules[known].sum(axis=0) if known.any() else np.zeros(objective.horizon)
    best = int(np.argmax(objective.performances(others + options)))
    schedules = candidate.schedules.copy()
    schedules[me] = options[best]
    known[me] = True
    proposal = Candidate.build(schedules, known, me, objective)
    if better(proposal, candidate):
        if config.counters[me] < 0 or not np.array_equal(config.schedules[me], options[best]):
            config = config.with_schedule(me, options[best])
        return WorkingMemory(config, proposal)
    if candidate.known[me] and (
        config.counters[me] < 0 or not np.array_equal(config.schedules[me],
                                                      candidate.schedules[me])
    ):
        config = config.with_schedule(me, candidate.schedules[me])
    return WorkingMemory(config, candidate)
