"""The configuration model: bad input fails before the run with the field and the value."""

import math

import pytest

from mosaik_components.massca_market import MarketConfig, MarketConfigError, validate
from mosaik_components.massca_market.core.config import (
    DEFAULT_EVENT_KINDS,
    EventSettings,
    HomeConfig,
    PriceParams,
    Tariffs,
)


def config(**changes):
    data = {"homes": [{}, {"policy": "give"}], **changes}
    return validate(MarketConfig, data)


def error_of(**changes) -> str:
    with pytest.raises(MarketConfigError) as info:
        config(**changes)
    return str(info.value)


def test_defaults_are_valid_and_split_into_physics_and_behaviour():
    cfg = config()
    assert cfg.scope == "cell" and cfg.step_s == 900
    home = cfg.homes[1]
    assert home.policy_spec().policy == "give"
    assert home.spec().stock_kwh == 0.0
    assert set(cfg.events.kinds) == set(DEFAULT_EVENT_KINDS)


@pytest.mark.parametrize(("home", "field", "shown"), [
    ({"policy": "steal"}, "homes.0.policy", "'steal'"),
    ({"demand": "beg"}, "homes.0.demand", "'beg'"),
    ({"pv_kwp": -3.0}, "homes.0.pv_kwp", "-3.0"),
    ({"stock_kwh": -1}, "homes.0.stock_kwh", "-1"),
    ({"load_max_kw": math.inf}, "homes.0.load_max_kw", "inf"),
    ({"stock_kw": math.nan}, "homes.0.stock_kw", "nan"),
    ({"ttl": 0}, "homes.0.ttl", "0"),
    ({"ttl": True}, "homes.0.ttl", "True"),
    ({"pv_kwp": "5"}, "homes.0.pv_kwp", "'5'"),
    ({"colour": "red"}, "homes.0.colour", "'red'"),
])
def test_a_bad_home_field_is_named_with_its_value(home, field, shown):
    message = error_of(homes=[home])
    assert field in message and shown in message, message


def test_inconsistent_ranges_name_both_values():
    message = error_of(homes=[{"load_min_kw": 2.0, "load_max_kw": 1.0}])
    assert "homes.0" in message and "load_min_kw (2.0)" in message
    message = error_of(homes=[{"stock_min": 0.6, "stock_init": 0.5}])
    assert "stock_min <= stock_init" in message and "0.6, 0.5" in message


def test_unknown_scheduled_event_is_named_with_the_known_kinds():
    message = error_of(events={"scheduled": [{"kind": "meteor", "period": 3}]})
    assert "events: scheduled.0.kind: unknown event 'meteor'" in message
    assert "plant_outage" in message


@pytest.mark.parametrize(("events", "field"), [
    ({"rate_per_day": -1.0}, "events.rate_per_day"),
    ({"kinds": {"crash": {"coef": -1.0, "ttl": 2}}}, "events.kinds.crash.coef"),
    ({"kinds": {"crash": {"coef": 0.2, "ttl": 0}}}, "events.kinds.crash.ttl"),
    ({"kinds": {}, "rate_per_day": 2.0}, "events"),
])
def test_bad_event_settings(events, field):
    assert field in error_of(events=events)


def test_more_than_one_event_per_period_is_refused():
    assert "exceeds one event per period" in error_of(events={"rate_per_day": 100.0})


def test_tariffs_prices_and_host():
    assert "export_eur_kwh (0.5) must not exceed import_eur_kwh (0.3)" in error_of(
        tariffs={"import_eur_kwh": 0.3, "export_eur_kwh": 0.5})
    assert "price.reference" in error_of(price={"reference": 0.0})
    assert "price.kappa" in error_of(price={"kappa": math.nan})
    assert "t_heat (30.0) must not exceed t_cool (20.0)" in error_of(
        price={"t_heat": 30.0, "t_cool": 20.0})
    assert "loopback" in error_of(host="0.0.0.0")
    assert "homes" in error_of(homes=[])


def test_every_error_is_listed_not_just_the_first():
    message = error_of(homes=[{"policy": "x"}, {"pv_kwp": -1.0}])
    assert "homes.0.policy" in message and "homes.1.pv_kwp" in message


def test_sub_models_validate_alone():
    assert validate(Tariffs, {}).import_eur_kwh == 0.32
    assert validate(PriceParams, {"initial": 0.3}).start == 0.3
    assert validate(PriceParams, {}).start == validate(PriceParams, {}).reference
    assert validate(EventSettings, {"rate_per_day": 0.0}).probability(900) == 0.0
    with pytest.raises(MarketConfigError, match=r"home\.policy"):
        validate(HomeConfig, {"policy": 1}, where="home")
