"""Each unit simulator in a small mosaik world with the MAS steering it.

    Weather, LoadProfile -> FlexLoad, WECS, PV, Battery <-> MAS (same-time loop)
"""


import pytest

from mosaik_components.massca.data import data_dir  # noqa: E402
from mosaik_components.massca.scenarios import cells  # noqa: E402

DATA = data_dir()
START = "2019-06-21 10:00"
CONFIG = {**cells.SIM_CONFIG,
          "Collector": {"python": "tests.simulators.collector:Collector"}}


def build(world, load_peak):
    weather = world.start("Weather", step_size=900).Weather(
        path=str(DATA / "weather_15min.csv"), start=START)
    profile = world.start("Profiles", step_size=900).LoadProfile(
        path=str(DATA / "load_profiles_15min.csv"), start=START, column="h0")
    with world.group():
        mas = world.start("MAS")
        units = {
            "load": world.start("FlexLoad").FlexLoad(peak_mw=load_peak, flex_down=0.2,
                                                     flex_up=0.2),
            "pv": world.start("PV", latitude=36.1, longitude=-79.95, altitude=273.0,
                              utc_offset_h=-5, start=START).PV(peak_mw=2.0),
            "wind": world.start("WECS").WECS(P_rated=1.5, v_rated=13.0, v_cut_in=3.5,
                                              v_cut_out=25.0),
            "battery": world.start("Battery").Battery(capacity_mwh=1.0, p_charge_mw=0.5,
                                                      p_discharge_mw=0.5, soc_init=0.5),
        }
    collector_sim = world.start("Collector")
    sink = collector_sim.Collector()
    world.connect(profile, units["load"], "P_pu")
    world.connect(weather, units["pv"], "GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]",
                  "T_air[degC]", "wind_speed[m/s]")
    world.connect(weather, units["wind"], "wind_speed[m/s]")
    core = mas.MosaikAgents()
    cell = mas.MosaikAgents(controller=None)
    kinds = {"load": "consumer", "pv": "producer", "wind": "producer", "battery": "prosumer"}
    for name, unit in units.items():
        agent = mas.MosaikAgents(controller=cell.eid, kind=kinds[name])
        world.connect(unit, agent, "P[MW]", "P_min[MW]", "P_max[MW]")
        world.connect(agent, unit, "P_set[MW]", weak=True)
        world.connect(unit, sink, "P[MW]", "P_min[MW]", "P_max[MW]", "limited[MW]")
    world.connect(units["battery"], sink, "SOC[MWh]")
    world.connect(core, sink, "P_exchange[MW]", "P_uncontrolled[MW]")
    return units, core, collector_sim


@pytest.mark.parametrize("load_peak", [0.5, 6.0])  # surplus at noon / deficit
def test_units_follow_the_agents_within_their_bands(load_peak):
    import mosaik

    with mosaik.World(CONFIG) as world:
        units, core, data = build(world, load_peak)
        world.run(until=4 * 3600)
        check_units_follow(units, core, data)


def check_units_follow(units, core, data):
    for unit in units.values():
        p = data.last(unit.full_id, "P[MW]")
        lo, hi = data.last(unit.full_id, "P_min[MW]"), data.last(unit.full_id, "P_max[MW]")
        assert all(lo[t] - 1e-9 <= p[t] <= hi[t] + 1e-9 for t in p)
        assert set(data.last(unit.full_id, "limited[MW]").values()) == {0.0}
    planned = data.last(core.full_id, "P_exchange[MW]")
    uncontrolled = data.last(core.full_id, "P_uncontrolled[MW]")
    net = {t: sum(data.last(u.full_id, "P[MW]")[t] for u in units.values()) for t in planned}
    for t in planned:  # the units really run at the plan, and it is never worse
        assert -net[t] == pytest.approx(planned[t], abs=1e-9)
        assert abs(planned[t]) <= abs(uncontrolled[t]) + 1e-9
    soc = data.last(units["battery"].full_id, "SOC[MWh]")
    assert all(0.0 <= s <= 1.0 for s in soc.values())
    assert len(set(soc.values())) > 1  # the battery was used


@pytest.mark.parametrize(
    ("create", "message"),
    [
        (lambda w: w.start("Weather").Weather(path="/nope.csv", start=START),
         "data file '/nope.csv' does not exist"),
        (lambda w: w.start("Profiles").LoadProfile(
            path=str(DATA / "load_profiles_15min.csv"), start=START, column="x9"),
         r"missing column\(s\) \['x9'\]"),
        (lambda w: w.start("Weather").Weather(path=str(DATA / "weather_15min.csv"),
                                              start="2031-01-01"),
         "start 2031-01-01 00:00:00 is outside the data"),
        (lambda w: w.start("Battery").Battery(capacity_mwh=1.0, soc_init=1.5),
         "need 0 <= soc_min <= soc_init <= soc_max <= 1"),
        (lambda w: w.start("WECS").WECS(v_cut_in=14.0),
         r"WECS_0.v_cut_in \(14.0\) must be below v_rated \(13.0\)"),
        (lambda w: w.start("FlexLoad").FlexLoad(peak_mw=float("nan")),
         "FlexLoad_0.peak_mw must be a finite number, got nan"),
    ],
)
def test_bad_unit_input_names_the_field(create, message):
    import mosaik

    world = mosaik.World(CONFIG)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        create(world)
    world.shutdown()
