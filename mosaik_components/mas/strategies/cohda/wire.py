"""COHDA messages as plain JSON data (for negotiations across containers).

Arrays travel as nested lists, weights as ``[num, exp]``; nothing is pickled. Inside
one container messages are handed over as objects and never encoded. The protocol
layer's codec registers :data:`WIRE_TYPES` with mango.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .model import Candidate, Objective, SystemConfig, WorkingMemory
from .protocol import Done, Start, Update
from .weight import Weight

__all__ = ["WIRE_TYPES"]


def _objective(o: Objective) -> dict[str, Any]:
    return {"t": o.target.tolist(), "w": o.weights.tolist()}


def _candidate_to(c: Candidate) -> dict[str, Any]:
    return {"s": c.schedules.tolist(), "k": c.known.tolist(), "by": c.creator,
            "perf": c.performance}


def _memory(m: WorkingMemory) -> dict[str, Any]:
    return {"cs": m.config.schedules.tolist(), "cc": m.config.counters.tolist(),
            **_candidate_to(m.candidate)}


def _candidate(d: dict[str, Any]) -> Candidate:
    return Candidate(np.asarray(d["s"], dtype=float), np.asarray(d["k"], dtype=np.bool_),
                     int(d["by"]), float(d["perf"]))


def _memory_from(d: dict[str, Any]) -> WorkingMemory:
    config = SystemConfig(np.asarray(d["cs"], dtype=float), np.asarray(d["cc"], dtype=np.int64))
    return WorkingMemory(config, _candidate(d))


def _start_from(d: list[Any]) -> Start:
    return Start(d[0], Objective(np.asarray(d[1]["t"]), np.asarray(d[1]["w"])), d[2], Weight(*d[3]))


def _done_to(m: Done) -> list[Any]:
    return [m.negotiation, m.sender, None if m.candidate is None else _candidate_to(m.candidate),
            [m.weight.num, m.weight.exp], m.capped]


def _done_from(d: list[Any]) -> Done:
    return Done(d[0], d[1], None if d[2] is None else _candidate(d[2]), Weight(*d[3]), d[4])


#: (type, to plain data, from plain data) for every COHDA message.
WIRE_TYPES: tuple[tuple[type, Callable[[Any], Any], Callable[[Any], Any]], ...] = (
    (Start, lambda m: [m.negotiation, _objective(m.objective), m.agents,
                       [m.weight.num, m.weight.exp]], _start_from),
    (Update, lambda m: [m.negotiation, m.sender, _memory(m.memory), [m.weight.num, m.weight.exp]],
     lambda d: Update(d[0], d[1], _memory_from(d[2]), Weight(*d[3]))),
    (Done, _done_to, _done_from),
)
