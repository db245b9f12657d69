"""Price formation: demand raises it, supply lowers it, events last exactly their TTL."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.massca_market import Community, MarketConfig, validate
from mosaik_components.massca_market.core.clearing import MarketBook
from mosaik_components.massca_market.core.config import PriceParams, Tariffs
from mosaik_components.massca_market.core.policy import Order
from mosaik_components.massca_market.core.price import (
    event_factor,
    form_price,
    imbalance,
    temperature_factor,
)

PARAMS = PriceParams()
WIDE = Tariffs(import_eur_kwh=100.0, export_eur_kwh=0.0)  # the band never binds
energy = st.one_of(st.just(0.0), st.floats(1e-3, 1e4))
price = st.floats(0.01, 10.0)


@given(price, energy, energy, st.floats(1e-3, 1e3))
def test_price_rises_with_demand(base, bids, offers, extra):
    low = form_price(PARAMS, WIDE, base, bids, offers, 20.0, [])
    high = form_price(PARAMS, WIDE, base, bids + extra, offers, 20.0, [])
    assert high.price >= low.price
    if offers > 0:  # with no offers at all the imbalance is already +1
        assert high.price > low.price


@given(price, energy, energy, st.floats(1e-3, 1e3))
def test_price_falls_with_supply(base, bids, offers, extra):
    high = form_price(PARAMS, WIDE, base, bids, offers, 20.0, [])
    low = form_price(PARAMS, WIDE, base, bids, offers + extra, 20.0, [])
    assert low.price <= high.price
    if bids > 0:
        assert low.price < high.price


def test_more_buyers_in_a_market_raise_its_price_and_more_sellers_lower_it():
    def clear(buy, sell):
        orders = {f"b{i}": Order("buy", 1.0) for i in range(buy)}
        orders |= {f"s{i}": Order("sell", 1.0) for i in range(sell)}
        return MarketBook(PARAMS, WIDE).clear(0, orders, 20.0, []).price.price

    assert clear(5, 2) > clear(3, 2) > clear(2, 2) > clear(2, 3) > clear(2, 5)
    assert math.isclose(clear(2, 2), PARAMS.reference)  # balanced at the reference


@given(st.lists(st.floats(-1, 1), min_size=1, max_size=300), price)
def test_base_stays_positive_and_within_its_bounds(imbalances, start):
    bound = PARAMS.kappa / PARAMS.theta
    base = start
    log_ref = math.log(PARAMS.reference)
    distance = abs(math.log(start) - log_ref)
    for imb in imbalances:
        bids, offers = 1 + imb, 1 - imb
        base = form_price(PARAMS, WIDE, base, bids, offers, 20.0, []).base
        assert base > 0
        distance = (1 - PARAMS.theta) * distance + PARAMS.kappa * abs(imbalance(bids, offers))
        assert abs(math.log(base) - log_ref) <= max(distance, bound) + 1e-9


def test_a_lasting_full_imbalance_settles_at_reference_times_exp_kappa_over_theta():
    base = PARAMS.reference
    for _ in range(500):
        base = form_price(PARAMS, WIDE, base, 5.0, 0.0, 20.0, []).base
    assert math.isclose(base, PARAMS.reference * math.exp(PARAMS.kappa / PARAMS.theta))


def test_temperature_raises_the_price_outside_the_comfort_band():
    assert temperature_factor(PARAMS, 20.0) == 1.0
    assert math.isclose(temperature_factor(PARAMS, PARAMS.t_heat - 10), 1 + 10 * PARAMS.beta_heat)
    assert math.isclose(temperature_factor(PARAMS, PARAMS.t_cool + 4), 1 + 4 * PARAMS.beta_cool)
    cold = form_price(PARAMS, WIDE, 0.2, 1.0, 1.0, -5.0, [])
    mild = form_price(PARAMS, WIDE, 0.2, 1.0, 1.0, 20.0, [])
    assert cold.base == mild.base and cold.price > mild.price


def test_events_multiply_and_the_tariffs_bound_the_price():
    assert event_factor([]) == 1.0
    assert math.isclose(event_factor([0.5, -0.2]), 1.5 * 0.8)
    tight = Tariffs(import_eur_kwh=0.25, export_eur_kwh=0.15)
    up = form_price(PARAMS, tight, 0.2, 1.0, 1.0, 20.0, [0.5])
    down = form_price(PARAMS, tight, 0.2, 1.0, 1.0, 20.0, [-0.5])
    assert up.formed > 0.25 and up.price == 0.25
    assert down.formed < 0.15 and down.price == 0.15


@settings(max_examples=15)
@given(st.integers(0, 30), st.sampled_from(["plant_outage", "cold_snap", "wind_surge"]))
def test_an_event_moves_the_price_for_exactly_its_ttl(start, kind):
    def prices(scheduled):
        cfg = validate(MarketConfig, {
            "homes": [{"load": "random", "pv_kwp": 4.0, "policy": "sell"},
                      {"load": "random", "demand": "buy"}, {"load": "random"}],
            "scope": "system", "seed": 3, "tariffs": WIDE.model_dump(),
            "events": {"rate_per_day": 0.0, "scheduled": scheduled}})
        community = Community(cfg)
        return [community.step(p, 20.0, 600.0).clearings["market"].price for p in range(48)]

    plain = prices([])
    moved = prices([{"kind": kind, "period": start}])
    coef = validate(MarketConfig, {"homes": [{}]}).events.kinds[kind].coef
    ttl = validate(MarketConfig, {"homes": [{}]}).events.kinds[kind].ttl
    changed = [p for p in range(48) if moved[p].price != plain[p].price]
    assert changed == [p for p in range(start, start + ttl) if p < 48]
    for p in changed:
        assert math.isclose(moved[p].price, plain[p].price * (1 + coef))
    assert [m.base for m in moved] == [p.base for p in plain]  # never enters the history
