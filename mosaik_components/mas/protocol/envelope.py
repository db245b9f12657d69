"""The authenticated envelope every message between two massca containers travels in.

A frame is ``MAGIC | tag | header length | header | body``:

* ``MAGIC`` (4 bytes) names the format and its version;
* ``tag`` (32 bytes) is HMAC-SHA256 under the run's key over everything after it;
* the header (JSON, :class:`Header`) names the sending container (its random id, its
  address and the sending agent), the receiving container (its random id) and agent,
  and the sender's message counter;
* the body is the message content as the codec encodes it.

Nothing of a frame is parsed before its tag is checked, so junk never reaches a JSON
parser. The receiver takes the sender's identity from the header (authenticated), never
from anything else the sender wrote. Binding the receiving container's id makes a frame
worthless anywhere else (another container, or the same address in a later run: ids are
drawn fresh per container and process); the counter, checked against a sliding
:class:`ReplayWindow` per sending container, makes it worthless a second time.

Pure (stdlib ``hmac``/``hashlib``/``secrets`` only): unit-tested without any container.
"""

from __future__ import annotations

import hmac
import json
import secrets
import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["MAGIC", "TAG_SIZE", "ANY_RECEIVER", "Header", "EnvelopeError", "ReplayWindow",
           "derive_key", "new_container_id", "new_secret", "seal", "unseal"]

#: Format and version of a frame.
MAGIC = b"MSC1"
TAG_SIZE = 32
_LENGTH = struct.Struct("!H")
_PREFIX = len(MAGIC) + TAG_SIZE + _LENGTH.size
#: The receiver id of a first contact (a ``Hello``), before the sender knows the id.
ANY_RECEIVER = ""
#: Minimum length of a user-provided secret (bytes).
MIN_SECRET = 16


class EnvelopeError(Exception):
    """A frame that is not a valid envelope under the key (the reason says why)."""


@dataclass(frozen=True, slots=True)
class Header:
    """Who sent a frame to whom, and the sender's message counter."""

    sender_cid: str
    sender_addr: Any
    sender_aid: str
    receiver_cid: str
    receiver_aid: str
    counter: int

    def to_bytes(self) -> bytes:
        """The header's JSON form."""
        return json.dumps([self.sender_cid, self.sender_addr, self.sender_aid,
                           self.receiver_cid, self.receiver_aid, self.counter],
                          separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Header:
        """Inverse of :meth:`to_bytes`; :class:`EnvelopeError` if malformed."""
        try:
            fields = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise EnvelopeError("header is not JSON") from None
        if not isinstance(fields, list) or len(fields) != 6:
            raise EnvelopeError("header must have 6 fields")
        sender_cid, sender_addr, sender_aid, receiver_cid, receiver_aid, counter = fields
        if not all(isinstance(v, str) for v in (sender_cid, sender_aid, receiver_cid,
                                                 receiver_aid)):
            raise EnvelopeError("header ids must be strings")
        if isinstance(counter, bool) or not isinstance(counter, int) or counter < 1:
            raise EnvelopeError(f"counter must be a positive integer, got {counter!r}")
        if not _is_address(sender_addr):
            raise EnvelopeError(f"sender address must be a topic or [host, port], got "
                                f"{sender_addr!r}")
        addr = tuple(sender_addr) if isinstance(sender_addr, list) else sender_addr
        return cls(sender_cid, addr, sender_aid, receiver_cid, receiver_aid, counter)


def _is_address(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def new_secret() -> bytes:
    """A fresh random secret for one run (32 bytes)."""
    return secrets.token_bytes(32)


def new_container_id() -> str:
    """A fresh random id for one container (16 hex digits)."""
    return secrets.token_hex(8)


def derive_key(secret: bytes) -> bytes:
    """The MAC key for ``secret`` (at least :data:`MIN_SECRET` bytes)."""
    if len(secret) < MIN_SECRET:
        raise ValueError(f"a secret needs at least {MIN_SECRET} bytes, got {len(secret)}")
    return hmac.digest(secret, b"massca envelope v1", "sha256")


def seal(key: bytes, header: Header, body: bytes) -> bytes:
    """The frame carrying ``body`` from and to whom ``header`` says."""
    head = header.to_bytes()
    signed = _LENGTH.pack(len(head)) + head + body
    return MAGIC + hmac.digest(key, signed, "sha256") + signed


def unseal(key: bytes, frame: bytes | bytearray | memoryview) -> tuple[Header, bytes]:
    """The header and body of an authentic ``frame``; :class:`EnvelopeError` otherwise."""
    view = memoryview(frame)
    if len(view) < _PREFIX or view[:len(MAGIC)] != MAGIC:
        raise EnvelopeError("not a massca envelope")
    tag = view[len(MAGIC):len(MAGIC) + TAG_SIZE]
    signed = view[len(MAGIC) + TAG_SIZE:]
    if not hmac.compare_digest(hmac.digest(key, signed, "sha256"), tag):
        raise EnvelopeError("bad tag (forged, corrupted, or another run's key)")
    (length,) = _LENGTH.unpack_from(signed)
    if _LENGTH.size + length > len(signed):
        raise EnvelopeError("header longer than the frame")
    header = Header.from_bytes(bytes(signed[_LENGTH.size:_LENGTH.size + length]))
    return header, bytes(signed[_LENGTH.size + length:])


class ReplayWindow:
    """Counters seen from one sender: each accepted once, within a sliding window.

    A counter above the highest seen is accepted and moves the window; one inside the
    window is accepted once; one below it is refused (too old to tell). Messages of one
    sender may arrive slightly out of order (several pooled connections), which the
    window of ``size`` counters absorbs.
    """

    __slots__ = ("size", "mask", "highest", "seen")

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.mask = (1 << size) - 1
        self.highest = 0
        #: bit ``i`` set: counter ``highest - i`` was seen
        self.seen = 0

    def accept(self, counter: int) -> bool:
        """True the first time ``counter`` arrives within the window, else False."""
        if counter > self.highest:
            shift = counter - self.highest
            self.seen = ((self.seen << shift) | 1) & self.mask if shift < self.size else 1
            self.highest = counter
            return True
        offset = self.highest - counter
        if offset >= self.size or self.seen >> offset & 1:
            return False
        self.seen |= 1 << offset
        return True
