"""TCP containers: container ``k`` binds ``host:port + k`` (``port=0``: free ports)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from mango.container.core import Container

from ...model.errors import ConfigError
from ..compat import FramedTcpContainer
from .identity import is_loopback
from .security import SealedCodec, reject_frame

__all__ = ["TcpTransport"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TcpTransport:
    """mango's TCP container on ``host`` (loopback unless configured otherwise)."""

    host: str = "127.0.0.1"
    port: int = 0

    name: ClassVar[str] = "tcp"
    params: ClassVar[tuple[str, ...]] = ("host", "port")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], containers: int = 1) -> TcpTransport:
        """Validate ``host`` (non-empty) and ``port`` (0..65535; 0: free ports)."""
        host = params.get("host", "127.0.0.1")
        if not isinstance(host, str) or not host:
            raise ConfigError(f"host must be a non-empty string, got {host!r}")
        port = params.get("port", 0)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"port must be an integer in 0..65535, got {port!r}")
        if port and port + containers - 1 > 65535:
            raise ConfigError(f"port: container k binds port + k, so port + containers - 1 "
                              f"must be <= 65535, got port={port!r} with {containers} containers")
        return cls(host, port)

    def create(self, index: int, codec: SealedCodec) -> Container:
        """Container ``index`` on ``port + index`` (or a free port), frames size-checked."""
        if not is_loopback(self.host):
            logger.warning("MAS container binds to non-loopback address %s", self.host)
        port = self.port + index if self.port else 0
        return FramedTcpContainer(addr=(self.host, port), codec=codec,
                                  max_frame=codec.session.max_frame, reject=reject_frame)

    def describe(self, index: int, run: str | None = None) -> str:
        """``tcp host:port`` of container ``index``."""
        return f"tcp {self.host}:{self.port + index if self.port else 'auto'}"

    def remote_hosts(self) -> list[str]:
        """The bound host, if not loopback."""
        return [] if is_loopback(self.host) else [self.host]
