"""The cells grid builder: structure, metadata, speed, and converging power flows."""

import pandapower as pp
import pytest

from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.massca_grid.cells import HV_BUS, build_cells


def test_one_cell_is_the_cigre_feeder_without_its_second_branch():
    net = build_cells(1)
    assert len(net.bus) == 12 and len(net.trafo) == 1 and len(net.ext_grid) == 1
    assert len(net.load) == 13 and len(net.sgen) == 9 and len(net.storage) == 2
    assert set(net.sgen.unit_kind) == {"pv", "wind"}
    assert set(net.load.load_class) == {"residential", "commercial"}
    assert (net.storage.unit_kind == "battery").all()


def test_cells_share_the_hv_bus_and_carry_their_index():
    net = build_cells(3)
    assert (net.trafo.hv_bus == HV_BUS).all()
    assert sorted(net.trafo.cell) == [0, 1, 2]
    for table in ("load", "sgen", "storage", "line"):
        assert sorted(net[table].cell.unique()) == [0, 1, 2]
    # every element's bus belongs to the element's own cell (or is the shared HV bus)
    for table, column in (("load", "bus"), ("sgen", "bus"), ("line", "from_bus"),
                          ("trafo", "lv_bus")):
        bus_cell = net.bus.cell.loc[net[table][column]].to_numpy()
        assert (bus_cell == net[table].cell.to_numpy()).all()
    switches = net.switch[net.switch.et == "l"]
    assert (net.line.cell.loc[switches.element].to_numpy() == switches.cell.to_numpy()).all()


@pytest.mark.parametrize("cells", [1, 2, 7, 50, 200])
def test_power_flow_converges(cells):
    net = build_cells(cells)
    pp.runpp(net)
    assert net.converged
    single = build_cells(1)
    pp.runpp(single)
    # identical cells on a stiff HV bus: the external grid supplies n times one cell
    assert net.res_ext_grid.p_mw.sum() == pytest.approx(cells * single.res_ext_grid.p_mw.sum(),
                                                        rel=1e-6)


def test_fifty_cells_have_the_expected_size():
    net = build_cells(50)  # build speed is a benchmark: scalability/bench_cells.py
    assert len(net.bus) == 1 + 50 * 11
    assert len(net.load) == 50 * 13 and len(net.sgen) == 50 * 9


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_bad_cell_count(bad):
    with pytest.raises(ConfigError, match=f"cells must be an integer >= 1, got {bad!r}"):
        build_cells(bad)


def _profiles(tmp_path, sgen_values):
    """A profiles CSV with one load and two generators (5 MW and 0.1 MW) over 2 steps."""
    import pandas as pd

    path = tmp_path / "simbench_profiles.csv"
    pd.DataFrame({"time": ["2016-05-29 00:00:00", "2016-05-29 00:15:00"],
                  "load_0": [1.0, 2.0], "sgen_0": sgen_values, "sgen_1": [0.05, 0.0]}
                 ).to_csv(path, index=False)
    net = pp.create_empty_network()
    net.load = pd.DataFrame({"p_mw": [2.0]})
    net.sgen = pd.DataFrame({"p_mw": [5.0, 0.1]})
    return path, net


def test_simbench_rounding_below_zero_is_judged_by_the_generators_rating(tmp_path, capsys):
    import pandas as pd

    from mosaik_components.massca.scenarios.cells import _prepare_profiles

    # -2.3e-6 x 5 MW (SimBench's WP7 profile on 2016-05-29 20:00): rounding, set to 0
    path, net = _profiles(tmp_path, [-1.15e-5, 1.0])
    _prepare_profiles(path, net)
    frame = pd.read_csv(path, index_col="time")
    assert frame["sgen_0"].tolist() == [0.0, 1.0] and frame["load_0"].tolist() == [0.5, 1.0]
    assert "1 negative generator value(s) down to -2.3e-06 x p_mw" in capsys.readouterr().err


def test_negative_generation_beyond_rounding_is_an_error_naming_it(tmp_path):
    from mosaik_components.mas.model.errors import MasError
    from mosaik_components.massca.scenarios.cells import _prepare_profiles

    path, net = _profiles(tmp_path, [0.0, -1e-3])  # -2e-4 x p_mw
    with pytest.raises(MasError, match=r"generator sgen_0 \(p_mw 5.0\) has -0.001 MW at "
                                       r"2016-05-29 00:15:00 \(negative generation beyond"):
        _prepare_profiles(path, net)
