"""MASSCA-style method files plug in: hooks with MASSCA's names, signatures, kwargs.

    core -> cell0(1) -> gen0, load0      (production 4 + 2, consumption 3)
         -> cell1(1) -> gen1

The top's execute_method curtails production to the consumption: factor 3/6.
"""

import pytest

from mosaik_components.mas import ConfigError, HierarchyError

METHODS = "tests.simulators.massca_methods"


def test_massca_method_file(world, no_task_leaks):
    record = []
    mas = world.start(
        "MAS", step_size=900, record=record, **{"between-cells": "default"},
        input_method=f"{METHODS}:input_method", output_method=f"{METHODS}:output_method",
        states_agg_method=f"{METHODS}:states_agg_method",
        execute_method=f"{METHODS}:execute_method",
        initialize=f"{METHODS}:initialize", finalize=f"{METHODS}:finalize",
        state_dict={"production": {"min": 0, "max": 0, "current": 0},
                    "consumption": {"min": 0, "max": 0, "current": 0}},
        META={"models": {"MosaikAgents": {"attrs": ["custom[MW]"]}}},
    )
    units = world.start("Units", step_size=900)
    collector = world.start("Collector")
    sink = collector.Collector()
    mas.MosaikAgents()
    cells = mas.MosaikAgents.create(num=2, controller=None)
    agents = {}
    for name, cell, attr, power in [("gen0", 0, "production[MW]", 4.0),
                                    ("load0", 0, "consumption[MW]", 3.0),
                                    ("gen1", 1, "production[MW]", 2.0)]:
        unit = units.Unit(profile=[power])
        agent = mas.MosaikAgents.create(num=1, controller=cells[cell].eid)[0]
        world.connect(unit, agent, ("current", f"{unit.eid}.{attr}"))
        world.connect(agent, sink, "custom[MW]")
        agents[name] = agent
    world.run(until=900)
    data = collector
    assert data.last(agents["gen0"].full_id, "custom[MW]") == {0: pytest.approx(2000.0)}
    assert data.last(agents["gen1"].full_id, "custom[MW]") == {0: pytest.approx(1000.0)}
    assert data.last(agents["load0"].full_id, "custom[MW]") == {0: 0.0}
    world.shutdown()  # calls the finalize hook
    assert record[0] == ("initialize", "default")
    assert record[-1] == ("finalize",)
    executes = [r for r in record if r[0] == "execute"]
    assert ("execute", "MosaikAgent", True, 2) in executes  # the top decides
    assert sum(1 for r in executes if r[3] == 0) == 3  # every unit executes its own share


def test_massca_core_creation_rules(world):
    mas = world.start("MAS")
    mas.MosaikAgents()
    with pytest.raises(HierarchyError, match="only one core agent per MAS simulator"):
        mas.MosaikAgents()
    with pytest.raises(HierarchyError, match="controller 'Agent_9' is not an entity of MAS-0"):
        mas.MosaikAgents.create(1, controller="Agent_9")
    unit = mas.Unit(kind="producer")
    with pytest.raises(HierarchyError, match=f"controller '{unit.eid}' is a unit"):
        mas.Unit(controller=unit.eid, kind="producer")
    with pytest.raises(ConfigError, match="kind must be one of"):
        mas.Unit(kind="battery")
    with pytest.raises(TypeError, match="unexpected keyword arguments: 'colour'"):
        mas.Controller(colour="red")
