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
  tasks, scheduled tasks, the server socket and pooled connections are closed directly.

At import the module probes a throw-away (unstarted) container and agent for every
member it needs; a mango release that renamed one fails here with an ImportError naming
the member and the supported version range, instead of leaking tasks later.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from mango import Agent, create_tcp_container
from mango.container.core import Container

__all__ = ["SUPPORTED_MANGO", "LeanDispatch", "container_of", "deliver_local",
           "stop_container_now", "drop_pooled_connections"]

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
    }
    missing = [name for name, value in needed.items() if value is None]
    if missing:
        raise ImportError(f"massca needs mango-agents {SUPPORTED_MANGO} (it uses {missing}); "
                          f"installed: mango-agents {version('mango-agents')}")


_probe()
