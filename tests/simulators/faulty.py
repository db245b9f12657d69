"""Test doubles for failure tests: a strategy that raises, a MAS with a silent agent."""

from __future__ import annotations

from dataclasses import dataclass

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
