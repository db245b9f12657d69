"""Our own method file in MASSCA's style, written to exercise MASSCA's hook semantics.

State dicts carry a ``scale_factor`` per direction; instructions are deltas (the
``current`` a child shall run at plus ``scale_factor`` = the change); a controller's own
state is reset by ``execute_method`` every cycle; ``output_method`` sends ``scale_factor``
only while not converged. ``record`` (a user parameter) collects what the hooks saw.
"""

from __future__ import annotations

import copy

from mosaik_components.mas.utils import MAS_DEFAULT_STATE, PRECISION

ZERO = MAS_DEFAULT_STATE


def input_method(aeid, aid, input_data, current_state, current_time, first_time_step,
                 kinds=None, record=None, **kwargs):
    record.append(("input", aeid, aid, current_time, first_time_step))
    state = copy.deepcopy(ZERO)
    part = kinds.get(aeid, "production")
    values = {attr: sum(abs(v) for v in sources.values())
              for attr, sources in input_data.items()}
    if "current" in values:
        state[part]["current"] = values["current"]
        state[part]["min"] = values.get("min", 0.0)
        state[part]["max"] = values.get("max", values["current"])
    for side in ("production", "consumption"):  # carried over, as MASSCA's scenario does
        state[side]["scale_factor"] = current_state[side]["scale_factor"]
    return state


def aggregate(aeid, aid, requested_states, current_state, record=None, **kwargs):
    total = copy.deepcopy(current_state)
    for state in requested_states.values():
        for side in ("production", "consumption"):
            for key in ("min", "max", "current"):
                total[side][key] += state[side][key]
    record.append(("aggregate", aeid, sorted(requested_states), copy.deepcopy(total)))
    return total


def _compose(children, delta):
    """Give each child (in order) what it can take of each direction's delta."""
    left = {side: delta[side] for side in ("production", "consumption")}
    instructions = {}
    for aid, state in children.items():
        new = copy.deepcopy(state)
        for side in ("production", "consumption"):
            part = new[side]
            if left[side] >= 0:  # up to the band's top
                move = min(left[side], part["max"] - part["current"])
            else:  # down to its bottom
                move = max(left[side], part["min"] - part["current"])
            part["current"] += move
            left[side] -= move
            part["scale_factor"] = part["current"] - state[side]["current"]
        instructions[aid] = new
    return instructions


def execute(aeid, aid, instruction, current_state, requested_states, record=None, **kwargs):
    record.append(("execute", aeid, aid, instruction is None))
    if not requested_states:
        return True, {aid: instruction}, instruction
    if instruction is None:  # the top: raise production, then shed load, to balance
        total = aggregate(aeid, aid, requested_states, copy.deepcopy(ZERO), record=[])
        deficit = total["consumption"]["current"] - total["production"]["current"]
        more = min(max(deficit, 0.0), total["production"]["max"] - total["production"]["current"])
        less = min(max(deficit - more, 0.0),
                   total["consumption"]["current"] - total["consumption"]["min"])
        delta = {"production": more, "consumption": -less}
        ok = abs(deficit - more - less) < PRECISION
        return ok, _compose(requested_states, delta), current_state
    delta = {side: instruction[side]["current"] - current_state[side]["current"]
             for side in ("production", "consumption")}
    return True, _compose(requested_states, delta), copy.deepcopy(ZERO)


def output(aeid, aid, attrs, current_state, converged, current_time_step, first_time_step,
           record=None, kinds=None, **kwargs):
    record.append(("output", aeid, converged, first_time_step))
    side = kinds.get(aeid, "production")
    data = {"current": current_state[side]["current"]}
    if not converged:
        data["scale_factor"] = current_state[side]["scale_factor"]
    return {a: data[a] for a in attrs if a in data}
