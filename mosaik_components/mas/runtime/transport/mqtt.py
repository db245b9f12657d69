"""MQTT containers: container ``k`` of run ``R`` reads ``{topic}/{R}/{k}`` on ``broker``.

The run id ``R`` (random, per run: :attr:`~.security.Session.run`) keeps two runs on
one broker apart, in topics and in client ids (``massca-{R}-{k}``). The broker may
require a username and password (``username``, ``password_file``) and TLS (``tls_ca``:
the CA that signed the broker's certificate; ``tls_cert``/``tls_key``: a client
certificate). Whatever else arrives on a container's topic is dropped and counted by
the sealing codec; the client's network thread is fenced (:mod:`..compat`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mango.container.core import Container

from ...model.errors import ConfigError
from ..compat import MqttLogin, SecureMqttContainer
from .identity import is_loopback
from .security import SealedCodec, reject_frame

__all__ = ["MqttTransport"]

_FILES = ("password_file", "tls_ca", "tls_cert", "tls_key")


def _readable(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str | Path) or not Path(value).is_file():
        raise ConfigError(f"{name} must name a readable file, got {value!r}")
    return str(value)


@dataclass(frozen=True, slots=True)
class MqttTransport:
    """mango's MQTT container; the agents' messages go through ``broker``."""

    broker: tuple[str, int] = ("127.0.0.1", 1883)
    topic: str = "massca"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    name: ClassVar[str] = "mqtt"
    params: ClassVar[tuple[str, ...]] = ("broker", "topic", "username", *_FILES)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], containers: int = 1) -> MqttTransport:
        """Validate ``broker`` (``"host:port"``), ``topic`` (no MQTT wildcards), the login."""
        value = params.get("broker", "127.0.0.1:1883")
        host, sep, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
        if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ConfigError(f"broker must be 'host:port', got {value!r}")
        topic = params.get("topic", "massca")
        if not isinstance(topic, str) or not topic or any(c in topic for c in "#+\0"):
            raise ConfigError(f"topic must be a non-empty MQTT topic without wildcards, "
                              f"got {topic!r}")
        username = params.get("username")
        if username is not None and (not isinstance(username, str) or not username):
            raise ConfigError(f"username must be a non-empty string, got {username!r}")
        files = {name: _readable(params, name) for name in _FILES}
        if files["password_file"] is not None and username is None:
            raise ConfigError("password_file needs a username")
        if files["tls_key"] is not None and files["tls_cert"] is None:
            raise ConfigError("tls_key needs tls_cert (the client certificate)")
        password = (Path(files["password_file"]).read_text().strip()
                    if files["password_file"] else None)
        return cls((host, int(port)), topic, username, password, files["tls_ca"],
                   files["tls_cert"], files["tls_key"])

    def create(self, index: int, codec: SealedCodec) -> Container:
        """Container ``index``: client ``massca-{run}-{index}``, inbox ``topic/run/index``."""
        run = codec.session.run
        login = MqttLogin(self.username, self.password, self.tls_ca, self.tls_cert,
                          self.tls_key)
        return SecureMqttContainer(client_id=f"massca-{run}-{index}",
                                   broker_addr=self.broker,
                                   inbox_topic=f"{self.topic}/{run}/{index}", codec=codec,
                                   login=login, reject=reject_frame)

    def describe(self, index: int, run: str | None = None) -> str:
        """``mqtt host:port topic T/run/k`` of container ``index``."""
        tls = ", TLS" if self.tls_ca or self.tls_cert else ""
        return (f"mqtt {self.broker[0]}:{self.broker[1]}{tls} topic "
                f"{self.topic}/{run or '<run>'}/{index}")

    def remote_hosts(self) -> list[str]:
        """The broker's host, if not loopback."""
        return [] if is_loopback(self.broker[0]) else [self.broker[0]]
