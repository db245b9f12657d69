"""Transport details of the market agents, kept in one place (containers, identity, send).

The containers are massca's own (:func:`mosaik_components.mas.runtime.transport.
create_container`): mango TCP containers bound to loopback, frames size-checked before
they are read, and a codec (JSON with the market's message types only, no pickle) that
seals every message between two containers in an authenticated envelope under the
run's secret (one :class:`Session` per :class:`Containers`). A receiving container
builds the sender's identity (``(container address, aid)``) from that envelope, so
:func:`sender_of` never reads what a sender wrote about itself; forged, replayed,
misdirected or junk frames are dropped before any agent sees them and counted in
:attr:`Containers.frames`. Agents send with :func:`send`, which names the receiving
container for the seal. Their lifecycle goes through mango's ``activate``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from mango import Agent, AgentAddress, activate
from mango.container.core import Container

from mosaik_components.mas.runtime.transport import (
    MessageStats,
    Session,
    TcpTransport,
    create_container,
    sealed_for,
)
from mosaik_components.mas.runtime.transport import address_key as key_of
from mosaik_components.mas.runtime.transport.identity import hashable_address

from ..core.config import LOOPBACK
from ..errors import MarketConfigError
from .messages import MESSAGE_TYPES

__all__ = ["Key", "key_of", "sender_of", "send", "Containers"]

#: An agent's identity: (container address, aid).
Key = tuple[Any, str]


def sender_of(meta: dict[str, Any]) -> Key:
    """The identity of a message's sender, as the receiving container saw it.

    From another container: built from the authenticated envelope; within a container:
    mango's own meta. Addresses may arrive as JSON lists.
    """
    return (hashable_address(meta.get("sender_addr")), str(meta.get("sender_id")))


async def send(agent: Agent, content: Any, receiver: AgentAddress) -> bool:
    """Send ``content`` from ``agent``, sealed for the receiver's container; True if sent."""
    return await agent.send_message(content, receiver, **sealed_for(receiver))


class Containers:
    """``count`` TCP containers on ``host`` (loopback only), started and stopped together."""

    def __init__(self, count: int, host: str = "127.0.0.1") -> None:
        self.check(count, host)
        #: the run's secret and peer table: these containers accept only each other
        self.session = Session()
        #: frames the containers dropped (forged, replayed, misdirected, junk)
        self.frames = MessageStats()
        self.items: list[Container] = [
            create_container(TcpTransport(host), index, self.session, self.frames, MESSAGE_TYPES)
            for index in range(count)]
        self._stack: contextlib.AsyncExitStack | None = None

    @staticmethod
    def check(count: int, host: str) -> None:
        """Loopback only, at least one container."""
        if host not in LOOPBACK:
            raise MarketConfigError(f"host must be a loopback address {LOOPBACK}, got {host!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise MarketConfigError(f"containers must be an integer >= 1, got {count!r}")

    async def start(self) -> None:
        """Bind the sockets and start the containers."""
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(activate(*self.items))
        self._stack = stack

    @property
    def running(self) -> bool:
        """Whether :meth:`start` ran and :meth:`stop` did not."""
        return self._stack is not None

    async def stop(self) -> None:
        """Shut the agents and containers down (safe to call twice)."""
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
