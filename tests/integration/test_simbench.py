"""SimBench cells: the builder, its profiles, and CellView outputs in a real mosaik world.

    LoadProfile (one per load and sgen, from SimBench's profiles) -> Grid buses
    Grid (GridSimulator, power flow) -> CellView x2 -> Collector (grid views)
                                     -> Transformer -> Collector (loading)

Two feeders of two SimBench grids keep it lean; the SimBench cache lives in pytest's
cache directory (the first run parses SimBench's CSV files, ~7 s per grid).
"""

import copy

import mosaik
import networkx as nx
import numpy as np
import pandapower as pp
import pandas as pd
import pytest
from pandapower.topology import create_nxgraph

from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.mas.model.grid import GridView
from mosaik_components.massca_grid import simbench_cache
from mosaik_components.massca_grid.simbench import build_simbench_cells

CELLS = ["1-MV-rural--1-sw:1", "1-MV-comm--1-sw:1"]
START = pd.Timestamp("2016-05-29 11:00")  # CET: a sunny Sunday noon
CONFIG = {
    "Grid": {"python": "mosaik_components.massca_grid:GridSimulator"},
    "Profiles": {"python": "mosaik_components.massca_units.timeseries:ProfileSimulator"},
    "Collector": {"python": "tests.simulators.collector:Collector"},
}


@pytest.fixture(scope="session")
def cache_dir(request, tmp_path_factory):
    """pytest's cache folder (kept between local runs), else a session folder."""
    cache = getattr(request.config, "cache", None)
    return cache.mkdir("simbench") if cache is not None else tmp_path_factory.mktemp("simbench")


@pytest.fixture(scope="session")
def cells(cache_dir):
    return build_simbench_cells(["1-MV-rural--1-sw", "1-MV-comm--1-sw"], CELLS,
                                cache_dir=cache_dir)


def test_cells_carry_explicit_metadata_and_are_whole_feeders(cells):
    net = cells.net
    assert list(cells.cells.index) == [0, 1]
    assert list(cells.cells.code) == ["1-MV-rural--1-sw", "1-MV-comm--1-sw"]
    for table in ("bus", "line", "trafo", "switch", "load", "sgen", "storage"):
        assert net[table]["cell"].dtype.kind == "i", table
        assert set(net[table]["cell"]) <= {-1, 0, 1}
    assert set(net.load.unit_kind) == {"load"} and set(net.storage.unit_kind) == {"battery"}
    assert set(net.sgen.unit_kind) <= {"pv", "wind", "biomass", "hydro"}
    assert len(net.ext_grid) == 1  # both grids share one 110 kV slack
    graph = create_nxgraph(net, respect_switches=True, include_trafos=False)
    for cell in (0, 1):
        buses = set(net.bus.index[net.bus.cell == cell])
        assert nx.is_connected(graph.subgraph(buses))  # a feeder is one piece
        assert len(buses) == cells.cells.buses[cell]
        for table in ("load", "sgen", "storage"):  # units sit on their cell's buses
            assert set(net[table].bus[net[table].cell == cell]) <= buses
    units = net.load.bus.tolist() + net.sgen.bus.tolist() + net.storage.bus.tolist()
    assert (net.bus.cell[units] >= 0).all()  # nothing left on the substation ...
    assert cells.dropped["1-MV-rural--1-sw"]  # ... what was there is listed
    rating = net.storage.sn_mva
    assert (net.storage.max_p_mw == rating).all() and (net.storage.min_p_mw == -rating).all()
    pp.runpp(net, numba=False)
    assert net.converged


def test_powers_are_simbenchs_absolute_values(cells):
    import simbench

    code = "1-MV-rural--1-sw"
    original = simbench.get_simbench_net(code)
    absolute = simbench.get_absolute_values(original, profiles_instead_of_study_cases=True)
    powers = cells.powers(START, 1)
    labels = original.profiles["load"]["time"]
    row = int(np.flatnonzero(labels == "29.05.2016 12:00")[0])  # CEST = 11:00 CET
    assert powers.time[0] == START
    for table, column, ours in (("load", "p_mw", powers.load_p_mw),
                                ("load", "q_mvar", powers.load_q_mvar),
                                ("sgen", "p_mw", powers.sgen_p_mw)):
        mine = cells.net[table][cells.net[table].simbench_code == code]
        by_name = original[table].reset_index().set_index("name")["index"]
        theirs = absolute[(table, column)].iloc[row][by_name[mine.name].to_numpy()].to_numpy()
        np.testing.assert_allclose(ours.iloc[0][mine.index].to_numpy(), theirs, rtol=1e-12)
    assert powers.sgen_p_mw.iloc[0].sum() > 1.0  # noon: the PV produces


def test_time_axis_is_uniform_cet(cells):
    time = cells.time
    assert len(time) == 366 * 96 and time[0] == pd.Timestamp("2016-01-01 00:00")
    assert (np.diff(time.asi8) == 15 * 60 * 10**9).all()
    labels = list(cells.grids["1-MV-rural--1-sw"].time_labels)
    spring = labels.index("27.03.2016 03:00")  # 02:00-02:45 do not exist that night
    assert labels[spring - 1] == "27.03.2016 01:45"
    assert time[spring - 1] == pd.Timestamp("2016-03-27 01:45")  # CET
    assert time[spring] == pd.Timestamp("2016-03-27 02:00")  # 03:00 CEST
    autumn = [i for i, label in enumerate(labels) if label == "30.10.2016 02:00"]
    assert [time[i] for i in autumn] == [pd.Timestamp("2016-10-30 01:00"),  # CEST
                                         pd.Timestamp("2016-10-30 02:00")]  # CET
    assert time[labels.index("21.06.2016 12:00")] == pd.Timestamp("2016-06-21 11:00")


def test_cell_views_in_a_mosaik_world(cells, tmp_path):
    net = copy.deepcopy(cells.net)
    csv = cells.write_csv(tmp_path / "powers.csv", START, 1)
    with mosaik.World(CONFIG) as world:  # kept open after run for the extra methods
        grid_sim = world.start("Grid", step_size=900)
        grid = grid_sim.Grid(net=net)
        entities = {e.eid: e for e in grid.children}
        profiles = world.start("Profiles", step_size=900)
        units = {}
        for table, attr in (("load", "P_load[MW]"), ("sgen", "P_gen[MW]")):
            for index, row in net[table].iterrows():
                source = profiles.LoadProfile(path=str(csv), start=str(START),
                                              column=f"{table}_{index}")
                world.connect(source, entities[f"Bus-{row.bus}"], ("P_pu", attr))
                units.setdefault(row.cell, {})[f"{table}_{index}"] = int(row.bus)
        views = [grid_sim.CellView(cell=cell, units=units[cell],
                                   limits={"v_max": 1.04}) for cell in (0, 1)]
        collector_sim = world.start("Collector")
        sink = collector_sim.Collector()
        for view in views:
            world.connect(view, sink, "grid")
        world.connect(entities["Transformer-0"], sink, "loading[%]")
        grid_sim.disable_elements([f"Load-{i}" for i in net.load.index]
                                  + [f"StaticGen-{i}" for i in net.sgen.index])
        world.run(until=4 * 900)
        data = {view.full_id: collector_sim.last(view.full_id, "grid") for view in views}
        loading = collector_sim.last(entities["Transformer-0"].full_id, "loading[%]")
        view_seconds = grid_sim.cell_view_seconds()
    powers = cells.powers(START, 1)
    reference = copy.deepcopy(cells.net)
    for step in range(4):
        reference.load["p_mw"] = powers.load_p_mw.iloc[step].to_numpy()
        reference.load["q_mvar"] = 0.0  # bus inputs carry active power only
        reference.sgen["p_mw"] = powers.sgen_p_mw.iloc[step].to_numpy()
        pp.runpp(reference, numba=False)
        for cell, view in enumerate(views):
            got = GridView.from_dict(data[view.full_id][step * 900])
            buses = reference.bus.index[reference.bus.cell == cell]
            np.testing.assert_allclose(got.vm_pu, reference.res_bus.vm_pu[buses], atol=1e-8)
            assert got.units == tuple(units[cell]) and got.limits.v_max == 1.04
            assert (got.dv_dp > 0).all() and got.dloading_dp.shape[1] == len(units[cell])
        assert loading[step * 900] == pytest.approx(reference.res_trafo.loading_percent[0],
                                                    rel=1e-6)
    assert view_seconds > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"codes": ["1-MV-rural--9-sw"]}, r"code='1-MV-rural--9-sw' is not a SimBench code"),
    ({"codes": ["1-HV-mixed--0-sw"]}, r"codes: '1-HV-mixed--0-sw' is not an MV or LV"),
    ({"codes": "1-MV-rural--1-sw"}, r"codes must be a non-empty list"),
    ({"cells": 0}, r"cells must be an integer >= 1 or a list of 'code:k', got 0"),
    ({"cells": ["1-MV-rural--1-sw"]}, r"cells: '1-MV-rural--1-sw' must be 'code:k'"),
    ({"cells": ["1-MV-rural--1-sw:99"]}, r"1-MV-rural--1-sw has no such feeder"),
    ({"cells": 500}, r"cells=500: the grids .* have only \d+ eligible feeders"),
    ({"level": "bus"}, r"level must be one of \['feeder', 'grid'\], got 'bus'"),
    ({"min_buses": 0}, r"min_buses must be an integer >= 1, got 0"),
])
def test_bad_input_is_named_before_any_simulation(cache_dir, kwargs, message):
    kwargs = {"codes": ["1-MV-rural--1-sw"], "cache_dir": cache_dir, **kwargs}
    with pytest.raises(ConfigError, match=message):
        build_simbench_cells(**kwargs)


def test_the_cache_stays_outside_the_package_and_windows_are_checked(cells):
    package = simbench_cache._PACKAGE_ROOT / "massca_grid"
    with pytest.raises(ConfigError, match="lies inside the installed package"):
        simbench_cache.cache_root(package / "cache")
    with pytest.raises(ConfigError, match=r"start='2017-01-01 00:00:00' is not on"):
        cells.powers("2017-01-01", 1)
    with pytest.raises(ConfigError, match=r"the profiles end at 2016-12-31 23:45:00 CET"):
        cells.powers("2016-12-31 12:00", 1)
    with pytest.raises(ConfigError, match=r"days must be a number > 0, got 0"):
        cells.powers(START, 0)
