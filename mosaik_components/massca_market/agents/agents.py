"""The mango agents: one :class:`HomeAgent` per home, one :class:`MarketAgent` per market.

Per period (driven by :mod:`.runtime`): every market is opened with the period's
temperature and event coefficients; every home decides its order
(:func:`~..core.policy.decide`) and sends it; a market that holds one order from each
of its homes clears them (:class:`~..core.clearing.MarketBook`) and sends each home its
settlement; a home applies its settlement (:func:`~..core.policy.observe`, its bill).
That is two messages per home and period, one for a home with nothing to trade (an
``idle`` order): it has nothing to settle and settles itself.

**Exactly once.** An agent handles its messages one at a time (mango's inbox), so the
market's order book needs no lock. The market keeps the first order of each home per
period: a repeated copy (a duplicate or a retry) is counted and ignored, also after the
period cleared; a different second order from the same home is rejected. A home applies
the settlement of a period once and counts any repeat. Messages from senders that are
not a registered home (at a market) or the home's market (at a home) are rejected and
counted; an order with a bad mode or amount fails the period with an error naming the
home and the value.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from mango import Agent, AgentAddress

from ..core.clearing import Clearing, Fill, MarketBook
from ..core.config import PolicySpec
from ..core.policy import Order, PolicyState, decide, observe
from ..errors import MarketProtocolError, MarketTransportError
from .messages import OrderMessage, SettlementMessage
from .transport import Key, key_of, send, sender_of

__all__ = ["HomeAgent", "MarketAgent", "PeriodHooks"]

logger = logging.getLogger(__name__)
MODES = ("sell", "gift", "buy", "ask", "idle")


class PeriodHooks:
    """What agents report to the runtime that drives them (all in one process)."""

    def settled(self, home: str, period: int) -> None:
        """A home applied its settlement of ``period``."""

    def cleared(self, market: str, clearing: Clearing) -> None:
        """A market cleared a period."""

    def failed(self, error: Exception) -> None:
        """The period cannot complete."""


class MarketAgent(Agent):
    """One market: collects its homes' orders, clears them, settles every home."""

    def __init__(self, market_id: str, book: MarketBook, hooks: PeriodHooks) -> None:
        super().__init__()
        self.market_id = market_id
        self.book = book
        self.hooks = hooks
        #: registered homes: aid -> container address -> home id (aids repeat across
        #: containers)
        self.homes: dict[str, dict[Any, str]] = {}
        self.addresses: dict[str, AgentAddress] = {}
        self.period = -1
        self.temperature = 0.0
        self.coefficients: list[float] = []
        self.orders: dict[str, Order] = {}
        self.clearing: Clearing | None = None
        self.sent = self.received = self.duplicates = self.rejected = 0

    def add_home(self, home_id: str, address: AgentAddress) -> None:
        """Register a home: only registered homes' orders count."""
        addr, aid = key_of(address)
        self.homes.setdefault(aid, {})[addr] = home_id
        self.addresses[home_id] = address

    def _home_of(self, meta: dict[str, Any]) -> str | None:
        """The registered home that sent a message (None: not a registered home)."""
        by_address = self.homes.get(meta.get("sender_id"))  # type: ignore[arg-type]
        if by_address is None:
            return None
        addr = meta.get("sender_addr")
        return by_address.get(tuple(addr) if type(addr) is list else addr)

    def open(self, period: int, temperature: float, coefficients: list[float]) -> None:
        """Start collecting the orders of ``period``."""
        self.period = period
        self.temperature = temperature
        self.coefficients = list(coefficients)
        self.orders = {}
        self.clearing = None
        if not self.addresses:  # nobody to wait for
            self._clear()

    def missing(self) -> list[str]:
        """Homes whose order for the open period has not arrived."""
        return sorted(set(self.addresses) - set(self.orders))

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Orders from registered homes; anything else is rejected and counted."""
        self.received += 1
        home = self._home_of(meta)
        if home is None or type(content) is not OrderMessage:
            self.rejected += 1
            logger.warning("%s rejected %s from %s", self.market_id, type(content).__name__,
                           sender_of(meta))
            return
        self._on_order(home, content)

    def _on_order(self, home: str, message: OrderMessage) -> None:
        if message.period != self.period:
            if isinstance(message.period, int) and message.period < self.period:
                self.duplicates += 1  # a late copy of a settled period's order
            else:
                self.rejected += 1
            return
        order = self._validated(home, message)
        if order is None:
            return
        known = self.orders.get(home)
        if known is not None:
            if known == order:
                self.duplicates += 1
            else:
                self.rejected += 1
                logger.warning("%s: %s sent a second, different order for period %d",
                               self.market_id, home, self.period)
            return
        self.orders[home] = order
        if len(self.orders) == len(self.addresses):
            self._clear()

    def _validated(self, home: str, message: OrderMessage) -> Order | None:
        amount = message.amount
        bad_amount = (isinstance(amount, bool) or not isinstance(amount, int | float)
                      or not math.isfinite(amount) or amount < 0)
        if message.mode not in MODES or bad_amount or (message.mode == "idle" and amount):
            self.hooks.failed(MarketProtocolError(
                f"{self.market_id}: {home} sent an invalid order for period {self.period}: "
                f"mode={message.mode!r}, amount={amount!r}"))
            return None
        return Order(message.mode, float(amount))  # type: ignore[arg-type]

    def _clear(self) -> None:
        clearing = self.book.clear(self.period, self.orders, self.temperature,
                                   self.coefficients)
        self.clearing = clearing
        self.hooks.cleared(self.market_id, clearing)
        self.schedule_instant_task(self._settle(clearing))

    async def _settle(self, clearing: Clearing) -> None:
        price, asked = clearing.price.price, clearing.asked
        for home, address in self.addresses.items():
            f = clearing.fills[home]
            if f.mode == "idle":  # the home settled itself: nothing to send
                continue
            sent = await send(self, SettlementMessage(
                clearing.period, price, f.mode, f.bought, f.sold, f.given, f.received,
                f.imported, f.exported, f.paid, f.earned, asked), address)
            if not sent:
                self.hooks.failed(MarketTransportError(
                    f"{self.market_id} could not send the settlement of period "
                    f"{clearing.period} to {home} at {address}"))
                return
            self.sent += 1


class HomeAgent(Agent):
    """One home: decides its order by its policy and applies its settlements once."""

    def __init__(self, home_id: str, policy: PolicySpec, hooks: PeriodHooks) -> None:
        super().__init__()
        self.home_id = home_id
        self.policy = policy
        self.hooks = hooks
        self.state = PolicyState()
        self.market: AgentAddress | None = None
        self.market_key: Key | None = None
        self.residual = 0.0
        self.pending: tuple[int, Order] | None = None
        self.fill = Fill()
        self.settled_period = -1
        self.bill = 0.0
        self.sent = self.duplicates = self.rejected = 0

    def join(self, market: AgentAddress) -> None:
        """Trade in the market at ``market``."""
        self.market = market
        self.market_key = key_of(market)

    async def submit(self, period: int) -> Order:
        """Decide this period's order from ``residual`` (kWh) and send it to the market."""
        assert self.market is not None, "join a market first"
        order = decide(self.policy, self.state, self.residual)
        self.pending = (period, order)
        await self.resend()
        if order.mode == "idle":  # nothing to trade, nothing to settle
            self.settled_period = period
            self.fill = Fill()
            observe(self.policy, self.state, order, False)
            self.hooks.settled(self.home_id, period)
        return order

    async def resend(self) -> None:
        """Send the pending order (again: a retry is harmless, the market keeps one)."""
        assert self.pending is not None and self.market is not None
        period, order = self.pending
        if not await send(self, OrderMessage(period, order.mode, order.amount), self.market):
            raise MarketTransportError(f"{self.home_id} could not send its order of period "
                                       f"{period} to {self.market}")
        self.sent += 1

    def handle_message(self, content: Any, meta: dict[str, Any]) -> None:
        """Settlements from this home's market; anything else is rejected and counted."""
        key = self.market_key
        if (type(content) is not SettlementMessage or key is None
                or meta.get("sender_id") != key[1]
                or (meta.get("sender_addr") != key[0] and sender_of(meta)[0] != key[0])):
            self.rejected += 1
            return
        if content.period <= self.settled_period:
            self.duplicates += 1
            return
        if self.pending is None or content.period != self.pending[0]:
            self.rejected += 1
            return
        self._apply(content)

    def _apply(self, s: SettlementMessage) -> None:
        assert self.pending is not None
        fill = Fill(s.mode, s.bought, s.sold, s.given, s.received, s.imported, s.exported,
                    s.paid, s.earned)
        self.settled_period = s.period
        self.fill = fill
        self.bill += fill.cost
        observe(self.policy, self.state, self.pending[1], s.asked)
        self.hooks.settled(self.home_id, s.period)
