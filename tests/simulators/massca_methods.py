"""A MASSCA-style method file: hooks with MASSCA's names and signatures.

``record`` is a list passed as a user parameter; the hooks append what they saw.
"""

from __future__ import annotations

import copy

STATE = {
    "production": {"min": 0.0, "max": 0.0, "current": 0.0},
    "consumption": {"min": 0.0, "max": 0.0, "current": 0.0},
}


def initialize(**kwargs):
    kwargs["record"].append(("initialize", kwargs["between-cells"]))


def finalize(**kwargs):
    kwargs["record"].append(("finalize",))


def input_method(aeid, aid, input_data, current_state, current_time, first_time_step, **kwargs):
    state = copy.deepcopy(current_state)
    for attr, sources in input_data.items():
        value = sum(sources.values())
        if attr.endswith("consumption[MW]"):
            state["consumption"].update(current=value, min=value, max=value)
        elif attr.endswith("production[MW]"):
            state["production"].update(current=value, min=0.0, max=value)
    return state


def states_agg_method(aeid, aid, requested_states, current_state=None, **kwargs):
    total = copy.deepcopy(STATE)
    for state in requested_states.values():
        for part in ("production", "consumption"):
            for key in ("min", "max", "current"):
                total[part][key] += state[part][key]
    return total


def _scaled(state, factor):
    new = copy.deepcopy(state)
    new["production"]["current"] = state["production"]["current"] * factor
    return new


def execute_method(aeid, aid, instruction, current_state, requested_states, current_time,
                   first_time_step, **kwargs):
    kwargs["record"].append(("execute", aeid, instruction is None, len(requested_states)))
    if not requested_states:
        return True, {aid: instruction}, instruction
    total = states_agg_method(aeid, aid, requested_states)
    produced = total["production"]["current"]
    if instruction is None:  # the top: curtail production down to the consumption
        goal = min(produced, total["consumption"]["current"])
    else:
        goal = instruction["production"]["current"]
    factor = goal / produced if produced else 1.0
    return True, {k: _scaled(s, factor) for k, s in requested_states.items()}, current_state


def output_method(aeid, aid, attrs, current_state, converged, current_time_step,
                  first_time_step, **kwargs):
    return {"custom[MW]": current_state["production"]["current"] * 1000.0}
