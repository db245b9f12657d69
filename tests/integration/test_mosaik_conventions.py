"""massca's simulators as mosaik citizens: ``cmd`` mode, persistent outputs, grid stepping.

* every simulator module of ours has a ``main()`` that serves its simulator to mosaik, and
  a real world runs some of them as ``cmd`` subprocesses with the same results as
  in-process;
* no shipped scenario makes mosaik warn about a non-persistent output feeding a
  non-trigger input (the warnings run as errors; a positive control proves the switch);
* the grid simulator re-runs its power flow whenever its inputs change, so a grid started
  with ``step_size=900`` inside the agents' group gives the same results as
  ``step_size=None`` (no agent acts on a stale exchange).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import mosaik
import mosaik_api_v3
import pandapower as pp
import pandas as pd
import pytest

from mosaik_components.massca.data import data_dir
from mosaik_components.massca_results.recorder import records_frame

ROOT = Path(__file__).resolve().parents[2]
#: module -> simulator class its main() serves (tests' doubles excluded)
MAINS = {
    "mosaik_components.massca_units.battery": "BatterySimulator",
    "mosaik_components.massca_units.curtailable": "CurtailableLoadSimulator",
    "mosaik_components.massca_units.flexload": "FlexLoadSimulator",
    "mosaik_components.massca_units.generator": "GeneratorSimulator",
    "mosaik_components.massca_units.pv": "PVSimulator",
    "mosaik_components.massca_units.shiftable": "ShiftableLoadSimulator",
    "mosaik_components.massca_units.wecs": "WecsSimulator",
    "mosaik_components.massca_grid.simulator": "GridSimulator",
    "mosaik_components.massca_results.recorder": "TidyRecorder",
    "mosaik_components.massca_neighbourhood.simulators.agents": "AgentsSimulator",
    "mosaik_components.massca_neighbourhood.simulators.households": "HouseholdsSimulator",
    "mosaik_components.massca_market.sims.market": "MarketSimulator",
    "mosaik_components.massca_market.sims.homes": "HomeSimulator",
    "mosaik_components.massca_market.sims.events": "EventSimulator",
}
WARNING = "A connection between the non-persistent"
START = "2019-06-21 10:00"
SITE = {"latitude": 52.5, "longitude": 13.4, "altitude": 34.0, "utc_offset_h": 1.0}


def test_every_simulator_module_has_a_main_that_serves_its_simulator(monkeypatch):
    served = []
    monkeypatch.setattr(mosaik_api_v3, "start_simulation",
                        lambda sim, *args, **kwargs: served.append(sim))
    for module, cls in MAINS.items():
        importlib.import_module(module).main()
        assert type(served[-1]).__name__ == cls, module
    timeseries = importlib.import_module("mosaik_components.massca_units.timeseries")
    for name, cls in (("weather", "WeatherSimulator"), ("profiles", "ProfileSimulator")):
        monkeypatch.setattr(sys, "argv", ["x", name, "127.0.0.1:5555"])
        timeseries.main()
        assert type(served[-1]).__name__ == cls
        assert sys.argv == ["x", "127.0.0.1:5555"]  # mosaik_api_v3 sees only its arguments
    with pytest.raises(SystemExit, match="weather,profiles"):
        timeseries.main(["rain", "127.0.0.1:5555"])


def _pv_world(cmd: bool, until: int, out: Path) -> dict:
    """Weather -> PV -> Recorder; with ``cmd`` weather, PV and recorder are subprocesses."""
    def entry(module: str, cls: str, arg: str = "") -> dict[str, str]:
        if cmd:
            return {"cmd": f"%(python)s -m {module} {arg} %(addr)s".replace("  ", " ")}
        return {"python": f"{module}:{cls}"}
    config = {
        "Weather": entry("mosaik_components.massca_units.timeseries", "WeatherSimulator",
                         "weather"),
        "PV": entry("mosaik_components.massca_units.pv", "PVSimulator"),
        "Recorder": entry("mosaik_components.massca_results.recorder", "TidyRecorder"),
    }
    with mosaik.World(config, debug=False) as world:
        weather = world.start("Weather", step_size=900).Weather(
            path=str(data_dir() / "weather_15min.csv"), start=START)
        pv = world.start("PV", step_size=900, start=START, **SITE).PV(peak_mw=2.0)
        recorder_sim = world.start("Recorder", step_size=900, out=str(out))
        recorder = recorder_sim.Recorder()
        world.connect(weather, pv, "GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]", "T_air[degC]",
                      "wind_speed[m/s]")
        world.connect(pv, recorder, "P[MW]")
        world.run(until=until, print_progress=False, shutdown=False)
        return recorder_sim.get_records()


def test_units_and_recorder_run_as_cmd_subprocesses_like_in_process(tmp_path):
    # GIVEN weather, PV and recorder each started with mosaik's cmd mode
    until = 4 * 900
    remote = records_frame(_pv_world(cmd=True, until=until, out=tmp_path / 'true'))
    local = records_frame(_pv_world(cmd=False, until=until, out=tmp_path / 'false'))
    # THEN they stepped every 15 min, produced at midday, and match the in-process run
    assert remote["time"].tolist() == [0, 900, 1800, 2700]
    assert (remote["value"] > 0.1).all()
    assert remote["value"].tolist() == local["value"].tolist()


def _run_with_warnings_as_errors(argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-W", f"error:{WARNING}", *argv], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


SCENARIOS = {
    "cells": ["scenarios/cells.py", "--cells", "1", "--until", "1800", "--no-plots"],
    "cells-cigre-mosaik-pv": ["scenarios/cells.py", "--data", "cigre", "--cells", "1",
                              "--until", "1800", "--no-plots", "--pv", "mosaik-pv"],
    "demo": ["scenarios/demo.py", "--hours", "1"],
    "cohda": ["scenarios/cohda.py", "--until", "1800"],
    "market": ["scenarios/market.py", "--homes", "6", "--cells", "2", "--until", "1800",
               "--no-plots"],
    "neighbourhood": ["scenarios/neighbourhood.py", "--no-plots"],
}
POSITIVE_CONTROL = textwrap.dedent("""
    import mosaik, mosaik_api_v3
    class Sink(mosaik_api_v3.Simulator):
        def __init__(self):
            super().__init__({"type": "time-based", "models": {"S": {
                "public": True, "params": [], "attrs": ["P_set[MW]"]}}})
        def create(self, num, model):
            return [{"eid": "s", "type": model}]
        def step(self, time, inputs, max_advance):
            return time + 900
    world = mosaik.World({"MAS": {"python": "mosaik_components.mas:MosaikAgents"},
                          "Sink": {"python": "__main__:Sink"}})
    mas = world.start("MAS", step_size=900)
    mas.MosaikAgents()
    cell = mas.MosaikAgents(controller=None)
    unit = mas.MosaikAgents(controller=cell.eid, kind="producer", current=1.0)
    world.connect(unit, world.start("Sink").S(), "P_set[MW]")
""")


def test_no_shipped_scenario_makes_mosaik_warn_about_connections(tmp_path):
    # GIVEN every shipped scenario over a short span, mosaik's warning turned into an error
    runs = {name: _run_with_warnings_as_errors(
        [str(ROOT / argv[0]), *argv[1:], "--quiet", "--out", str(tmp_path / name)], tmp_path)
        for name, argv in SCENARIOS.items()}
    control = _run_with_warnings_as_errors(["-c", POSITIVE_CONTROL], tmp_path)
    # THEN the switch works (an event output into a time-based sink fails) ...
    _, err = control.communicate(timeout=120)
    assert control.returncode != 0 and WARNING in err
    # ... and no scenario triggers it
    for name, run in runs.items():
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, f"{name}: {err[-3000:]}"
        assert "non-persistent attribute" not in out + err, name


def _grid_world(grid_step: int | None, out: Path) -> tuple[list, list]:
    """A sunny hour on a 2-bus feeder: PV (6 MW peak) could export beyond a ~1.7 MW load;
    the agents balance the cell (zero exchange) by curtailing PV.

    ::

        Weather -> PV <-(P_set, weak)- MAS -(P_set, weak)-> Load <- Profiles
        PV, Load -> Bus-1 (Grid) ; ExternalGrid P[MW] -> MAS core P_ext[MW]
    """
    config = {
        "MAS": {"python": "mosaik_components.mas:MosaikAgents"},
        "Grid": {"python": "mosaik_components.massca_grid:GridSimulator"},
        "Weather": {"python": "mosaik_components.massca_units.timeseries:WeatherSimulator"},
        "Profiles": {"python": "mosaik_components.massca_units.timeseries:ProfileSimulator"},
        "PV": {"python": "mosaik_components.massca_units.pv:PVSimulator"},
        "Load": {"python": "mosaik_components.massca_units.flexload:FlexLoadSimulator"},
        "Recorder": {"python": "mosaik_components.massca_results.recorder:TidyRecorder"},
    }
    net = pp.create_empty_network()
    hv, lv = pp.create_bus(net, vn_kv=20.0), pp.create_bus(net, vn_kv=20.0)
    pp.create_ext_grid(net, hv)
    pp.create_line(net, hv, lv, length_km=2.0, std_type="NA2XS2Y 1x240 RM/25 12/20 kV")
    attrs = ("P[MW]", "P_min[MW]", "P_max[MW]")
    with mosaik.World(config, debug=False) as world:
        weather = world.start("Weather", step_size=900).Weather(
            path=str(data_dir() / "weather_15min.csv"), start=START)
        profile = world.start("Profiles", step_size=900).LoadProfile(
            path=str(data_dir() / "load_profiles_15min.csv"), start=START, column="g0")
        recorder_sim = world.start("Recorder", step_size=900, out=str(out))
        recorder = recorder_sim.Recorder()
        with world.group():
            grid = world.start("Grid", step_size=grid_step).Grid(net=net)
            pv = world.start("PV", step_size=900, start=START, **SITE).PV(peak_mw=6.0)
            load = world.start("Load", step_size=900).FlexLoad(peak_mw=2.0, flex_down=0.5)
            mas = world.start("MAS", step_size=900)
        core = mas.MosaikAgents()
        cell = mas.MosaikAgents(controller=None)
        buses = {e.eid: e for e in grid.children}
        world.connect(weather, pv, "GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]", "T_air[degC]",
                      "wind_speed[m/s]")
        world.connect(profile, load, "P_pu")
        for unit, kind, to_bus in ((pv, "producer", "P_gen[MW]"),
                                   (load, "consumer", "P_load[MW]")):
            agent = mas.MosaikAgents(controller=cell.eid, kind=kind)
            world.connect(unit, agent, *attrs)
            world.connect(agent, unit, "P_set[MW]", weak=True)
            world.connect(unit, buses["Bus-1"], to_bus)
            world.connect(unit, recorder, "P[MW]")
        world.connect(buses["ExternalGrid-0"], core, ("P[MW]", "P_ext[MW]"))
        world.connect(buses["ExternalGrid-0"], recorder, "P[MW]")
        world.connect(core, recorder, "P_exchange[MW]")
        world.run(until=4 * 900, print_progress=False, shutdown=False)
        frame = records_frame(recorder_sim.get_records())
    return frame


def test_grid_with_a_step_size_re_runs_in_every_iteration_like_an_event_based_one(tmp_path):
    # GIVEN the same sunny hour with the grid stepped every 900 s and only on inputs
    stepped, on_inputs = _grid_world(900, tmp_path / "a"), _grid_world(None, tmp_path / "b")
    # THEN both give the same unit powers and exchange at every recorded time
    key = ["time", "entity", "attr"]
    a, b = stepped.sort_values(key), on_inputs.sort_values(key)
    assert a[key].values.tolist() == b[key].values.tolist()
    assert a["value"].round(9).tolist() == b["value"].round(9).tolist()
    # AND the agents balanced on the final power flow: the PV was curtailed to the load
    # (a stale exchange made them curtail all PV and import instead)
    ext = a[a["entity"].str.endswith("ExternalGrid-0")].set_index("time")["value"]
    core = a[a["attr"] == "P_exchange[MW]"].set_index("time")["value"]
    pv = a[a["entity"].str.endswith("PV_0")].set_index("time")["value"]
    assert len(ext) == 4
    assert (pv > 1.0).all(), pv
    assert ext.abs().max() < 0.05, ext
    assert (core - ext).abs().max() < 1e-6, (core, ext)


def _mosaik_pv_world(fixed: bool, out: Path) -> pd.DataFrame:
    """A mosaik-pv plant alone below a cell: Weather -DNI-> PV -P[MW]-> its agent.

    mosaik-pv cannot follow a setpoint (its ``scale_factor`` is a multiplicative
    parameter), so its agent must advertise the fixed band ``[P, P]`` (``fixed``: P[MW]
    into ``current`` and ``min``); with ``current`` alone a producer's band is ``[0, P]``.
    """
    config = {
        "MAS": {"python": "mosaik_components.mas:MosaikAgents"},
        "Weather": {"python": "mosaik_components.massca_units.timeseries:WeatherSimulator"},
        "MosaikPV": {"python": "mosaik_components.pv.pvsimulator:PVSimulator"},
        "Recorder": {"python": "mosaik_components.massca_results.recorder:TidyRecorder"},
    }
    with mosaik.World(config, debug=False) as world:
        weather = world.start("Weather", step_size=900).Weather(
            path=str(data_dir() / "weather_15min.csv"), start=START)
        pv = world.start("MosaikPV", step_size=900, start_date=f"{START}:00").PV(
            latitude=SITE["latitude"], area=5000.0, efficiency=0.2, el_tilt=30.0, az_tilt=0.0)
        recorder_sim = world.start("Recorder", step_size=900, out=str(out))
        recorder = recorder_sim.Recorder()
        mas = world.start("MAS", step_size=900)
        mas.MosaikAgents()
        cell = mas.MosaikAgents(controller=None)
        agent = mas.MosaikAgents(controller=cell.eid, kind="producer")
        world.connect(weather, pv, "DNI[W/m2]")
        world.connect(pv, agent, ("P[MW]", "current"), *([("P[MW]", "min")] if fixed else []))
        world.connect(pv, recorder, "P[MW]")
        world.connect(agent, recorder, "P_set[MW]")
        world.run(until=2 * 900, print_progress=False, shutdown=False)
        frame = records_frame(recorder_sim.get_records())
    return frame.pivot_table(index="time", columns="attr", values="value")


def test_a_mosaik_pv_plant_takes_part_as_a_fixed_producer(tmp_path):
    # GIVEN a sunny mosaik-pv plant and nothing to consume its power
    fixed = _mosaik_pv_world(True, tmp_path / "a")
    curtailable = _mosaik_pv_world(False, tmp_path / "b")
    assert (fixed["P[MW]"] > 0.01).all()
    # THEN with the fixed band the agents instruct what the plant produces anyway ...
    assert fixed["P_set[MW]"].tolist() == pytest.approx(fixed["P[MW]"].tolist())
    # ... while the default producer band [0, P] asks for a curtailment it cannot follow
    assert (curtailable["P_set[MW]"] < 0.5 * curtailable["P[MW]"]).all(), curtailable
