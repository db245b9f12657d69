"""Pure physics of massca's unit simulators."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mosaik_components.massca_units.battery import battery_band, next_soc
from mosaik_components.massca_units.flexload import load_band
from mosaik_components.massca_units.pv import pv_power
from mosaik_components.massca_units.setpoints import UnitPower, apply_setpoints
from mosaik_components.massca_units.wecs import (
    hub_wind_speed,
    parametric_power,
    turbine_curve,
)


def test_massca_power_curve():
    curve = dict(p_rated=7.0, v_rated=13.0, v_in=3.5, v_out=25.0)
    assert parametric_power(3.4, **curve) == 0.0
    assert parametric_power(13.0, **curve) == 7.0
    assert parametric_power(24.9, **curve) == 7.0
    assert parametric_power(25.0, **curve) == 0.0
    mid = parametric_power(8.0, **curve)
    assert mid == pytest.approx(7.0 * (8**3 - 3.5**3) / (13**3 - 3.5**3))
    assert hub_wind_speed(5.0, 10.0, 100.0, 1 / 7) == pytest.approx(5.0 * 10 ** (1 / 7))


def test_windpowerlib_curve_is_normalised():
    speeds, per_unit = turbine_curve("E-82/2350")
    assert per_unit.max() == 1.0 and speeds[0] >= 0
    with pytest.raises(ValueError, match="turbine_type 'nope' is not in windpowerlib"):
        turbine_curve("nope")


PARAMS = {"capacity_mwh": 2.0, "p_charge_mw": 0.5, "p_discharge_mw": 0.8, "efficiency": 0.81,
          "soc_min": 0.1, "soc_max": 0.9}


@given(st.floats(0.2, 1.8), st.floats(0, 1), st.sampled_from([0.25, 1.0, 4.0]))
def test_battery_never_leaves_its_soc_bounds(soc, fraction, hours):
    low, high = battery_band(soc, hours, PARAMS)
    assert low <= 0 <= high + 1e-12
    p = low + fraction * (high - low)
    after = next_soc(soc, p, hours, PARAMS["efficiency"])
    lo_e, hi_e = 0.1 * 2.0, 0.9 * 2.0
    assert min(soc, lo_e) - 1e-9 <= after <= max(soc, hi_e) + 1e-9


def test_battery_round_trip_loses_one_minus_eta():
    soc = next_soc(1.0, -0.5, 1.0, 0.81)  # charge 0.5 MWh from the grid
    assert soc == pytest.approx(1.0 + 0.5 * 0.9)
    back = next_soc(soc, 0.5 * 0.81, 1.0, 0.81)  # discharge what the round trip returns
    assert back == pytest.approx(1.0)


def test_load_band():
    assert load_band(2.0, 0.25, 0.5) == (1.5, 3.0)


def test_setpoints_in_own_direction_and_limited():
    power = UnitPower(p=-2.0, p_min=-3.0, p_max=-1.5, uncontrolled=-2.0)
    apply_setpoints("load", "consumption", power, {"scale_factor": {"mas": 0.5}})
    assert power.p == -2.5 and power.limited == 0.0  # 0.5 MW more consumption
    apply_setpoints("load", "consumption", power, {"P_set[MW]": {"mas": -5.0}})
    assert power.p == -3.0 and power.limited == -2.0  # cannot consume 5 MW
    apply_setpoints("load", "consumption", power, {})
    assert power.p == -2.0
    with pytest.raises(ValueError, match="must be a finite number, got nan"):
        apply_setpoints("load", "consumption", power, {"P_set[MW]": {"mas": math.nan}})


def test_pv_follows_the_sun_and_season():
    site = {"latitude": 36.1, "longitude": -79.95, "altitude": 273.0, "utc_offset_h": -5,
            "albedo": 0.2}
    clear = {"GHI[W/m2]": 800.0, "DNI[W/m2]": 800.0, "DHI[W/m2]": 100.0,
             "T_air[degC]": 25.0, "wind_speed[m/s]": 1.0}
    one = [np.array([x]) for x in (1.0, 30.0, 180.0, -0.004, 0.96)]
    noon_june, _ = pv_power(pd.Timestamp("2019-06-21 12:00"), site, clear, *one)
    noon_dec, _ = pv_power(pd.Timestamp("2019-12-21 12:00"), site, clear, *one)
    dark = {**clear, "GHI[W/m2]": 0.0, "DNI[W/m2]": 0.0, "DHI[W/m2]": 0.0}
    night, _ = pv_power(pd.Timestamp("2019-06-21 23:00"), site, dark, *one)
    # the beam cannot reach a panel when the sun is down, whatever the DNI says
    evening, _ = pv_power(pd.Timestamp("2019-06-21 23:00"), site, clear, *one)
    assert evening[0] < 0.1 * noon_june[0]
    assert 0.5 < noon_june[0] < 1.0
    assert noon_dec[0] != pytest.approx(noon_june[0], rel=0.01)  # unlike mosaik-pv
    assert night[0] == 0.0
