"""Sending protocol messages from synchronous mango handlers, and container lifecycle.

mango's ``Agent.send_message`` is a coroutine; calling it from ``handle_message``
needs a task per message (``schedule_instant_message``), which costs ~4x the message
itself. For a receiver in the *same* container, :func:`post` hands the message to
mango's own internal delivery (the inbox of the receiver, same meta as mango sets).
Between massca containers (:func:`enable_batching`), everything posted to one
destination in one loop iteration goes out as one mango message (:class:`Batch`),
which the destination's :class:`Dispatcher` hands to the receivers' inboxes with the
original sender. Any other receiver gets a scheduled ``send_message``. Agents are
identified across containers by ``(container address, aid)`` (:func:`address_key`).

Also here: :class:`TransportConfig` and :func:`create_container` (TCP or MQTT, the
JSON codec only) and :func:`close_container` (synchronous teardown).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from mango import (
    Agent,
    AgentAddress,
    RoleContext,
    create_mqtt_container,
    create_tcp_container,
    json_serializable,
)
from mango.container.core import Container
from mango.messages.codecs import JSON

from ...protocol.messages import register_codec

__all__ = [
    "Key", "address_key", "sender_key", "MessageStats", "TransportConfig", "post", "deliver",
    "create_container", "close_container", "drop_pooled_connections", "enable_batching",
    "Batch", "Dispatcher",
]

logger = logging.getLogger(__name__)


#: An agent's identity across containers: (container address, mango aid).
Key = tuple[Any, str]


def address_key(address: AgentAddress) -> Key:
    """The identity of the agent at ``address``."""
    addr = address.protocol_addr
    return (tuple(addr) if type(addr) is list else addr, address.aid)


def sender_key(meta: dict[str, Any]) -> Key:
    """The identity of a message's sender (TCP meta arrives as JSON lists)."""
    addr = meta.get("sender_addr")
    return (tuple(addr) if type(addr) is list else addr, meta.get("sender_id"))  # type: ignore


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
        deliver(container, content, agent.aid, container.addr, receiver.aid)
    elif getattr(container, BATCHING, None) is not None:
        batch_for(container, receiver.protocol_addr).append([agent.aid, receiver.aid, content])
    else:
        agent.schedule_instant_message(content, receiver)


def deliver(container: Container, content: Any, sender_id: str, sender_addr: Any,
            receiver_id: str) -> None:
    """Hand ``content`` to a local agent's inbox with the meta mango would set."""
    meta = {"sender_id": sender_id, "sender_addr": sender_addr, "receiver_id": receiver_id}
    if not container._send_internal_message(content, receiver_id, default_meta=meta):
        raise LookupError(f"agent {sender_id!r}: no agent {receiver_id!r} in this container")


# -- batching between massca containers ------------------------------------------------
#: Attribute of a container that batches: ``{destination address: [items]}``.
BATCHING = "_massca_batches"
#: The mango id of the agent that unpacks batches in every massca container.
DISPATCH_AID = "massca_dispatch"


@json_serializable
@dataclass(slots=True)
class Batch:
    """Several messages from container ``origin`` to one container.

    ``items`` are ``[sender aid, receiver aid, content]``, delivered in order by the
    destination's :class:`Dispatcher`.
    """

    origin: Any
    items: list[list[Any]]


class Dispatcher(Agent):
    """Unpacks :class:`Batch` messages into the local agents' inboxes."""

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Deliver every item of a batch with its original sender."""
        if type(content) is not Batch:
            logger.warning("dispatcher got %r from %s", content, meta.get("sender_id"))
            return
        origin = tuple(content.origin) if isinstance(content.origin, list) else content.origin
        container = self.context._container
        for sender, receiver, item in content.items:
            deliver(container, item, sender, origin, receiver)


def enable_batching(container: Container) -> None:
    """Let ``container`` batch its messages to other massca containers.

    The destinations must have a dispatcher too: every container of a MAS runtime or
    worker has one. All messages to one destination posted while the loop runs one iteration go out
    as one mango message, so a cell level's reports cost one TCP/MQTT send.
    """
    setattr(container, BATCHING, {})
    setattr(container, SENDING, set())
    container.register(Dispatcher(), suggested_aid=DISPATCH_AID)


def batch_for(container: Container, destination: Any) -> list[list[Any]]:
    """The open batch to ``destination``; the first item schedules its sending."""
    batches: dict[Any, list[list[Any]]] = getattr(container, BATCHING)
    key = tuple(destination) if isinstance(destination, list) else destination
    batch = batches.get(key)
    if batch is None:
        batch = batches[key] = []
        asyncio.get_running_loop().call_soon(_send_batch, container, key)
    return batch


def _send_batch(container: Container, destination: Any) -> None:
    items = getattr(container, BATCHING).pop(destination)
    message = Batch(container.addr, items)
    send = container.send_message(message, AgentAddress(destination, DISPATCH_AID),
                                  sender_id=DISPATCH_AID)
    task = asyncio.get_running_loop().create_task(send)
    sending: set[asyncio.Task[Any]] = getattr(container, SENDING)
    sending.add(task)
    task.add_done_callback(sending.discard)
    task.add_done_callback(_report_failure)


#: Attribute of a batching container: its batch sends still in flight.
SENDING = "_massca_sending"


def _report_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("sending a batch failed: %s", task.exception())


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
    codec.add_serializer(*Batch.__serializer__())
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
    for task in list(getattr(container, SENDING, ())):
        task.cancel()
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

