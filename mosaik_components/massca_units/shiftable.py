"""``ShiftableLoad``: a deferrable load whose deferred energy comes back later.

Demand ``peak_mw * P_pu`` (``P_pu`` from a ``LoadProfile``) arrives every step. Its
``flexible_share`` (default 1: all of it) joins a first-in-first-out queue of energy still
to be served; the rest must be served at once. The load draws up to its rated
``p_max_mw``; every queued arrival must be served within ``max_delay_h`` hours (a multiple
of the step), and the queue (the *backlog*) may never exceed ``max_backlog_mwh`` after a
step. Uncontrolled it serves the queue as fast as it can (at once, while ``p_max_mw >=
peak_mw``). Deferring is priced at ``shift_cost`` per MWh. Energy deferred now is served
later: the rebound is part of the simulation.

``flex`` over the simulator's ``horizon`` (demand forecast from ``P_pu_forecast``): the
energy limit ``served`` counts the energy served from interval 0 on; after interval
``k`` it must be at least what is due by then (the part served at once, queued arrivals
older than ``max_delay_h``, and whatever would leave more than ``max_backlog_mwh``
queued) and at most what has arrived; the consumption band's floor is the part served at
once. Because queued arrivals leave in order and all wait the same ``max_delay_h``, these
cumulative bounds are exact. With ``terminal="cyclic"`` (default, horizon > 1) the backlog
at the horizon's end may not exceed today's. A deadline the rated power cannot meet (only
when the demand beats its forecast) is relaxed to what the rated power can serve, and the
energy served late is counted in ``E_overdue[MWh]``.

Outputs besides the power attributes: ``P_demand[MW]`` (arriving demand),
``backlog[MWh]`` (queued after the step), the counters ``E_shifted[MWh]`` (energy
deferred: demand above consumption) and ``E_overdue[MWh]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mosaik_components.mas.model.errors import StateError
from mosaik_components.mas.model.horizon import Band, Costs, EnergyLimit, HorizonFlex

from .base import FLEX_ATTRS, Entity, UnitSimulator
from .flexload import profile_demand
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS, check_finite
from .unitflex import check_cost

__all__ = ["ShiftableLoadSimulator", "served_bounds", "deferrable_flex", "serve"]

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "ShiftableLoad": {
            "public": True,
            "params": ["peak_mw", "flexible_share", "max_delay_h", "max_backlog_mwh",
                       "p_max_mw", "shift_cost", "cos_phi", "terminal"],
            "attrs": ["P_pu", "P_pu_forecast", "P_demand[MW]", "backlog[MWh]",
                      "E_shifted[MWh]", "E_overdue[MWh]", "Q[MVar]", "Q_load[MVar]",
                      *SETPOINT_ATTRS, *POWER_ATTRS, *FLEX_ATTRS],
            "trigger": SETPOINT_ATTRS,
        },
    },
}
TERMINALS = ("cyclic", "free")

#: a queued chunk: [absolute interval index by whose end it must be served, energy MWh]
Chunk = list


def served_bounds(queue: list[Chunk], now: int, arrivals: np.ndarray, delay: int,
                  max_backlog: float, p_max_mwh: float, terminal_backlog: float | None,
                  must: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds on the energy served after each interval of the horizon, and the ASAP path.

    ``queue`` holds what is queued at interval ``now`` (its arrival included);
    ``arrivals[j]`` (MWh, ``j >= 1``) is the forecast queued arrival in interval ``j``
    (``arrivals[0]`` is ignored: it is in the queue); ``must[j]`` (MWh) is what interval
    ``j`` must serve at once (default none); ``p_max_mwh`` is the most one interval can
    serve. Returns ``(lower, upper, fastest)``: the served energy after interval ``k``
    must lie in ``[lower[k], upper[k]]``, and ``fastest`` is what serving as fast as
    possible reaches (the uncontrolled path). ``lower`` never exceeds what the rated power
    can reach, so the bounds always admit a schedule.
    """
    horizon = arrivals.size
    must = np.zeros(horizon) if must is None else must
    later = np.concatenate([[0.0], np.cumsum(arrivals[1:])])
    upper = sum(e for _, e in queue) + later
    deadlines = np.array([d for d, _ in queue], dtype=float) - now
    order = np.argsort(deadlines, kind="stable")
    due_by = np.concatenate([[0.0], np.cumsum(np.array([e for _, e in queue])[order])])
    queued_due = due_by[np.searchsorted(deadlines[order], np.arange(horizon), side="right")]
    forecast_due = np.zeros(horizon)
    if horizon > delay + 1:
        forecast_due[delay + 1:] = later[1:horizon - delay]
    lower = np.maximum(queued_due + forecast_due, upper - max_backlog)
    if terminal_backlog is not None and horizon > 1:
        lower[-1] = max(lower[-1], upper[-1] - terminal_backlog)
    # the most the rated power (less what is served at once) can have served from the
    # queue after k: min over j <= k of upper[j] + the room of intervals j+1..k
    room = np.cumsum(np.maximum(p_max_mwh - must, 0.0))
    fastest = np.minimum(np.minimum.accumulate(upper - room) + room, room)
    at_once = np.cumsum(must)
    return (np.minimum(lower, fastest) + at_once, upper + at_once, fastest + at_once)


def deferrable_flex(queue: list[Chunk], now: int, demand: np.ndarray, step_h: float,
                    delay: int, max_backlog: float, p_max: float, costs: Costs,
                    terminal_backlog: float | None, what: str = "load",
                    flexible_share: float = 1.0) -> HorizonFlex:
    """A deferrable load's horizon flexibility, interval 0 narrowed (``tightened``).

    Consumption between the part served at once and ``p_max`` per interval, the energy
    limit ``served`` (:func:`served_bounds`), expected = served as fast as possible.
    ``demand`` (MW) is the forecast per interval (interval 0's arrival already queued).
    """
    must = (1.0 - flexible_share) * demand
    lower, upper, fastest = served_bounds(
        queue, now, flexible_share * demand * step_h, delay, max_backlog, p_max * step_h,
        terminal_backlog, must * step_h)
    n = demand.size
    expected = np.diff(np.concatenate([[0.0], fastest])) / step_h
    flex = HorizonFlex(step_h, Band.zeros(n), Band(expected, must, np.full(n, p_max)),
                       (EnergyLimit("served", 0.0, lower, upper),), costs)
    return flex.tightened(what)


def serve(queue: list[Chunk], energy: float) -> list[Chunk]:
    """The queue after serving ``energy`` MWh first in, first out (a new list)."""
    rest = []
    for deadline, amount in queue:
        take = min(amount, energy)
        energy -= take
        if amount - take > 1e-12:
            rest.append([deadline, amount - take])
    return rest


class ShiftableLoadSimulator(UnitSimulator):
    """Deferrable loads (see the module docstring)."""

    model = "ShiftableLoad"
    prefix = "ShiftableLoad"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, peak_mw: float = 1.0, flexible_share: float = 1.0,
             max_delay_h: float = 2.0, max_backlog_mwh: float | None = None,
             p_max_mw: float | None = None, shift_cost: float = 0.0, cos_phi: float = 1.0,
             terminal: str = "cyclic", **unknown: Any) -> Entity:
        if unknown:
            raise ValueError(f"{eid}: unknown parameter(s) {sorted(unknown)}")
        p = {name: check_finite(f"{eid}.{name}", value) for name, value in
             (("peak_mw", peak_mw), ("flexible_share", flexible_share),
              ("max_delay_h", max_delay_h), ("cos_phi", cos_phi),
              ("p_max_mw", 2.0 * peak_mw if p_max_mw is None else p_max_mw))}
        p["max_backlog_mwh"] = check_finite(
            f"{eid}.max_backlog_mwh", p["flexible_share"] * p["peak_mw"] * p["max_delay_h"]
            if max_backlog_mwh is None else max_backlog_mwh)
        for name in ("peak_mw", "max_delay_h", "max_backlog_mwh"):
            if p[name] < 0:
                raise ValueError(f"{eid}.{name} must be >= 0, got {p[name]!r}")
        if not 0 <= p["flexible_share"] <= 1:
            raise ValueError(f"{eid}.flexible_share must be in [0, 1] (share of the demand "
                             f"that may wait), got {flexible_share!r}")
        delay = p["max_delay_h"] / self.step_h
        if abs(delay - round(delay)) > 1e-9:
            raise ValueError(f"{eid}.max_delay_h ({max_delay_h}) must be a multiple of the "
                             f"step ({self.step_h} h)")
        if p["p_max_mw"] < p["peak_mw"]:
            raise ValueError(f"{eid}.p_max_mw ({p['p_max_mw']} MW) is below peak_mw "
                             f"({p['peak_mw']} MW): a peak interval's demand cannot be "
                             f"served within its window of max_delay_h={max_delay_h} h, the "
                             "backlog would grow without bound")
        if not 0 < p["cos_phi"] <= 1:
            raise ValueError(f"{eid}.cos_phi must be in (0, 1], got {cos_phi!r}")
        if terminal not in TERMINALS:
            raise ValueError(f"{eid}.terminal must be one of {list(TERMINALS)}, got "
                             f"{terminal!r}")
        p["tan_phi"] = math.tan(math.acos(p["cos_phi"]))
        entity = Entity(eid, p, "consumption")
        entity.state.update(delay=int(round(delay)), queue=[], queue_end=None, demand=0.0,
                            index=0, terminal=terminal,
                            costs=Costs(shift=check_cost(eid, "shift_cost", shift_cost)))
        return entity

    def horizon_flex(self, entity: Entity, demand: np.ndarray) -> HorizonFlex:
        """The ``served`` energy limit over the horizon, interval 0 narrowed to keep it."""
        p, state, dt = entity.params, entity.state, self.step_h
        share = p["flexible_share"]
        before = sum(e for _, e in state["queue"]) - share * demand[0] * dt
        try:
            return deferrable_flex(
                state["queue"], state["index"], demand, dt, state["delay"],
                p["max_backlog_mwh"], p["p_max_mw"], state["costs"],
                max(before, 0.0) if state["terminal"] == "cyclic" else None,
                f"{self.sid}.{entity.eid}.flex", share)
        except StateError as exc:  # served_bounds always admits a schedule: float noise
            raise ValueError(str(exc)) from None

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        for eid, entity in self.entities.items():
            state = entity.state
            if state["queue_end"] is not None:
                state["queue"] = state["queue_end"]  # the last step is settled
            demand = profile_demand(self, eid, time, inputs)
            state["index"] = time // self.step_size
            state["demand"] = float(demand[0])
            queued = entity.params["flexible_share"] * demand[0] * self.step_h
            if queued > 0:
                state["queue"] = [*state["queue"], [state["index"] + state["delay"], queued]]
            flex = self.horizon_flex(entity, demand)
            entity.set_flex(flex)
            power = entity.power
            power.uncontrolled = -float(flex.consumption.expected[0])
            power.p_min = -float(flex.consumption.max[0])
            power.p_max = -float(flex.consumption.min[0])

    def settle(self, entity: Entity) -> None:
        state, dt = entity.state, self.step_h
        served = -entity.power.p
        at_once = (1.0 - entity.params["flexible_share"]) * state["demand"]
        state["queue_end"] = serve(state["queue"], max(served - at_once, 0.0) * dt)
        late = sum(e for d, e in state["queue_end"] if d == state["index"])
        entity.settle_total("E_overdue[MWh]", late)
        entity.settle_total("E_shifted[MWh]", max(state["demand"] - served, 0.0) * dt)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        q = -entity.power.p * entity.params["tan_phi"]
        backlog = sum(e for _, e in entity.state["queue_end"] or [])
        return {"P_demand[MW]": entity.state["demand"], "backlog[MWh]": backlog,
                "Q[MVar]": -q, "Q_load[MVar]": q}
