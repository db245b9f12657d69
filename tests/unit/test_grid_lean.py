"""Grid outputs from the voltages alone equal pandapower's full power flow, step by step."""

import copy

import numpy as np
import pandapower as pp
import pytest

from mosaik_components.mas.model.grid import GridView
from mosaik_components.massca_grid import simulator as grid_simulator
from mosaik_components.massca_grid.cells import build_cells
from mosaik_components.massca_grid.cellview import cell_index, cell_spec, grid_view
from mosaik_components.massca_grid.sensitivity import layout_of, operating_point

from .grid_cases import pv_feeder, started_grid

TOLERANCE = {"Vm[pu]": 1e-9, "Va[deg]": 1e-7, "loading[%]": 1e-6, "I[kA]": 1e-9,
             "P[MW]": 1e-6, "Q[MVar]": 1e-6}
COLUMNS = {"Bus": ("res_bus", {"Vm[pu]": "vm_pu", "Va[deg]": "va_degree"}),
           "Line": ("res_line", {"loading[%]": "loading_percent", "I[kA]": "i_ka"}),
           "Transformer": ("res_trafo", {"loading[%]": "loading_percent"}),
           "ExternalGrid": ("res_ext_grid", {"P[MW]": "p_mw", "Q[MVar]": "q_mvar"})}


def cells_net() -> pp.pandapowerNet:
    """Two CIGRE cells, five loads and a line switched off, one more line switch open."""
    net = build_cells(2)
    net.load.loc[net.load.index[:5], "in_service"] = False
    net.line.loc[net.line.index[3], "in_service"] = False
    line_switches = net.switch.index[net.switch.et == "l"]
    net.switch.loc[line_switches[0], "closed"] = False
    return net


def outputs(net: pp.pandapowerNet) -> dict[str, list[str]]:
    """Every covered output of every element (NaN where pandapower has NaN)."""
    wanted = {f"Bus-{i}": ["Vm[pu]", "Va[deg]"] for i in net.bus.index}
    wanted |= {f"Line-{i}": ["loading[%]", "I[kA]"] for i in net.line.index}
    wanted |= {f"Transformer-{i}": ["loading[%]"] for i in net.trafo.index}
    wanted |= {f"ExternalGrid-{i}": ["P[MW]", "Q[MVar]"] for i in net.ext_grid.index}
    return wanted


def random_inputs(net: pp.pandapowerNet, rng: np.random.Generator) -> dict:
    return {f"Bus-{b}": {"P_load[MW]": {"u": float(rng.uniform(0, 2))},
                         "P_gen[MW]": {"u": float(rng.uniform(0, 3))}}
            for b in net.bus.index[1:]}


def assert_like_full_power_flow(net: pp.pandapowerNet, got: dict) -> None:
    fresh = copy.deepcopy(net)
    pp.runpp(fresh)
    for eid, values in got.items():
        model, idx = eid.split("-")
        table, columns = COLUMNS[model]
        for attr, value in values.items():
            expected = fresh[table].at[int(idx), columns[attr]]
            assert value == pytest.approx(expected, rel=1e-9, abs=TOLERANCE[attr], nan_ok=True), (
                eid, attr)


@pytest.mark.parametrize("make", [cells_net, lambda: pv_feeder()[0]], ids=["cells", "feeder"])
def test_outputs_from_the_voltages_equal_a_full_power_flow(make):
    net = make()
    sim = started_grid(net)
    rng = np.random.default_rng(3)
    wanted = outputs(net)
    for time in range(0, 6 * 900, 900):
        sim.step(time, random_inputs(net, rng), time)
        got = sim.get_data(wanted)
        assert_like_full_power_flow(net, got)
        ext = got["ExternalGrid-0"]["P[MW]"]
        if time > 0:  # recycled: pandapower's own table was left alone (stale) ...
            assert net.res_ext_grid.p_mw.iloc[0] != pytest.approx(ext, abs=1e-3)
    # ... until somebody asks for the network
    assert sim.get_net().res_ext_grid.p_mw.iloc[0] == pytest.approx(ext, abs=1e-6)
    sim.step(6 * 900, random_inputs(net, rng), 6 * 900)  # and back to the voltages alone
    got = sim.get_data(wanted)
    assert_like_full_power_flow(net, got)
    assert net.res_ext_grid.p_mw.iloc[0] != pytest.approx(got["ExternalGrid-0"]["P[MW]"],
                                                          abs=1e-3)


def test_an_output_the_voltages_do_not_give_switches_to_the_full_power_flow():
    net = cells_net()
    sim = started_grid(net)
    rng = np.random.default_rng(5)
    for time in range(0, 4 * 900, 900):
        sim.step(time, random_inputs(net, rng), time)
        got = sim.get_data({"Bus-3": ["P[MW]", "Vm[pu]"], "ExternalGrid-0": ["P[MW]"]})
        fresh = copy.deepcopy(net)
        pp.runpp(fresh)
        assert got["Bus-3"]["P[MW]"] == pytest.approx(fresh.res_bus.p_mw[3], abs=1e-6)
        assert got["ExternalGrid-0"]["P[MW]"] == pytest.approx(fresh.res_ext_grid.p_mw[0],
                                                               abs=1e-6)
        # from then on pandapower fills its tables again
        assert net.res_ext_grid.p_mw.iloc[0] == pytest.approx(fresh.res_ext_grid.p_mw[0],
                                                              abs=1e-6)


def test_a_disagreement_with_pandapower_is_reported_and_its_tables_used(monkeypatch):
    monkeypatch.setattr(grid_simulator, "check_against_tables",
                        lambda tables, lean: "Bus-1 Vm[pu]: 1.1 from the voltages, 1.0 in ...")
    net = cells_net()
    sim = started_grid(net)
    rng = np.random.default_rng(9)
    with pytest.warns(RuntimeWarning, match="differ from pandapower's .*Bus-1 Vm"):
        sim.step(0, random_inputs(net, rng), 0)
    for time in (900, 1800):
        sim.step(time, random_inputs(net, rng), time)
        got = sim.get_data({"ExternalGrid-0": ["P[MW]"]})
        assert got["ExternalGrid-0"]["P[MW]"] == net.res_ext_grid.p_mw.iloc[0]
        assert_like_full_power_flow(net, got)


def test_cell_views_on_voltages_only_power_flows_equal_those_on_full_ones():
    """The grid-aware strategy's views: same voltages, loadings and sensitivities."""
    net = build_cells(2)
    sim = started_grid(net)
    view = sim.create(1, "CellView", cell=0, units={"a": 3, "b": 5, "c": 8})[0]["eid"]
    rng = np.random.default_rng(11)
    for time in range(0, 4 * 900, 900):
        sim.step(time, random_inputs(net, rng), time)
        got = sim.get_data({view: ["grid"], "ExternalGrid-0": ["P[MW]"]})
        fresh = copy.deepcopy(net)
        pp.runpp(fresh)
        layout = layout_of(fresh)
        spec = cell_spec(fresh, 0, {"a": 3, "b": 5, "c": 8}, None)
        expected = grid_view(cell_index(spec, layout), operating_point(fresh, layout))
        ours = GridView.from_dict(got[view]["grid"])
        np.testing.assert_allclose(ours.vm_pu, expected.vm_pu, rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours.loading_pct, expected.loading_pct, rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours.dv_dp, expected.dv_dp, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ours.dloading_dp, expected.dloading_dp, rtol=1e-6, atol=1e-9)
        if time > 0:  # the views came from a voltages-only power flow
            assert net.res_ext_grid.p_mw.iloc[0] != pytest.approx(
                got["ExternalGrid-0"]["P[MW]"], abs=1e-3)
