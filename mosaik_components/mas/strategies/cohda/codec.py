"""COHDA messages on mango's JSON codec (for negotiations across containers).

Arrays travel as nested lists, weights as ``[num, exp]``; nothing is pickled.
Inside one container messages are handed over as objects and never encoded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mango.messages.codecs import Codec

from .model import Candidate, Objective, SystemConfig, WorkingMemory
from .protocol import Done, Start, Update
from .weight import Weight

__all__ = ["register_cohda"]


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


def register_cohda(codec: Codec) -> Codec:
    """Teach ``codec`` the COHDA message types and return it."""
    codec.add_serializer(
        Start,
        lambda m: [m.negotiation, _objective(m.objective), m.agents, [m.weight.num, m.weight.exp]],
        lambda d: Start(d[0], Objective(np.asarray(d[1]["t"]), np.asarray(d[1]["w"])), d[2],
                        Weight(*d[3])),
    )
    codec.add_serializer(
        Update,
        lambda m: [m.negotiation, m.sender, _memory(m.memory), [m.weight.num, m.weight.exp]],
        lambda d: Update(d[0], d[1], _memory_from(d[2]), Weight(*d[3])),
    )
    codec.add_serializer(
        Done,
        lambda m: [m.negotiation, m.sender,
                   None if m.candidate is None else _candidate_to(m.candidate),
                   [m.weight.num, m.weight.exp], m.capped],
        lambda d: Done(d[0], d[1], None if d[2] is None else _candidate(d[2]), Weight(*d[3]),
                       d[4]),
    )
    return codec

