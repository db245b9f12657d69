"""Clearing one period: conservation of energy and money, gifts move no money and no price."""

import math
from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.massca_market.core.clearing import MarketBook, pair_gifts, share
from mosaik_components.massca_market.core.config import PriceParams, Tariffs
from mosaik_components.massca_market.core.policy import Order

TARIFFS = Tariffs(import_eur_kwh=0.3, export_eur_kwh=0.05)
amount = st.one_of(st.just(0.0), st.floats(1e-6, 50.0))
order = st.one_of(st.just(Order("idle", 0.0)),
                  st.builds(Order, st.sampled_from(["sell", "gift", "buy", "ask"]), amount))
orders = st.dictionaries(st.integers(0, 999).map(lambda i: f"home_{i}"), order,
                         max_size=40)
temperature = st.floats(-20, 40)


def close(a, b, scale=1.0):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(scale, 1.0))


def clear(book_orders, temp=20.0, coefs=()):
    return MarketBook(PriceParams(), TARIFFS).clear(0, book_orders, temp, list(coefs))


@given(orders, temperature)
def test_every_home_places_exactly_its_order(book_orders, temp):
    result = clear(book_orders, temp)
    assert set(result.fills) == set(book_orders)
    for home, o in book_orders.items():
        f = result.fills[home]
        assert f.mode == o.mode
        assert min(f.bought, f.sold, f.given, f.received, f.imported, f.exported) >= 0
        supply, demand = f.sold + f.given + f.exported, f.bought + f.received + f.imported
        if o.side == "supply":
            assert close(supply, o.amount, o.amount) and demand == 0
        elif o.side == "demand":
            assert close(demand, o.amount, o.amount) and supply == 0
        else:
            assert supply == demand == 0 and f.paid == f.earned == 0


@given(orders, temperature)
def test_energy_and_money_are_conserved(book_orders, temp):
    result = clear(book_orders, temp)
    t, fills = result.totals, result.fills.values()
    scale = sum(o.amount for o in book_orders.values())
    bought = math.fsum(f.bought for f in fills)
    sold = math.fsum(f.sold for f in fills)
    imported = math.fsum(f.imported for f in fills)
    exported = math.fsum(f.exported for f in fills)
    # energy bought (market + grid) = energy sold + grid import; and the export side
    assert close(bought + imported, sold + t.imported, scale)
    assert close(sold + exported, bought + t.exported, scale)
    assert close(bought, t.traded, scale) and close(sold, t.traded, scale)
    assert close(math.fsum(f.given for f in fills), t.gifted, scale)
    assert close(math.fsum(f.received for f in fills), t.gifted, scale)
    assert close(t.traded, min(t.bids, t.offers), scale)
    # money paid = money received + grid bill
    paid, earned = math.fsum(f.paid for f in fills), math.fsum(f.earned for f in fills)
    grid_bill = TARIFFS.import_eur_kwh * imported - TARIFFS.export_eur_kwh * exported
    assert close(paid, earned + grid_bill, scale) and close(t.grid_bill, grid_bill, scale)
    # welfare against trading with the grid alone: the tariff spread on what stayed local
    spread = TARIFFS.import_eur_kwh - TARIFFS.export_eur_kwh
    assert close(t.welfare, spread * (t.traded + t.gifted), scale)


@given(orders)
def test_gifts_move_no_money(book_orders):
    result = clear(book_orders)
    price = result.price.price
    for f in result.fills.values():
        assert close(f.paid, price * f.bought + TARIFFS.import_eur_kwh * f.imported, f.paid)
        assert close(f.earned, price * f.sold + TARIFFS.export_eur_kwh * f.exported, f.earned)


@given(orders, st.lists(st.floats(1e-3, 20.0), min_size=1, max_size=10), st.floats(0.0, 1.0),
       temperature)
def test_gifts_do_not_move_the_price(book_orders, gifts, taken, temp):
    plain = {h: o for h, o in book_orders.items() if o.mode in ("sell", "buy", "idle")}
    with_gifts = dict(plain)
    for i, g in enumerate(gifts):
        with_gifts[f"giver_{i}"] = Order("gift", g)
    with_gifts["taker"] = Order("ask", sum(gifts) * taken)  # asks fully covered by gifts
    a, b = clear(plain, temp), clear(with_gifts, temp)
    assert b.price == a.price
    assert close(b.totals.gifted, sum(gifts) * taken, sum(gifts))


@given(orders)
def test_the_arrival_order_does_not_matter(book_orders):
    reversed_orders = dict(reversed(list(book_orders.items())))
    a, b = clear(book_orders), clear(reversed_orders)
    assert a.fills == b.fills and a.price == b.price and a.gifts == b.gifts


@given(orders)
def test_gift_pairs_add_up_to_each_side(book_orders):
    result = clear(book_orders)
    by_giver, by_taker = defaultdict(float), defaultdict(float)
    for giver, taker, kwh in result.gifts:
        assert kwh > 0 and book_orders[giver].mode == "gift" and book_orders[taker].mode == "ask"
        by_giver[giver] += kwh
        by_taker[taker] += kwh
    for home, f in result.fills.items():
        assert close(by_giver[home], f.given, f.given + 1)
        assert close(by_taker[home], f.received, f.received + 1)


def test_share_is_exact_when_everything_matches():
    assert share([1.0, 2.0], 3.0, 3.0) == [1.0, 2.0]
    assert share([1.0, 2.0], 3.0, 0.0) == [0.0, 0.0]
    assert share([1.0, 3.0], 4.0, 2.0) == [0.5, 1.5]
    assert pair_gifts([("a", 2.0)], [("x", 1.0), ("y", 1.0)]) == [("a", "x", 1.0),
                                                                  ("a", "y", 1.0)]
    assert pair_gifts([], [("x", 1.0)]) == []


def test_a_small_market_by_hand():
    # 3 kWh bid, 2 kWh offered: 2 traded; 1 kWh imported; a 1 kWh gift meets a 0.5 ask
    result = clear({"b": Order("buy", 3.0), "s": Order("sell", 2.0),
                    "g": Order("gift", 1.0), "a": Order("ask", 0.5)})
    f, p = result.fills, result.price.price
    assert (f["b"].bought, f["b"].imported) == (2.0, 1.0)
    assert (f["s"].sold, f["s"].exported) == (2.0, 0.0)
    assert (f["g"].given, f["g"].exported, f["g"].earned) == (0.5, 0.5, 0.5 * 0.05)
    assert (f["a"].received, f["a"].bought, f["a"].paid) == (0.5, 0.0, 0.0)
    assert result.gifts == [("g", "a", 0.5)]
    assert result.price.imbalance == (3.0 - 2.0) / 5.0
    assert math.isclose(f["b"].paid, 2.0 * p + 0.3)
