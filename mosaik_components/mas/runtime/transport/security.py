"""Authenticated traffic between the containers of one run: sessions and the sealing codec.

Every container of a massca run (the MAS's own, worker processes, remote workers) holds
the run's :class:`Session`: its secret, the frame size limit, and the table of peer
containers (address <-> random container id). Each container gets a :class:`SealedCodec`
(:meth:`Session.codec`) with an id of its own; mango calls it for every message that
leaves or enters the container, whatever the transport (TCP, MQTT, a new one), so
authentication comes with the codec:

* **encode** seals the message content in an :mod:`~...protocol.envelope` naming the
  sending container and agent, the receiving container's id and agent, and the
  container's next counter. The destination comes from the meta key :data:`TO`, which
  massca's senders set (:mod:`.batching`); a destination without a known container id
  is refused (no unbound message leaves, except a first contact that names
  :data:`~...protocol.envelope.ANY_RECEIVER` explicitly).
* **decode** accepts a frame only if its tag verifies under the run's key, it is bound
  to this container (or is a first contact), and its counter was not seen before from
  that sender (:class:`~...protocol.envelope.ReplayWindow`). The meta the agents see is
  built from the authenticated header only: the sender's address is the one this
  container knows for the sender's id (or the header's, for a first contact). Anything
  else becomes a :class:`Dropped` marker for the container's dispatcher, which counts it
  in ``rejected``; decode never raises into mango (for MQTT it runs in paho's thread).

Messages between agents of the same container never leave the process and are not
sealed (nothing crosses a process boundary; see the README's Security section).
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mango.messages.codecs import JSON, Codec, SerializationError

from ...model.errors import ConfigError
from ...protocol.envelope import (
    ANY_RECEIVER,
    MIN_SECRET,
    EnvelopeError,
    Header,
    ReplayWindow,
    derive_key,
    new_container_id,
    new_secret,
    seal,
    unseal,
)
from ..compat import MangoMessage, has_agent
from .identity import DISPATCH_AID, hashable_address

__all__ = ["Session", "SealedCodec", "Dropped", "TO", "sealed_for", "TO_CID", "BOUND", "FROM_CID",
           "DEFAULT_MAX_FRAME", "read_secret_file", "dropped_message", "reject_frame"]

logger = logging.getLogger(__name__)

#: Meta key a sender sets to the receiving container's address (its protocol address).
TO = "massca_to"


def sealed_for(receiver: Any) -> dict[str, Any]:
    """The meta that seals a message for ``receiver``'s container (an ``AgentAddress``).

    ``agent.send_message(content, receiver, **sealed_for(receiver))``.
    """
    return {TO: receiver.protocol_addr}


#: Meta key that overrides the receiving container's id (a first contact names
#: :data:`ANY_RECEIVER`, a reply to one the id the first contact came from).
TO_CID = "massca_to_cid"
#: Meta key set on received messages: True if bound to this container (not a first
#: contact). Only what the codec built carries it.
BOUND = "massca_bound"
#: Meta key set on received messages: the sending container's id (authenticated).
FROM_CID = "massca_from_cid"
#: Largest frame (bytes) a container sends or accepts unless configured otherwise.
DEFAULT_MAX_FRAME = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Dropped:
    """A frame a container refused; only ever created locally, never sent."""

    reason: str


def dropped_message(reason: str) -> tuple[Dropped, dict[str, Any]]:
    """Content and meta that carry a refusal to the container's dispatcher."""
    return Dropped(reason), {"receiver_id": DISPATCH_AID}


def reject_frame(container: Any, reason: str) -> None:
    """Hand a frame refused before decoding to the container's dispatcher (to be counted)."""
    content, meta = dropped_message(reason)
    if container.inbox is not None:
        container.inbox.put_nowait((0, content, meta))


def read_secret_file(path: str | Path) -> bytes:
    """The secret in ``path`` (surrounding whitespace stripped); ConfigError if unusable.

    A file that others may read is accepted with a warning (as ssh does for keys it
    still uses): the secret is only as private as that file.
    """
    file = Path(path)
    try:
        secret = file.read_bytes().strip()
        mode = file.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"secret_file {str(path)!r}: {exc.strerror or exc}") from None
    if len(secret) < MIN_SECRET:
        raise ConfigError(f"secret_file {str(path)!r}: a secret needs at least {MIN_SECRET} "
                          f"bytes, got {len(secret)} (make one with: python -c \"import "
                          f"secrets; print(secrets.token_hex(32))\" > FILE)")
    if mode & (stat.S_IRGRP | stat.S_IROTH) and os.name == "posix":
        logger.warning("secret_file %s is readable by other users (chmod 600 it)", path)
    return secret


class Session:
    """The run's secret, frame limit and peer table, shared by all its containers here."""

    def __init__(self, secret: bytes | None = None, max_frame: int = DEFAULT_MAX_FRAME,
                 run: str | None = None) -> None:
        self.secret = secret if secret is not None else new_secret()
        self.key = derive_key(self.secret)
        self.max_frame = max_frame
        #: a short random id of the run (MQTT topics and client ids)
        self.run = run if run is not None else secrets.token_hex(4)
        self._cid_of: dict[Any, str] = {}
        self._addr_of: dict[str, Any] = {}
        self._local: list[SealedCodec] = []

    def codec(self) -> SealedCodec:
        """A sealing codec for one new container of this session."""
        codec = SealedCodec(self)
        self._local.append(codec)
        return codec

    def add_peer(self, addr: Any, cid: str) -> None:
        """Container ``cid`` is reached at ``addr``."""
        addr = hashable_address(addr)
        self._cid_of[addr] = cid
        self._addr_of[cid] = addr

    def peers(self) -> dict[str, Any]:
        """Every container known here (local ones once started): ``{cid: addr}``."""
        self._learn_local()
        return dict(self._addr_of)

    def cid_of(self, addr: Any) -> str | None:
        """The id of the container at ``addr``, if known."""
        addr = hashable_address(addr)
        cid = self._cid_of.get(addr)
        if cid is None:
            self._learn_local()
            cid = self._cid_of.get(addr)
        return cid

    def addr_of(self, cid: str) -> Any:
        """The address known for container ``cid``, or None."""
        addr = self._addr_of.get(cid)
        if addr is None:
            self._learn_local()
            addr = self._addr_of.get(cid)
        return addr

    def _learn_local(self) -> None:
        """Local containers' addresses are final once they started (automatic ports)."""
        for codec in self._local:
            if codec.container is not None and codec.cid not in self._addr_of:
                addr = hashable_address(codec.container.addr)
                if addr is not None and (type(addr) is str or addr[1]):
                    self.add_peer(addr, codec.cid)


class SealedCodec(Codec):
    """mango's JSON codec inside an authenticated envelope (module docstring)."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.inner = JSON()
        self.session = session
        self.cid = new_container_id()
        self.container: Any = None
        self.counter = 0
        self.windows: dict[str, ReplayWindow] = {}

    def bind(self, container: Any) -> None:
        """The container this codec seals for (its address names the sender)."""
        self.container = container

    def add_serializer(self, otype: Any, serialize: Any, deserialize: Any,
                       type_id: Any = None) -> None:
        """Teach the inner JSON codec a type."""
        self.inner.add_serializer(otype, serialize, deserialize, type_id)

    def encode(self, data: Any) -> bytes:
        """Seal a mango message for the container its meta names (:data:`TO`)."""
        if not isinstance(data, MangoMessage):
            raise SerializationError(f"massca seals mango messages only, got {type(data)}")
        content, meta = data.split_content_and_meta()
        if TO_CID in meta:
            receiver_cid = meta[TO_CID]
        else:
            receiver_cid = self.session.cid_of(meta.get(TO))
            if receiver_cid is None:
                raise SerializationError(f"no authenticated session with the container at "
                                         f"{meta.get(TO)!r}: not part of this run")
        self.counter += 1
        addr = self.container.addr
        header = Header(self.cid, list(addr) if isinstance(addr, tuple) else addr,
                        meta.get("sender_id") or "", receiver_cid,
                        meta.get("receiver_id") or "", self.counter)
        frame = seal(self.session.key, header, self.inner.encode(content))
        if len(frame) > self.session.max_frame:
            raise SerializationError(f"a message of {len(frame)} bytes exceeds max_frame="
                                     f"{self.session.max_frame} bytes; raise max_frame")
        return frame

    def decode(self, data: Any) -> MangoMessage:
        """An authentic message with meta from its header, or a :class:`Dropped`."""
        try:
            header, content = self._open(data)
        except Exception as exc:  # a bad frame must never escape into mango
            return MangoMessage(*dropped_message(f"{type(exc).__name__}: {exc}"))
        known = self.session.addr_of(header.sender_cid)
        meta = {"sender_id": header.sender_aid,
                "sender_addr": known if known is not None else header.sender_addr,
                "receiver_id": header.receiver_aid,
                BOUND: header.receiver_cid == self.cid, FROM_CID: header.sender_cid}
        return MangoMessage(content, meta)

    def _open(self, data: Any) -> tuple[Header, Any]:
        if len(data) > self.session.max_frame:
            raise EnvelopeError(f"frame of {len(data)} bytes exceeds max_frame="
                                f"{self.session.max_frame}")
        header, body = unseal(self.session.key, data)
        if header.receiver_cid not in (self.cid, ANY_RECEIVER):
            raise EnvelopeError("bound to another container (or an earlier run)")
        window = self.windows.get(header.sender_cid)
        if window is None:
            window = self.windows[header.sender_cid] = ReplayWindow()
        if not window.accept(header.counter):
            raise EnvelopeError(f"replayed (counter {header.counter} from container "
                                f"{header.sender_cid} already seen or too old)")
        if not has_agent(self.container, header.receiver_aid):
            raise EnvelopeError(f"no agent {header.receiver_aid!r} here")
        return header, self.inner.decode(body)
