"""Clearing one market for one period: gifts first, then trade at the price, then the grid.

Given every home's order (:class:`~.policy.Order`, keyed by home id):

1. **Gifts.** Gift offers ``G`` meet gift asks ``A``; ``min(sum G, sum A)`` is given,
   shared pro rata on both sides (every giver gives the same fraction of its offer,
   every taker receives the same fraction of its ask). Pairs (giver, taker, kWh) are
   formed by walking both lists in home-id order.
2. **Trade.** Bids are the ``buy`` orders plus what gifts left of the asks; offers are
   the ``sell`` orders. The price is formed from bids and offers (:mod:`.price`; gifts
   are not part of it), then ``min(sum bids, sum offers)`` is traded at that price, pro
   rata on both sides.
3. **Grid.** What a bid did not get is imported at the import tariff; what an offer did
   not sell and what a gift offer did not give is exported at the export tariff.

Nothing depends on the order in which orders arrived. Per home, ``bought + received +
imported`` equals its need and ``sold + given + exported`` its surplus; in total,
energy bought = energy sold + grid import (homes' purchases on the market and from the
grid), and money paid = money received + grid bill. Gifts move no money.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .config import PriceParams, Tariffs
from .policy import Order
from .price import PricePoint, form_price

__all__ = ["Fill", "Totals", "Clearing", "MarketBook", "share", "pair_gifts"]


@dataclass(slots=True)
class Fill:
    """What one home got in one period (kWh, EUR)."""

    mode: str = "idle"
    bought: float = 0.0
    sold: float = 0.0
    given: float = 0.0
    received: float = 0.0
    imported: float = 0.0
    exported: float = 0.0
    paid: float = 0.0
    earned: float = 0.0

    @property
    def cost(self) -> float:
        """Net money the home pays this period (negative: it earns)."""
        return self.paid - self.earned


@dataclass(frozen=True, slots=True)
class Totals:
    """One market's sums for one period (kWh, EUR)."""

    offers: float
    bids: float
    traded: float
    gift_offers: float
    gift_asks: float
    gifted: float
    imported: float
    exported: float
    paid: float
    earned: float
    grid_bill: float
    welfare: float


@dataclass(slots=True)
class Clearing:
    """The outcome of one period in one market."""

    period: int
    price: PricePoint
    fills: dict[str, Fill]
    gifts: list[tuple[str, str, float]]
    totals: Totals

    @property
    def asked(self) -> bool:
        """Whether any taker asked for a gift in this market in this period."""
        return self.totals.gift_asks > 0


def share(amounts: list[float], total: float, matched: float) -> list[float]:
    """Each amount's pro-rata part of ``matched`` out of ``total`` (exact when all match)."""
    if matched >= total:
        return list(amounts)
    if matched <= 0:
        return [0.0] * len(amounts)
    fraction = matched / total
    return [amount * fraction for amount in amounts]


def pair_gifts(givers: list[tuple[str, float]], takers: list[tuple[str, float]]
               ) -> list[tuple[str, str, float]]:
    """(giver, taker, kWh) pairs: both lists walked in order, each step the smaller rest.

    The pairs add up to every giver's given and every taker's received amount (up to
    rounding; a rest below 1e-12 kWh of the larger side ends that side's turn).
    """
    pairs = []
    g = t = 0
    rest_g = givers[0][1] if givers else 0.0
    rest_t = takers[0][1] if takers else 0.0
    while g < len(givers) and t < len(takers):
        amount = min(rest_g, rest_t)
        if amount > 0:
            pairs.append((givers[g][0], takers[t][0], amount))
        rest_g -= amount
        rest_t -= amount
        if rest_g <= 1e-12 * max(givers[g][1], 1.0):
            g += 1
            rest_g = givers[g][1] if g < len(givers) else 0.0
        if rest_t <= 1e-12 * max(takers[t][1], 1.0):
            t += 1
            rest_t = takers[t][1] if t < len(takers) else 0.0
    return pairs


class MarketBook:
    """One market's price state and its clearing (pure; see the module docstring)."""

    def __init__(self, price: PriceParams, tariffs: Tariffs) -> None:
        self.params = price
        self.tariffs = tariffs
        self.base = price.start

    def clear(self, period: int, orders: Mapping[str, Order], temperature: float,
              coefficients: Iterable[float]) -> Clearing:
        """Clear ``orders`` (every home of this market, any arrival order) for ``period``."""
        by_mode: dict[str, list[tuple[str, float]]] = {
            "gift": [], "ask": [], "sell": [], "buy": [], "idle": []}
        for home in sorted(orders):
            order = orders[home]
            by_mode[order.mode].append((home, order.amount))
        fills = {home: Fill() for home, _ in by_mode["idle"]}
        given, received, gifts, totals_g = self._gifts(by_mode["gift"], by_mode["ask"])
        bids = by_mode["buy"] + [(home, amount - got) for (home, amount), got
                                 in zip(by_mode["ask"], received, strict=True)]
        offers = by_mode["sell"]
        bid_total = math.fsum(amount for _, amount in bids)
        offer_total = math.fsum(amount for _, amount in offers)
        point = form_price(self.params, self.tariffs, self.base, bid_total, offer_total,
                           temperature, coefficients)
        self.base = point.base
        traded = min(bid_total, offer_total)
        bought = share([a for _, a in bids], bid_total, traded)
        sold = share([a for _, a in offers], offer_total, traded)
        imp, exp, price = self.tariffs.import_eur_kwh, self.tariffs.export_eur_kwh, point.price
        for (home, amount), got in zip(offers, sold, strict=True):
            rest = amount - got
            fills[home] = Fill("sell", sold=got, exported=rest, earned=price * got + exp * rest)
        for (home, amount), got in zip(by_mode["gift"], given, strict=True):
            rest = amount - got
            fills[home] = Fill("gift", given=got, exported=rest, earned=exp * rest)
        n_buy = len(by_mode["buy"])
        for index, ((home, amount), got) in enumerate(zip(bids, bought, strict=True)):
            rest = amount - got
            gift = received[index - n_buy] if index >= n_buy else 0.0
            fills[home] = Fill("ask" if index >= n_buy else "buy", bought=got, received=gift,
                               imported=rest, paid=price * got + imp * rest)
        totals = self._totals(fills, bid_total, offer_total, traded, *totals_g)
        return Clearing(period, point, fills, gifts, totals)

    @staticmethod
    def _gifts(offers: list[tuple[str, float]], asks: list[tuple[str, float]]
               ) -> tuple[list[float], list[float], list[tuple[str, str, float]],
                          tuple[float, float, float]]:
        offered = math.fsum(a for _, a in offers)
        asked = math.fsum(a for _, a in asks)
        gifted = min(offered, asked)
        given = share([a for _, a in offers], offered, gifted)
        received = share([a for _, a in asks], asked, gifted)
        pairs = pair_gifts([(h, g) for (h, _), g in zip(offers, given, strict=True) if g > 0],
                           [(h, r) for (h, _), r in zip(asks, received, strict=True) if r > 0])
        return given, received, pairs, (offered, asked, gifted)

    def _totals(self, fills: dict[str, Fill], bids: float, offers: float, traded: float,
                gift_offers: float, gift_asks: float, gifted: float) -> Totals:
        imp, exp = self.tariffs.import_eur_kwh, self.tariffs.export_eur_kwh
        values = list(fills.values())
        imported = math.fsum(f.imported for f in values)
        exported = math.fsum(f.exported for f in values)
        paid = math.fsum(f.paid for f in values)
        earned = math.fsum(f.earned for f in values)
        # every home against trading its residual with the grid alone
        alone = math.fsum(imp * (f.bought + f.received + f.imported)
                          - exp * (f.sold + f.given + f.exported) for f in values)
        return Totals(offers, bids, traded, gift_offers, gift_asks, gifted, imported,
                      exported, paid, earned, imp * imported - exp * exported,
                      alone - (paid - earned))
