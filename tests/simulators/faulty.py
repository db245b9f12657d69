"""Test doubles for failure tests: a strategy that raises, a MAS with a silent agent."""

from __future__ import annotations

from dataclasses import dataclass, field

from mosaik_components.mas import MosaikAgents
from mosaik_components.mas.strategies.balance import BalanceStrategy


@dataclass(frozen=True)
class ExplodingSplit(BalanceStrategy):
    """Raises in ``split`` at controllers with exactly three children."""

    def split(self, target, children):
        if len(children) == 3:
            raise ZeroDivisionError("boom")
        return super().split(target, children)


class SilentMAS(MosaikAgents):
    """A MAS in which the agent named by ``silent`` drops every message."""

    def init(self, sid, time_resolution=1.0, silent=None, **params):
        self.silent = silent
        return (yield from super().init(sid, time_resolution, **params))

    def setup_done(self):
        yield from super().setup_done()
        agent = self.runtime.agents[self.silent]
        agent.handle_message = lambda content, meta: None


@dataclass(frozen=True)
class ExplodeAfter(BalanceStrategy):
    """Raises in ``decide`` from its ``after``-th call on (a failure mid-run)."""

    after: int = 4
    calls: list = field(default_factory=list)

    def decide(self, system, offset):
        self.calls.append(offset)
        if len(self.calls) > self.after:
            raise RuntimeError(f"decide call {len(self.calls)} exploded")
        return super().decide(system, offset)
