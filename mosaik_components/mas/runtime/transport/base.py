"""What a transport is, and how a MAS spreads its agents over containers.

A transport (:class:`Transport`) creates the mango container number ``index`` of a MAS
with a given codec and describes where it is (for error messages). Each transport is one
module with a frozen settings class (:mod:`.tcp`, :mod:`.mqtt`) registered by name in
:data:`~mosaik_components.mas.runtime.transport.TRANSPORTS`; adding one is a new module
plus one registry line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from mango.container.core import Container
from mango.messages.codecs import Codec

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

    def create(self, index: int, codec: Codec) -> Container:
        """Container ``index`` of the MAS (not started)."""
        ...

    def describe(self, index: int) -> str:
        """Where container ``index`` is, for error messages."""
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
    containers 1..len(workers). Worker processes talk TCP.
    """

    transport: Transport = field(default_factory=_tcp)
    containers: int = 1
    processes: bool = False
    workers: tuple[str, ...] = ()

    @property
    def total_containers(self) -> int:
        """Containers in all: 1 + len(workers) with remote workers, else ``containers``."""
        return 1 + len(self.workers) if self.workers else self.containers

    def describe(self, index: int) -> str:
        """Where container ``index`` is, for error messages."""
        return self.transport.describe(index)
