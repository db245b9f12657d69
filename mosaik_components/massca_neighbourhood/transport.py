"""Everything about transport in one place: containers, codec, lifecycle, identities.

The agents only call :func:`send` and :func:`sender_key`; this module creates the
containers, starts and stops them with mango's ``activate`` and tells the identity of a
message's sender. The containers are massca's own (:func:`mosaik_components.mas.runtime.
transport.create_container`): mango TCP containers bound to loopback unless
``allow_remote``, frames size-checked before they are read, and a codec (JSON with our
message types only, nothing unpickles) that seals every message between two containers
in an authenticated envelope under the run's secret (a :class:`Session` shared by the
containers of one :class:`~.runtime.AgentSystem`). A receiving container builds the
sender's identity from that envelope, so :func:`sender_key` never reads what a sender
wrote about itself; forged, replayed, misdirected or junk frames are dropped before any
agent sees them and counted in the :class:`MessageStats` given to
:func:`create_containers`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from mango import Agent, AgentAddress, activate
from mango.container.core import Container

from mosaik_components.mas.runtime.transport import (
    TO,
    MessageStats,
    Session,
    TcpTransport,
    create_container,
    sealed_for,
)
from mosaik_components.mas.runtime.transport import address_key as key_of
from mosaik_components.mas.runtime.transport.identity import hashable_address

from .messages import MESSAGE_TYPES

__all__ = ["Key", "TransportError", "create_containers", "Activation", "send", "send_now",
           "key_of", "sender_key", "LOOPBACK", "MessageStats", "Session", "TO"]

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: An agent's identity: (container address, agent id).
Key = tuple[Any, str]


class TransportError(RuntimeError):
    """A container could not start or a host is not allowed."""


def create_containers(count: int, host: str = "127.0.0.1", allow_remote: bool = False,
                      stats: MessageStats | None = None, session: Session | None = None
                      ) -> list[Container]:
    """``count`` TCP containers on free ports of ``host`` (loopback unless allowed).

    They share ``session`` (default: a new one with a fresh random secret), so they
    accept each other's sealed messages and nothing else; ``stats.rejected`` counts the
    frames they drop.
    """
    if count < 1:
        raise ValueError(f"containers must be >= 1, got {count}")
    if host not in LOOPBACK:
        if not allow_remote:
            raise TransportError(f"host {host!r} is not loopback; pass allow_remote=True to "
                                 "bind it")
        logger.warning("neighbourhood agents bind to non-loopback address %s", host)
    session = session if session is not None else Session()
    stats = stats if stats is not None else MessageStats()
    return [create_container(TcpTransport(host), index, session, stats, MESSAGE_TYPES)
            for index in range(count)]


class Activation:
    """Starts containers on :meth:`start` and shuts them down on :meth:`stop`.

    It is mango's ``activate`` context, entered and left explicitly so that mosaik steps
    can do it.
    """

    def __init__(self, containers: Sequence[Container]) -> None:
        self.containers = list(containers)
        self._context: AbstractAsyncContextManager[Any] | None = None

    @property
    def active(self) -> bool:
        """Started and not stopped."""
        return self._context is not None

    async def start(self) -> None:
        """Bind the sockets and start the agents."""
        context = activate(*self.containers)
        try:
            await context.__aenter__()
        except OSError as exc:
            raise TransportError(f"containers could not start: {exc}") from None
        self._context = context

    async def stop(self) -> None:
        """Stop the agents and close the sockets (once)."""
        context, self._context = self._context, None
        if context is not None:
            await context.__aexit__(None, None, None)


def sender_key(meta: dict[str, Any]) -> Key:
    """The identity of a message's sender (never from the content).

    For a message from another container the receiving container built ``meta`` from
    the authenticated envelope; within a container mango sets it.
    """
    return (hashable_address(meta.get("sender_addr")), meta.get("sender_id", ""))


def send(agent: Agent, content: Any, receiver: AgentAddress) -> None:
    """Send without awaiting (from a synchronous handler): mango schedules it."""
    agent.schedule_instant_message(content, receiver, **sealed_for(receiver))


async def send_now(agent: Agent, content: Any, receiver: AgentAddress) -> None:
    """Send from a coroutine; raises :class:`TransportError` if mango could not deliver."""
    if not await agent.send_message(content, receiver, **sealed_for(receiver)):
        raise TransportError(f"{agent.aid}: could not send {type(content).__name__} to "
                             f"{receiver.aid} at {receiver.protocol_addr}")
