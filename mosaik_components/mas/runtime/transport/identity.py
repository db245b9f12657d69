"""Who sent a message: agent identities across containers, loopback checks, counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mango import AgentAddress

__all__ = ["Key", "LOOPBACK", "is_loopback", "address_key", "sender_key", "MessageStats"]

#: An agent's identity across containers: (container address, mango aid).
Key = tuple[Any, str]

#: Host names that stay on this machine.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """True for a loopback host name or address."""
    return host in LOOPBACK


def _hashable(addr: Any) -> Any:
    return tuple(addr) if type(addr) is list else addr


def address_key(address: AgentAddress) -> Key:
    """The identity of the agent at ``address``."""
    return (_hashable(address.protocol_addr), address.aid)


def sender_key(meta: dict[str, Any]) -> Key:
    """The identity a message's meta claims for its sender (TCP meta arrives as lists)."""
    return (_hashable(meta.get("sender_addr")), meta.get("sender_id"))  # type: ignore[return-value]


@dataclass(slots=True)
class MessageStats:
    """Counters shared by the agents of one MAS simulator.

    With ``trace`` set to a list, every sent message is recorded there as
    ``(sender aid, receiver aid, message type name)`` (for tests and debugging).
    """

    sent: int = 0
    rejected: int = 0
    #: negotiations finished and the sum of their deviations from target (MW)
    negotiations: int = 0
    deviation: float = 0.0
    trace: list[tuple[str, str, str]] | None = None
