"""The drain runs local protocol agents' handlers in mango's order, without starving the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from mango import Agent, create_tcp_container

from mosaik_components.mas.runtime.compat import LeanDispatch
from mosaik_components.mas.runtime.transport.drain import Drain, clear, hand_over, pending


class Recorder(LeanDispatch, Agent):
    """A protocol agent that logs what it handles; ``reply`` maps a content to a reply."""

    def __init__(self, log: list[tuple[str, Any]], name: str) -> None:
        super().__init__()
        self.log, self.label = log, name
        self.drain: Drain | None = None
        self.reply: dict[Any, tuple[Recorder, Any]] = {}
        #: called before the reply is pushed (something else the handler schedules)
        self.before_reply: Callable[[], None] | None = None
        #: called after the reply is pushed
        self.after_reply: Callable[[], None] | None = None

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        self.log.append((self.label, content))
        if content == "boom":
            raise RuntimeError("handler failed")
        if content in self.reply:
            receiver, answer = self.reply[content]
            assert self.drain is not None
            if self.before_reply is not None:
                self.before_reply()
            self.drain.push(receiver, answer, {})
            if self.after_reply is not None:
                self.after_reply()


class Plain(Agent):
    """An agent of another kind: its messages go through mango's inbox."""


def test_agents_run_in_wake_order_each_through_its_queue() -> None:
    async def scenario() -> list[tuple[str, Any]]:
        log: list[tuple[str, Any]] = []
        drain = Drain()
        a, b = Recorder(log, "a"), Recorder(log, "b")
        drain.push(a, 1, {})
        drain.push(b, 2, {})
        drain.push(a, 3, {})
        await asyncio.sleep(0)
        return log

    assert asyncio.run(scenario()) == [("a", 1), ("a", 3), ("b", 2)]


@pytest.mark.parametrize("hook", ["before_reply", "after_reply"])
def test_agents_woken_during_a_run_wait_for_what_the_loop_scheduled_meanwhile(hook: str) -> None:
    """Whether the handler schedules a callback (a batch's send) before or after waking a
    local agent, the callback runs first: the next generation follows it."""
    async def scenario() -> list[tuple[str, Any]]:
        log: list[tuple[str, Any]] = []
        drain = Drain()
        a, b = Recorder(log, "a"), Recorder(log, "b")
        a.drain = drain
        a.reply = {"ping": (b, "pong")}
        loop = asyncio.get_running_loop()
        setattr(a, hook, lambda: loop.call_soon(log.append, ("loop", "callback")))
        drain.push(a, "ping", {})
        for _ in range(3):
            await asyncio.sleep(0)
        return log

    log = asyncio.run(scenario())
    assert log == [("a", "ping"), ("loop", "callback"), ("b", "pong")]


#: messages a ping-pong exchanges at most (so a drain that starved the loop still ends)
EXCHANGES = 200_000


def test_a_ping_pong_does_not_starve_timers() -> None:
    async def scenario() -> int:
        log: list[tuple[str, Any]] = []
        drain = Drain()
        a, b = Recorder(log, "a"), Recorder(log, "b")
        a.drain = b.drain = drain
        a.reply = {"ping": (b, "pong")}
        b.reply = {"pong": (a, "ping")}
        original = b.handle_message

        def limited(content: Any, meta: dict[str, Any]) -> None:
            if len(log) < EXCHANGES:
                original(content, meta)

        b.handle_message = limited
        seen_by_timer: list[int] = []
        asyncio.get_running_loop().call_later(0.01, lambda: seen_by_timer.append(len(log)))
        drain.push(a, "ping", {})
        while not seen_by_timer:
            await asyncio.sleep(0.005)
        drain.clear()
        return seen_by_timer[0]

    at_timer = asyncio.run(scenario())
    assert 2 < at_timer < EXCHANGES  # the timer fired while the ping-pong went on


def test_a_failing_handler_raises_and_its_agent_keeps_its_queue() -> None:
    async def scenario() -> tuple[list[tuple[str, Any]], list[BaseException]]:
        log: list[tuple[str, Any]] = []
        errors: list[BaseException] = []
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context["exception"]))
        drain = Drain()
        a, b = Recorder(log, "a"), Recorder(log, "b")
        drain.push(a, "boom", {})
        drain.push(b, "other", {})
        drain.push(a, "after", {})
        for _ in range(3):
            await asyncio.sleep(0)
        return log, errors

    log, errors = asyncio.run(scenario())
    assert [str(error) for error in errors] == ["handler failed"]
    assert log == [("a", "boom"), ("a", "after"), ("b", "other")]


def test_hand_over_routes_by_kind_and_tells_what_is_pending() -> None:
    async def scenario() -> None:
        container = create_tcp_container(("127.0.0.1", 0), auto_port=True)
        log: list[tuple[str, Any]] = []
        lean = container.register(Recorder(log, "lean"))
        plain = container.register(Plain())
        assert not hand_over(container, "x", "nobody", {})
        assert hand_over(container, "to plain", plain.aid, {"sender_id": "s"})
        assert plain.inbox.qsize() == 1 and not pending(plain, container)
        meta: dict[str, Any] = {"sender_id": "s"}
        assert hand_over(container, "first", lean.aid, meta)
        assert hand_over(container, "second", lean.aid, {})
        assert pending(lean, container) and meta["priority"] == 0
        clear(container)
        assert not pending(lean, container)
        await asyncio.sleep(0)
        assert log == []

    asyncio.run(scenario())


@pytest.mark.parametrize("count", [1, 50])
def test_pending_is_true_while_later_messages_wait(count: int) -> None:
    async def scenario() -> list[bool]:
        container = create_tcp_container(("127.0.0.1", 0), auto_port=True)
        log: list[tuple[str, Any]] = []
        agent = container.register(Recorder(log, "a"))
        seen: list[bool] = []
        original = agent.handle_message

        def handle(content: Any, meta: dict[str, Any]) -> None:
            seen.append(pending(agent, container))
            original(content, meta)

        agent.handle_message = handle
        for index in range(count):
            hand_over(container, index, agent.aid, {})
        await asyncio.sleep(0)
        assert [content for _, content in log] == list(range(count))
        return seen

    assert asyncio.run(scenario()) == [True] * (count - 1) + [False]
