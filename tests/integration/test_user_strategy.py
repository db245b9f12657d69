"""A user strategy given as 'module:Class' drives the whole tree (README example)."""

import pytest

from tests.conftest import sim_instance
from tests.integration.helpers import build_two_cells


def test_keep_import_strategy_leaves_the_reserve_to_the_grid(world):
    system = build_two_cells(world, weak=True, mas_params={
        "strategy": "tests.simulators.strategies:KeepImport"})
    world.run(until=1800)
    collector = sim_instance(system.collector)
    exchange = collector.last(system.core.full_id, "P_exchange[MW]")
    assert exchange == pytest.approx({0: 1.0, 900: 1.0})
