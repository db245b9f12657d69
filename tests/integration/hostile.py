"""Hostile clients for tests: raw TCP frames and MQTT publishes, loopback only, bounded.

An attacker on the same machine knows the protocol (it is open source) and the
addresses (it can list listening sockets), but not the run's secret. These helpers
speak mango's framing and JSON with massca's message types, with any meta the attacker
likes, and never wait longer than their timeout.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any

import paho.mqtt.client as paho
from mango.messages.message import MangoMessage

from mosaik_components.mas.protocol.codec import make_codec
from mosaik_components.mas.runtime.transport import Batch

_CODEC = make_codec()
_CODEC.add_serializer(*Batch.__serializer__())
LOOPBACK = "127.0.0.1"


def prefixed(payload: bytes, announced: int | None = None) -> bytes:
    """``payload`` behind mango's 4-byte length prefix (``announced``: a lie about it)."""
    return struct.pack("!L", len(payload) if announced is None else announced) + payload


def forged(content: Any, meta: dict[str, Any]) -> bytes:
    """The bytes of a mango message with whatever meta the attacker writes (unframed)."""
    return _CODEC.encode(MangoMessage(content, meta))


def _check(addr: tuple[str, int]) -> None:
    assert addr[0] == LOOPBACK, f"hostile clients stay on loopback, got {addr}"


def send_raw(addr: tuple[str, int], data: bytes, timeout: float = 5.0) -> None:
    """Connect, send ``data``, close (the peer may reset the connection: fine)."""
    _check(addr)
    with socket.create_connection(addr, timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            pass


def send_frames(addr: tuple[str, int], payloads: list[bytes], timeout: float = 5.0) -> None:
    """Every payload framed, over one connection."""
    send_raw(addr, b"".join(prefixed(p) for p in payloads), timeout)


def send_oversized(addr: tuple[str, int], announced: int, limit: int, chunk: int = 1 << 20,
                   timeout: float = 5.0) -> int:
    """Announce ``announced`` bytes, then stream up to ``limit``; bytes sent until refused."""
    _check(addr)
    sent = 0
    with socket.create_connection(addr, timeout=timeout) as sock:
        try:
            sock.sendall(struct.pack("!L", announced))
            block = bytes(chunk)
            while sent < limit:
                sock.sendall(block)
                sent += chunk
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            pass
    return sent


class MqttSpy:
    """An anonymous client of the broker that records and publishes (a nosy neighbour)."""

    def __init__(self, port: int, subscribe: str | None = None) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                   client_id=f"spy-{time.monotonic_ns()}")
        self._client.on_message = self._record
        self._client.connect(LOOPBACK, port)
        self._client.loop_start()
        if subscribe is not None:
            self._client.subscribe(subscribe, qos=1)
            time.sleep(0.2)

    def _record(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def captured(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return list(self.messages)

    def publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
