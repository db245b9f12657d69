"""Who sent a message: agent identities across containers, loopback checks, counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mango import AgentAddress

__all__ = ["Key", "LOOPBACK", "DISPATCH_AID", "is_loopback", "hashable_address", "address_key",
           "sender_key", "MessageStats"]

#: An agent's identity across containers: (container address, mango aid).
Key = tuple[Any, str]

#: Host names that stay on this machine.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: The mango id of the agent in every massca container that takes everything arriving
#: from the network: batches, and the frames that were dropped (to be counted).
DISPATCH_AID = "massca_dispatch"


def is_loopback(host: str) -> bool:
    """True for a loopback host name or address."""
    return host in LOOPBACK


def hashable_address(addr: Any) -> Any:
    """A container address usable as a key (JSON turns tuples into lists)."""
    return tuple(addr) if type(addr) is list else addr


def address_key(address: AgentAddress) -> Key:
    """The identity of the agent at ``address``."""
    return (hashable_address(address.protocol_addr), address.aid)


def sender_key(meta: dict[str, Any]) -> Key | None:
    """The sender identity in ``meta``; None if it is malformed.

    Meta of a message from another container is built by the receiving container from
    the authenticated envelope (:mod:`.security`), and meta of a local message by
    :mod:`.local`; a malformed one can only come from a bug, and is rejected like an
    outsider (never raised into a cycle).
    """
    addr = meta.get("sender_addr")
    key = (tuple(addr) if type(addr) is list else addr, meta.get("sender_id"))
    try:
        hash(key)  # a dict or list inside cannot name anyone: matches no known sender
    except TypeError:
        return None
    return key  # type: ignore[return-value]


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
