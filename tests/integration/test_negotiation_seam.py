"""A second negotiation plugs in through the registry; the agents are untouched.

    core -> cell0 -> pv0, load0        core -> cell1 -> pv1, load1
"""

import pytest

from mosaik_components.mas import strategies
from mosaik_components.mas.strategies.negotiation import Negotiation
from tests.integration.helpers import build_two_cells
from tests.simulators.negotiations import AskAround


def test_a_trivial_negotiation_runs_at_both_levels(world, monkeypatch):
    # GIVEN a negotiation the MAS has never heard of, registered by name
    monkeypatch.setitem(strategies.NEGOTIATIONS, "ask_around", AskAround)
    assert isinstance(AskAround(), Negotiation)
    # WHEN it splits within and between the cells of a real mosaik world
    system = build_two_cells(world, weak=True, depth=1, mas_params={
        "within_cell": "ask_around", "between_cells": "ask_around"})
    world.run(until=1800)
    # THEN it negotiated at every controller and the units follow its targets
    collector, core = system.collector, system.core.full_id
    # the core and both cells negotiate in each of the two same-time iterations
    assert collector.last(core, "iterations") == {0: 2, 900: 2}
    assert collector.last(core, "negotiations") == {0: 6, 900: 6}
    exchange = collector.last(core, "P_exchange[MW]")
    assert exchange == pytest.approx({0: 0.0, 900: 0.0}, abs=1e-9)  # balanceable in this system
    assert collector.last(core, "converged") == {0: True, 900: True}
    assert system.mas.get_info()["rejected"] == 0
