"""Every use of a private mango member, in one place, checked when it is imported.

massca uses mango-agents' public API everywhere else. Three things have no public
equivalent at the cost the coordination cycle affords, so they live here:

* **same-container delivery**: handing a message straight to a local agent's inbox
  (``Container._send_internal_message``) instead of a scheduled ``send_message`` task,
  which costs ~4x the message itself (measured, BENCHMARKS.md);
* **lean dispatch**: massca's agents take every message in ``handle_message``; mango's
  per-message dispatch also walks forwarding rules, conversations, tracked replies and
  topology health, none of which massca uses (``Agent._dispatch_message``);
* **synchronous teardown**: mosaik calls ``finalize`` synchronously from inside its
  running loop, so the async ``Container.shutdown`` cannot be awaited there; the inbox
  tasks, scheduled tasks, the server socket and pooled connections are closed directly;
* **a frame size limit on TCP**: mango's TCP framing (``ContainerProtocol``) buffers
  whatever length a 4-byte prefix announces. :class:`FramedTcpContainer` reads every
  prefix *before* the payload is buffered and drops the connection when it exceeds the
  limit (:class:`FramedProtocol`); it replaces ``TCPContainer.start`` and
  ``_send_external_message`` only to use that protocol;
* **MQTT credentials, TLS and a fenced client thread**: mango's MQTT container connects
  in its own ``start`` without username/password. :class:`SecureMqttContainer` connects
  its paho client itself (credentials, TLS, a bounded wait), then installs mango's
  callbacks (``_set_mqtt_callbacks``) with the message callback fenced, so no payload can
  end paho's network thread.

At import the module probes a throw-away (unstarted) container and agent for every
member it needs; a mango release that renamed one fails here with an ImportError naming
the member and the supported version range, instead of leaking tasks later.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import paho.mqtt.client as paho
from mango import Agent, create_tcp_container
from mango.container.core import Container
from mango.container.mqtt import MQTTContainer
from mango.container.protocol import HEADER, ContainerProtocol
from mango.container.tcp import TCPContainer
from mango.messages.message import MangoMessage
from mango.util.clock import AsyncioClock

__all__ = ["SUPPORTED_MANGO", "LeanDispatch", "container_of", "deliver_local", "local_agent",
           "has_agent", "stop_container_now", "drop_pooled_connections", "MangoMessage",
           "FramedProtocol", "FramedTcpContainer", "SecureMqttContainer", "MqttLogin", "Reject"]

logger = logging.getLogger(__name__)

#: Called with the container and a reason when a frame is refused before decoding.
Reject = Callable[[Container, str], None]

#: The mango-agents versions whose private members this module was written against.
SUPPORTED_MANGO = ">=2.4,<2.5"


class LeanDispatch:
    """Mixin for :class:`mango.Agent` subclasses: every message goes to ``handle_message``."""

    def _dispatch_message(self, content: Any, meta: dict[str, Any]) -> None:
        self.handle_message(content, meta)  # type: ignore[attr-defined]


def container_of(agent: Any) -> Container:
    """The container an agent (or a role's context) is registered in."""
    return agent.context._container


def deliver_local(container: Container, content: Any, receiver_id: str,
                  meta: dict[str, Any]) -> bool:
    """Put ``content`` into local agent ``receiver_id``'s inbox with ``meta``; False if unknown."""
    return container._send_internal_message(content, receiver_id, default_meta=meta)


def local_agent(container: Container, aid: Any) -> Agent | None:
    """The agent registered in ``container`` as ``aid``, or None."""
    return container._agents.get(aid) if type(aid) is str else None


def has_agent(container: Container, aid: Any) -> bool:
    """True if ``aid`` names an agent registered in ``container``."""
    return local_agent(container, aid) is not None


def stop_container_now(container: Container) -> None:
    """Cancel a running container's agent and inbox tasks and close its sockets, synchronously.

    The running loop completes the cancellations before mosaik closes it.
    """
    container.running = False
    for agent in list(container._agents.values()):
        task = agent._check_inbox_task
        if task is not None and not task.done():
            task.remove_done_callback(agent._raise_exceptions)
            task.cancel()
        for scheduled in list(agent.scheduler._scheduled_tasks):
            scheduled[1].cancel()
    inbox_task = container._check_inbox_task
    if inbox_task is not None and not inbox_task.done():
        inbox_task.cancel()
    server = getattr(container, "server", None)  # TCP containers only
    if server is not None:
        server.close()
    drop_pooled_connections(container)
    client = getattr(container, "mqtt_client", None)  # MQTT containers only
    if client is not None:  # paho runs its network loop in a thread
        client.disable_logger()  # its last loop iteration reports the closed socket
        if client.is_connected():
            client.disconnect()
        client.loop_stop()


def drop_pooled_connections(container: Container) -> None:
    """Close a TCP container's pooled client connections; a later send opens a new one."""
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


class FramedProtocol(ContainerProtocol):
    """mango's TCP framing, with every frame's announced length checked before buffering.

    The stream is scanned as it arrives: at each frame boundary the 4-byte length prefix
    is read; a length above ``max_frame`` closes the connection at once and is reported
    (the payload is never buffered). Anything the parser raises also closes it.
    """

    def __init__(self, *, container: Container, codec: Any, max_frame: int,
                 reject: Reject) -> None:
        super().__init__(container=container, codec=codec)
        self.max_frame = max_frame
        self.reject = reject
        self._remaining = 0  # payload bytes of the current frame not yet seen
        self._prefix = b""  # a length prefix split across reads
        self._closed = False

    def data_received(self, data: bytes) -> None:
        """Check every length prefix in ``data``, then let mango parse it."""
        if self._closed:
            return
        problem = self._scan(data)
        if problem is None:
            try:
                super().data_received(data)
                return
            except Exception as exc:  # never into the event loop: drop the connection
                problem = f"unreadable frame ({type(exc).__name__}: {exc})"
        self._closed = True
        self.reject(self.container, problem)
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        """A connection that ends inside a frame delivered a truncated frame: report it."""
        if not self._closed and (self._remaining or self._prefix):
            self._closed = True
            self.reject(self.container, "truncated frame (the connection ended inside it)")
        super().connection_lost(exc)

    def _scan(self, data: bytes) -> str | None:
        position, size = 0, len(data)
        while position < size:
            if self._remaining:
                step = min(self._remaining, size - position)
                self._remaining -= step
                position += step
                continue
            need = HEADER.size - len(self._prefix)
            self._prefix += data[position:position + need]
            position += need
            if len(self._prefix) < HEADER.size:
                return None
            (length,) = HEADER.unpack(self._prefix)
            self._prefix = b""
            if length > self.max_frame:
                return f"frame of {length} bytes announced, max_frame is {self.max_frame}"
            self._remaining = length
        return None


class FramedTcpContainer(TCPContainer):
    """mango's TCP container whose connections use :class:`FramedProtocol`."""

    def __init__(self, *, addr: tuple[str, int], codec: Any, max_frame: int,
                 reject: Reject) -> None:
        super().__init__(addr=addr, codec=codec, clock=AsyncioClock(),
                         copy_internal_messages=False)
        self.max_frame = max_frame
        self.reject = reject

    def _protocol(self) -> FramedProtocol:
        return FramedProtocol(container=self, codec=self.codec, max_frame=self.max_frame,
                              reject=self.reject)

    async def start(self) -> None:
        """Listen with the framed protocol; then start as every container does."""
        self.server = await asyncio.get_running_loop().create_server(
            self._protocol, self.addr[0], self.addr[1])
        self.addr = (self.addr[0], self.server.sockets[0].getsockname()[1])
        await Container.start(self)

    async def _send_external_message(self, addr: Any, message: Any, meta: Any) -> bool:
        """Encode first (a refused message costs no connection), then write framed."""
        if not isinstance(addr, tuple | list) or len(addr) != 2:
            logger.warning("not a TCP address: %r", addr)
            return False
        frame = self.codec.encode(message)
        pool = self._tcp_connection_pool
        try:
            protocol = await pool.obtain_connection(addr[0], addr[1], self._protocol())
            protocol.write(frame)
            await pool.release_connection(addr[0], addr[1], protocol)
        except OSError as exc:
            logger.warning("could not send to %s: %s", addr, exc)
            return False
        return True


class MqttLogin:
    """How an MQTT client authenticates: credentials and TLS files (all optional)."""

    def __init__(self, username: str | None = None, password: str | None = None,
                 ca_certs: str | None = None, certfile: str | None = None,
                 keyfile: str | None = None, connect_timeout: float = 10.0) -> None:
        self.username = username
        self.password = password
        self.ca_certs = ca_certs
        self.certfile = certfile
        self.keyfile = keyfile
        self.connect_timeout = connect_timeout

    def apply(self, client: paho.Client) -> None:
        """Set credentials and TLS on a paho client before it connects."""
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        if self.ca_certs is not None or self.certfile is not None:
            client.tls_set(ca_certs=self.ca_certs, certfile=self.certfile,
                           keyfile=self.keyfile, cert_reqs=ssl.CERT_REQUIRED,
                           tls_version=ssl.PROTOCOL_TLS_CLIENT)


class SecureMqttContainer(MQTTContainer):
    """mango's MQTT container, connected with :class:`MqttLogin` and a fenced thread.

    ``reject`` is called (in the event loop) when the message callback raised.
    """

    def __init__(self, *, client_id: str, broker_addr: tuple[str, int], inbox_topic: str,
                 codec: Any, login: MqttLogin, reject: Reject) -> None:
        super().__init__(client_id=client_id, broker_addr=broker_addr, clock=AsyncioClock(),
                         codec=codec, inbox_topic=inbox_topic, copy_internal_messages=False)
        self.login = login
        self.reject = reject

    async def start(self) -> None:
        """Connect, install mango's callbacks (fenced), subscribe the inbox, start."""
        self._loop = loop = asyncio.get_running_loop()
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=self.client_id)
        self.login.apply(client)
        client.suppress_exceptions = True  # paho logs a callback's error and goes on
        connected: asyncio.Future[Any] = loop.create_future()

        def on_connect(client: Any, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:
            loop.call_soon_threadsafe(
                lambda: connected.done() or connected.set_result(reason))

        def on_disconnect(client: Any, userdata: Any, flags: Any, reason: Any,
                          properties: Any) -> None:  # closed before it said yes
            loop.call_soon_threadsafe(
                lambda: connected.done() or connected.set_result(reason))

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.connect_timeout = self.login.connect_timeout
        where = f"{self.broker_addr[0]}:{self.broker_addr[1]}"
        try:  # the socket (and TLS handshake) in a thread: a refusal fails at once
            await loop.run_in_executor(None, client.connect, *self.broker_addr)
            client.loop_start()
            reason = await asyncio.wait_for(connected, self.login.connect_timeout)
        except TimeoutError:
            client.loop_stop()
            raise ConnectionError(f"the MQTT broker at {where} did not accept the connection "
                                  f"within {self.login.connect_timeout} s") from None
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise ConnectionError(f"no connection to the MQTT broker at {where}: {exc}"
                                  ) from None
        if reason.is_failure or not client.is_connected():
            if client.is_connected():
                client.disconnect()
            client.loop_stop()
            raise ConnectionError(f"the MQTT broker at {where} refused the connection: "
                                  f"{reason}")
        self.mqtt_client = client
        self._set_mqtt_callbacks()
        self._fence(client)
        await self._subscribe_inbox(client)
        await Container.start(self)

    def _fence(self, client: paho.Client) -> None:
        handler = client.on_message
        loop = self._loop

        def fenced(client: Any, userdata: Any, message: Any) -> None:
            try:
                handler(client, userdata, message)
            except Exception as exc:  # never end paho's network thread
                reason = f"unreadable MQTT message ({type(exc).__name__}: {exc})"
                loop.call_soon_threadsafe(self.reject, self, reason)

        client.on_message = fenced

    async def _subscribe_inbox(self, client: paho.Client) -> None:
        result, mid = client.subscribe(self.inbox_topic, qos=2)
        if result != paho.MQTT_ERR_SUCCESS:
            raise ConnectionError(f"subscribing {self.inbox_topic} failed: {result}")
        done = self.pending_sub_request[mid] = self._loop.create_future()
        try:
            await asyncio.wait_for(done, self.login.connect_timeout)
        except TimeoutError:
            raise ConnectionError(f"the MQTT broker did not confirm the subscription to "
                                  f"{self.inbox_topic} within {self.login.connect_timeout} s"
                                  ) from None
        finally:
            self.pending_sub_request.pop(mid, None)


def _probe() -> None:
    """Check every private member used above on a throw-away container and agent."""
    container = create_tcp_container(("127.0.0.1", 0), auto_port=True)
    agent = container.register(Agent())
    needed = {
        "Container._send_internal_message": getattr(container, "_send_internal_message", None),
        "Container._agents": getattr(container, "_agents", None),
        "Container._check_inbox_task": hasattr(container, "_check_inbox_task") or None,
        "TCPContainer._tcp_connection_pool._available_connections": getattr(
            getattr(container, "_tcp_connection_pool", None), "_available_connections", None),
        "TCPContainer._tcp_connection_pool._connection_counts": getattr(
            getattr(container, "_tcp_connection_pool", None), "_connection_counts", None),
        "AgentContext._container": getattr(agent.context, "_container", None),
        "Agent._dispatch_message": getattr(Agent, "_dispatch_message", None),
        "Agent._raise_exceptions": getattr(Agent, "_raise_exceptions", None),
        # set when the agent starts: check that starting still sets it
        "Agent._check_inbox_task": "_check_inbox_task" in getattr(
            getattr(Agent, "_do_start", None), "__code__", compile("", "", "exec")).co_names
        or None,
        "Agent.scheduler._scheduled_tasks": getattr(agent.scheduler, "_scheduled_tasks", None),
        # the framed TCP container and the secure MQTT container
        "ContainerProtocol._buffer": hasattr(ContainerProtocol(container=None, codec=None),
                                             "_buffer") or None,
        "TCPContainer.start uses server.sockets (replaced)": "server" in getattr(
            TCPContainer.start, "__code__", compile("", "", "exec")).co_names or None,
        "TCPConnectionPool.obtain_connection": getattr(
            getattr(container, "_tcp_connection_pool", None), "obtain_connection", None),
        "TCPConnectionPool.release_connection": getattr(
            getattr(container, "_tcp_connection_pool", None), "release_connection", None),
        "TCPContainer._send_external_message(addr, message, meta)": _has_parameters(
            TCPContainer._send_external_message, ("addr", "message", "meta")),
        "MQTTContainer._set_mqtt_callbacks": getattr(MQTTContainer, "_set_mqtt_callbacks",
                                                     None),
        "MQTTContainer.pending_sub_request": _mqtt_attribute("pending_sub_request"),
        "MQTTContainer.inbox_topic": _mqtt_attribute("inbox_topic"),
        "MQTTContainer.broker_addr": _mqtt_attribute("broker_addr"),
        "MQTTContainer.mqtt_client": _mqtt_attribute("mqtt_client", allow_none=True),
        "paho Client.suppress_exceptions": _has_parameters(paho.Client.__init__, ())
        and "suppress_exceptions" in paho.Client.__init__.__code__.co_names or None,
    }
    missing = [name for name, value in needed.items() if value is None]
    if missing:
        raise ImportError(f"massca needs mango-agents {SUPPORTED_MANGO} (it uses {missing}); "
                          f"installed: mango-agents {version('mango-agents')}")


def _has_parameters(function: Any, names: tuple[str, ...]) -> bool | None:
    import inspect

    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return None
    return all(name in parameters for name in names) or None


def _mqtt_attribute(name: str, allow_none: bool = False) -> Any:
    container = MQTTContainer(client_id="probe", broker_addr=("127.0.0.1", 1), codec=None,
                              clock=AsyncioClock(), inbox_topic="probe")
    if not hasattr(container, name):
        return None
    value = getattr(container, name)
    return True if allow_none and value is None else value


_probe()
