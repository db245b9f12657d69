"""Many states or targets in one message: their numbers as one float64 column block.

A worker process gets every unit's state each cycle and returns every unit's result
(:class:`~.messages.CycleStart`, :class:`~.messages.UnitsDone`). Sent one list per
unit through JSON, 7,500 states cost ~11 ms to encode and ~9 ms to decode; as one
block of little-endian float64 values in base64 they cost about a millisecond each way
(BENCHMARKS.md, part 2). The packed form, plain JSON-compatible data:

* states: ``{"n": count, "f": base64 of count x 6 floats (production current/min/max,
  consumption current/min/max, as :func:`.codec.pack_state`), "h": {"index": horizon}}``
  with a horizon's plain form (:meth:`~..model.horizon.HorizonFlex.to_dict`) only for
  the states that carry one;
* targets: ``{"n": count, "f": base64 of count x 2 floats (production, consumption),
  "none": [indices without a target], "p": {"index": plan lists}}``.

Reading checks the shape (count, length, indices) and that every value is finite; a
message that fails raises :class:`ValueError` naming the field, so the cycle fails with
that error rather than running on garbage.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..model.flexibility import Flex, Target, UnitState
from ..model.horizon import HorizonFlex, Plan

__all__ = ["pack_states", "unpack_states", "pack_targets", "unpack_targets"]

#: Floats per packed state and per packed target.
STATE_WIDTH = 6
TARGET_WIDTH = 2
_DTYPE = np.dtype("<f8")


def pack_states(states: Sequence[UnitState]) -> dict[str, Any]:
    """The packed form of ``states`` (module doc)."""
    flat: list[float] = []
    extend = flat.extend
    horizons: dict[str, Any] = {}
    for index, state in enumerate(states):
        p, c = state.production, state.consumption
        extend((p.current, p.min, p.max, c.current, c.min, c.max))
        if state.horizon is not None:
            horizons[str(index)] = state.horizon.to_dict()
    return {"n": len(states), "f": _encode(flat), "h": horizons}


def unpack_states(packed: Any, count: int, what: str = "states") -> list[UnitState]:
    """The ``count`` states of :func:`pack_states`'s ``packed``; ValueError if malformed."""
    rows = _rows(packed, count, STATE_WIDTH, what)
    states = [UnitState(Flex(a, b, c), Flex(d, e, f)) for a, b, c, d, e, f in rows]
    for index, horizon in _sparse(packed, "h", count, what).items():
        state = states[index]
        states[index] = UnitState(state.production, state.consumption,
                                  HorizonFlex.from_dict(horizon, f"{what}.h[{index}]"))
    return states


def pack_targets(targets: Sequence[Target | None]) -> dict[str, Any]:
    """The packed form of ``targets`` (module doc); ``None`` stays ``None``."""
    flat: list[float] = []
    extend = flat.extend
    missing: list[int] = []
    plans: dict[str, Any] = {}
    for index, target in enumerate(targets):
        if target is None:
            missing.append(index)
            extend((0.0, 0.0))
            continue
        extend((target.production, target.consumption))
        if target.plan is not None:
            plans[str(index)] = target.plan.to_lists()
    return {"n": len(targets), "f": _encode(flat), "none": missing, "p": plans}


def unpack_targets(packed: Any, count: int, what: str = "targets") -> list[Target | None]:
    """The ``count`` targets of :func:`pack_targets`'s ``packed``; ValueError if malformed."""
    rows = _rows(packed, count, TARGET_WIDTH, what)
    targets: list[Target | None] = [Target(p, c) for p, c in rows]
    missing = packed.get("none")
    if type(missing) is not list:
        raise ValueError(f"{what}.none must be a list of indices, got {missing!r}")
    for index in missing:
        targets[_index(index, count, f"{what}.none")] = None
    for index, plan in _sparse(packed, "p", count, what).items():
        target = targets[index]
        if target is None:
            raise ValueError(f"{what}.p[{index}]: a plan for a unit without a target")
        targets[index] = Target(target.production, target.consumption,
                                Plan.from_lists(plan, f"{what}.p[{index}]"))
    return targets


def _encode(flat: list[float]) -> str:
    return base64.b64encode(np.asarray(flat, dtype=_DTYPE).tobytes()).decode("ascii")


def _rows(packed: Any, count: int, width: int, what: str) -> list[list[float]]:
    """The float block of ``packed`` as ``count`` rows of ``width`` finite values."""
    if not isinstance(packed, dict):
        raise ValueError(f"{what} must be a packed column block, got {type(packed).__name__}")
    if packed.get("n") != count:
        raise ValueError(f"{what}.n is {packed.get('n')!r}, expected {count}")
    text = packed.get("f")
    if type(text) is not str:
        raise ValueError(f"{what}.f must be a base64 string, got {type(text).__name__}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what}.f is not valid base64") from None
    if len(raw) != count * width * _DTYPE.itemsize:
        raise ValueError(f"{what}.f holds {len(raw)} bytes, expected {count} x {width} "
                         f"float64 values ({count * width * _DTYPE.itemsize} bytes)")
    values = np.frombuffer(raw, dtype=_DTYPE)
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"{what}.f: value {float(values[bad])!r} of row {bad // width} is not "
                         "finite")
    return values.reshape(count, width).tolist()


def _sparse(packed: dict[str, Any], key: str, count: int, what: str) -> dict[int, Any]:
    """The sparse entries ``{"index": value}`` of ``packed[key]`` by integer index."""
    entries = packed.get(key)
    if not isinstance(entries, dict):
        raise ValueError(f"{what}.{key} must be a dict by index, got {entries!r}")
    return {_index(index, count, f"{what}.{key}"): value for index, value in entries.items()}


def _index(value: Any, count: int, what: str) -> int:
    """An index within ``0..count-1``, as a JSON int or a decimal string (a dict key)."""
    if type(value) is int:
        index = value
    elif type(value) is str and value.isdecimal() and value.isascii():
        index = int(value)
    else:
        raise ValueError(f"{what}: {value!r} is not an index")
    if not 0 <= index < count:
        raise ValueError(f"{what}: index {value!r} is outside 0..{count - 1}")
    return index
