"""The recycled power flow gives the same results as a fresh one."""

import copy

import numpy as np
import pandapower as pp
import pytest

from mosaik_components.massca_grid import GridSimulator
from mosaik_components.massca_grid.cells import build_cells


def test_recycled_power_flow_matches_a_fresh_one():
    sim = GridSimulator()
    sim.init("Grid-0", 1.0, step_size=None)
    sim.create(1, "Grid", net=build_cells(2))
    sim.setup_done()
    net = sim.get_net()
    sim.disable_elements([f"Load-{i}" for i in net.load.index[:5]])
    rng = np.random.default_rng(7)
    buses = [f"Bus-{i}" for i in net.bus.index]
    for time in range(0, 4 * 900, 900):
        inputs = {b: {"P_load[MW]": {"u": float(rng.uniform(0, 2))},
                      "P_gen[MW]": {"u": float(rng.uniform(0, 1))}} for b in buses[1:]}
        sim.step(time, inputs, time)
        fresh = copy.deepcopy(net)
        pp.runpp(fresh)
        got = sim.get_data({"ExternalGrid-0": ["P[MW]"], "Line-3": ["loading[%]"],
                            "Bus-5": ["Vm[pu]"]})
        assert got["ExternalGrid-0"]["P[MW]"] == pytest.approx(fresh.res_ext_grid.p_mw[0],
                                                               abs=1e-6)
        assert got["Line-3"]["loading[%]"] == pytest.approx(
            fresh.res_line.loading_percent[3], abs=1e-6)
        assert got["Bus-5"]["Vm[pu]"] == pytest.approx(fresh.res_bus.vm_pu[5], abs=1e-9)
