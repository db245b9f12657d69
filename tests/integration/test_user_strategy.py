"""A user strategy given as 'module:Class' drives the whole tree (README example)."""

import pytest

from tests.integration.helpers import build_two_cells


def test_keep_import_strategy_leaves_the_reserve_to_the_grid(world):
    system = build_two_cells(world, weak=True, mas_params={
        "strategy": "tests.simulators.strategies:KeepImport"})
    world.run(until=1800)
    collector = system.collector
    exchange = collector.last(system.core.full_id, "P_exchange[MW]")
    assert exchange == pytest.approx({0: 1.0, 900: 1.0})


def test_input_method_with_typed_strategy_keeps_the_core_offset(world):
    """Units go through a MASSCA input_method; the core's P_offset still counts.

    core -> cell(1) -> pv (6 MW, band [0, 6]); net demand outside the agents 2 MW:
    the balance keeps 2 MW of production and curtails 4.
    """
    mas = world.start("MAS", input_method="tests.simulators.strategies:producer_input")
    units = world.start("Units", step_size=900)
    collector_sim = world.start("Collector")
    sink = collector_sim.Collector()
    core = mas.MosaikAgents()
    cell = mas.MosaikAgents(controller=None)
    pv = units.Unit(profile=[6.0], min=0.0, max=6.0)
    demand = units.Unit(profile=[2.0])
    agent = mas.MosaikAgents(controller=cell.eid)
    world.connect(pv, agent, "current", "min", "max")
    world.connect(demand, core, ("current", "P_offset[MW]"))
    world.connect(agent, sink, "P_set[MW]")
    world.connect(core, sink, "P_exchange[MW]")
    world.run(until=900)
    data = collector_sim
    assert data.last(agent.full_id, "P_set[MW]") == {0: pytest.approx(2.0)}
    assert data.last(core.full_id, "P_exchange[MW]") == {0: pytest.approx(0.0)}
