"""Sending protocol messages from synchronous mango handlers without a task per message.

mango's ``Agent.send_message`` is a coroutine; calling it from ``handle_message`` needs
a task per message (``schedule_instant_message``), which costs ~4x the message itself.
:func:`post` hands a message for an agent in the *same* container straight to it
(with the meta mango sets; :mod:`.drain`), appends one for another massca container to that
destination's open :class:`~.batching.Batch`, and schedules ``send_message`` otherwise.
"""

from __future__ import annotations

from typing import Any

from mango import Agent, AgentAddress, RoleContext
from mango.container.core import Container

from ..compat import container_of
from .batching import batch_for, batches
from .drain import hand_over
from .identity import MessageStats

__all__ = ["post", "deliver"]


def post(agent: Agent | RoleContext, content: Any, receiver: AgentAddress,
         stats: MessageStats) -> None:
    """Send ``content`` from an agent or a role's context without awaiting (module doc)."""
    stats.sent += 1
    if stats.trace is not None:
        stats.trace.append((agent.aid, receiver.aid, type(content).__name__))
    container = container_of(agent)
    if receiver.protocol_addr == container.addr:
        deliver(container, content, agent.aid, container.addr, receiver.aid)
    elif batches(container) is not None:
        batch_for(container, receiver.protocol_addr).append([agent.aid, receiver.aid, content])
    else:
        agent.schedule_instant_message(content, receiver)


def deliver(container: Container, content: Any, sender_id: str, sender_addr: Any,
            receiver_id: str) -> None:
    """Hand ``content`` to a local agent with the meta mango would set (:mod:`.drain`)."""
    meta = {"sender_id": sender_id, "sender_addr": sender_addr, "receiver_id": receiver_id}
    if not hand_over(container, content, receiver_id, meta):
        raise LookupError(f"agent {sender_id!r}: no agent {receiver_id!r} in this container")
