"""Batches between massca containers: one mango message per destination and loop iteration.

Every container of a MAS runtime or worker has a :class:`Dispatcher`; everything posted
to one other container while the loop runs one iteration goes out as one :class:`Batch`,
which the destination's dispatcher hands to the receivers (:mod:`.drain`) with the
original sender. So a cell level's reports cost one TCP/MQTT send (and one envelope, see
:mod:`.security`).

The dispatcher takes every batch (whose sending container the envelope authenticated)
and every refused frame (:class:`~.security.Dropped`); it survives anything: a
malformed batch, an item for an unknown agent, or any other message is dropped and
counted in ``rejected``. (The few control messages that cannot wait for a batch, the
first contact with a worker and its shutdown, go to their agent directly, sealed the
same way: :func:`send_direct`.)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from mango import Agent, AgentAddress, json_serializable
from mango.container.core import Container

from ..compat import LeanDispatch, container_of, has_agent
from .drain import hand_over
from .identity import DISPATCH_AID, MessageStats
from .security import BOUND, Dropped, sealed_for

__all__ = ["Batch", "Dispatcher", "DISPATCH_AID", "enable_batching", "batches", "batch_for",
           "cancel_sending", "send_direct", "last_send_error"]

logger = logging.getLogger(__name__)

#: Refusals logged at WARNING per dispatcher; later ones at DEBUG (a flood must not
#: flood the log).
LOUD_REFUSALS = 20
#: Attributes a batching container carries: its open batches, its sends in flight.
_BATCHES = "_massca_batches"
_SENDING = "_massca_sending"
_FAILED = "_massca_send_error"


@json_serializable
@dataclass(slots=True)
class Batch:
    """Several messages from one container to another.

    ``items`` are ``[sender aid, receiver aid, content]``, delivered in order; the
    sending container is the one the envelope authenticated.
    """

    items: list[list[Any]]


class Dispatcher(LeanDispatch, Agent):
    """Hands the items of :class:`Batch` messages to the local agents; counts refusals."""

    def __init__(self, stats: MessageStats) -> None:
        super().__init__()
        self.stats = stats
        self.refusals = 0

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Deliver every item of a batch with its sender; count anything else."""
        try:
            if type(content) is Batch:
                self._unpack(content, meta)
            elif type(content) is Dropped:
                self.refuse(content.reason, meta)
            else:
                self.refuse(f"{type(content).__name__} is not a batch", meta)
        except Exception as exc:  # the dispatcher survives anything
            self.refuse(f"{type(exc).__name__}: {exc}", meta)

    def _unpack(self, batch: Batch, meta: dict[str, Any]) -> None:
        container = container_of(self)
        origin = meta.get("sender_addr")
        bound = meta.get(BOUND, False)
        items = batch.items if type(batch.items) is list else ()
        if not items:
            self.refuse("an empty or malformed batch", meta)
        for entry in items:
            if (type(entry) is not list or len(entry) != 3 or type(entry[0]) is not str
                    or entry[1] == DISPATCH_AID or not has_agent(container, entry[1])):
                self.refuse(f"batch item {str(entry)[:80]} names no agent here", meta)
                continue
            sender, receiver, item = entry
            hand_over(container, item, receiver, {
                "sender_id": sender, "sender_addr": origin, "receiver_id": receiver,
                BOUND: bound})

    def refuse(self, reason: str, meta: dict[str, Any]) -> None:
        """Count a refused frame or item in ``rejected`` and log it (quietly in a flood)."""
        self.stats.rejected += 1
        self.refusals += 1
        level = logging.WARNING if self.refusals <= LOUD_REFUSALS else logging.DEBUG
        logger.log(level, "container %s dropped a message from %r: %s",
                   container_of(self).addr, meta.get("sender_addr"), reason)


def enable_batching(container: Container, stats: MessageStats) -> None:
    """Let ``container`` batch its messages to other massca containers (module doc)."""
    setattr(container, _BATCHES, {})
    setattr(container, _SENDING, set())
    container.register(Dispatcher(stats), suggested_aid=DISPATCH_AID)


def batches(container: Container) -> dict[Any, list[list[Any]]] | None:
    """The open batches of a batching container, else None."""
    return getattr(container, _BATCHES, None)


def batch_for(container: Container, destination: Any) -> list[list[Any]]:
    """The open batch to ``destination``; the first item schedules its sending.

    The sending is a task created right away, not a callback that creates one: its
    first step (encode and write, when a pooled connection is at hand) then runs in the
    next loop turn, before the local work that this turn's messages set going.
    """
    open_batches: dict[Any, list[list[Any]]] = getattr(container, _BATCHES)
    key = tuple(destination) if isinstance(destination, list) else destination
    batch = open_batches.get(key)
    if batch is None:
        batch = open_batches[key] = []
        _track(container, asyncio.get_running_loop().create_task(_send_batch(container, key)))
    return batch


async def _send_batch(container: Container, destination: Any) -> None:
    items = getattr(container, _BATCHES).pop(destination)
    receiver = AgentAddress(destination, DISPATCH_AID)
    await container.send_message(Batch(items), receiver, sender_id=DISPATCH_AID,
                                 **sealed_for(receiver))


def send_direct(container: Container, content: Any, receiver: AgentAddress, sender_id: str,
                **meta: Any) -> asyncio.Task[Any]:
    """Send ``content`` to another container now, sealed for it (a task on the loop)."""
    send = container.send_message(content, receiver, sender_id=sender_id,
                                  **{**sealed_for(receiver), **meta})
    return _track(container, asyncio.get_running_loop().create_task(send))


def _track(container: Container, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
    """Keep ``task`` among the container's sends in flight; record its failure."""
    sending: set[asyncio.Task[Any]] = getattr(container, _SENDING)
    sending.add(task)
    task.add_done_callback(sending.discard)
    task.add_done_callback(lambda done: _report_failure(container, done))
    return task


def _report_failure(container: Container, task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error = f"{type(task.exception()).__name__}: {task.exception()}"
        setattr(container, _FAILED, error)
        logger.error("container %s: sending to another container failed: %s",
                     container.addr, error)


def last_send_error(container: Container) -> str | None:
    """The last failed send of ``container`` (for error messages), if any."""
    return getattr(container, _FAILED, None)


def cancel_sending(container: Container) -> None:
    """Cancel the batch sends still in flight (at teardown)."""
    for task in list(getattr(container, _SENDING, ())):
        task.cancel()
