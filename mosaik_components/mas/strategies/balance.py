"""``balance``: minimise the exchange with the external grid within every unit's bounds.

MASSCA's default semantics done right:

* **decide** (top): start from every value moved into its band; on a deficit raise
  production, then lower consumption; on a surplus raise consumption (storage,
  flexible loads), then curtail production (``surplus_priority="curtail"`` swaps the
  last two). The external grid covers whatever the flexibility cannot.
* **split** (every controller): move each child from its baseline in proportion to its
  headroom in the direction of the move, so the children's targets add up to the
  parent's and none leaves its band. No dict order, no first-come-first-served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..model.errors import StrategyError
from ..model.flexibility import Flex, Target, UnitState, aggregate, tolerance
from .base import View

__all__ = ["BalanceStrategy", "decide_balance", "split_direction", "split_proportional"]

#: Absolute tolerance (MW) for "target inside the band" and rounding checks (a relative
#: part is added: :func:`~..model.flexibility.tolerance`).
EPS = 1e-9


def decide_balance(
    system: UnitState,
    offset: float = 0.0,
    surplus_priority: Literal["consume", "curtail"] = "consume",
) -> Target:
    """Target production/consumption that brings the exchange closest to zero."""
    p, c = system.production, system.consumption
    p0, c0 = p.baseline, c.baseline
    exchange = c0 - p0 + offset  # import positive
    if exchange > 0:  # deficit: produce more, then consume less
        more_p = min(exchange, p.max - p0)
        less_c = min(exchange - more_p, c0 - c.min)
        return Target(p0 + more_p, c0 - less_c)
    if exchange < 0:
        surplus = -exchange
        if surplus_priority == "consume":
            more_c = min(surplus, c.max - c0)
            less_p = min(surplus - more_c, p0 - p.min)
        else:
            less_p = min(surplus, p0 - p.min)
            more_c = min(surplus - less_p, c.max - c0)
        return Target(p0 - less_p, c0 + more_c)
    return Target(p0, c0)


def split_direction(target: float, children: Sequence[Flex], what: str) -> list[float]:
    """Split one direction's target among children in proportion to their headroom."""
    low = sum(f.min for f in children)
    high = sum(f.max for f in children)
    tol = tolerance(EPS, high)  # magnitudes: high is the largest
    if not low - tol <= target <= high + tol:
        raise StrategyError(
            f"{what} target {target!r} MW lies outside the children's band [{low}, {high}]"
        )
    baselines = [f.baseline for f in children]
    move = target - sum(baselines)
    if abs(move) <= tolerance(EPS, target):
        return baselines
    if move > 0:
        room = [f.max - b for f, b in zip(children, baselines, strict=True)]
    else:
        room = [b - f.min for f, b in zip(children, baselines, strict=True)]
    total = sum(room)
    if total <= 0.0:
        raise StrategyError(f"{what}: no headroom to move {move!r} MW among the children")
    fraction = move / total
    return [
        min(max(b + r * fraction, f.min), f.max)  # only rounding noise is cut here
        for f, b, r in zip(children, baselines, room, strict=True)
    ]


def split_proportional(target: Target, children: Sequence[UnitState]) -> list[Target]:
    """Split a target among children: production and consumption independently."""
    if not children:
        raise StrategyError("cannot split a target among zero children")
    prod = split_direction(target.production, [c.production for c in children], "production")
    cons = split_direction(target.consumption, [c.consumption for c in children], "consumption")
    return [Target(p, c) for p, c in zip(prod, cons, strict=True)]


@dataclass(frozen=True, slots=True)
class BalanceStrategy:
    """The default strategy (see module docstring)."""

    surplus_priority: Literal["consume", "curtail"] = "consume"
    name: str = "balance"

    def aggregate(self, children: Sequence[UnitState], view: View | None = None) -> UnitState:
        """Sum the children's flexibility."""
        return aggregate(children)

    def decide(self, system: UnitState, offset: float, view: View | None = None) -> Target:
        """Minimise the external-grid exchange (see :func:`decide_balance`)."""
        return decide_balance(system, offset, self.surplus_priority)

    def split(self, target: Target, children: Sequence[UnitState], view: View | None = None
              ) -> list[Target]:
        """Split proportionally to headroom (see :func:`split_proportional`)."""
        return split_proportional(target, children)
