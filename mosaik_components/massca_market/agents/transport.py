"""Transport details of the market agents, kept in one place (containers, codec, identity).

Everything here uses mango's public API: TCP containers (``create_tcp_container``) with
the JSON codec and only the market's message types registered (no pickle), bound to
loopback; their lifecycle through ``activate``; an agent's identity across containers
as ``(container address, aid)``. The rest of the market never touches a container, so
this module is the seam to put behind massca's runtime transport later.
"""

from __future__ import annotations

import contextlib
from typing import Any

from mango import AgentAddress, activate, create_tcp_container
from mango.container.core import Container
from mango.messages.codecs import JSON

from ..core.config import LOOPBACK
from ..errors import MarketConfigError
from .messages import MESSAGE_TYPES

__all__ = ["Key", "key_of", "sender_of", "codec", "Containers"]

#: An agent's identity: (container address, aid).
Key = tuple[Any, str]


def _plain(addr: Any) -> Any:
    return tuple(addr) if isinstance(addr, list) else addr


def key_of(address: AgentAddress) -> Key:
    """The identity of the agent at ``address``."""
    return (_plain(address.protocol_addr), address.aid)


def sender_of(meta: dict[str, Any]) -> Key:
    """The identity of a message's sender (TCP meta carries addresses as JSON lists)."""
    return (_plain(meta.get("sender_addr")), str(meta.get("sender_id")))


def codec() -> JSON:
    """A JSON codec that knows the market's messages and nothing else."""
    json = JSON()
    for message_type in MESSAGE_TYPES:
        json.add_serializer(*message_type.__serializer__())
    return json


class Containers:
    """``count`` TCP containers on ``host`` (loopback only), started and stopped together."""

    def __init__(self, count: int, host: str = "127.0.0.1") -> None:
        self.check(count, host)
        self.items: list[Container] = [
            create_tcp_container((host, 0), codec=codec(), auto_port=True)
            for _ in range(count)]
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
