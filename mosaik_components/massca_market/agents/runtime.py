"""Driving the market agents period by period: containers, agents, one awaitable per period.

:class:`MarketRuntime` owns the containers (:mod:`.transport`), creates the agents, and
runs a period: open every market, let every home decide and send its order, then wait
until every market cleared and every home applied its settlement. A period ends by
design then; if it does not within ``timeout`` seconds, :class:`~..errors.MarketTimeoutError`
names the homes whose orders or settlements are missing. Placement: market ``k`` lives
in container ``k mod n``; a home lives with its market (``placement="market"``, its
messages stay in one container) or in container ``i mod n`` by its index
(``placement="spread"``, most of its messages cross TCP).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..core.clearing import Clearing, Fill, MarketBook
from ..core.config import PolicySpec, PriceParams, Tariffs
from ..errors import MarketConfigError, MarketTimeoutError
from .agents import HomeAgent, MarketAgent, PeriodHooks
from .transport import Containers

__all__ = ["MarketRuntime", "PeriodReport"]


@dataclass(slots=True)
class PeriodReport:
    """One period as the agents ran it."""

    period: int
    clearings: dict[str, Clearing]
    fills: dict[str, Fill]
    messages: int
    duplicates: int
    rejected: int
    seconds: float


class MarketRuntime(PeriodHooks):
    """Containers, market and home agents, and the period loop (see the module docstring)."""

    def __init__(self, containers: int = 1, host: str = "127.0.0.1", timeout: float = 30.0,
                 placement: Literal["market", "spread"] = "market") -> None:
        self.check(containers, host, timeout, placement)
        self.containers = Containers(containers, host)
        self.timeout = timeout
        self.placement = placement
        self.markets: dict[str, MarketAgent] = {}
        self.homes: dict[str, HomeAgent] = {}
        self.home_market: dict[str, str] = {}
        self._period = -1
        self._settled = 0
        self._done: asyncio.Future[None] | None = None
        self._clearings: dict[str, Clearing] = {}

    @staticmethod
    def check(containers: int, host: str, timeout: float, placement: str) -> None:
        """Validate the runtime's parameters (errors name the parameter and value)."""
        if placement not in ("market", "spread"):
            raise MarketConfigError(f"placement must be 'market' or 'spread', got {placement!r}")
        Containers.check(containers, host)
        if not timeout > 0:
            raise MarketConfigError(f"timeout must be > 0 seconds, got {timeout!r}")

    # -- setup ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the containers (binds the sockets)."""
        await self.containers.start()

    def _check_started(self) -> None:
        if not self.containers.running:  # agents take their address when they register
            raise RuntimeError("start() the runtime before adding agents")

    def add_market(self, market_id: str, price: PriceParams, tariffs: Tariffs) -> MarketAgent:
        """Create and register a market agent (after :meth:`start`)."""
        self._check_started()
        container = self.containers.items[len(self.markets) % len(self.containers.items)]
        agent = MarketAgent(market_id, MarketBook(price, tariffs), self)
        container.register(agent, suggested_aid=market_id)
        self.markets[market_id] = agent
        return agent

    def add_home(self, home_id: str, market_id: str, policy: PolicySpec) -> HomeAgent:
        """Create and register a home agent trading in market ``market_id``."""
        self._check_started()
        market = self.markets.get(market_id)
        if market is None:
            raise MarketConfigError(f"home {home_id!r}: unknown market {market_id!r}; known: "
                                    f"{sorted(self.markets)}")
        items = self.containers.items
        index = (len(self.homes) if self.placement == "spread"
                 else list(self.markets).index(market_id))
        agent = HomeAgent(home_id, policy, self)
        items[index % len(items)].register(agent)  # a suggested aid costs O(agents)
        agent.join(market.addr)
        market.add_home(home_id, agent.addr)
        self.homes[home_id] = agent
        self.home_market[home_id] = market_id
        return agent

    async def close(self) -> None:
        """Stop agents and containers (safe to call twice)."""
        await self.containers.stop()

    # -- hooks from the agents --------------------------------------------------------
    def settled(self, home: str, period: int) -> None:
        """Count a settled home."""
        if period == self._period:
            self._settled += 1
            self._check_done()

    def cleared(self, market: str, clearing: Clearing) -> None:
        """Keep a market's clearing of the running period."""
        if clearing.period == self._period:
            self._clearings[market] = clearing
            self._check_done()

    def _check_done(self) -> None:
        """The period is complete: every home settled and every market cleared."""
        if (self._settled == len(self.homes) and len(self._clearings) == len(self.markets)
                and self._done is not None and not self._done.done()):
            self._done.set_result(None)

    def failed(self, error: Exception) -> None:
        """Fail the running period with ``error``."""
        if self._done is not None and not self._done.done():
            self._done.set_exception(error)

    # -- the period -------------------------------------------------------------------
    async def run_period(self, period: int, residuals: Mapping[str, float],
                         temperature: float | Mapping[str, float],
                         coefficients: Sequence[float] | Mapping[str, Sequence[float]],
                         concurrent: bool = False) -> PeriodReport:
        """Run ``period`` with each home's residual energy (kWh, generation positive).

        ``temperature`` (degC) and the active events' ``coefficients`` are one value for
        every market or a mapping by market id. ``concurrent=True`` lets every home send
        its order from its own task (all in flight at once) instead of one after another.
        """
        started = time.perf_counter()
        before = self._counters()
        self._period, self._settled, self._clearings = period, 0, {}
        self._done = asyncio.get_running_loop().create_future()
        self._check_done()  # nothing to wait for without homes
        for market_id, market in self.markets.items():
            market.open(period,
                        temperature[market_id] if isinstance(temperature, Mapping)
                        else temperature,
                        list(coefficients[market_id] if isinstance(coefficients, Mapping)
                             else coefficients))
        for home_id, home in self.homes.items():
            home.residual = residuals[home_id]
        if concurrent:
            await asyncio.gather(*(home.submit(period) for home in self.homes.values()))
        else:
            for home in self.homes.values():
                await home.submit(period)
        try:
            await asyncio.wait_for(self._done, self.timeout)
        except TimeoutError:
            raise MarketTimeoutError(self._diagnose(period)) from None
        after = self._counters()
        return PeriodReport(period, dict(self._clearings),
                            {hid: home.fill for hid, home in self.homes.items()},
                            *(a - b for a, b in zip(after, before, strict=True)),
                            time.perf_counter() - started)

    def _counters(self) -> tuple[int, int, int]:
        agents: list[HomeAgent | MarketAgent] = [*self.markets.values(), *self.homes.values()]
        return (sum(a.sent for a in agents), sum(a.duplicates for a in agents),
                sum(a.rejected for a in agents) + self.containers.frames.rejected)

    def _diagnose(self, period: int) -> str:
        parts = []
        for market_id, market in self.markets.items():
            missing = market.missing()
            if missing:
                parts.append(f"{market_id} has no order from {_names(missing)}")
        unsettled = [h for h, a in self.homes.items() if a.settled_period != period]
        if unsettled:
            parts.append(f"not settled: {_names(unsettled)}")
        return (f"period {period} did not complete within {self.timeout} s: "
                + "; ".join(parts))


def _names(ids: list[str], shown: int = 10) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more
