"""The unit simulators' declared parameter models (massca_units.params).

Every rule refuses a bad value with a ValueError naming ``{eid}.{field}`` and the value;
unknown parameters are named; the defaults build the same entities as the hand-written
checks did (the expected dicts were recorded from that code).
"""

import math

import numpy as np
import pandas as pd
import pytest

from mosaik_components.mas.model.horizon import Costs
from mosaik_components.massca_units.battery import BatterySimulator
from mosaik_components.massca_units.curtailable import CurtailableLoadSimulator
from mosaik_components.massca_units.flexload import FlexLoadSimulator
from mosaik_components.massca_units.forecasts import ForecastSpec
from mosaik_components.massca_units.generator import GeneratorSimulator
from mosaik_components.massca_units.params import BatteryParams, ShiftableLoadParams
from mosaik_components.massca_units.pv import PVSimulator
from mosaik_components.massca_units.shiftable import ShiftableLoadSimulator
from mosaik_components.massca_units.wecs import WecsSimulator

SIMS = {"Battery": BatterySimulator, "CurtailableLoad": CurtailableLoadSimulator,
        "FlexLoad": FlexLoadSimulator, "Generator": GeneratorSimulator, "PV": PVSimulator,
        "ShiftableLoad": ShiftableLoadSimulator, "WECS": WecsSimulator}
NAN, INF = float("nan"), float("inf")
ETA = 0.9486832980505138  # sqrt(0.9)


def entity(model, **params):
    sim = SIMS[model]()
    sim.init("S", step_size=900)
    (created,) = sim.create(1, model, **params)
    return sim.entities[created["eid"]]


# -- defaults (and a few explicit values): the same entities as before -----------------
EXPECTED = [
    ("Battery", {}, {"capacity_mwh": 1.0, "p_charge_mw": 0.5, "p_discharge_mw": 0.5,
                     "soc_init": 0.5, "soc_min": 0.0, "soc_max": 1.0, "eta_c": ETA,
                     "eta_d": ETA}),
    ("Battery", {"capacity_mwh": 2, "soc_init": 1}, {
        "capacity_mwh": 2.0, "p_charge_mw": 0.5, "p_discharge_mw": 0.5, "soc_init": 1.0,
        "soc_min": 0.0, "soc_max": 1.0, "eta_c": ETA, "eta_d": ETA}),
    ("Battery", {"charge_efficiency": 0.95}, {
        "capacity_mwh": 1.0, "p_charge_mw": 0.5, "p_discharge_mw": 0.5, "soc_init": 0.5,
        "soc_min": 0.0, "soc_max": 1.0, "eta_c": 0.95, "eta_d": ETA}),
    ("Battery", {"efficiency": 0.81}, {
        "capacity_mwh": 1.0, "p_charge_mw": 0.5, "p_discharge_mw": 0.5, "soc_init": 0.5,
        "soc_min": 0.0, "soc_max": 1.0, "eta_c": 0.9, "eta_d": 0.9}),
    ("CurtailableLoad", {}, {"peak_mw": 1.0, "shed_max": 1.0, "tan_phi": 0.0}),
    ("CurtailableLoad", {"cos_phi": 0.9, "peak_mw": 2}, {
        "peak_mw": 2.0, "shed_max": 1.0, "tan_phi": 0.48432210483785254}),
    ("FlexLoad", {}, {"peak_mw": 1.0, "flex_down": 0.0, "flex_up": 0.0, "cos_phi": 1.0,
                      "tan_phi": 0.0}),
    ("FlexLoad", {"cos_phi": 0.9, "flex_up": 0.5, "flex_down": 0.25}, {
        "peak_mw": 1.0, "flex_down": 0.25, "flex_up": 0.5, "cos_phi": 0.9,
        "tan_phi": 0.48432210483785254}),
    ("Generator", {}, {"peak_mw": 1.0, "curtail_cost": 0.0}),
    ("Generator", {"peak_mw": 3, "curtail_cost": 7}, {"peak_mw": 3.0, "curtail_cost": 7.0}),
    ("PV", {}, {"peak_mw": 1.0, "tilt": 30.0, "azimuth": 180.0, "gamma_pdc": -0.004,
                "inverter_eff": 0.96, "curtail_cost": 0.0}),
    ("PV", {"peak_mw": 2, "tilt": 0, "azimuth": 90, "gamma_pdc": -0.003, "inverter_eff": 1},
     {"peak_mw": 2.0, "tilt": 0.0, "azimuth": 90.0, "gamma_pdc": -0.003,
      "inverter_eff": 1.0, "curtail_cost": 0.0}),
    ("ShiftableLoad", {}, {"peak_mw": 1.0, "flexible_share": 1.0, "max_delay_h": 2.0,
                           "cos_phi": 1.0, "p_max_mw": 2.0, "max_backlog_mwh": 2.0,
                           "tan_phi": 0.0}),
    ("ShiftableLoad", {"max_delay_h": 1, "p_max_mw": 3, "max_backlog_mwh": 0.5,
                       "flexible_share": 0.5, "peak_mw": 1.5, "cos_phi": 0.8,
                       "terminal": "free", "shift_cost": 2},
     {"peak_mw": 1.5, "flexible_share": 0.5, "max_delay_h": 1.0, "cos_phi": 0.8,
      "p_max_mw": 3.0, "max_backlog_mwh": 0.5, "tan_phi": 0.7499999999999998}),
    ("ShiftableLoad", {"max_delay_h": 0}, {
        "peak_mw": 1.0, "flexible_share": 1.0, "max_delay_h": 0.0, "cos_phi": 1.0,
        "p_max_mw": 2.0, "max_backlog_mwh": 0.0, "tan_phi": 0.0}),
    ("WECS", {}, {"P_rated": 7.0, "v_rated": 13.0, "v_cut_in": 3.5, "v_cut_out": 25.0,
                  "hub_height": 100.0, "ref_height": 10.0, "alpha": 0.14285714285714285,
                  "curve": None, "curtail_cost": 0.0}),
    ("WECS", {"turbine_type": ""}, {
        "P_rated": 7.0, "v_rated": 13.0, "v_cut_in": 3.5, "v_cut_out": 25.0,
        "hub_height": 100.0, "ref_height": 10.0, "alpha": 0.14285714285714285,
        "curve": None, "curtail_cost": 0.0}),
]


@pytest.mark.parametrize(("model", "params", "expected"), EXPECTED)
def test_entities_are_built_as_before(model, params, expected):
    params_of = entity(model, **params).params
    assert params_of == expected
    assert list(params_of) == list(expected)  # same keys, same order
    assert all(type(v) is float for k, v in params_of.items() if k != "curve")


def test_states_are_built_as_before():
    battery = entity("Battery")
    assert battery.state == {"soc": 0.5, "soc_end": None, "costs": Costs(),
                             "terminal": "cyclic"}
    assert entity("Battery", wear_cost=3, terminal="free").state["costs"] == Costs(wear=3.0)
    assert entity("FlexLoad", shed_cost=5).state == {"costs": Costs(shed=5.0), "demand": 0.0}
    assert entity("CurtailableLoad").state == {"costs": Costs(), "demand": 0.0}
    shiftable = entity("ShiftableLoad", shift_cost=2, terminal="free")
    queue = shiftable.state.pop("queue")
    assert queue.shape == (0, 2)
    assert shiftable.state == {"delay": 8, "queue_end": None, "demand": 0.0, "index": 0,
                               "terminal": "free", "costs": Costs(shift=2.0)}
    assert entity("PV").state == {"poa": 0.0}
    assert entity("WECS").state == {"v_hub": 0.0}


def test_simulator_params_as_before():
    sim = PVSimulator()
    sim.init("PVs")
    assert sim.site == {"latitude": 52.52, "longitude": 13.4, "altitude": 34.0,
                        "utc_offset_h": 1.0, "albedo": 0.2,
                        "start": pd.Timestamp("2019-01-01 00:00:00")}
    assert (sim.step_size, sim.horizon) == (900, 1)
    sim = PVSimulator()
    sim.init("PVs", time_resolution=1, step_size=60, horizon=4, utc_offset_h=-5,
             latitude=36.1, start="2020-06-01")
    assert sim.site == {"latitude": 36.1, "longitude": 13.4, "altitude": 34.0,
                        "utc_offset_h": -5.0, "albedo": 0.2,
                        "start": pd.Timestamp("2020-06-01 00:00:00")}
    assert (sim.step_size, sim.horizon) == (60, 4)
    assert ForecastSpec.checked("noisy", 4, 1, 1, "X") == ForecastSpec("noisy", 4, 1.0, 1)


# -- every rule: a bad value is named with its field and value --------------------------
BAD = [
    # Battery
    ("Battery", {"capacity_mwh": 0}, r"Battery_0.capacity_mwh must be > 0, got 0$"),
    ("Battery", {"capacity_mwh": True}, r"Battery_0.capacity_mwh must be a finite number, "
                                        r"got True"),
    ("Battery", {"capacity_mwh": np.int64(2)}, r"Battery_0.capacity_mwh must be a finite "
                                               r"number, got np.int64\(2\)"),
    ("Battery", {"p_charge_mw": -1}, r"Battery_0.p_charge_mw must be >= 0, got -1"),
    ("Battery", {"p_discharge_mw": NAN}, r"Battery_0.p_discharge_mw must be a finite "
                                         r"number, got nan"),
    ("Battery", {"efficiency": 0}, r"Battery_0.efficiency must be in \(0, 1\], got 0"),
    ("Battery", {"efficiency": 1.5}, r"Battery_0.efficiency must be in \(0, 1\], got 1.5"),
    ("Battery", {"discharge_efficiency": "x"}, r"Battery_0.discharge_efficiency must be a "
                                               r"finite number, got 'x'"),
    ("Battery", {"efficiency": 0.9, "charge_efficiency": 0.8},
     r"Battery_0.efficiency \(0.9\) comes with charge_efficiency=0.8, "
     r"discharge_efficiency=None: give either efficiency"),
    ("Battery", {"soc_min": 1.5}, r"Battery_0.soc_min must be in \[0, 1\] \(share of "
                                  r"capacity_mwh; need .*\), got 1.5"),
    ("Battery", {"soc_max": -0.1}, r"Battery_0.soc_max must be in \[0, 1\] .*, got -0.1"),
    ("Battery", {"soc_init": INF}, r"Battery_0.soc_init must be a finite number, got inf"),
    ("Battery", {"soc_min": 0.6, "soc_max": 0.5},
     r"Battery_0.soc_min \(0.6\) is greater than soc_max \(0.5\)"),
    ("Battery", {"soc_max": 0.4}, r"Battery_0.soc_init \(0.5\) contradicts the limits "
                                  r"\[soc_min, soc_max\] = \[0.0, 0.4\]"),
    ("Battery", {"wear_cost": -1}, r"Battery_0.wear_cost must be >= 0 \(per MWh\), got -1"),
    ("Battery", {"terminal": "x"}, r"Battery_0.terminal must be one of \['cyclic', "
                                   r"'free'\], got 'x'"),
    # CurtailableLoad
    ("CurtailableLoad", {"peak_mw": -1}, r"CurtailableLoad_0.peak_mw must be >= 0, got -1"),
    ("CurtailableLoad", {"peak_mw": "1"}, r"CurtailableLoad_0.peak_mw must be a finite "
                                          r"number, got '1'"),
    ("CurtailableLoad", {"shed_max": 1.5}, r"CurtailableLoad_0.shed_max must be in \[0, 1\] "
                                           r"\(share of the demand\), got 1.5"),
    ("CurtailableLoad", {"shed_cost": -1}, r"CurtailableLoad_0.shed_cost must be >= 0 "
                                           r"\(per MWh\), got -1"),
    ("CurtailableLoad", {"cos_phi": 0}, r"CurtailableLoad_0.cos_phi must be in \(0, 1\], "
                                        r"got 0"),
    # FlexLoad
    ("FlexLoad", {"peak_mw": NAN}, r"FlexLoad_0.peak_mw must be a finite number, got nan"),
    ("FlexLoad", {"peak_mw": -1}, r"FlexLoad_0.peak_mw must be >= 0, got -1"),
    ("FlexLoad", {"flex_down": 1.5}, r"FlexLoad_0.flex_down must be in \[0, 1\], got 1.5"),
    ("FlexLoad", {"flex_down": -0.1}, r"FlexLoad_0.flex_down must be in \[0, 1\], got -0.1"),
    ("FlexLoad", {"flex_up": -1}, r"FlexLoad_0.flex_up must be >= 0, got -1"),
    ("FlexLoad", {"cos_phi": 1.2}, r"FlexLoad_0.cos_phi must be in \(0, 1\], got 1.2"),
    ("FlexLoad", {"cos_phi": INF}, r"FlexLoad_0.cos_phi must be a finite number, got inf"),
    ("FlexLoad", {"shed_cost": NAN}, r"FlexLoad_0.shed_cost must be a finite number, got nan"),
    # Generator
    ("Generator", {"peak_mw": -1}, r"Generator_0.peak_mw must be >= 0, got -1"),
    ("Generator", {"curtail_cost": -5}, r"Generator_0.curtail_cost must be >= 0 \(per MWh\), "
                                        r"got -5"),
    # PV
    ("PV", {"peak_mw": -1}, r"PV_0.peak_mw must be >= 0, got -1"),
    ("PV", {"tilt": 91}, r"PV_0.tilt must be in \[0, 90\], got 91"),
    ("PV", {"tilt": -1}, r"PV_0.tilt must be in \[0, 90\], got -1"),
    ("PV", {"azimuth": NAN}, r"PV_0.azimuth must be a finite number, got nan"),
    ("PV", {"gamma_pdc": None}, r"PV_0.gamma_pdc must be a finite number, got None"),
    ("PV", {"inverter_eff": 0}, r"PV_0.inverter_eff must be in \(0, 1\], got 0"),
    ("PV", {"inverter_eff": 1.1}, r"PV_0.inverter_eff must be in \(0, 1\], got 1.1"),
    ("PV", {"curtail_cost": -1}, r"PV_0.curtail_cost must be >= 0 \(per MWh\), got -1"),
    # ShiftableLoad
    ("ShiftableLoad", {"peak_mw": -1}, r"ShiftableLoad_0.peak_mw must be >= 0, got -1"),
    ("ShiftableLoad", {"peak_mw": "x"}, r"ShiftableLoad_0.peak_mw must be a finite number, "
                                        r"got 'x'"),
    ("ShiftableLoad", {"flexible_share": 1.2}, r"ShiftableLoad_0.flexible_share must be in "
                                               r"\[0, 1\] \(share of the demand that may "
                                               r"wait\), got 1.2"),
    ("ShiftableLoad", {"max_delay_h": -0.25}, r"ShiftableLoad_0.max_delay_h must be >= 0, "
                                              r"got -0.25"),
    ("ShiftableLoad", {"max_delay_h": 0.3}, r"ShiftableLoad_0.max_delay_h \(0.3\) must be a "
                                            r"multiple of the step \(0.25 h\)"),
    ("ShiftableLoad", {"max_backlog_mwh": -1}, r"ShiftableLoad_0.max_backlog_mwh must be "
                                               r">= 0, got -1"),
    ("ShiftableLoad", {"p_max_mw": NAN}, r"ShiftableLoad_0.p_max_mw must be a finite number, "
                                         r"got nan"),
    ("ShiftableLoad", {"peak_mw": 2.0, "p_max_mw": 1.0},
     r"ShiftableLoad_0.p_max_mw \(1.0 MW\) is below peak_mw \(2.0 MW\)"),
    ("ShiftableLoad", {"shift_cost": -1}, r"ShiftableLoad_0.shift_cost must be >= 0 "
                                          r"\(per MWh\), got -1"),
    ("ShiftableLoad", {"cos_phi": 0}, r"ShiftableLoad_0.cos_phi must be in \(0, 1\], got 0"),
    ("ShiftableLoad", {"terminal": "x"}, r"ShiftableLoad_0.terminal must be one of "
                                         r"\['cyclic', 'free'\], got 'x'"),
    # WECS
    ("WECS", {"P_rated": -1}, r"WECS_0.P_rated must be >= 0, got -1"),
    ("WECS", {"v_rated": True}, r"WECS_0.v_rated must be a finite number, got True"),
    ("WECS", {"v_cut_in": -1}, r"WECS_0.v_cut_in must be >= 0, got -1"),
    ("WECS", {"v_cut_in": 14.0}, r"WECS_0.v_cut_in \(14.0\) must be below v_rated \(13.0\)"),
    ("WECS", {"v_rated": 30}, r"WECS_0.v_rated \(30.0\) must be below v_cut_out \(25.0\)"),
    ("WECS", {"v_cut_out": INF}, r"WECS_0.v_cut_out must be a finite number, got inf"),
    ("WECS", {"hub_height": 0}, r"WECS_0.hub_height must be > 0, got 0"),
    ("WECS", {"ref_height": -1}, r"WECS_0.ref_height must be > 0, got -1"),
    ("WECS", {"alpha": NAN}, r"WECS_0.alpha must be a finite number, got nan"),
    ("WECS", {"turbine_type": 5}, r"WECS_0.turbine_type must be a string, got 5"),
    ("WECS", {"turbine_type": "nope"}, r"turbine_type 'nope' is not in windpowerlib"),
    ("WECS", {"curtail_cost": -1}, r"WECS_0.curtail_cost must be >= 0 \(per MWh\), got -1"),
]


@pytest.mark.parametrize(("model", "params", "message"), BAD)
def test_a_bad_value_names_the_field_and_value(model, params, message):
    with pytest.raises(ValueError, match=message):
        entity(model, **params)


@pytest.mark.parametrize("model", sorted(SIMS))
def test_unknown_params_are_named(model):
    with pytest.raises(ValueError, match=rf"{model}_0: unknown parameter\(s\) "
                                         r"\['bogus', 'extra'\]"):
        entity(model, extra=1, bogus=2)


def test_every_problem_is_named_at_once():
    with pytest.raises(ValueError) as raised:
        entity("Battery", capacity_mwh=0, soc_min=1.5, nope=1)
    assert str(raised.value) == (
        "Battery_0: unknown parameter(s) ['nope']; Battery_0.capacity_mwh must be > 0, got 0; "
        "Battery_0.soc_min must be in [0, 1] (share of capacity_mwh; need 0 <= soc_min <= "
        "soc_init <= soc_max <= 1), got 1.5")


@pytest.mark.parametrize(("params", "message"), [
    ({"step_size": 0}, r"PVs.step_size must be an integer >= 1, got 0"),
    ({"step_size": True}, r"PVs.step_size must be an integer >= 1, got True"),
    ({"step_size": 900.0}, r"PVs.step_size must be an integer >= 1, got 900.0"),
    ({"horizon": 0}, r"PVs.horizon must be an integer >= 1 \(intervals\), got 0"),
    ({"horizon": "2"}, r"PVs.horizon must be an integer >= 1 \(intervals\), got '2'"),
    ({"time_resolution": 2.0}, r"PVs.time_resolution must be 1.0 \(seconds\), the only time "
                               r"resolution supported, got 2.0"),
    ({"latitude": 100}, r"PVs.latitude must be in \[-90, 90\], got 100"),
    ({"latitude": NAN}, r"PVs.latitude must be a finite number, got nan"),
    ({"longitude": -200}, r"PVs.longitude must be in \[-180, 180\], got -200"),
    ({"altitude": "high"}, r"PVs.altitude must be a finite number, got 'high'"),
    ({"utc_offset_h": 1.5}, r"PVs.utc_offset_h must be whole hours, got 1.5"),
    ({"start": "nope"}, r"PVs.start must be a timestamp, got 'nope'"),
    ({"albedo": "x"}, r"PVs.albedo must be a finite number, got 'x'"),
    ({"foo": 1}, r"PVs: unknown simulator parameter\(s\) \['foo'\]"),
])
def test_bad_simulator_params_name_the_field_and_value(params, message):
    with pytest.raises(ValueError, match=message):
        PVSimulator().init("PVs", **params)


def test_other_simulators_refuse_simulator_params():
    with pytest.raises(ValueError, match=r"B: unknown simulator parameter\(s\) \['foo'\]"):
        BatterySimulator().init("B", foo=1)
    with pytest.raises(ValueError, match=r"B.horizon must be an integer >= 1 \(intervals\), "
                                         r"got 0"):
        BatterySimulator().init("B", horizon=0)


@pytest.mark.parametrize(("args", "message"), [
    (("guess", 4, 0.0, 0), r"X.forecast must be one of \['perfect', 'persistence', "
                           r"'noisy'\], got 'guess'"),
    (("perfect", 0, 0.0, 0), r"X.horizon must be an integer >= 1, got 0"),
    (("noisy", True, 0.1, 1), r"X.horizon must be an integer >= 1, got True"),
    (("noisy", 4.0, 0.1, 1), r"X.horizon must be an integer >= 1, got 4.0"),
    (("noisy", 4, -0.1, 0), r"X.sigma must be >= 0, got -0.1"),
    (("noisy", 4, NAN, 0), r"X.sigma must be a finite number, got nan"),
    (("noisy", 4, True, 0), r"X.sigma must be a finite number, got True"),
    (("noisy", 4, 0.1, -1), r"X.seed must be an integer >= 0, got -1"),
])
def test_bad_forecast_options_name_the_field_and_value(args, message):
    with pytest.raises(ValueError, match=message):
        ForecastSpec.checked(*args, what="X")


def test_models_are_frozen_and_give_derived_values():
    battery = BatteryParams.checked("B", {"efficiency": 0.81})
    assert battery.one_way == pytest.approx((0.9, 0.9))
    with pytest.raises(ValueError):
        battery.soc_min = 0.2
    load = ShiftableLoadParams.checked("S", {"peak_mw": 3, "flexible_share": 0.5},
                                       {"step_h": 0.25})
    assert (load.rated_mw, load.backlog_mwh) == (6.0, 3.0)
    # without the simulator's step, the multiple-of-the-step rule is not checked
    assert ShiftableLoadParams.checked("S", {"max_delay_h": 0.3}).max_delay_h == 0.3
    assert math.isclose(BatteryParams.checked("B", {}).one_way[0], math.sqrt(0.9))
