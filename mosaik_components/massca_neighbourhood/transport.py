"""Everything about transport in one place: containers, codec, lifecycle, identities.

The agents only call :func:`send` and :func:`sender_key`; this module creates mango TCP
containers (JSON codec with our message types only, bound to loopback unless
``allow_remote``), starts and stops them with mango's ``activate`` and tells the
identity of a message's sender from mango's meta data. Putting the agents behind
another transport (massca's runtime seam, authenticated messages) means changing this
module only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from mango import JSON, Agent, AgentAddress, activate, create_tcp_container
from mango.container.core import Container

from .messages import MESSAGE_TYPES

__all__ = ["Key", "TransportError", "codec", "create_containers", "Activation", "send", "send_now",
           "key_of", "sender_key", "LOOPBACK"]

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: An agent's identity: (container address, agent id).
Key = tuple[Any, str]


class TransportError(RuntimeError):
    """A container could not start or a host is not allowed."""


def codec() -> JSON:
    """Mango's JSON codec knowing our message types (and nothing that unpickles)."""
    json = JSON()
    for message_type in MESSAGE_TYPES:
        json.add_serializer(*message_type.__serializer__())
    return json


def create_containers(count: int, host: str = "127.0.0.1", allow_remote: bool = False
                      ) -> list[Container]:
    """``count`` TCP containers on free ports of ``host`` (loopback unless allowed)."""
    if count < 1:
        raise ValueError(f"containers must be >= 1, got {count}")
    if host not in LOOPBACK:
        if not allow_remote:
            raise TransportError(f"host {host!r} is not loopback; pass allow_remote=True to "
                                 "bind it")
        logger.warning("neighbourhood agents bind to non-loopback address %s", host)
    return [create_tcp_container((host, 0), codec=codec(), auto_port=True)
            for _ in range(count)]


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


def key_of(address: AgentAddress) -> Key:
    """The identity of the agent at ``address``."""
    addr = address.protocol_addr
    return (tuple(addr) if isinstance(addr, list) else addr, address.aid)


def sender_key(meta: dict[str, Any]) -> Key:
    """The identity of a message's sender, from mango's meta (never from the content)."""
    addr = meta.get("sender_addr")
    return (tuple(addr) if isinstance(addr, list) else addr, meta.get("sender_id", ""))


def send(agent: Agent, content: Any, receiver: AgentAddress) -> None:
    """Send without awaiting (from a synchronous handler): mango schedules it."""
    agent.schedule_instant_message(content, receiver)


async def send_now(agent: Agent, content: Any, receiver: AgentAddress) -> None:
    """Send from a coroutine; raises :class:`TransportError` if mango could not deliver."""
    if not await agent.send_message(content, receiver):
        raise TransportError(f"{agent.aid}: could not send {type(content).__name__} to "
                             f"{receiver.aid} at {receiver.protocol_addr}")
