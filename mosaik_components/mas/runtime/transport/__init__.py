"""Message transport between agents and containers (see :mod:`.core`)."""

from .core import (
    BATCHING,
    DISPATCH_AID,
    LOOPBACK,
    Batch,
    Dispatcher,
    Key,
    MessageStats,
    TransportConfig,
    address_key,
    close_container,
    create_container,
    deliver,
    drop_pooled_connections,
    enable_batching,
    post,
    sender_key,
)

__all__ = [
    "BATCHING", "DISPATCH_AID", "LOOPBACK", "Batch", "Dispatcher", "Key", "MessageStats",
    "TransportConfig", "address_key", "close_container", "create_container", "deliver",
    "drop_pooled_connections", "enable_batching", "post", "sender_key",
]
