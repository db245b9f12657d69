"""Unit inputs to a :class:`UnitState`, and a unit's result to output attributes.

Three ways to describe a unit's power and band (all MW), mixable per step:

* ``current``/``min``/``max`` (MASSCA style): a magnitude in the unit's own
  direction: production for ``kind="producer"``, consumption for ``"consumer"``,
  net generation-positive power for ``"prosumer"`` (storage).
* ``P[MW]``/``P_min[MW]``/``P_max[MW]``: always net power, generation positive.
* ``production[MW]``, ``production_min[MW]``, ``production_max[MW]``,
  ``consumption[MW]``, ``consumption_min[MW]``, ``consumption_max[MW]``: explicit.

A bound that no input and no model parameter gives takes the kind's default:
producers may be curtailed to 0 (``[0, current]``), consumers and prosumers are fixed
(``[current, current]``). Several sources connected to one attribute are summed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..model.errors import StateError
from ..model.flexibility import ZERO, Flex, Target, UnitState, from_net

__all__ = [
    "Kind", "KINDS", "UNIT_INPUTS", "UNIT_OUTPUTS", "STATIC_PARAMS", "unit_state", "unit_outputs",
]

Kind = Literal["producer", "consumer", "prosumer"]
KINDS: tuple[Kind, ...] = ("producer", "consumer", "prosumer")

GENERIC = ("current", "min", "max")
NET = ("P[MW]", "P_min[MW]", "P_max[MW]")
SPLIT = (
    "production[MW]", "production_min[MW]", "production_max[MW]",
    "consumption[MW]", "consumption_min[MW]", "consumption_max[MW]",
)
#: ``flex``: the unit's flexibility over a horizon (``HorizonFlex.to_dict()``), instead
#: of the power attributes
UNIT_INPUTS = GENERIC + NET + SPLIT + ("flex",)
_KNOWN = frozenset(GENERIC + NET + SPLIT)
_SPLIT = frozenset(SPLIT)
_NET = frozenset(NET)
#: Model parameters that may stand in for inputs.
STATIC_PARAMS = frozenset(GENERIC + NET)
UNIT_OUTPUTS = (
    "P_set[MW]", "delta[MW]", "scale_factor",
    "production[MW]", "consumption[MW]", "production_delta[MW]", "consumption_delta[MW]",
)


def unit_state(
    eid: str, kind: Kind, values: Mapping[str, float], params: Mapping[str, Any]
) -> UnitState:
    """The unit's state from this step's summed input ``values`` and model ``params``.

    ``params`` holds only the static stand-ins for inputs (see :data:`STATIC_PARAMS`).
    """
    if not values.keys() <= _KNOWN:
        unknown = sorted(set(values) - _KNOWN)
        raise StateError(f"unit {eid!r}: unknown input attribute(s) {unknown}; "
                         f"known: {list(UNIT_INPUTS)}")
    if not _SPLIT.isdisjoint(values):
        return _split_state(eid, values)
    merged = {**params, **values} if params else values
    if not _NET.isdisjoint(merged):
        if "P[MW]" not in merged:
            raise StateError(f"unit {eid!r}: P_min[MW]/P_max[MW] given without P[MW]")
        net = merged["P[MW]"]
        return from_net(net, merged.get("P_min[MW]", _default_net_min(kind, net)),
                        merged.get("P_max[MW]", net), eid)
    if "current" not in merged:
        raise StateError(f"unit {eid!r} ({kind}): no power input this step; connect "
                         "'current', 'P[MW]' or 'production[MW]'/'consumption[MW]'")
    cur = merged["current"]
    if kind == "prosumer":
        return from_net(cur, merged.get("min", cur), merged.get("max", cur), eid)
    low = merged.get("min", 0.0 if kind == "producer" else cur)
    band = Flex.checked(cur, low, merged.get("max", cur), f"{eid}.{_direction(kind)}")
    return UnitState(band, ZERO) if kind == "producer" else UnitState(ZERO, band)


def _default_net_min(kind: Kind, net: float) -> float:
    return min(0.0, net) if kind == "producer" else net


def _direction(kind: Kind) -> str:
    return "production" if kind == "producer" else "consumption"


def _split_state(eid: str, values: Mapping[str, float]) -> UnitState:
    parts = []
    for part in ("production", "consumption"):
        cur = values.get(f"{part}[MW]", 0.0)
        parts.append(Flex.checked(
            cur, values.get(f"{part}_min[MW]", cur), values.get(f"{part}_max[MW]", cur),
            f"{eid}.{part}",
        ))
    return UnitState(parts[0], parts[1])


def unit_outputs(kind: Kind, result: Target, base: UnitState) -> dict[str, float]:
    """Every output attribute of a unit that runs at ``result`` instead of ``base``.

    ``delta[MW]`` and ``scale_factor`` are additive changes against ``base`` (the
    unit's power at the first iteration of this mosaik time): ``scale_factor`` is the
    change in the unit's own direction (MASSCA's meaning), so a simulator applies
    ``P = uncontrolled + scale_factor`` and stays put through same-time iterations.
    """
    d_prod = result.production - base.production.current
    d_cons = result.consumption - base.consumption.current
    delta = d_prod - d_cons
    scale = {"producer": d_prod, "consumer": d_cons, "prosumer": delta}[kind]
    return {
        "P_set[MW]": result.net,
        "delta[MW]": delta,
        "scale_factor": scale,
        "production[MW]": result.production,
        "consumption[MW]": result.consumption,
        "production_delta[MW]": d_prod,
        "consumption_delta[MW]": d_cons,
    }
