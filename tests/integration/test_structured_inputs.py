"""Horizons from units (``flex``) and grid views (``grid``) reach the strategy.

    core -> cell -> battery (flex over 3 intervals), load (power attributes)
    GridFeed -> cell (grid)
"""

import numpy as np
import pytest

from mosaik_components.mas import GridView, HorizonFlex, StateError
from tests.conftest import SIM_CONFIG
from tests.simulators.strategies import Watching

FLEX = {"step_h": 0.25, "production": [[0, 0, 0], [0, 0, 0], [1, 1, 1]],
        "consumption": [[0, 0, 0], [0, 0, 0], [1, 1, 1]],
        "energy": [{"name": "soc", "initial": 0.5, "lower": [0] * 3, "upper": [1] * 3}]}
GRID = GridView(("b1",), np.array([1.04]), ("l1",), np.array([40.0]), ("battery",),
                np.array([[0.01]]), np.array([[5.0]])).to_dict()


def build(world, flex=FLEX, extra_power=False):
    world.sim_config.update(SIM_CONFIG, Feeds={"python": "tests.simulators.feeds:Feeds"})
    watching = Watching()
    mas = world.start("MAS", strategy=watching)
    feeds = world.start("Feeds", step_size=900)
    units = world.start("Units", step_size=900)
    core = mas.Core()
    cell = mas.Controller(controller=None)
    battery = mas.Unit(controller=cell.eid, kind="prosumer")
    load = mas.Unit(controller=cell.eid, kind="consumer")
    world.connect(feeds.Horizon(flex=flex), battery, "flex")
    if extra_power:
        world.connect(units.Unit(profile=[1.0]), battery, ("current", "P[MW]"))
    world.connect(units.Unit(profile=[0.5]), load, "current")
    world.connect(feeds.GridFeed(grid=GRID), cell, "grid")
    collector = world.start("Collector")
    world.connect(battery, collector.Collector(), "P_set[MW]")
    return watching, battery, collector, core


def test_horizons_and_grid_views_reach_the_strategy(world):
    watching, battery, collector, _ = build(world)
    world.run(until=900)
    eid, grid, horizons = next(s for s in watching.seen if s[0].startswith("Controller"))
    assert grid == GridView.from_dict(GRID)
    assert horizons[0] == HorizonFlex.from_dict(FLEX) and horizons[1] is None
    # balance on interval 0: the battery discharges what the 0.5 MW load needs
    assert collector.last(battery.full_id, "P_set[MW]") == {0: pytest.approx(0.5)}


def test_flex_and_power_inputs_together_are_an_error(world):
    build(world, extra_power=True)
    with pytest.raises(StateError, match="connect either 'flex' or power attributes"):
        world.run(until=900)


def test_a_bad_horizon_names_the_unit_and_field(world):
    build(world, flex={**FLEX, "step_h": -1})
    with pytest.raises(StateError, match=r"unit 'Unit_2' flex.step_h must be > 0"):
        world.run(until=900)
