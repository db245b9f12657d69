"""A failing or silent agent never hangs the simulation: it fails naming the agent."""

import time

import pytest

from mosaik_components.mas import AgentFailedError, CycleTimeoutError, StateError
from tests.integration.helpers import build_two_cells


def add_unit(world, system, controller: str, power: float = 1.0):
    unit = system.units.Unit(profile=[power])
    agent = system.mas.MosaikAgents(controller=controller, kind="producer")
    world.connect(unit, agent, "current")


def test_core_whose_strategy_raises_fails_the_step_naming_it(world):
    """ExplodingSplit raises at any agent with three children: here the core."""
    system = build_two_cells(
        world, weak=False, depth=2,
        mas_params={"strategy": "tests.simulators.faulty:ExplodingSplit"},
    )
    third_cell = system.mas.MosaikAgents.create(1, controller=None)[0]
    add_unit(world, system, third_cell.eid)
    with pytest.raises(AgentFailedError,
                       match="agent 'MosaikAgent' failed in cycle 0: ZeroDivisionError: boom"):
        world.run(until=900)


def test_controller_whose_strategy_raises_is_named(world):
    """Cell 0 (Agent_1, depth 1) gets a third unit, so its split raises."""
    system = build_two_cells(
        world, weak=False, depth=1,
        mas_params={"strategy": "tests.simulators.faulty:ExplodingSplit"},
    )
    add_unit(world, system, "Agent_1")
    with pytest.raises(AgentFailedError, match="agent 'Agent_1' failed in cycle 0: "
                                               "ZeroDivisionError: boom"):
        world.run(until=900)


def test_silent_agent_times_out_naming_it(world):
    world.sim_config["SilentMAS"] = {"python": "tests.simulators.faulty:SilentMAS"}
    build_two_cells(world, weak=False, mas_sim="SilentMAS",
                    mas_params={"timeout": 0.3, "silent": "Agent_5"})
    started = time.perf_counter()
    with pytest.raises(CycleTimeoutError, match=r"cycle 0 \(time 0\) did not finish within "
                                                r"0.3 s; silent agents: Agent_5$"):
        world.run(until=900)
    assert time.perf_counter() - started < 10


def test_silent_controller_is_named(world):
    world.sim_config["SilentMAS"] = {"python": "tests.simulators.faulty:SilentMAS"}
    build_two_cells(world, weak=False, mas_sim="SilentMAS",
                    mas_params={"timeout": 0.3, "silent": "Agent_2"})
    with pytest.raises(CycleTimeoutError, match="silent agents: Agent_2$"):
        world.run(until=900)


def test_non_finite_input_names_entity_attribute_and_source(world):
    system = build_two_cells(world, weak=False)
    system.units.set_profile(system.sims["pv0"].eid, [float("nan")])
    with pytest.raises(StateError, match=r"entity 'Agent_\d+': input 'current' from "
                                         r"'Units-0.U0' must be a finite number, got nan"):
        world.run(until=900)


def test_failing_scenario_exits_non_zero_with_the_completed_steps_written(tmp_path):
    """cells.py with a strategy that explodes in the third step (two iterations/step)."""
    import os
    import subprocess
    import sys

    import pandas as pd

    from tests.conftest import ROOT

    out = tmp_path / "res"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scenarios" / "cells.py"), "--data", "cigre", "--cells", "1",
         "--until",
         "7200", "--strategy", "tests.simulators.faulty:ExplodeAfter", "--out", str(out),
         "--quiet", "--no-plots"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == ("error: AgentFailedError: agent 'MosaikAgent' failed in cycle 4: "
                    "RuntimeError: decide call 5 exploded")
    assert "Traceback" not in done.stderr
    frame = pd.read_csv(out / "timeseries.csv")
    assert sorted(frame["time"].unique()) == [0, 900]  # the steps before the failure


def test_scenario_whose_worker_process_dies_names_it_and_keeps_completed_steps(tmp_path):
    """cells.py with its second container in a worker process that is killed mid-run."""
    import os
    import subprocess
    import sys
    import time

    import pandas as pd

    from tests.conftest import ROOT, descendants_running

    out = tmp_path / "res"
    scenario = subprocess.Popen(
        [sys.executable, str(ROOT / "scenarios" / "cells.py"), "--cells", "2", "--days", "3",
         "--containers", "2", "--processes", "--timeout", "2", "--out", str(out), "--quiet",
         "--no-plots"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 120
        worker = None
        while worker is None:  # the MAS spawns its worker when mosaik starts it
            assert scenario.poll() is None, scenario.communicate()
            assert time.monotonic() < deadline, "no worker process appeared"
            worker = next(iter(descendants_running(scenario.pid,
                                                   "mas.runtime.workers.worker")), None)
            time.sleep(0.1)
        time.sleep(8)  # let some steps complete
        worker.kill()
        _, stderr = scenario.communicate(timeout=120)
    finally:
        if scenario.poll() is None:
            scenario.kill()
    assert scenario.returncode == 1
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: CycleTimeoutError: coordination cycle ")
    assert "containers whose units did not finish: container 1 (worker tcp 127.0.0.1:" in last
    assert "exited with -9" in last
    times = sorted(pd.read_csv(out / "timeseries.csv")["time"].unique())
    assert times and times == list(range(0, 900 * len(times), 900))  # a complete prefix
    assert times[-1] < 3 * 86400
