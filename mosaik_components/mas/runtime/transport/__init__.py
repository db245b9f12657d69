"""How agents' messages travel: identities, local delivery, batching, transports.

* :mod:`.identity` — agent identities across containers, loopback, message counters;
* :mod:`.local` — :func:`post` from synchronous handlers (same-container fast path);
* :mod:`.batching` — one mango message per destination container and loop iteration;
* :mod:`.base` — the :class:`Transport` protocol and :class:`TransportConfig`;
* :mod:`.tcp`, :mod:`.mqtt` — one module per mango transport, registered in
  :data:`TRANSPORTS`.

:func:`create_container` builds container ``index`` of a MAS with massca's one codec
(JSON, no pickle) and :func:`close_container` tears a running one down synchronously.
"""

from __future__ import annotations

from mango.container.core import Container

from ...protocol.codec import make_codec
from ..compat import drop_pooled_connections, stop_container_now
from .base import Transport, TransportConfig
from .batching import DISPATCH_AID, Batch, Dispatcher, cancel_sending, enable_batching
from .identity import LOOPBACK, Key, MessageStats, address_key, is_loopback, sender_key
from .local import deliver, post
from .mqtt import MqttTransport
from .tcp import TcpTransport

__all__ = [
    "TRANSPORTS", "Transport", "TransportConfig", "TcpTransport", "MqttTransport",
    "create_container", "close_container", "drop_pooled_connections",
    "Key", "LOOPBACK", "is_loopback", "address_key", "sender_key", "MessageStats",
    "post", "deliver", "Batch", "Dispatcher", "DISPATCH_AID", "enable_batching",
]

#: The transports users select by name (``transport="tcp"``).
TRANSPORTS: dict[str, type[Transport]] = {
    TcpTransport.name: TcpTransport,
    MqttTransport.name: MqttTransport,
}


def create_container(config: TransportConfig | Transport | None = None,
                     index: int = 0) -> Container:
    """Container ``index`` of ``config`` (default: TCP on loopback), with massca's codec."""
    if config is None:
        config = TransportConfig()
    transport = config.transport if isinstance(config, TransportConfig) else config
    codec = make_codec()
    codec.add_serializer(*Batch.__serializer__())
    return transport.create(index, codec)


def close_container(container: Container) -> None:
    """Stop a running container's agents, sends and sockets from synchronous code.

    mosaik calls ``finalize`` synchronously from inside its running loop, so the async
    ``Container.shutdown`` cannot be awaited there (see :mod:`..compat`).
    """
    cancel_sending(container)
    stop_container_now(container)
