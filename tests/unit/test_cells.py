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
