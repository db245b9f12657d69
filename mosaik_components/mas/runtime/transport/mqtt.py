"""MQTT containers: container ``k`` reads ``{topic}/{k}`` on ``broker``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from mango import create_mqtt_container
from mango.container.core import Container
from mango.messages.codecs import Codec

from ...model.errors import ConfigError
from .identity import is_loopback

__all__ = ["MqttTransport"]


@dataclass(frozen=True, slots=True)
class MqttTransport:
    """mango's MQTT container; the agents' messages go through ``broker``."""

    broker: tuple[str, int] = ("127.0.0.1", 1883)
    topic: str = "massca"

    name: ClassVar[str] = "mqtt"
    params: ClassVar[tuple[str, ...]] = ("broker", "topic")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], containers: int = 1) -> MqttTransport:
        """Validate ``broker`` (``"host:port"``) and ``topic`` (no MQTT wildcards)."""
        value = params.get("broker", "127.0.0.1:1883")
        host, sep, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
        if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ConfigError(f"broker must be 'host:port', got {value!r}")
        topic = params.get("topic", "massca")
        if not isinstance(topic, str) or not topic or any(c in topic for c in "#+"):
            raise ConfigError(f"topic must be a non-empty MQTT topic without wildcards, "
                              f"got {topic!r}")
        return cls((host, int(port)), topic)

    def create(self, index: int, codec: Codec) -> Container:
        """Container ``index``, client id ``{topic}-{index}``, inbox ``{topic}/{index}``."""
        return create_mqtt_container(broker_addr=self.broker, client_id=f"{self.topic}-{index}",
                                     inbox_topic=f"{self.topic}/{index}", codec=codec)

    def describe(self, index: int) -> str:
        """``mqtt host:port topic T/k`` of container ``index``."""
        return f"mqtt {self.broker[0]}:{self.broker[1]} topic {self.topic}/{index}"

    def remote_hosts(self) -> list[str]:
        """The broker's host, if not loopback."""
        return [] if is_loopback(self.broker[0]) else [self.broker[0]]
