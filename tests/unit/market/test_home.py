"""A home's physics: consumption draws, PV, and a stock that serves the home first."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.massca_market.core.config import HomeSpec
from mosaik_components.massca_market.core.home import Home, pv_power
from mosaik_components.massca_units.battery import battery_band

HOURS = 0.25
specs = st.builds(
    lambda cap, kw, eff, lo, hi, init: HomeSpec(
        stock_kwh=cap, stock_kw=kw, stock_efficiency=eff, stock_min=min(lo, hi),
        stock_max=max(lo, hi), stock_init=min(max(init, min(lo, hi)), max(lo, hi))),
    st.floats(0.0, 20.0), st.floats(0.0, 10.0), st.floats(0.5, 1.0), st.floats(0, 1),
    st.floats(0, 1), st.floats(0, 1))
powers = st.lists(st.tuples(st.floats(0, 8), st.floats(0, 8)), min_size=1, max_size=40)


@given(specs, powers)
def test_the_stock_serves_the_home_within_its_band_and_bounds(spec, steps):
    home = Home(spec, 0)
    p = {"efficiency": spec.stock_efficiency, "soc_min": spec.stock_min,
         "soc_max": spec.stock_max, "capacity_mwh": spec.stock_kwh,
         "p_charge_mw": spec.stock_kw, "p_discharge_mw": spec.stock_kw}
    for load, pv in steps:
        before = home.state.soc_kwh
        low, high = battery_band(before, HOURS, p) if spec.stock_kwh > 0 else (0.0, 0.0)
        step = home.step(HOURS, load, pv)
        net = pv - load
        assert low - 1e-12 <= step.stock_kw <= high + 1e-12
        assert math.isclose(step.residual_kw, net + step.stock_kw, abs_tol=1e-12)
        # it only charges from a surplus and discharges into a need, never beyond it
        assert step.stock_kw * net <= 0 and abs(step.residual_kw) <= abs(net) + 1e-12
        lo, hi = spec.stock_min * spec.stock_kwh, spec.stock_max * spec.stock_kwh
        assert lo - 1e-9 <= step.stock_kwh <= hi + 1e-9
        # round trip: charging stores sqrt(eta), discharging draws 1/sqrt(eta) per kWh
        eta = math.sqrt(spec.stock_efficiency)
        moved = step.stock_kwh - before
        expected = (-step.stock_kw * HOURS * eta if step.stock_kw < 0
                    else -step.stock_kw * HOURS / eta)
        assert math.isclose(moved, expected, abs_tol=1e-9)


def test_without_a_stock_the_residual_is_the_net():
    step = Home(HomeSpec(), 0).step(HOURS, 1.2, 0.5)
    assert step.stock_kw == 0.0 and math.isclose(step.residual_kw, -0.7)


def test_random_consumption_is_drawn_each_period_within_its_range_and_seeded():
    spec = HomeSpec(load="random", load_min_kw=0.2, load_max_kw=0.9)
    a, b, c = Home(spec, "1/home_0"), Home(spec, "1/home_0"), Home(spec, "2/home_0")
    draws = [a.load(None) for _ in range(200)]
    assert all(0.2 <= d <= 0.9 for d in draws) and len(set(draws)) == 200
    assert draws == [b.load(None) for _ in range(200)]
    assert draws != [c.load(None) for _ in range(200)]


def test_profile_consumption_scales_the_profile_with_noise():
    home = Home(HomeSpec(load="profile", load_peak_kw=2.0, load_noise=0.1), 5)
    draws = [home.load(0.5) for _ in range(100)]
    assert all(0.9 <= d <= 1.1 for d in draws)
    assert Home(HomeSpec(load="profile", load_peak_kw=2.0), 5).load(0.5) == 1.0
    with pytest.raises(ValueError, match="P_pu"):
        home.load(None)


def test_pv_follows_the_irradiance():
    spec = HomeSpec(pv_kwp=5.0, pv_pr=0.8)
    assert pv_power(spec, 1000.0) == 4.0
    assert pv_power(spec, 0.0) == 0.0 and pv_power(spec, -3.0) == 0.0
