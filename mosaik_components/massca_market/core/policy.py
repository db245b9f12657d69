"""A home's decision each period: one order from its residual energy and its policy.

* A **surplus** (residual > 0) is offered by policy: ``sell`` on the market, ``give`` as
  a gift, or ``hold``: offered as a gift while a taker asked in the home's market within
  its time to live, sold otherwise. Precisely, a ``hold`` home counts ``quiet``: the
  consecutive periods in which it offered a gift and no taker asked for a gift in its
  market. While ``quiet < ttl`` it offers its surplus as a gift; once ``quiet`` reaches
  ``ttl`` it sells. An ask in its market, or a period without surplus (its offer lapses),
  resets ``quiet`` to 0. A gift no taker takes goes to the grid (export): holding costs
  the home the difference between the market price and the export tariff.
* A **need** (residual < 0) is bought (``buy``), or asked for as a gift first (``ask``;
  the market buys what gifts do not cover for the home).
* Nothing to trade: an ``idle`` order (so the market knows the home has spoken).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .config import PolicySpec

__all__ = ["Order", "PolicyState", "Side", "Mode", "decide", "observe", "IDLE"]

Side = Literal["supply", "demand", "idle"]
Mode = Literal["sell", "gift", "buy", "ask", "idle"]
SIDE_OF_MODE: dict[str, str] = {"sell": "supply", "gift": "supply", "buy": "demand",
                                "ask": "demand", "idle": "idle"}


@dataclass(frozen=True, slots=True)
class Order:
    """One home's order for one period: ``amount`` kWh (>= 0) to ``mode``."""

    mode: Mode
    amount: float

    @property
    def side(self) -> str:
        """``supply``, ``demand`` or ``idle``."""
        return SIDE_OF_MODE[self.mode]


IDLE = Order("idle", 0.0)


@dataclass(slots=True)
class PolicyState:
    """A home's memory between periods: see the module docstring (``hold``)."""

    quiet: int = 0


def decide(spec: PolicySpec, state: PolicyState, residual_kwh: float) -> Order:
    """The order of a home with ``residual_kwh`` this period (generation positive)."""
    if residual_kwh > 0:
        if spec.policy == "sell" or (spec.policy == "hold" and state.quiet >= spec.ttl):
            return Order("sell", residual_kwh)
        return Order("gift", residual_kwh)
    if residual_kwh < 0:
        return Order("ask" if spec.demand == "ask" else "buy", -residual_kwh)
    return IDLE


def observe(spec: PolicySpec, state: PolicyState, order: Order, asked: bool) -> None:
    """Update ``state`` after the period: ``asked`` = a taker asked in the home's market."""
    if spec.policy != "hold":
        return
    if order.side != "supply" or asked:
        state.quiet = 0
    elif order.mode == "gift":
        state.quiet = min(state.quiet + 1, spec.ttl)
