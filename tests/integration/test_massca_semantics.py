"""MASSCA's hook semantics, with our own MASSCA-style method file (massca_style.py).

    core -> cell A(1) -> pv0 (1 MW, up to 2), load0 (4 MW, down to 2)
         -> cell B(1) -> pv1 (1 MW, up to 2), load1 (1 MW, fixed)

Deficit 3 MW: production rises by 2 (pv0 +1, pv1 +1), load0 is shed by 1. The units
apply ``scale_factor`` additively within the step (MASSCA's unit simulators do so).
"""

import pytest

METHODS = "tests.simulators.massca_style"
UNITS = {"pv0": ("production", 0, [1.0], 0.0, 2.0), "load0": ("consumption", 0, [4.0], 2.0, 4.0),
         "pv1": ("production", 1, [1.0], 0.0, 2.0), "load1": ("consumption", 1, [1.0], 1.0, 1.0)}
EXPECTED = {"pv0": 2.0, "load0": 3.0, "pv1": 2.0, "load1": 1.0}


def build(world, record, **extra):
    kinds = {}
    with world.group():
        mas = world.start(
            "MAS", step_size=900, verbose=-1, performance=False, convergence_steps=2,
            convegence_max_steps=5, record=record, kinds=kinds,
            input_method=f"{METHODS}:input_method", output_method=f"{METHODS}:output",
            states_agg_method=f"{METHODS}:aggregate", execute_method=f"{METHODS}:execute",
            state_dict={"production": {"min": 0, "max": 0, "current": 0, "scale_factor": 0},
                        "consumption": {"min": 0, "max": 0, "current": 0, "scale_factor": 0}},
            **extra)
        units = world.start("Units", step_size=900)
    collector = world.start("Collector")
    sink = collector.Collector()
    core = mas.MosaikAgents()
    cells = mas.MosaikAgents.create(num=2, controller=None)
    agents = {}
    for name, (side, cell, profile, low, high) in UNITS.items():
        unit = units.Unit(profile=profile, min=low, max=high)
        agent = mas.MosaikAgents.create(num=1, controller=cells[cell].eid)[0]
        kinds[agent.eid] = side
        world.connect(unit, agent, "current", "min", "max")
        world.connect(agent, unit, "scale_factor", weak=True)
        world.connect(agent, sink, "current", "scale_factor")
        agents[name] = agent
    world.connect(core, sink, "steptime", "iterations")
    return core, cells, agents, units, collector


def test_massca_semantics_end_to_end(world):
    record = []
    core, cells, agents, units, collector = build(world, record)
    world.run(until=1800)
    # entity ids count from 1 and the hooks get MASSCA's mango ids (core: agent0)
    assert [c.eid for c in cells] == ["Agent_1", "Agent_2"]
    inputs = {(r[1], r[2]) for r in record if r[0] == "input"}
    assert ("MosaikAgent", "agent0") in inputs and ("Agent_3", "agent3") in inputs
    # delta instructions reach the units in the first iteration of every time
    final = {}
    for time, eid, power in units.get_log():
        final[(eid, time)] = power
    for name, power in EXPECTED.items():
        unit_eid = {"pv0": "U0", "load0": "U1", "pv1": "U2", "load1": "U3"}[name]
        assert final[(unit_eid, 0)] == pytest.approx(power)
        assert final[(unit_eid, 900)] == pytest.approx(power)
    # converged is False in the first round and True once two rounds said ok; the
    # scale_factor went out only while not converged
    flags = [(r[2], r[3]) for r in record if r[0] == "output" and r[1] == agents["pv0"].eid]
    assert flags == [(False, True), (True, False)] * 2
    scale = collector.series(agents["pv0"].full_id, "scale_factor")
    assert [value for _, value in scale] == [pytest.approx(1.0)] * 2
    assert collector.last(core.full_id, "iterations") == {0: 2, 900: 2}
    # performance=False: no steptime, as in MASSCA (a persistent output without a value)
    assert set(collector.last(core.full_id, "steptime").values()) == {None}


def test_a_controller_aggregates_its_own_reset_state_not_its_last_aggregate(world):
    record = []
    build(world, record)
    world.run(until=1800)
    cell_a = [r[3] for r in record if r[0] == "aggregate" and r[1] == "Agent_1"]
    assert len(cell_a) == 4  # two rounds per time
    # per time: first the uncontrolled pv0 1 + load0 4, then the units' new powers 2 + 3;
    # never the sum of children and the last aggregate (which would double)
    currents = [(a["production"]["current"], a["consumption"]["current"]) for a in cell_a]
    assert currents == [pytest.approx((1.0, 4.0)), pytest.approx((2.0, 3.0))] * 2
