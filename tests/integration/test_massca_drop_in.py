"""MASSCA semantics that its own scenario (a5dc1e6) relies on, with our a5-style hooks.

    ext (time-based, import positive) ~~time-shifted~~> core
    core -> cell A(1) -> pv0 (1, 1.5 MW; up to 2), load0 (4 MW; down to 2),
                         fixed0 (no inputs; initial_state 0.5 MW)
         -> cell B(2) -> pv1 (1 MW; up to 2), load1 (1 MW, fixed)

The hooks (tests/simulators/massca_a5_style.py) have MASSCA a5's strict signatures for
``aggregate``/``execute``; units apply ``scale_factor`` within the step, as MASSCA's
unit simulators do. The parity run against MASSCA itself (``scalability/massca_parity.py``)
showed these to matter: the core steps one second after every grid step (time-shifted
exchange) and is stepped every ``step_size``, its state goes through ``input_method`` in
every cycle, the core's and controllers' outputs come from ``output_method``.
"""

from __future__ import annotations

import mosaik
import pytest

from tests.conftest import SIM_CONFIG
from tests.simulators.massca_a5_style import make_hooks, zero

CONFIG = {**SIM_CONFIG, "Series": {"python": "tests.simulators.series:SeriesSimulator"}}
EXT = [-2.5, 0.5]  # the external grid's exchange per 900 s step
FIXED = {"production": {"min": 0.5, "max": 0.5, "current": 0.5, "scale_factor": 0.0},
         "consumption": {"min": 0.0, "max": 0.0, "current": 0.0, "scale_factor": 0.0}}
CELL_A_START = {"production": {"min": 0.0, "max": 0.0, "current": 0.0, "scale_factor": 0.0},
                "consumption": {"min": 0.0, "max": 0.25, "current": 0.25, "scale_factor": 0.0}}
UNITS = {"pv0": ("production", 0, [1.0, 1.5], 0.0, 2.0),
         "load0": ("consumption", 0, [4.0], 2.0, 4.0),
         "pv1": ("production", 1, [1.0], 0.0, 2.0),
         "load1": ("consumption", 1, [1.0], 1.0, 1.0)}


def run(world, until=1800, **extra):
    """Build and run the topology; returns (record, core, cells, agents, collector)."""
    record, kinds = [], {}
    with world.group():
        hooks = make_hooks(record, kinds, never_ok=extra.pop("never_ok", False),
                           cohda=extra.pop("cohda", None))
        mas = world.start("MAS", step_size=900, verbose=-1, performance=False,
                          convergence_steps=2, state_dict=zero(), **hooks, **extra)
        units = world.start("Units", step_size=900)
    grid = world.start("Series", step_size=900)
    collector = world.start("Collector")
    sink = collector.Collector()
    core = mas.MosaikAgents()
    cells = [mas.MosaikAgents.create(num=1, controller=None, initial_state=CELL_A_START)[0],
             mas.MosaikAgents.create(num=1, controller=None)[0]]
    ext = grid.Series(values=EXT)
    agents = {}
    for name, (side, cell, profile, low, high) in UNITS.items():
        unit = units.Unit(profile=profile, min=low, max=high)
        agent = mas.MosaikAgents.create(num=1, controller=cells[cell].eid)[0]
        kinds[agent.eid] = side
        world.connect(unit, agent, "current", "min", "max")
        world.connect(agent, unit, "scale_factor", weak=True)
        world.connect(unit, ext, "current")  # the grid steps after the units, as a grid does
        agents[name] = agent
        if name == "load0":
            agents["fixed0"] = mas.MosaikAgents.create(num=1, controller=cells[0].eid,
                                                       initial_state=FIXED)[0]
            kinds[agents["fixed0"].eid] = "production"
    world.connect(ext, core, ("P[MW]", "current"), time_shifted=True,
                  initial_data={"P[MW]": 0.0})
    world.connect(core, sink, "current")
    world.connect(cells[0], sink, "current")
    world.run(until=until)
    return record, core, cells, agents, collector


def of(record, kind, eid=None):
    return [r for r in record if r[0] == kind and (eid is None or r[1] == eid)]


@pytest.fixture
def config_world():
    with mosaik.World(CONFIG) as world:
        yield world


def test_time_shifted_exchange_reaches_the_core_every_cycle_and_its_state_goes_out(
        config_world):
    record, core, cells, agents, collector = run(config_world)
    # GIVEN the exchange of t - 1 (initial data 0 at t = 0) WHEN the MAS steps THEN the
    # core's input_method gets it in every cycle, also one second after each grid step
    core_inputs = of(record, "input", "MosaikAgent")
    assert len(core_inputs) == len(of(record, "execute", "MosaikAgent"))
    times = sorted({r[2] for r in core_inputs})
    assert times == [0, 1, 900, 901]
    for _, _, time, _, data, _, _ in core_inputs:
        expected = 0.0 if time == 0 else EXT[(time - 1) // 900]
        assert list(data["current"].values()) == [pytest.approx(expected)]
    # the core's output_method gets the core's own state (what its execute returned last)
    # and the cells' the instruction they were given; both reach mosaik as returned
    for time in times:
        last = [r for r in of(record, "execute", "MosaikAgent")
                if r[3] is not None and _time_of(record, r) == time][-1]
        ok, instructions, state = last[5]
        net = state["production"]["current"] - state["consumption"]["current"]
        assert collector.last(core.full_id, "current")[time] == pytest.approx(net)
        cell = instructions["agent1"]
        cell_net = cell["production"]["current"] - cell["consumption"]["current"]
        assert collector.last(cells[0].full_id, "current")[time] == pytest.approx(cell_net)
    core_outputs = of(record, "output", "MosaikAgent")
    assert core_outputs and all(r[2] == ["current"] for r in core_outputs)


def _time_of(record, entry):
    """The time of a hook call: that of the last input call before it."""
    index = record.index(entry)
    return next(r[2] for r in reversed(record[:index]) if r[0] == "input")


def test_initial_state_per_entity_and_a_unit_without_inputs_keeps_its_execute_state(
        config_world):
    record, core, cells, agents, _ = run(config_world, until=900)
    fixed = agents["fixed0"].eid
    assert fixed == "Agent_5" and not of(record, "input", fixed)
    aggregates = of(record, "aggregate", cells[0].eid)
    executes = of(record, "execute", fixed)
    # first cycle: the unit reports its own initial_state, the cell starts from its own
    assert aggregates[0][3]["agent5"] == FIXED
    assert aggregates[0][2] == CELL_A_START
    # later cycles: the unit reports what its execute_method returned last; the cell's
    # own state is what its execute_method returned (reset), never its last aggregate
    for previous, aggregate in zip(executes, aggregates[1:], strict=False):
        assert aggregate[3]["agent5"] == previous[5][2]
        assert aggregate[2] == zero()


def test_strict_hooks_get_massca_arguments_and_the_massca_parameters(config_world):
    record, *_ = run(config_world, until=900)
    # aggregate/execute without **kwargs ran (massca passes what a hook's signature takes)
    assert of(record, "aggregate") and of(record, "execute")
    names = of(record, "input")[0][6]
    assert {"verbose", "performance", "convergence_steps", "convegence_max_steps",
            "state_dict", "input_method", "output_method", "states_agg_method",
            "execute_method"} <= set(names)


def test_convegence_max_steps_bounds_the_cycles_at_one_time(config_world):
    # GIVEN a core that never says ok WHEN the units keep moving THEN the fourth cycle at
    # time 0 is refused with an error naming both parameters (MASSCA looped on)
    with pytest.raises(Exception, match=r"time 0: .* ok in 0 of 3 cycles.*"
                                        r"convergence_steps=2.*convegence_max_steps=3"):
        run(config_world, until=900, never_ok=True, convegence_max_steps=3)



def test_massca_s_cohda_helper_inside_execute_method(config_world):
    # GIVEN MASSCA's newer method files' pattern: COHDA from mosaik_components.mas.lib.cohda
    # called inside the core's execute_method WHEN the MAS runs THEN the cells' production
    # instructions are COHDA's schedules, each within its cell's band
    from mosaik_components.mas.lib.cohda import COHDA

    cohda = COHDA(muted=True)
    cohda.final_schedules = {}
    record, core, cells, agents, collector = run(config_world, until=900, cohda=cohda)
    schedules = cohda.final_schedules["MosaikAgent"]
    last = of(record, "execute", "MosaikAgent")[-1]
    ok, instructions, _ = last[5]
    bands = [(s["production"]["min"], s["production"]["max"]) for s in last[4].values()]
    produced = [instructions[aid]["production"]["current"] for aid in ("agent1", "agent2")]
    assert produced == [s["FlexSchedules"][0] for s in schedules.values()]
    assert all(low - 1e-9 <= p <= high + 1e-9 for p, (low, high) in zip(produced, bands,
                                                                           strict=True))
    load = sum(s["consumption"]["current"] for s in last[4].values())
    assert abs(sum(produced) - load) < abs(sum(b[0] for b in bands) - load)
