"""Error types of the local energy market; every message names the field/agent and value."""

from __future__ import annotations

__all__ = ["MarketError", "MarketConfigError", "MarketTimeoutError", "MarketProtocolError",
           "MarketTransportError"]


class MarketError(Exception):
    """Base class of every error the market raises on purpose."""


class MarketConfigError(MarketError, ValueError):
    """A bad parameter: raised before any simulation work starts."""


class MarketTimeoutError(MarketError, TimeoutError):
    """A period did not complete in time; the message names the silent homes."""


class MarketProtocolError(MarketError):
    """A message broke the protocol in a way that makes the period unusable."""


class MarketTransportError(MarketError):
    """A message could not be delivered (the receiver's container is gone)."""
