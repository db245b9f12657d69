"""Batches between massca containers: one mango message per destination and loop iteration.

Every container of a MAS runtime or worker has a :class:`Dispatcher`; everything posted
to one other container while the loop runs one iteration goes out as one :class:`Batch`,
which the destination's dispatcher hands to the receivers' inboxes with the original
sender. So a cell level's reports cost one TCP/MQTT send.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from mango import Agent, AgentAddress, json_serializable
from mango.container.core import Container

from ..compat import LeanDispatch, container_of, deliver_local

__all__ = ["Batch", "Dispatcher", "DISPATCH_AID", "enable_batching", "batches", "batch_for",
           "cancel_sending"]

logger = logging.getLogger(__name__)

#: The mango id of the agent that unpacks batches in every massca container.
DISPATCH_AID = "massca_dispatch"
#: Attributes a batching container carries: its open batches, its sends in flight.
_BATCHES = "_massca_batches"
_SENDING = "_massca_sending"


@json_serializable
@dataclass(slots=True)
class Batch:
    """Several messages from container ``origin`` to one container.

    ``items`` are ``[sender aid, receiver aid, content]``, delivered in order.
    """

    origin: Any
    items: list[list[Any]]


class Dispatcher(LeanDispatch, Agent):
    """Unpacks :class:`Batch` messages into the local agents' inboxes."""

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Deliver every item of a batch with its original sender."""
        if type(content) is not Batch:
            logger.warning("dispatcher got %r from %s", content, meta.get("sender_id"))
            return
        origin = tuple(content.origin) if isinstance(content.origin, list) else content.origin
        container = container_of(self)
        for sender, receiver, item in content.items:
            meta = {"sender_id": sender, "sender_addr": origin, "receiver_id": receiver}
            if not deliver_local(container, item, receiver, meta):
                logger.warning("dispatcher: batch item for unknown agent %r", receiver)


def enable_batching(container: Container) -> None:
    """Let ``container`` batch its messages to other massca containers (module doc)."""
    setattr(container, _BATCHES, {})
    setattr(container, _SENDING, set())
    container.register(Dispatcher(), suggested_aid=DISPATCH_AID)


def batches(container: Container) -> dict[Any, list[list[Any]]] | None:
    """The open batches of a batching container, else None."""
    return getattr(container, _BATCHES, None)


def batch_for(container: Container, destination: Any) -> list[list[Any]]:
    """The open batch to ``destination``; the first item schedules its sending."""
    open_batches: dict[Any, list[list[Any]]] = getattr(container, _BATCHES)
    key = tuple(destination) if isinstance(destination, list) else destination
    batch = open_batches.get(key)
    if batch is None:
        batch = open_batches[key] = []
        asyncio.get_running_loop().call_soon(_send_batch, container, key)
    return batch


def _send_batch(container: Container, destination: Any) -> None:
    items = getattr(container, _BATCHES).pop(destination)
    message = Batch(container.addr, items)
    send = container.send_message(message, AgentAddress(destination, DISPATCH_AID),
                                  sender_id=DISPATCH_AID)
    task = asyncio.get_running_loop().create_task(send)
    sending: set[asyncio.Task[Any]] = getattr(container, _SENDING)
    sending.add(task)
    task.add_done_callback(sending.discard)
    task.add_done_callback(_report_failure)


def _report_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("sending a batch failed: %s", task.exception())


def cancel_sending(container: Container) -> None:
    """Cancel the batch sends still in flight (at teardown)."""
    for task in list(getattr(container, _SENDING, ())):
        task.cancel()
