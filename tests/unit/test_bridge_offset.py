"""A flex unit's state after the first iteration: it runs at the setpoint last sent.

The measured exchange (``P_ext[MW]``) and the grid views come from the power flow of the
iteration, in which a unit with a ``flex`` horizon ran at its last setpoint; its state's
``current`` must be that power, or the core's offset and the grid-aware linearisation
count the setpoint's change twice.
"""

from mosaik_components.mas.model import Target
from mosaik_components.mas.mosaik.bridge import Entity, TypedBridge
from mosaik_components.mas.mosaik.config import parse_config

# a shiftable load: expected 2 MW now, may run between 0 and 3 MW
LOAD = {"step_h": 0.25, "production": [[0.0], [0.0], [0.0]],
        "consumption": [[2.0], [0.0], [3.0]], "energy": [], "costs": {}}


def flex_unit() -> Entity:
    unit = Entity("Agent_2", "MosaikAgents", "Agent_1", "unit", kind="consumer", role="unit")
    unit.objects["flex"] = LOAD
    return unit


def core(p_ext: float) -> Entity:
    entity = Entity("MosaikAgent", "MosaikAgents", None, "core", role="core")
    entity.values["P_ext[MW]"] = p_ext
    return entity


def step(bridge: TypedBridge, unit: Entity, p_ext: float, first: bool) -> float:
    """The unit's state and the core's offset in one iteration."""
    unit.state = bridge.unit_state(unit, 0, first)
    if first:  # as the simulator does: the uncontrolled state of this time
        unit.base = unit.state
    return bridge.core_state(core(p_ext), [unit], 0, first)[0]


def test_a_flex_unit_runs_uncontrolled_first_then_at_its_last_setpoint():
    bridge = TypedBridge(parse_config({}))
    unit = flex_unit()
    unit.running = Target(0.0, 0.7)  # sent at an earlier time: not in effect any more
    # the flow ran the load at its expected 2 MW; 5 MW import -> 3 MW besides the unit
    assert step(bridge, unit, 5.0, first=True) == 3.0
    assert unit.state.consumption.current == 2.0
    bridge.unit_outputs(unit, Target(0.0, 0.5), ["P_set[MW]"], False, 0, True)
    # the unit then ran at 0.5 MW and the flow imported 3.5 MW: the rest is still 3 MW
    assert step(bridge, unit, 3.5, first=False) == 3.0
    assert unit.state.consumption.current == 0.5
    assert (unit.state.consumption.min, unit.state.consumption.max) == (0.0, 3.0)
