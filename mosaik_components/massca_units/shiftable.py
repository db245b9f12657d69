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

from mosaik_components.mas.model.horizon import (
    Band,
    Costs,
    EnergyLimit,
    HorizonFlex,
    first_box,
    impossible,
)

from .base import FLEX_ATTRS, Entity, UnitSimulator, start_cmd
from .flexload import profile_demand
from .params import ShiftableLoadParams
from .setpoints import POWER_ATTRS, SETPOINT_ATTRS

__all__ = ["ShiftableLoadSimulator", "served_bounds", "served_bounds_batch", "served_rates",
           "deferrable_flex", "serve", "main"]

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

#: a queued chunk: [absolute interval index by whose end it must be served, energy MWh]
Chunk = list
NO_QUEUE = np.zeros((0, 2))


def served_bounds(queue: list[Chunk] | np.ndarray, now: int, arrivals: np.ndarray,
                  delay: int, max_backlog: float, p_max_mwh: float,
                  terminal_backlog: float | None, must: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds on the energy served after each interval of the horizon, and the ASAP path.

    ``queue`` holds what is queued at interval ``now`` (its arrival included);
    ``arrivals[j]`` (MWh, ``j >= 1``) is the forecast queued arrival in interval ``j``
    (``arrivals[0]`` is ignored: it is in the queue); ``must[j]`` (MWh) is what interval
    ``j`` must serve at once (default none); ``p_max_mwh`` is the most one interval can
    serve. Returns ``(lower, upper, fastest)``: the served energy after interval ``k``
    must lie in ``[lower[k], upper[k]]``, and ``fastest`` is what serving as fast as
    possible reaches (the uncontrolled path). ``lower`` never exceeds what the rated power
    can reach, so the bounds always admit a schedule. :func:`served_bounds_batch` does
    many loads at once.
    """
    chunks = np.asarray(queue, dtype=float).reshape(-1, 2)
    must = np.zeros(arrivals.size) if must is None else must
    result = served_bounds_batch(
        chunks[np.newaxis, :, 0], chunks[np.newaxis, :, 1], now, arrivals[np.newaxis],
        np.array([delay]), np.array([max_backlog]), np.array([p_max_mwh]),
        np.array([np.nan if terminal_backlog is None else terminal_backlog]),
        must[np.newaxis])
    return result[0][0], result[1][0], result[2][0]


def served_bounds_batch(deadlines: np.ndarray, energies: np.ndarray, now: int,
                        arrivals: np.ndarray, delay: np.ndarray, max_backlog: np.ndarray,
                        p_max_mwh: np.ndarray, terminal_backlog: np.ndarray,
                        must: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`served_bounds` for many loads (rows): queues padded to one length.

    ``deadlines``/``energies`` (rows x chunks; padding: any deadline, energy 0),
    ``arrivals``/``must`` (rows x H, MWh), per row ``delay`` (intervals), ``max_backlog``,
    ``p_max_mwh`` and ``terminal_backlog`` (NaN: none).
    """
    horizon = arrivals.shape[1]
    steps = np.arange(horizon)
    later = np.zeros(arrivals.shape)
    np.cumsum(arrivals[:, 1:], axis=1, out=later[:, 1:])
    upper = energies.sum(axis=1)[:, np.newaxis] + later
    due = deadlines[:, :, np.newaxis] <= now + steps  # rows x chunks x H
    queued_due = (energies[:, :, np.newaxis] * due).sum(axis=1)
    back = steps - delay[:, np.newaxis]  # arrivals up to k - delay are due by k
    forecast_due = np.where(back >= 1, np.take_along_axis(
        later, np.clip(back, 0, horizon - 1), axis=1), 0.0)
    lower = np.maximum(queued_due + forecast_due, upper - max_backlog[:, np.newaxis])
    if horizon > 1:
        ends = ~np.isnan(terminal_backlog)
        lower[ends, -1] = np.maximum(lower[ends, -1], upper[ends, -1] - terminal_backlog[ends])
    # the most the rated power (less what is served at once) can have served from the
    # queue after k: min over j <= k of upper[j] + the room of intervals j+1..k
    room = np.cumsum(np.maximum(p_max_mwh[:, np.newaxis] - must, 0.0), axis=1)
    fastest = np.minimum(np.minimum.accumulate(upper - room, axis=1) + room, room)
    at_once = np.cumsum(must, axis=1)
    return np.minimum(lower, fastest) + at_once, upper + at_once, fastest + at_once


def served_rates(fastest: np.ndarray, step_h: float) -> np.ndarray:
    """Power per interval (MW) of a cumulative served energy (MWh, along the last axis).

    The cumulative is non-decreasing by construction; its float rounding (differences of
    about -1e-17, seen at 50 SimBench cells) is removed, not passed on as a negative
    consumption.
    """
    return np.maximum(np.diff(fastest, prepend=0.0, axis=-1), 0.0) / step_h


def deferrable_flex(queue: list[Chunk] | np.ndarray, now: int, demand: np.ndarray,
                    step_h: float, delay: int, max_backlog: float, p_max: float, costs: Costs,
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
    expected = served_rates(fastest, step_h)
    flex = HorizonFlex(step_h, Band.zeros(n), Band(expected, must, np.full(n, p_max)),
                       (EnergyLimit("served", 0.0, lower, upper),), costs)
    return flex.tightened(what)


def serve(queue: np.ndarray, energy: float) -> np.ndarray:
    """The queue (rows ``[deadline, MWh]``) after serving ``energy`` MWh, first in first out."""
    if not len(queue):
        return queue
    left = np.cumsum(queue[:, 1]) - energy  # what is left of the queue up to each chunk
    keep = left > 1e-12
    rest = queue[keep].copy()
    if rest.size:
        rest[0, 1] = min(rest[0, 1], left[keep][0])
    return rest


class ShiftableLoadSimulator(UnitSimulator):
    """Deferrable loads (see the module docstring)."""

    model = "ShiftableLoad"
    prefix = "ShiftableLoad"

    def __init__(self) -> None:
        super().__init__(META)

    def make(self, eid: str, **params: Any) -> Entity:
        """A deferrable load from validated :class:`~.params.ShiftableLoadParams`."""
        checked = ShiftableLoadParams.checked(eid, params, {"step_h": self.step_h})
        p = checked.model_dump(include={"peak_mw", "flexible_share", "max_delay_h", "cos_phi"})
        p.update(p_max_mw=checked.rated_mw, max_backlog_mwh=checked.backlog_mwh,
                 tan_phi=math.tan(math.acos(checked.cos_phi)))
        entity = Entity(eid, p, "consumption")
        entity.state.update(delay=int(round(checked.max_delay_h / self.step_h)),
                            queue=NO_QUEUE, queue_end=None, demand=0.0, index=0,
                            terminal=checked.terminal, costs=Costs(shift=checked.shift_cost))
        return entity

    def _queue(self, entity: Entity, demand: float) -> None:
        """Settle the last step's queue and add this step's queued arrival."""
        state = entity.state
        if state["queue_end"] is not None:
            state["queue"] = state["queue_end"]
        queued = entity.params["flexible_share"] * demand * self.step_h
        if queued > 0:
            state["queue"] = np.vstack([state["queue"],
                                        [state["index"] + state["delay"], queued]])

    def advance(self, time: int, inputs: dict[str, dict[str, Any]]) -> None:
        """All loads at once: bounds (:func:`served_bounds_batch`), interval 0's box."""
        entities = list(self.entities.values())
        if not entities:
            return
        dt, index = self.step_h, time // self.step_size
        demand = np.array([profile_demand(self, e.eid, time, inputs) for e in entities])
        for entity, now in zip(entities, demand[:, 0], strict=True):
            entity.state.update(index=index, demand=float(now))
            self._queue(entity, float(now))
        column = {name: np.array([e.params[name] for e in entities])
                  for name in ("flexible_share", "p_max_mw", "max_backlog_mwh")}
        share = column["flexible_share"][:, np.newaxis]
        width = max(len(e.state["queue"]) for e in entities)
        deadlines, energies = np.zeros((len(entities), width)), np.zeros((len(entities), width))
        for row, entity in enumerate(entities):
            queue = entity.state["queue"]
            deadlines[row, :len(queue)], energies[row, :len(queue)] = queue[:, 0], queue[:, 1]
        cyclic = np.array([e.state["terminal"] == "cyclic" for e in entities])
        before = energies.sum(axis=1) - share[:, 0] * demand[:, 0] * dt
        must = (1.0 - share) * demand
        lower, upper, fastest = served_bounds_batch(
            deadlines, energies, index, share * demand * dt,
            np.array([e.state["delay"] for e in entities]), column["max_backlog_mwh"],
            column["p_max_mw"] * dt, np.where(cyclic, np.maximum(before, 0.0), np.nan),
            must * dt)
        top = np.broadcast_to(column["p_max_mw"][:, np.newaxis], demand.shape)
        zeros = np.zeros(demand.shape)
        _, _, c_min, c_max, bad = first_box(zeros[:, 0], lower, upper, (zeros, zeros),
                                            (must, top), 1.0, 1.0, dt)
        expected = served_rates(fastest, dt)
        for row, entity in enumerate(entities):
            if bad[row] >= 0:  # served_bounds always admits a schedule: float noise
                raise ValueError(impossible(f"{self.sid}.{entity.eid}.flex.energy[served]",
                                            0.0, int(bad[row])))
            self._publish(entity, expected[row], must[row], top[row], lower[row],
                          upper[row], float(c_min[row]), float(c_max[row]))

    def _publish(self, entity: Entity, expected: np.ndarray, must: np.ndarray,
                 top: np.ndarray, lower: np.ndarray, upper: np.ndarray, c_min: float,
                 c_max: float) -> None:
        """The entity's flex and this step's band (interval 0 narrowed to ``c_min..c_max``)."""
        low, high = must.copy(), top.copy()
        low[0], high[0] = c_min, c_max
        horizon = low.size
        entity.set_flex(HorizonFlex(self.step_h, Band.zeros(horizon),
                                    Band(expected, low, high),
                                    (EnergyLimit("served", 0.0, lower, upper),),
                                    entity.state["costs"]))
        power = entity.power
        power.uncontrolled = -float(expected[0])
        power.p_min, power.p_max = -c_max, -c_min

    def settle(self, entity: Entity) -> None:
        state, dt = entity.state, self.step_h
        served = -entity.power.p
        at_once = (1.0 - entity.params["flexible_share"]) * state["demand"]
        state["queue_end"] = serve(state["queue"], max(served - at_once, 0.0) * dt)
        end = state["queue_end"]
        late = float(end[end[:, 0] == state["index"], 1].sum())
        entity.settle_total("E_overdue[MWh]", late)
        entity.settle_total("E_shifted[MWh]", max(state["demand"] - served, 0.0) * dt)

    def extra_outputs(self, entity: Entity) -> dict[str, Any]:
        q = -entity.power.p * entity.params["tan_phi"]
        end = entity.state["queue_end"]
        backlog = float(end[:, 1].sum()) if end is not None else 0.0
        return {"P_demand[MW]": entity.state["demand"], "backlog[MWh]": backlog,
                "Q[MVar]": -q, "Q_load[MVar]": q}


def main() -> None:
    """Start the simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    start_cmd(ShiftableLoadSimulator())


if __name__ == "__main__":
    main()
