"""The one wire format: states, targets and every message type on mango's JSON codec.

A :class:`~..model.flexibility.UnitState` travels as ``[production current, min, max,
consumption current, min, max]`` plus, when it carries a horizon, the horizon's plain
form (:meth:`~..model.horizon.HorizonFlex.to_dict`) as a seventh element; a
:class:`~..model.flexibility.Target` as ``[production, consumption]`` plus its plan
(``[production list, consumption list]``) when it has one. The same packing serves the
messages between containers and the states and results exchanged with worker processes.

:func:`make_codec` returns mango's JSON codec (nothing is pickled) taught the protocol's
messages, states, targets and the message types of every registered negotiation (or
teaches them to a given codec, e.g. the sealing codec of
:mod:`~..runtime.transport.security`, which wraps this format in an authenticated
envelope, :mod:`.envelope`).
"""

from __future__ import annotations

from typing import Any

from mango.messages.codecs import JSON, Codec

from ..model.flexibility import Flex, Target, UnitState
from ..model.horizon import HorizonFlex, Plan
from ..strategies import NEGOTIATIONS
from .messages import MESSAGE_TYPES

__all__ = ["pack_state", "unpack_state", "pack_target", "unpack_target", "make_codec"]


def pack_state(s: UnitState) -> list[Any]:
    """Production current/min/max, consumption current/min/max (+ horizon)."""
    p, c = s.production, s.consumption
    packed: list[Any] = [p.current, p.min, p.max, c.current, c.min, c.max]
    if s.horizon is not None:
        packed.append(s.horizon.to_dict())
    return packed


def unpack_state(v: list[Any]) -> UnitState:
    """Inverse of :func:`pack_state`."""
    horizon = HorizonFlex.from_dict(v[6]) if len(v) > 6 else None
    return UnitState(Flex(v[0], v[1], v[2]), Flex(v[3], v[4], v[5]), horizon)


def pack_target(t: Target | None) -> list[Any]:
    """``[production, consumption]`` (+ plan); ``[]`` for no target."""
    if t is None:
        return []
    packed: list[Any] = [t.production, t.consumption]
    if t.plan is not None:
        packed.append(t.plan.to_lists())
    return packed


def unpack_target(v: list[Any]) -> Target | None:
    """Inverse of :func:`pack_target`."""
    if not v:
        return None
    return Target(v[0], v[1], Plan.from_lists(v[2]) if len(v) > 2 else None)


def make_codec(codec: Codec | None = None) -> Codec:
    """``codec`` (default: mango's JSON codec) with every protocol type registered."""
    codec = codec if codec is not None else JSON()
    for cls in MESSAGE_TYPES:
        codec.add_serializer(*cls.__serializer__())
    codec.add_serializer(UnitState, pack_state, unpack_state)
    codec.add_serializer(Target, pack_target, unpack_target)
    for negotiation in NEGOTIATIONS.values():
        for kind, to_plain, from_plain in negotiation().wire_types():
            codec.add_serializer(kind, to_plain, from_plain)
    return codec
