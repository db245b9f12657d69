"""The recycled power flow gives the same results as a fresh one."""

import copy

import numpy as np
import pandapower as pp
import pytest

from mosaik_components.massca_grid.cells import build_cells

from .grid_cases import started_grid


def test_recycled_power_flow_matches_a_fresh_one():
    sim = started_grid(build_cells(2))
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


def test_inputs_land_on_the_bus_elements_and_unknown_ones_are_named():
    """Each input's place is looked up once; the values still change every step."""
    sim = started_grid(build_cells(1))
    net = sim.get_net()
    load, sgen = sim.bus_auto_elements.at[5, "load"], sim.bus_auto_elements.at[5, "sgen"]
    for time, (demand, feed_in) in enumerate([(0.5, 0.25), (1.5, 0.75)]):
        sim.step(900 * time, {"Bus-5": {"P_load[MW]": {"a": demand, "b": 0.1},
                                        "P_gen[MW]": {"c": feed_in}}}, 900 * time)
        assert net.load.at[load, "p_mw"] == pytest.approx(demand + 0.1)
        assert net.sgen.at[sgen, "p_mw"] == feed_in
    with pytest.raises(ValueError, match=r"Grid-0.Bus-5: 'P\[kW\]' is not an input of Bus"):
        sim.step(1800, {"Bus-5": {"P[kW]": {"a": 1.0}}}, 1800)
