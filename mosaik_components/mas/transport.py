"""Sending protocol messages from synchronous mango handlers, and container lifecycle.

mango's ``Agent.send_message`` is a coroutine; calling it from ``handle_message``
needs a task per message (``schedule_instant_message``), which costs ~4x the message
itself. For a receiver in the *same* container, :func:`post` hands the message to
mango's own internal delivery (the inbox of the receiver, same meta as mango sets);
for any other receiver it falls back to a scheduled ``send_message``. Either way the
message goes through mango's inbox and dispatch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mango import Agent, AgentAddress, RoleContext, create_mqtt_container, create_tcp_container
from mango.container.core import Container
from mango.messages.codecs import JSON

from .messages import register_codec

__all__ = ["MessageStats", "TransportConfig", "post", "create_container", "close_container",
           "drop_pooled_connections"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class MessageStats:
    """Counters shared by the agents of one MAS simulator.

    With ``trace`` set to a list, every sent message is recorded there as
    ``(sender aid, receiver aid, message type name)`` (for tests and debugging).
    """

    sent: int = 0
    rejected: int = 0
    #: COHDA negotiations finished and the sum of their deviations from target (MW)
    negotiations: int = 0
    deviation: float = 0.0
    trace: list[tuple[str, str, str]] | None = None


def post(agent: Agent | RoleContext, content: Any, receiver: AgentAddress,
         stats: MessageStats) -> None:
    """Send ``content`` from an agent or a role's context without awaiting (module doc)."""
    stats.sent += 1
    if stats.trace is not None:
        stats.trace.append((agent.aid, receiver.aid, type(content).__name__))
    container = agent.context._container
    if receiver.protocol_addr == container.addr:
        meta = {
            "sender_id": agent.aid,
            "sender_addr": container.addr,
            "receiver_id": receiver.aid,
        }
        if not container._send_internal_message(content, receiver.aid, default_meta=meta):
            raise LookupError(f"agent {agent.aid!r}: no agent {receiver.aid!r} in this container")
    else:
        agent.schedule_instant_message(content, receiver)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Where the MAS's containers live and how they talk (validated in :mod:`.config`).

    ``tcp``: container ``k`` binds ``host:port+k`` (``port=0``: the OS picks free
    ports). ``mqtt``: container ``k`` connects to ``broker`` and reads the topic
    ``{topic}/{k}``; the agents' messages go through the broker. With ``processes``
    or ``workers``, containers 1.. are worker processes (:mod:`.worker`, TCP).
    """

    transport: str = "tcp"
    containers: int = 1
    host: str = "127.0.0.1"
    port: int = 0
    broker: tuple[str, int] = ("127.0.0.1", 1883)
    topic: str = "massca"
    #: containers 1..N-1 run in worker processes spawned on this machine
    processes: bool = False
    #: addresses ("host:port") of workers started elsewhere; containers 1..len(workers)
    workers: tuple[str, ...] = ()

    @property
    def total_containers(self) -> int:
        """Containers in all: 1 + len(workers) with remote workers, else ``containers``."""
        return 1 + len(self.workers) if self.workers else self.containers

    def describe(self, index: int) -> str:
        """Where container ``index`` is, for error messages."""
        if self.transport == "mqtt":
            return f"mqtt {self.broker[0]}:{self.broker[1]} topic {self.topic}/{index}"
        return f"tcp {self.host}:{self.port + index if self.port else 'auto'}"


def create_container(transport: TransportConfig, index: int = 0) -> Container:
    """Container ``index`` of ``transport``, with the protocol's JSON codec (no pickle).

    TCP binds loopback unless configured otherwise (then a warning is logged).
    """
    codec = register_codec(JSON())
    if transport.transport == "mqtt":
        return create_mqtt_container(
            broker_addr=transport.broker, client_id=f"{transport.topic}-{index}",
            inbox_topic=f"{transport.topic}/{index}", codec=codec)
    if transport.host not in LOOPBACK:
        logger.warning("MAS container binds to non-loopback address %s", transport.host)
    port = transport.port + index if transport.port else 0
    return create_tcp_container((transport.host, port), codec=codec, auto_port=port == 0)


def close_container(container: Container) -> None:
    """Stop a running container's agents and server from synchronous code.

    mosaik calls ``finalize`` synchronously (in-process, from inside its running
    loop), so the async ``Container.shutdown`` cannot be awaited there. This cancels
    the agents' inbox tasks and the container's own task and closes the server
    socket; the running loop completes the cancellations before mosaik closes it.
    """
    container.running = False
    for agent in list(container._agents.values()):
        task = getattr(agent, "_check_inbox_task", None)
        if task is not None and not task.done():
            task.remove_done_callback(agent._raise_exceptions)
            task.cancel()
        for scheduled in list(agent.scheduler._scheduled_tasks):
            scheduled[1].cancel()
    inbox_task = container._check_inbox_task
    if inbox_task is not None and not inbox_task.done():
        inbox_task.cancel()
    _close_connections(container)


def drop_pooled_connections(container: Container) -> None:
    """Close a TCP container's pooled client connections and forget them.

    A later send (e.g. a goodbye to a worker) then opens a fresh connection.
    """
    pool = getattr(container, "_tcp_connection_pool", None)
    if pool is None:
        return
    for key, queue in pool._available_connections.items():
        while not queue.empty():
            connection = queue.get_nowait()[0]
            queue.task_done()
            if connection.transport is not None:
                connection.transport.close()
        pool._connection_counts[key] = 0


def _close_connections(container: Container) -> None:
    """The server socket, pooled TCP client connections, an MQTT client's thread."""
    server = getattr(container, "server", None)
    if server is not None:
        server.close()
    drop_pooled_connections(container)
    client = getattr(container, "mqtt_client", None)
    if client is not None:  # paho runs its network loop in a thread
        client.disconnect()
        client.loop_stop()

