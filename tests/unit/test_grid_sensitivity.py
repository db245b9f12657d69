"""Sensitivities of voltages and loadings to unit injections, against full AC power flows.

On two CIGRE MV cells with PV and wind at 3x their rating (high loadings, reverse flows):

* the Jacobian-based derivatives equal central finite differences of full power flows
  (+-0.01 MW): voltage within 1e-7 pu/MW, loading within 1e-3 of the largest %/MW;
* for a finite step of 0.5 MW (a realistic control move) the linear prediction is within
  2e-4 pu of the power flow for voltages, and within 2 % of the loading change for
  branches above 50 % loading (measured: 1e-4 pu and <1 %; the loading error is large
  only where a branch's current passes near zero, where |I| is not smooth);
* the GridView a CellView publishes holds exactly pandapower's voltages and loadings.
"""

import copy

import numpy as np
import pandapower as pp
import pytest

from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.mas.model.grid import GridView
from mosaik_components.massca_grid.cells import build_cells
from mosaik_components.massca_grid.cellview import cell_index, cell_spec, grid_view
from mosaik_components.massca_grid.sensitivity import (
    SensitivityError,
    layout_of,
    operating_point,
)


@pytest.fixture(scope="module")
def solved():
    net = build_cells(2)
    net.sgen["p_mw"] *= 3.0
    pp.runpp(net, numba=False)
    return net


def _flows(net, bus, mw):
    changed = copy.deepcopy(net)
    pp.create_sgen(changed, bus, p_mw=mw)
    pp.runpp(changed, numba=False)
    return changed


def _loadings(net, keys):
    return np.array([net[f"res_{table}"].loading_percent[i] for table, i in keys])


def _linear(net, buses):
    point = operating_point(net)
    d_voltage = point.solve(buses)
    rows = np.array([point.layout.bus_row[b] for b in net.bus.index])
    keys = list(point.layout.branch_rows)
    return (point.magnitude(d_voltage, rows), keys,
            point.layout.branches(keys).sensitivity(point.voltage, d_voltage))


def test_derivatives_equal_central_differences_of_power_flows(solved):
    buses = [3, 8, 14, 21]  # cell 0 and cell 1, near and far from the transformer
    dv, keys, dl = _linear(solved, buses)
    h = 0.01
    for column, bus in enumerate(buses):
        up, down = _flows(solved, bus, h), _flows(solved, bus, -h)
        dv_fd = (up.res_bus.vm_pu.to_numpy() - down.res_bus.vm_pu.to_numpy()) / (2 * h)
        dl_fd = (_loadings(up, keys) - _loadings(down, keys)) / (2 * h)
        assert np.abs(dv[:, column] - dv_fd).max() < 1e-7
        assert np.abs(dl[:, column] - dl_fd).max() < 1e-3 * np.abs(dl_fd).max()
        assert np.abs(dv_fd).max() > 1e-3  # the injection really moves the voltages


def test_a_load_at_a_fixed_power_factor_moves_voltages_by_both_its_powers(solved):
    """``q_per_p``: the reactive injection that comes with each MW (a load's ``tan φ``)."""
    bus, tan_phi = 8, 0.484  # cos φ = 0.9
    point = operating_point(solved)
    rows = np.array([point.layout.bus_row[b] for b in solved.bus.index])
    with_q = point.magnitude(point.solve([bus], [tan_phi]), rows)[:, 0]
    active_only = point.magnitude(point.solve([bus]), rows)[:, 0]
    h = 0.01
    flows = []
    for sign in (1, -1):
        changed = copy.deepcopy(solved)
        pp.create_sgen(changed, bus, p_mw=sign * h, q_mvar=sign * h * tan_phi)
        pp.runpp(changed, numba=False)
        flows.append(changed.res_bus.vm_pu.to_numpy())
    dv_fd = (flows[0] - flows[1]) / (2 * h)
    assert np.abs(with_q - dv_fd).max() < 1e-7
    # on this feeder the reactive part is not small: without it the model is far off
    assert np.abs(active_only - dv_fd).max() > 0.2 * np.abs(dv_fd).max()


def test_linear_prediction_of_a_half_megawatt_step(solved):
    buses = [5, 19]
    dv, keys, dl = _linear(solved, buses)
    loaded = _loadings(solved, keys) > 50.0
    assert loaded.sum() >= 3
    for column, bus in enumerate(buses):
        for step in (0.5, -0.5):
            after = _flows(solved, bus, step)
            true_dv = after.res_bus.vm_pu.to_numpy() - solved.res_bus.vm_pu.to_numpy()
            assert np.abs(true_dv - step * dv[:, column]).max() < 2e-4
            true_dl = _loadings(after, keys) - _loadings(solved, keys)
            error = np.abs(true_dl - step * dl[:, column])[loaded]
            assert (error <= 0.02 * np.abs(true_dl[loaded]) + 1e-3).all()


def test_the_view_holds_the_power_flows_values(solved):
    units = {f"load{i}": int(solved.load.bus[i]) for i in solved.load.index[
        solved.load.cell == 1]}
    spec = cell_spec(solved, 1, units, {"v_max": 1.04})
    layout = layout_of(solved)
    view = GridView.from_dict(grid_view(cell_index(spec, layout),
                                        operating_point(solved, layout)).to_dict())
    buses = solved.bus.index[solved.bus.cell == 1]
    assert view.buses == tuple(f"Bus-{b}" for b in buses)  # the shared HV bus is cell 0's
    assert "Bus-0" not in view.buses
    np.testing.assert_allclose(view.vm_pu, solved.res_bus.vm_pu[buses], atol=1e-12)
    lines = solved.line.index[(solved.line.cell == 1) & solved.line.in_service]
    trafos = solved.trafo.index[solved.trafo.cell == 1]
    assert view.branches == tuple([f"Line-{i}" for i in lines]
                                  + [f"Transformer-{i}" for i in trafos])
    np.testing.assert_allclose(view.loading_pct, np.concatenate([
        solved.res_line.loading_percent[lines], solved.res_trafo.loading_percent[trafos]]),
        rtol=1e-9)
    assert view.units == tuple(units) and view.dv_dp.shape == (len(buses), len(units))
    assert view.limits.v_max == 1.04 and view.limits.v_min == 0.95
    assert (view.dv_dp > 0).all()  # injecting (generation positive) raises every voltage


def test_cell_zero_excludes_the_slack_bus(solved):
    spec = cell_spec(solved, 0, {"pv": int(solved.sgen.bus[0])})
    assert 0 not in spec.buses and spec.buses


@pytest.mark.parametrize("cell, units, limits, message", [
    (7, {"u": 3}, None, r"CellView.cell=7: no bus of the grid belongs to it \(cells: \[0, 1\]\)"),
    ("0", {"u": 3}, None, r"CellView.cell must be an integer, got '0'"),
    (0, {}, None, r"CellView.units must be a non-empty mapping"),
    (0, {"u": 14}, None, r"CellView.units\['u'\]: bus 14 is not a .* bus of cell 0"),
    (0, {"u": 0}, None, r"CellView.units\['u'\]: bus 0 is not a"),  # the slack bus
    (0, {"u": 3}, {"v_min": 1.05, "v_max": 1.0},
     r"CellView.limits: need 0.5 <= v_min < v_max <= 1.5 pu, got v_min=1.05, v_max=1.0"),
    (0, {"u": 3}, {"loading_max": 0}, r"CellView.limits.loading_max must be in \(0, 300\]"),
    (0, {"u": 3}, {"vmax": 1.1}, r"CellView.limits: unknown field\(s\) \['vmax'\]"),
])
def test_bad_cell_views_are_named(solved, cell, units, limits, message):
    with pytest.raises(ConfigError, match=message):
        cell_spec(solved, cell, units, limits)


@pytest.mark.parametrize("q_per_p, message", [
    ({"v": 0.3}, r"CellView.q_per_p: \['v'\] are not among its units"),
    ({"u": "0.3"}, r"CellView.q_per_p\['u'\] must be a number within \[-5.0, 5.0\] MVAr per "
                   r"MW, got '0.3'"),
    ({"u": float("nan")}, r"CellView.q_per_p\['u'\] must be a number .* got nan"),
    ({"u": 7.0}, r"CellView.q_per_p\['u'\] must be a number .* got 7.0"),
    ([0.3], r"CellView.q_per_p must be a mapping unit name -> MVAr per MW, got \[0.3\]"),
])
def test_bad_reactive_couplings_are_named(solved, q_per_p, message):
    with pytest.raises(ConfigError, match=message):
        cell_spec(solved, 0, {"u": 3}, q_per_p=q_per_p)


def test_no_power_flow_or_other_loading_definition_is_an_error():
    net = build_cells(1)
    with pytest.raises(SensitivityError, match="run a power flow first"):
        operating_point(net)
    pp.runpp(net, numba=False, trafo_loading="power")
    with pytest.raises(SensitivityError, match="trafo_loading must be 'current'"):
        operating_point(net)
    plain = build_cells(1)
    plain.bus = plain.bus.drop(columns="cell")
    with pytest.raises(ConfigError, match="bus table has no 'cell' column"):
        cell_spec(plain, 0, {"u": 3})
