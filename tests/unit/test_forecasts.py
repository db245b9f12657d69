"""Forecasts: perfect, persistence, noisy with an error growing with lead time; seeded."""

import math

import numpy as np
import pytest

from mosaik_components.massca.data import data_dir
from mosaik_components.massca_units.forecasts import ForecastSpec, forecast_attr, issue
from mosaik_components.massca_units.timeseries import ProfileSimulator, WeatherSimulator

TABLE = np.column_stack([np.arange(200.0), np.full(200, 10.0), np.linspace(1, 2, 200)])


def test_perfect_and_persistence():
    spec = ForecastSpec("perfect", 5)
    assert issue(TABLE, 10, 2, spec, 0.25).tolist() == TABLE[10:19:2].tolist()
    held = issue(TABLE, 10, 2, ForecastSpec("persistence", 5), 0.25)
    assert (held == TABLE[10]).all()
    assert forecast_attr("GHI[W/m2]") == "GHI_forecast[W/m2]"
    assert forecast_attr("P_pu") == "P_pu_forecast"


def test_noisy_error_is_seeded_grows_with_lead_time_and_spares_interval_zero():
    spec = ForecastSpec("noisy", 97, sigma=0.2, seed=7)
    ones = np.ones((400, 2))
    first = issue(ones, 3, 1, spec, 0.25, groups=[[0]])
    assert (first == issue(ones, 3, 1, spec, 0.25, groups=[[0]])).all()  # same seed, same
    assert not (first == issue(ones, 3, 1, ForecastSpec("noisy", 97, 0.2, 8), 0.25,
                               groups=[[0]])).all()
    assert first[0, 0] == 1.0 and (first[:, 1] == 1.0).all()  # now is measured; col 1 exact
    # the relative error over many issue times: std ~ sigma * sqrt(lead / 24 h)
    errors = np.array([issue(ones, row, 1, spec, 0.25, groups=[[0]])[:, 0] - 1
                       for row in range(300)])
    for lead in (24, 48, 96):  # 6 h, 12 h, 24 h ahead
        expected = 0.2 * math.sqrt(lead * 0.25 / 24)
        assert errors[:, lead].std() == pytest.approx(expected, rel=0.2)
    assert (issue(ones * 0, 5, 1, spec, 0.25, groups=[[0]]) == 0).all()  # night stays dark


@pytest.mark.parametrize(("args", "message"), [
    (("guess", 4, 0.0, 0), "X.forecast must be one of"),
    (("perfect", 0, 0.0, 0), "X.horizon must be an integer >= 1"),
    (("noisy", 4, -0.1, 0), "X.sigma must be >= 0, got -0.1"),
    (("noisy", 4, 0.1, -1), "X.seed must be an integer >= 0"),
])
def test_bad_specs_name_the_field(args, message):
    with pytest.raises(ValueError, match=message):
        ForecastSpec.checked(*args, what="X")


def test_sources_publish_forecasts_and_refuse_a_horizon_past_the_data():
    weather = WeatherSimulator()
    weather.init("Weather", step_size=900)
    path = str(data_dir() / "weather_15min.csv")
    (entity,) = weather.create(1, "Weather", path=path, start="2019-06-21 00:00", horizon=8,
                               forecast="noisy", sigma=0.3, seed=1)
    weather.step(900, {}, 10**9)
    data = weather.get_data({entity["eid"]: ["GHI[W/m2]", "GHI_forecast[W/m2]",
                                             "T_air_forecast[degC]"]})[entity["eid"]]
    assert len(data["GHI_forecast[W/m2]"]) == 8
    assert data["GHI_forecast[W/m2]"][0] == data["GHI[W/m2]"]
    series = weather.tables[entity["eid"]][0]
    temp = series.frame["temp_air"].to_numpy()[series.first + 1:series.first + 9]
    assert data["T_air_forecast[degC]"] == pytest.approx(temp)  # temperature is exact
    with pytest.raises(ValueError, match=r"Weather.Weather: a forecast horizon of 96 "
                                         r"intervals of 900 s over a run of 86400 s needs "
                                         r"data up to 2020-01-01 23:30:00, but "
                                         r".*weather_15min.csv ends "):
        weather.create(1, "Weather", path=path, start="2019-12-31 00:00", horizon=96,
                       until=86400)
    profiles = ProfileSimulator()
    profiles.init("Profiles", step_size=900)
    (plain,) = profiles.create(1, "LoadProfile", path=str(data_dir() / "load_profiles_15min.csv"),
                               start="2019-06-21 00:00", column="h0")
    profiles.step(0, {}, 10**9)
    with pytest.raises(ValueError, match="P_pu_forecast needs a forecast"):
        profiles.get_data({plain["eid"]: ["P_pu_forecast"]})
