"""Our own method file in the style of MASSCA's older revision (a5dc1e6), as closures.

``aggregate`` and ``execute`` have MASSCA a5's strict signatures (no ``**kwargs``: MASSCA
called them without keyword extras). The core's state is the external grid's: its
``input_method`` reads the (time-shifted) exchange, import positive, into production
(import) or consumption (export) with a band of ``[0, 100]`` MW; its ``execute_method``
returns that state with the cells' remaining deficit added. Units report
``current``/``min``/``max`` in their own direction (``kinds``); the core balances with
production first, then load shedding, then the external grid, and instructs deltas
(``scale_factor``); controllers reset their own state after every ``execute``;
``output_method`` sends ``scale_factor`` only while not converged and ``current`` always
(for the core: its net exchange). Everything the hooks see goes to ``record``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from mosaik_components.mas.utils import MAS_DEFAULT_STATE, PRECISION

SIDES = ("production", "consumption")


def zero() -> dict[str, dict[str, float]]:
    """A fresh MASSCA state dict."""
    return copy.deepcopy(MAS_DEFAULT_STATE)


def _summed(values: dict[str, float]) -> float:
    return sum(values.values())


def _compose(children: dict[str, Any], delta: dict[str, float]) -> dict[str, Any]:
    """Each child (in order) takes what it can of each side's delta."""
    left = dict(delta)
    out = {}
    for aid, state in children.items():
        new = copy.deepcopy(state)
        for side in SIDES:
            part = new[side]
            room = part["max"] - part["current"] if left[side] >= 0 else part["min"] - part[
                "current"]
            move = min(left[side], room) if left[side] >= 0 else max(left[side], room)
            part["current"] += move
            left[side] -= move
            part["scale_factor"] = part["current"] - state[side]["current"]
        out[aid] = new
    return out


def make_hooks(record: list, kinds: dict[str, str], never_ok: bool = False,
               cohda: Any = None) -> dict[str, Callable[..., Any]]:
    """The four hooks, recording into ``record`` (``never_ok``: the core never says ok).

    With ``cohda`` (MASSCA's ``COHDA`` interface) the core splits the cells' production as
    MASSCA's examples/hyBitCell does between cells: COHDA picks the cells' production to
    match their consumption; the solution is kept in ``final_schedules``.
    """

    def input_method(aeid, aid, input_data, current_state, current_time, first_time_step,
                     **kwargs):
        record.append(("input", aeid, current_time, first_time_step,
                       copy.deepcopy(input_data), copy.deepcopy(current_state), sorted(kwargs)))
        if aeid == "MosaikAgent":
            return _grid_state(input_data)
        return _unit_state(kinds[aeid], input_data, current_state)

    def aggregate(aeid, aid, requested_states, current_state):  # MASSCA a5: no **kwargs
        total = copy.deepcopy(current_state)
        for state in requested_states.values():
            for side in SIDES:
                for key in ("min", "max", "current"):
                    total[side][key] += state[side][key]
        record.append(("aggregate", aeid, copy.deepcopy(current_state),
                       copy.deepcopy(requested_states), copy.deepcopy(total)))
        return total

    def execute(aeid, aid, instruction, current_state, requested_states):  # no **kwargs
        result = _execute(aeid, aid, instruction, current_state, requested_states, cohda)
        if never_ok and instruction is None:
            result = (False, *result[1:])
        record.append(("execute", aeid, copy.deepcopy(instruction), copy.deepcopy(current_state),
                       copy.deepcopy(requested_states), copy.deepcopy(result)))
        return result

    def output_method(aeid, aid, attrs, current_state, converged, current_time_step,
                      first_time_step, **kwargs):
        record.append(("output", aeid, list(attrs), copy.deepcopy(current_state), converged,
                       current_time_step, first_time_step))
        return _outputs(kinds.get(aeid), attrs, current_state, converged)

    return {"input_method": input_method, "states_agg_method": aggregate,
            "execute_method": execute, "output_method": output_method}


def _grid_state(input_data):
    """The core's state: the measured exchange (import positive) in a [0, 100] MW band."""
    state = zero()
    for side in SIDES:
        state[side]["max"] = 100.0
    if "current" in input_data:
        value = _summed(input_data["current"])
        state["production" if value > 0 else "consumption"]["current"] = abs(value)
    return state


def _unit_state(side, input_data, current_state):
    """A unit's state from its inputs; ``scale_factor`` carried over (as MASSCA's scenario)."""
    state = zero()
    if "current" in input_data:
        state[side]["current"] = _summed(input_data["current"])
        state[side]["min"] = _summed(input_data.get("min", {"": 0.0}))
        state[side]["max"] = _summed(input_data.get("max", input_data["current"]))
    for name in SIDES:
        state[name]["scale_factor"] = current_state[name]["scale_factor"]
    return state


def _outputs(side, attrs, current_state, converged):
    """Units: ``current`` and, while not converged, ``scale_factor``; else the net power."""
    if side is None:  # the core or a controller
        data = {"current": current_state["production"]["current"]
                - current_state["consumption"]["current"]}
    else:
        data = {"current": current_state[side]["current"]}
        if not converged:
            data["scale_factor"] = current_state[side]["scale_factor"]
    return {a: data[a] for a in attrs if a in data}


def _cohda_split(cohda, aeid, current_state, requested_states):
    """The core: COHDA picks each cell's production so that their sum meets the load."""
    flexibility = [{"flex_max_power": [s["production"]["max"]],
                    "flex_min_power": [s["production"]["min"]]}
                   for s in requested_states.values()]
    target = [sum(s["consumption"]["current"] for s in requested_states.values())]
    # the same inputs give COHDA's cached solution (MASSCA's COHDA caches per input too)
    cohda.final_schedules[aeid] = cohda.execute(target_schedule=target, flexibility=flexibility)
    instructions = {}
    for (aid, state), schedule in zip(requested_states.items(),
                                      cohda.final_schedules[aeid].values(), strict=True):
        new = copy.deepcopy(state)
        new["production"]["current"] = schedule["FlexSchedules"][0]
        new["production"]["scale_factor"] = (new["production"]["current"]
                                             - state["production"]["current"])
        new["consumption"]["scale_factor"] = 0.0
        instructions[aid] = new
    return True, instructions, copy.deepcopy(current_state)


def _execute(aeid, aid, instruction, current_state, requested_states, cohda=None):
    if cohda is not None and instruction is None and requested_states:
        return _cohda_split(cohda, aeid, current_state, requested_states)
    if not requested_states:  # a unit: runs at its instruction
        return True, {aid: instruction}, instruction
    if instruction is None:  # the core: production up, then shed load, then the grid
        total = zero()
        for state in requested_states.values():
            for side in SIDES:
                for key in ("min", "max", "current"):
                    total[side][key] += state[side][key]
        deficit = total["consumption"]["current"] - total["production"]["current"]
        more = min(max(deficit, 0.0), total["production"]["max"] - total["production"]["current"])
        less = min(max(deficit - more, 0.0),
                   total["consumption"]["current"] - total["consumption"]["min"])
        grid = copy.deepcopy(current_state)  # the measured exchange plus what is left
        rest = (current_state["production"]["current"] - current_state["consumption"]["current"]
                + deficit - more - less)
        grid["production"]["current"] = max(rest, 0.0)
        grid["consumption"]["current"] = max(-rest, 0.0)
        ok = more < PRECISION and less < PRECISION  # ok once the cells need no change
        return ok, _compose(requested_states, {"production": more, "consumption": -less}), grid
    delta = {side: instruction[side]["current"] - current_state[side]["current"]
             for side in SIDES}
    return True, _compose(requested_states, delta), zero()
