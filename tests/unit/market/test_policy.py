"""A home's decisions: sell, give or hold a surplus; buy or ask for a need; TTL of 'hold'."""

from mosaik_components.massca_market import Community, MarketConfig, PolicySpec, validate
from mosaik_components.massca_market.core.policy import Order, PolicyState, decide, observe


def test_surplus_and_need_by_policy():
    state = PolicyState()
    assert decide(PolicySpec(policy="sell"), state, 1.5) == Order("sell", 1.5)
    assert decide(PolicySpec(policy="give"), state, 1.5) == Order("gift", 1.5)
    assert decide(PolicySpec(policy="hold"), state, 1.5) == Order("gift", 1.5)
    assert decide(PolicySpec(demand="buy"), state, -0.5) == Order("buy", 0.5)
    assert decide(PolicySpec(demand="ask"), state, -0.5) == Order("ask", 0.5)
    assert decide(PolicySpec(), state, 0.0) == Order("idle", 0.0)


def run_hold(ttl, surplus, asked):
    """The modes a 'hold' home chooses over periods of given surplus and market asks."""
    spec, state, modes = PolicySpec(policy="hold", ttl=ttl), PolicyState(), []
    for residual, ask in zip(surplus, asked, strict=True):
        order = decide(spec, state, residual)
        modes.append(order.mode)
        observe(spec, state, order, ask)
    return modes


def test_hold_gives_for_exactly_ttl_quiet_periods_then_sells():
    assert run_hold(3, [1.0] * 6, [False] * 6) == ["gift"] * 3 + ["sell"] * 3


def test_an_ask_in_the_market_resets_the_wait():
    modes = run_hold(2, [1.0] * 7, [False, True, False, False, False, True, False])
    assert modes == ["gift", "gift", "gift", "gift", "sell", "sell", "gift"]


def test_a_period_without_surplus_lets_the_offer_lapse():
    modes = run_hold(2, [1.0, 1.0, -1.0, 1.0, 1.0, 1.0], [False] * 6)
    assert modes == ["gift", "gift", "buy", "gift", "gift", "sell"]


def test_other_policies_keep_no_state():
    spec, state = PolicySpec(policy="give", ttl=1), PolicyState()
    for _ in range(5):
        order = decide(spec, state, 1.0)
        observe(spec, state, order, False)
        assert order.mode == "gift" and state.quiet == 0


def test_a_hold_home_without_takers_exports_for_its_ttl_then_sells_to_a_buyer():
    cfg = validate(MarketConfig, {
        "homes": [{"load": "random", "load_min_kw": 0.0, "load_max_kw": 0.0, "pv_kwp": 5.0,
                   "policy": "hold", "ttl": 3},
                  {"load": "random", "load_min_kw": 2.0, "load_max_kw": 2.0}],
        "scope": "system", "events": {"rate_per_day": 0.0}})
    community = Community(cfg)
    fills = [community.step(p, 20.0, 800.0).clearings["market"].fills["home_0"]
             for p in range(6)]
    assert [f.mode for f in fills] == ["gift"] * 3 + ["sell"] * 3
    assert all(f.exported > 0 and f.sold == 0 for f in fills[:3])  # nobody asked: exported
    assert all(f.sold > 0 for f in fills[3:])  # the buyer gets it on the market
