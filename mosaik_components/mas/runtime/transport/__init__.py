"""How agents' messages travel: identities, local delivery, batching, transports, security.

* :mod:`.identity` — agent identities across containers, loopback, message counters;
* :mod:`.local` — :func:`post` from synchronous handlers (same-container fast path);
* :mod:`.batching` — one mango message per destination container and loop iteration,
  and the dispatcher that takes everything arriving from the network;
* :mod:`.security` — the run's :class:`Session` and the sealing codec: every message
  between containers is authenticated, bound to its receiver and replay-checked;
* :mod:`.base` — the :class:`Transport` protocol and :class:`TransportConfig`;
* :mod:`.tcp`, :mod:`.mqtt` — one module per mango transport, registered in
  :data:`TRANSPORTS`.

:func:`create_container` builds container ``index`` of a run with massca's one codec
(JSON, no pickle) sealed for the run's session, and its dispatcher;
:func:`close_container` tears a running one down synchronously.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mango.container.core import Container

from ...protocol.codec import make_codec
from ..compat import drop_pooled_connections, stop_container_now
from .base import Transport, TransportConfig
from .batching import (
    Batch,
    Dispatcher,
    cancel_sending,
    enable_batching,
    last_send_error,
    send_direct,
)
from .drain import clear as clear_drain
from .drain import pending
from .identity import (
    DISPATCH_AID,
    LOOPBACK,
    Key,
    MessageStats,
    address_key,
    is_loopback,
    sender_key,
)
from .local import deliver, post
from .mqtt import MqttTransport
from .security import (
    DEFAULT_MAX_FRAME,
    TO,
    SealedCodec,
    Session,
    read_secret_file,
    sealed_for,
)
from .tcp import TcpTransport

__all__ = [
    "TRANSPORTS", "Transport", "TransportConfig", "TcpTransport", "MqttTransport",
    "create_container", "close_container", "drop_pooled_connections",
    "Key", "LOOPBACK", "is_loopback", "address_key", "sender_key", "MessageStats",
    "post", "deliver", "pending", "Batch", "Dispatcher", "DISPATCH_AID", "enable_batching",
    "send_direct", "last_send_error",
    "Session", "SealedCodec", "DEFAULT_MAX_FRAME", "read_secret_file", "TO", "sealed_for",
]

#: The transports users select by name (``transport="tcp"``).
TRANSPORTS: dict[str, type[Transport]] = {
    TcpTransport.name: TcpTransport,
    MqttTransport.name: MqttTransport,
}


def create_container(config: TransportConfig | Transport | None = None, index: int = 0,
                     session: Session | None = None, stats: MessageStats | None = None,
                     message_types: Iterable[Any] = ()) -> Container:
    """Container ``index`` of ``config`` (default: TCP on loopback), not started.

    Its codec seals every message for ``session`` (default: a new session of its own,
    so containers that shall talk to each other must share one); ``stats`` counts what
    its dispatcher refuses. Besides the MAS protocol it carries ``message_types``
    (mango ``@json_serializable`` classes, e.g. another system's messages). A message
    to another container must name that container's address in the meta key :data:`TO`
    (``agent.send_message(content, receiver, **sealed_for(receiver))``).
    """
    if config is None:
        config = TransportConfig()
    transport = config.transport if isinstance(config, TransportConfig) else config
    if session is None:
        max_frame = config.max_frame if isinstance(config, TransportConfig) else None
        session = Session(max_frame=max_frame or DEFAULT_MAX_FRAME)
    codec = session.codec()
    make_codec(codec)
    codec.add_serializer(*Batch.__serializer__())
    for message_type in message_types:
        codec.add_serializer(*message_type.__serializer__())
    container = transport.create(index, codec)
    codec.bind(container)
    enable_batching(container, stats if stats is not None else MessageStats())
    return container


def close_container(container: Container) -> None:
    """Stop a running container's agents, sends and sockets from synchronous code.

    mosaik calls ``finalize`` synchronously from inside its running loop, so the async
    ``Container.shutdown`` cannot be awaited there (see :mod:`..compat`).
    """
    cancel_sending(container)
    clear_drain(container)
    stop_container_now(container)
