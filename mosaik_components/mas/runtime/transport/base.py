"""What a transport is, and how a MAS spreads its agents over containers.

A transport (:class:`Transport`) creates the mango container number ``index`` of a MAS
with a given sealing codec (:class:`~.security.SealedCodec`: the run's session, its
frame limit and run id travel with it) and describes where it is (for error messages).
Authentication lives in the codec, so a new transport gets it by using the codec it is
given for everything it sends and receives. Each transport is one
module with a frozen settings class (:mod:`.tcp`, :mod:`.mqtt`) registered by name in
:data:`~mosaik_components.mas.runtime.transport.TRANSPORTS`; adding one is a new module
plus one registry line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from mango.container.core import Container

from .security import DEFAULT_MAX_FRAME, SealedCodec

__all__ = ["Transport", "TransportConfig"]


@runtime_checkable
class Transport(Protocol):
    """Settings of one transport; creates and describes containers."""

    #: the name users select it by (``transport="tcp"``)
    name: ClassVar[str]
    #: the simulator parameters it reads (popped from the MAS's parameters)
    params: ClassVar[tuple[str, ...]]

    @classmethod
    def from_params(cls, params: Mapping[str, Any], containers: int = 1) -> Transport:
        """Validated settings from those parameters for ``containers`` containers.

        Errors are :class:`~...model.errors.ConfigError` naming the field and value.
        """
        ...

    def create(self, index: int, codec: SealedCodec) -> Container:
        """Container ``index`` of the MAS (not started).

        It sends and receives through ``codec`` only; a frame above
        ``codec.session.max_frame`` is refused unread.
        """
        ...

    def describe(self, index: int, run: str | None = None) -> str:
        """Where container ``index`` (of run ``run``, if known) is, for error messages."""
        ...

    def remote_hosts(self) -> list[str]:
        """Non-loopback hosts it binds or connects to (need ``allow_remote``)."""
        ...


def _tcp() -> Any:
    from .tcp import TcpTransport

    return TcpTransport()


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """How the agents of one MAS are spread: containers, worker processes, the transport.

    ``processes``: containers 1..N-1 run in worker processes spawned on this machine;
    ``workers``: addresses (``host:port``) of workers started elsewhere, which become
    containers 1..len(workers). Worker processes talk TCP. ``max_frame``: the largest
    message (bytes) a container sends or accepts; ``secret_file``: the run's secret
    (needed with ``workers``, which were given the same file); without it every run
    draws a fresh secret.
    """

    transport: Transport = field(default_factory=_tcp)
    containers: int = 1
    processes: bool = False
    workers: tuple[str, ...] = ()
    max_frame: int = DEFAULT_MAX_FRAME
    secret_file: str | None = None

    @property
    def total_containers(self) -> int:
        """Containers in all: 1 + len(workers) with remote workers, else ``containers``."""
        return 1 + len(self.workers) if self.workers else self.containers

    def describe(self, index: int, run: str | None = None) -> str:
        """Where container ``index`` (of run ``run``, if known) is, for error messages."""
        return self.transport.describe(index, run)
