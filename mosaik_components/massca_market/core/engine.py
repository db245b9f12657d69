"""The whole community without agents: homes, decisions, markets and events, period by period.

This is the reference the agents must reproduce (they call the same functions: homes'
:class:`~.home.Home`, :func:`~.policy.decide`/:func:`~.policy.observe` and
:class:`~.clearing.MarketBook`), and what the property tests drive over many periods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .clearing import Clearing, MarketBook
from .config import MarketConfig
from .events import Event, EventProcess
from .home import Home, HomeStep, pv_power
from .policy import Order, PolicyState, decide, observe

__all__ = ["home_ids", "market_of", "market_ids", "PeriodOutcome", "Community"]


def home_ids(config: MarketConfig) -> list[str]:
    """The homes' ids, in configuration order."""
    return [f"home_{index}" for index in range(len(config.homes))]


def market_of(config: MarketConfig, index: int) -> str:
    """The id of the market home ``index`` trades in."""
    return "market" if config.scope == "system" else f"market_{config.homes[index].cell}"


def market_ids(config: MarketConfig) -> list[str]:
    """Every market's id."""
    return ["market"] if config.scope == "system" else [f"market_{c}" for c in config.cells()]


@dataclass(slots=True)
class PeriodOutcome:
    """One period of the community."""

    period: int
    homes: dict[str, HomeStep]
    orders: dict[str, Order]
    events: list[Event]
    clearings: dict[str, Clearing]


class Community:
    """The reference run of a :class:`MarketConfig` (see the module docstring)."""

    def __init__(self, config: MarketConfig) -> None:
        self.config = config
        self.ids = home_ids(config)
        self.homes = {hid: Home(home.spec(), f"{config.seed}/{hid}")
                      for hid, home in zip(self.ids, config.homes, strict=True)}
        self.policies = {hid: home.policy_spec()
                         for hid, home in zip(self.ids, config.homes, strict=True)}
        self.states = {hid: PolicyState() for hid in self.ids}
        self.market = {hid: market_of(config, i) for i, hid in enumerate(self.ids)}
        self.books = {mid: MarketBook(config.price, config.tariffs)
                      for mid in market_ids(config)}
        self.events = EventProcess(config.events, config.step_s, config.seed)
        self.hours = config.step_s / 3600

    def step(self, period: int, temperature: float, ghi_w_m2: float = 0.0,
             p_pu: float | None = None,
             residuals: Mapping[str, float] | None = None) -> PeriodOutcome:
        """One period; ``residuals`` (kWh per home) replaces the homes' physics if given."""
        steps: dict[str, HomeStep] = {}
        if residuals is None:
            residuals = {}
            for hid, home in self.homes.items():
                step = home.step(self.hours, home.load(p_pu), pv_power(home.spec, ghi_w_m2))
                steps[hid] = step
                residuals[hid] = step.residual_kw * self.hours
        orders = {hid: decide(self.policies[hid], self.states[hid], residuals[hid])
                  for hid in self.ids}
        events = self.events.active(period)
        coefs = [event.coef for event in events]
        clearings = {}
        for mid, book in self.books.items():
            mine = {hid: order for hid, order in orders.items() if self.market[hid] == mid}
            clearings[mid] = book.clear(period, mine, temperature, coefs)
        for hid in self.ids:
            observe(self.policies[hid], self.states[hid], orders[hid],
                    clearings[self.market[hid]].asked)
        return PeriodOutcome(period, steps, orders, events, clearings)
