"""Run one COHDA negotiation in-process without agents: the protocol's reference driver.

Every participant has an inbox; a step delivers one inbox and flushes its owner.
By default inboxes are served oldest first and delivered whole (what a mango agent
does); with ``shuffle_seed`` the next inbox is drawn at random and only a random
part of it is delivered before the flush, which exercises arbitrary asynchronous
delivery orders (deterministic for a seed). Used by tests against brute force and by anyone
who wants COHDA's result without a mango container.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import Objective
from .protocol import Initiator, Participant, Solution, Update

__all__ = ["LocalRun", "negotiate"]


@dataclass(frozen=True, slots=True)
class LocalRun:
    """A solution plus what it cost."""

    solution: Solution
    updates: int
    returns: int
    edges_used: frozenset[tuple[int, int]]


class _Network:
    """Inboxes of the participants and the initiator's end of the line."""

    def __init__(self, participants: list[Participant], initiator: Initiator,
                 rng: random.Random | None) -> None:
        self.participants = participants
        self.initiator = initiator
        self.rng = rng
        self.inboxes: dict[int, list[Update]] = {}
        self.order: list[int] = []  # receivers with a non-empty inbox, oldest first
        self.edges: set[tuple[int, int]] = set()
        self.updates = self.returns = 0
        self.solution: Solution | None = None

    def flush(self, participant: Participant) -> None:
        out, done = participant.flush()
        for target, update in out:
            assert isinstance(target, int)
            if target not in self.inboxes:
                self.inboxes[target] = []
                self.order.append(target)
            self.inboxes[target].append(update)
        if done is not None:
            self.returns += 1
            self.solution = self.initiator.receive(done) or self.solution

    def deliver_next(self) -> None:
        rng = self.rng
        target = self.order.pop(rng.randrange(len(self.order)) if rng else 0)
        inbox = self.inboxes.pop(target)
        if rng is not None:  # deliver part of the inbox: flush at any time
            cut = rng.randint(1, len(inbox))
            inbox, rest = inbox[:cut], inbox[cut:]
            if rest:
                self.inboxes[target] = rest
                self.order.append(target)
        receiver = self.participants[target]
        for update in inbox:
            self.updates += 1
            self.edges.add((update.sender, target))
            receiver.receive(update)
        self.flush(receiver)


def negotiate(
    options: Sequence[np.ndarray], neighbours: Sequence[Sequence[int]], objective: Objective,
    shuffle_seed: int | None = None, max_updates: int = 10_000,
) -> LocalRun:
    """Negotiate among ``len(options)`` participants on the overlay ``neighbours``."""
    participants = [Participant(i, np.asarray(o, dtype=float), list(neighbours[i]),
                                max_updates=max_updates)
                    for i, o in enumerate(options)]
    initiator = Initiator(len(participants))
    net = _Network(participants, initiator,
                   None if shuffle_seed is None else random.Random(shuffle_seed))
    for participant, start in zip(participants, initiator.start(objective), strict=True):
        participant.start(start)
    for participant in participants:
        net.flush(participant)
    while net.order:
        net.deliver_next()
    if net.solution is None:
        raise RuntimeError("local COHDA driver: all messages delivered but weight missing")
    return LocalRun(net.solution, net.updates, net.returns, frozenset(net.edges))
