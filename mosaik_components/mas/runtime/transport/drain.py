"""Handing messages to local agents without an asyncio step per message.

mango gives every agent an inbox queue and a task that awaits it; each message then
costs a queue put, a future, a task wake-up and an event-loop callback before
``handle_message`` runs (a 50-cell, depth-10 day: the agents' time 5.2 -> 3.2 s without
them, BENCHMARKS.md). massca's
protocol agents (:class:`~..compat.LeanDispatch`) take every message synchronously in
``handle_message``, so a container's :class:`Drain` runs them directly, in the order
mango's tasks would:

* an agent whose queue was empty joins the end of the ready line, as its inbox task
  would be woken; more messages for it join its queue;
* one event-loop callback runs every agent that was ready when it started, each
  through all its queued messages (as an inbox task does while its queue is not
  empty); agents that became ready meanwhile run in the next callback, after what the
  loop scheduled in between (a batch to another container, a timer), so nothing waits
  for a whole cascade and a message ping-pong cannot starve the loop.

Agents of other kinds, and everything that arrives from the network, still go through
mango's inbox. :func:`pending` tells an agent whether more messages wait for it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from mango.container.core import Container

from ..compat import LeanDispatch, deliver_local, local_agent

__all__ = ["Drain", "hand_over", "pending", "clear"]

#: The attribute a container carries its drain in.
_DRAIN = "_massca_drain"

Message = tuple[Any, dict[str, Any]]


class Drain:
    """The ready line and the queued messages of one container's protocol agents."""

    __slots__ = ("queues", "ready", "scheduled")

    def __init__(self) -> None:
        self.queues: dict[LeanDispatch, deque[Message]] = {}
        self.ready: deque[LeanDispatch] = deque()
        self.scheduled = False

    def push(self, agent: LeanDispatch, content: Any, meta: dict[str, Any]) -> None:
        """Queue one message for ``agent``; schedule a run if none is scheduled."""
        queue = self.queues.get(agent)
        if queue is None:
            queue = self.queues[agent] = deque()
        if not queue:
            self.ready.append(agent)
            self._schedule()
        queue.append((content, meta))

    def run(self) -> None:
        """Run every agent that was ready when this callback started (module doc).

        Agents woken meanwhile get the next callback once this one ends, so it runs
        after every callback scheduled during this one (a batch's send among them).
        """
        queues, ready = self.queues, self.ready
        try:
            for _ in range(len(ready)):
                agent = ready.popleft()
                queue = queues.get(agent)
                if queue is None:
                    continue
                try:
                    while queue:
                        content, meta = queue.popleft()
                        agent.handle_message(content, meta)  # type: ignore[attr-defined]
                finally:
                    if queue:  # a handler raised: the rest of its queue runs next time
                        ready.appendleft(agent)
                    else:
                        del queues[agent]
        finally:
            self.scheduled = False
            if ready:
                self._schedule()

    def _schedule(self) -> None:
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self.run)

    def clear(self) -> None:
        """Forget every queued message (the container is being stopped)."""
        self.queues.clear()
        self.ready.clear()


def hand_over(container: Container, content: Any, receiver_id: str,
              meta: dict[str, Any]) -> bool:
    """Give ``content`` to local agent ``receiver_id`` with ``meta``; False if unknown.

    Protocol agents get it through the container's drain, others through mango's inbox.
    """
    agent = local_agent(container, receiver_id)
    if agent is None:
        return False
    if not isinstance(agent, LeanDispatch):
        return deliver_local(container, content, receiver_id, meta)
    meta["priority"] = 0  # what mango's inbox task sets
    drain: Drain | None = getattr(container, _DRAIN, None)
    if drain is None:
        drain = Drain()
        setattr(container, _DRAIN, drain)
    drain.push(agent, content, meta)
    return True


def pending(agent: Any, container: Container) -> bool:
    """True if messages wait for ``agent`` in ``container``'s drain."""
    drain: Drain | None = getattr(container, _DRAIN, None)
    return drain is not None and bool(drain.queues.get(agent))


def clear(container: Container) -> None:
    """Drop what waits in ``container``'s drain (at teardown)."""
    drain: Drain | None = getattr(container, _DRAIN, None)
    if drain is not None:
        drain.clear()
