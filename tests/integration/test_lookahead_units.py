"""The energy-true unit simulators in real mosaik worlds, planned by the look-ahead strategy.

    Weather, LoadProfile (forecasts, 12 h) -> PV, Battery, ShiftableLoad, CurtailableLoad
    units --flex--> Planner (lookahead: aggregate, decide, split) --P_set[MW]--> units (weak)

The planner is a test double for the MAS's agents (``tests/simulators/planner.py``); it
runs the real, pure strategy. The same world with the real MAS (core -> cell -> four
unit agents, ``strategy="lookahead"`` by name with ``strategy_options``) must plan the
same. Afternoon of June 21 with an evening price peak (17-21 h).
"""

import mosaik
import numpy as np
import pytest

from mosaik_components.massca.data import data_dir

DATA = data_dir()
START = "2019-06-21 12:00"
HORIZON = 48  # 12 h of 15 min
UNTIL = 12 * 3600
PRICE = [100.0] * 17 + [400.0] * 4 + [100.0] * 3  # EUR/MWh by hour of day
CONFIG = {
    "Weather": {"python": "mosaik_components.massca_units.timeseries:WeatherSimulator"},
    "Profiles": {"python": "mosaik_components.massca_units.timeseries:ProfileSimulator"},
    "PV": {"python": "mosaik_components.massca_units.pv:PVSimulator"},
    "Battery": {"python": "mosaik_components.massca_units.battery:BatterySimulator"},
    "Shiftable": {"python": "mosaik_components.massca_units.shiftable:ShiftableLoadSimulator"},
    "Curtailable": {
        "python": "mosaik_components.massca_units.curtailable:CurtailableLoadSimulator"},
    "Planner": {"python": "tests.simulators.planner:Planner"},
    "MAS": {"python": "mosaik_components.mas:MosaikAgents"},
    "Collector": {"python": "tests.simulators.collector:Collector"},
}
WEATHER = ["GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]", "T_air[degC]", "wind_speed[m/s]"]


def run_world(planned: bool | str):
    """Run the afternoon; returns ``series(unit, attr)`` -> values per step."""
    with mosaik.World(CONFIG) as world:
        units, collector = build(world, planned)
        world.run(until=UNTIL)
        recorded = {(name, attr): collector.last(unit.full_id, attr)
                    for name, unit in units.items() for attr in RECORDED[name]}

    def series(name, attr):
        values = recorded[(name, attr)]
        return np.array([values[t] for t in sorted(values)])

    return series


POWER = ("P[MW]", "P_min[MW]", "P_max[MW]", "limited[MW]")
RECORDED = {"pv": POWER, "battery": (*POWER, "SOC[MWh]", "cycles"),
            "shiftable": (*POWER, "P_demand[MW]", "backlog[MWh]", "E_shifted[MWh]",
                          "E_overdue[MWh]"),
            "curtailable": (*POWER, "P_shed[MW]")}


KINDS = {"pv": "producer", "battery": "prosumer", "shiftable": "consumer",
         "curtailable": "consumer"}


def build(world, planned):
    sources = {"until": UNTIL, "horizon": HORIZON, "start": START}
    weather = world.start("Weather", step_size=900).Weather(
        path=str(DATA / "weather_15min.csv"), **sources)
    profile = world.start("Profiles", step_size=900).LoadProfile(
        path=str(DATA / "load_profiles_15min.csv"), column="h0", **sources)
    with world.group():
        step = {"step_size": 900, "horizon": HORIZON}
        units = {
            "pv": world.start("PV", start=START, **step).PV(peak_mw=1.0),
            "battery": world.start("Battery", **step).Battery(
                capacity_mwh=2.0, p_charge_mw=1.0, p_discharge_mw=1.0, efficiency=0.9,
                soc_init=0.3, wear_cost=1.0),
            "shiftable": world.start("Shiftable", **step).ShiftableLoad(
                peak_mw=1.0, max_delay_h=4.0, max_backlog_mwh=2.0, p_max_mw=2.0,
                shift_cost=1.0),
            "curtailable": world.start("Curtailable", **step).CurtailableLoad(
                peak_mw=1.0, shed_max=0.5, shed_cost=1000.0),
        }
        if planned == "mas":
            mas = world.start("MAS", strategy="lookahead", strategy_options={
                "objective": "cost", "price": PRICE, "start": START})
            mas.Core()
            cell = mas.Controller(controller=None)
        elif planned:
            planner = world.start("Planner", objective="cost", price=PRICE, start=START)
            hub = planner.Planner()
    world.connect(weather, units["pv"], *WEATHER, *(w.replace("[", "_forecast[")
                                                    for w in WEATHER))
    for name in ("shiftable", "curtailable"):
        world.connect(profile, units[name], "P_pu", "P_pu_forecast")
    collector = world.start("Collector")
    sink = collector.Collector()
    for name, unit in units.items():
        world.connect(unit, sink, *RECORDED[name])
        if planned == "mas":
            agent = mas.Unit(controller=cell.eid, kind=KINDS[name])
            world.connect(unit, agent, "flex")
            world.connect(agent, unit, "P_set[MW]", weak=True)
        elif planned:
            world.connect(unit, hub, "flex")
            world.connect(planner.Port(unit=unit.full_id), unit, "P_set[MW]", weak=True)
    return units, collector


@pytest.fixture(scope="module")
def runs():
    return run_world(planned=True), run_world(planned=False)


def test_the_real_mas_plans_as_the_pure_strategy_does(runs):
    planner, _ = runs
    mas = run_world("mas")
    for name, attrs in RECORDED.items():
        for attr in attrs:
            assert mas(name, attr) == pytest.approx(planner(name, attr), abs=1e-6), (name, attr)


def hours(first, last):
    """Step indices of [first, last) o'clock (the run starts at 12:00)."""
    return slice(int((first - 12) * 4), int((last - 12) * 4))


def test_battery_charges_before_the_evening_peak_and_serves_it(runs):
    series, _ = runs
    soc = series("battery", "SOC[MWh]")
    p = series("battery", "P[MW]")
    assert soc[hours(16.75, 17)][-1] > 0.6 + 0.9  # filled up before 17:00 (from 0.6 MWh)
    assert p[hours(17, 21)].mean() > 0.3  # discharging through the peak
    assert soc[hours(20.75, 21)][-1] < soc[hours(16.75, 17)][-1] - 1.0
    assert ((soc >= -1e-9) & (soc <= 2.0 + 1e-9)).all()


def test_deferred_energy_comes_back_and_nothing_is_lost(runs):
    series, _ = runs
    demand = series("shiftable", "P_demand[MW]")
    served = -series("shiftable", "P[MW]")
    peak, after = hours(17, 21), hours(21, 24)
    assert served[peak].sum() < 0.5 * demand[peak].sum()  # moved out of the peak
    assert served[after].sum() > demand[after].sum() + 1.0  # and back after it
    backlog = series("shiftable", "backlog[MWh]")
    assert (demand.sum() - served.sum()) * 0.25 == pytest.approx(backlog[-1], abs=1e-9)
    shifted = series("shiftable", "E_shifted[MWh]")[-1]
    assert shifted == pytest.approx(np.clip(demand - served, 0, None).sum() * 0.25, abs=1e-9)
    assert shifted > 1.0
    assert series("shiftable", "E_overdue[MWh]")[-1] == 0.0
    assert series("curtailable", "P_shed[MW]").max() == 0.0  # 1000 EUR/MWh > any price


def test_setpoints_within_bands_and_cheaper_than_uncontrolled(runs):
    planned, uncontrolled = runs
    cost = {}
    for label, series in (("planned", planned), ("uncontrolled", uncontrolled)):
        net = 0.0
        for name in ("pv", "battery", "shiftable", "curtailable"):
            p = series(name, "P[MW]")
            assert (p >= series(name, "P_min[MW]") - 1e-9).all()
            assert (p <= series(name, "P_max[MW]") + 1e-9).all()
            assert np.abs(series(name, "limited[MW]")).max() <= 1e-9
            net = net + p
        tariff = np.repeat(PRICE, 4)[48:96]  # 12:00 .. 24:00
        cost[label] = float((np.clip(-net, 0, None) * tariff).sum() * 0.25)
    # the planner only moves what is worth moving: the evening peak gets cheaper
    assert cost["planned"] < 0.85 * cost["uncontrolled"]


def test_missing_forecast_and_data_too_short_are_named():
    with mosaik.World(CONFIG) as world, pytest.raises(
            ValueError, match=r"a forecast horizon of 96 intervals of 900 s over a run of "
                              r"86400 s needs data up to 2020-01-01"):
        world.start("Weather", step_size=900).Weather(
            path=str(DATA / "weather_15min.csv"), start="2019-12-31 00:00", horizon=96,
            until=86400)
    with mosaik.World(CONFIG) as world:
        profile = world.start("Profiles", step_size=900).LoadProfile(
            path=str(DATA / "load_profiles_15min.csv"), start=START, column="h0")
        load = world.start("Shiftable", step_size=900, horizon=8).ShiftableLoad(peak_mw=1.0)
        world.connect(profile, load, "P_pu")
        with pytest.raises(ValueError, match=r"Shiftable-0.ShiftableLoad_0: horizon=8 needs "
                                             r"the forecast input P_pu_forecast at time 0"):
            world.run(until=900)
