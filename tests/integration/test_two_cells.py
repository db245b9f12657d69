"""Two cells x depth 2 with real mosaik and real mango, balance strategy.

    core -> cell0(1) -> ctrl(1) -> pv0, load0
         -> cell1(1) -> ctrl(1) -> pv1, load1(fixed)

t=0:   P=10, C=5: 5 MW surplus -> load0 up to its max 4 (+2), then curtail 3 MW
       in proportion to (current - min): pv0 6 -> 4.2, pv1 4 -> 2.8.
t=900: P=2, C=6: 4 MW deficit -> raise production in proportion to headroom
       (pv0 5, pv1 3): pv0 1 -> 3.5, pv1 1 -> 2.5.
"""

import pytest

from tests.integration.helpers import build_two_cells

EXPECTED = {  # unit -> {time: setpoint in the unit's own direction}
    "pv0": {0: 4.2, 900: 3.5},
    "load0": {0: 4.0, 900: 3.0},
    "pv1": {0: 2.8, 900: 2.5},
    "load1": {0: 3.0, 900: 3.0},
}


SIGN = {"pv0": 1, "pv1": 1, "load0": -1, "load1": -1}  # setpoints are net (generation +)


def final_unit_powers(units_sim):
    powers = {}
    for time, eid, p in units_sim.get_log():  # the last value per time wins
        powers[(eid, time)] = p
    return powers


def assert_expected_powers(system):
    """Every unit simulator ran at EXPECTED's value at the end of each time."""
    powers = final_unit_powers(system.units)
    for name, expected in EXPECTED.items():
        for time, value in expected.items():
            assert powers[(system.sims[name].eid, time)] == pytest.approx(value, abs=1e-9)


def assert_expected_setpoints(system):
    """Every unit agent's last P_set[MW] per time is EXPECTED's value, signed."""
    collector = system.collector
    for name, agent in system.agents.items():
        got = collector.last(agent.full_id, "P_set[MW]")
        assert got == pytest.approx({t: SIGN[name] * v for t, v in EXPECTED[name].items()})


def test_same_time_iteration_balances_and_converges(world, no_task_leaks):
    system = build_two_cells(world, weak=True)
    world.run(until=1800)
    collector = system.collector
    assert_expected_powers(system)
    core = system.core.full_id
    assert collector.last(core, "P_exchange[MW]") == pytest.approx({0: 0.0, 900: 0.0})
    # iteration 1 applies the setpoints, iteration 2 sees them in place and stops
    assert collector.last(core, "iterations") == {0: 2, 900: 2}
    assert collector.last(core, "converged") == {0: True, 900: True}
    # per cycle: 4 unit + 4 controller reports, 8 instructions; two cycles per time
    assert collector.last(core, "messages") == {0: 32, 900: 32}
    assert all(t > 0 for t in collector.last(core, "steptime").values())
    assert_expected_setpoints(system)


def test_without_iteration_the_setpoints_are_emitted_once_per_step(world):
    system = build_two_cells(world, weak=False, depth=3)
    world.run(until=1800)
    collector = system.collector
    for name in EXPECTED:
        data = collector.series(system.agents[name].full_id, "P_set[MW]")
        assert [t for t, _ in data] == [0, 900]
    scale = collector.last(system.agents["pv0"].full_id, "scale_factor")
    assert scale == pytest.approx({0: 4.2 - 6.0, 900: 3.5 - 1.0})
    # depth 3: 4 units + 6 controllers, each reports once and gets one instruction
    assert collector.last(system.core.full_id, "messages") == {0: 20, 900: 20}
