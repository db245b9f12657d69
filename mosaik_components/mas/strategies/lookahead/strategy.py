"""``lookahead``: rolling-horizon planning over the units' horizon flexibility.

Per cycle (one mosaik step):

* **aggregate** (every controller): the children's horizons become one summed part per
  class of units (:mod:`.classes`);
* **decide** (top): the linear program of :mod:`.system_lp` over the system's parts, the
  offset (held over the horizon unless the caller passes one value per interval) and the
  tariff of the intervals ahead, solved with HiGHS; the target carries the plan with one
  part per class;
* **split** (every controller): each class's plan divided among the children that have
  that class (:mod:`.disaggregate`); every child's target carries its own plan (with its
  parts when it is a controller), the children's plans add up to the parent's in every
  interval.

Only interval 0 of a plan is applied; the next cycle plans again from the units' new
state and forecasts (receding horizon). A unit runs only interval 0 of its plan, so a
controller whose children are all units computes their split for interval 0 alone and
sends them setpoints without a plan (the split is causal: interval 0 is the same as in
the whole plans); ``unit_plans=True`` gives the units their whole plans (to inspect or
record them; the split then runs over the whole horizon). Messages per cycle stay one
report and one instruction per agent; only their payloads carry the horizon (``H``
values per band and class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ...model.errors import ConfigError, StrategyError
from ...model.flexibility import Target, UnitState
from ...model.horizon import Plan
from ..base import View
from .classes import aggregate_flex, members_by_class, prepare
from .disaggregate import split_class
from .params import Settings
from .params import settings as make_settings
from .system_lp import SystemProblem, solve_system

__all__ = ["LookaheadStrategy", "offset_profile", "split_plan"]


def offset_profile(offset: float | Sequence[float] | np.ndarray, length: int,
                   where: str) -> np.ndarray:
    """The offset per interval: a number is held (persistence), a sequence is a forecast."""
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        return np.full(length, float(offset))
    values = np.asarray(offset, dtype=float)
    if values.ndim != 1 or values.size < length or not np.isfinite(values[:length]).all():
        raise StrategyError(f"{where}: the offset forecast must hold {length} finite values, "
                            f"got {offset!r}")
    return values[:length]


def split_plan(plan: Plan, children: Sequence[UnitState], horizon: int | None,
               step_s: float | None, where: str, intervals: int | None = None
               ) -> tuple[list[Plan], float]:
    """Every child's plan (with parts for controllers) and the disaggregation error (MWh).

    ``intervals``: only the plans' first ``intervals`` intervals (see
    :func:`~.disaggregate.split_class`); all when None.
    """
    flexes, length, _ = prepare(children, horizon, step_s, where)
    if len(plan) != length:
        raise StrategyError(f"{where}: the plan has {len(plan)} intervals, the children's "
                            f"horizon {length}")
    groups = members_by_class(flexes, where)
    class_plans = dict(plan.parts) if plan.parts else {}
    if not class_plans and len(groups) == 1:
        class_plans = {next(iter(groups)): plan}
    if set(class_plans) != set(groups):
        raise StrategyError(f"{where}: the plan's classes {sorted(class_plans)} are not the "
                            f"children's {sorted(groups)}")
    shares: list[list[tuple[str, Plan]]] = [[] for _ in children]
    error = 0.0
    for key, members in groups.items():
        plans, part_error = split_class(class_plans[key], [m for _, m in members],
                                        f"{where} class {key!r}", intervals)
        error += part_error
        for (index, _), member_plan in zip(members, plans, strict=True):
            shares[index].append((key, member_plan))
    result = []
    for flex, share in zip(flexes, shares, strict=True):
        if flex.parts:
            total = share[0][1]
            for _, part_plan in share[1:]:
                total = total + part_plan
            result.append(Plan(total.production, total.consumption, tuple(share)))
        else:
            result.append(share[0][1])
    return result, error


@dataclass(frozen=True)
class LookaheadStrategy:
    """Rolling-horizon planning (module doc); parameters in :mod:`.params`."""

    objective: str = "cost"
    price: float | Sequence[float] | None = None
    feed_in: float | Sequence[float] = 0.0
    peak_price: float | None = None
    exchange_price: float | None = None
    shed_penalty: float = 0.0
    curtail_penalty: float = 0.0
    horizon: int | None = None
    start: str = "00:00"
    unit_plans: bool = False
    name: str = "lookahead"
    settings: Settings = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.unit_plans, bool):
            raise ConfigError(f"lookahead.unit_plans must be true or false, got "
                              f"{self.unit_plans!r}")
        object.__setattr__(self, "settings", make_settings(
            self.objective, self.price, self.feed_in, self.peak_price, self.exchange_price,
            self.shed_penalty, self.curtail_penalty, self.horizon, self.start))

    def aggregate(self, children: Sequence[UnitState], view: View) -> UnitState:
        """One summed part per class (see :mod:`.classes`)."""
        where = f"{self.name}.aggregate at {view.eid!r}"
        flexes, _, step_h = prepare(children, self.settings.horizon, view.step_s, where)
        return UnitState.of_horizon(aggregate_flex(flexes, step_h, where))

    def decide(self, system: UnitState, offset: float | Sequence[float], view: View
               ) -> Target:
        """Solve the system LP; the target's plan has one part per class."""
        where = f"{self.name}.decide at {view.eid!r}"
        flex = system.horizon
        if flex is None or not flex.parts:
            raise StrategyError(f"{where}: the system state has no horizon by class; the top "
                                "must aggregate its children with this strategy and the units "
                                "must report 'flex'")
        s = self.settings
        length, step_s = len(flex), flex.step_h * 3600
        problem = SystemProblem(
            flex.parts, offset_profile(offset, length, where),
            s.prices(s.price, view.time, step_s, length),
            s.prices(s.feed_in, view.time, step_s, length), s.peak_price, s.exchange_price,
            s.shed_penalty, s.curtail_penalty)
        plans = solve_system(problem, where).plans
        parts = tuple((key, plan) for (key, _), plan in zip(flex.parts, plans, strict=True))
        total = plans[0]
        for plan in plans[1:]:
            total = total + plan
        plan = Plan(total.production, total.consumption, parts)
        return Target(float(plan.production[0]), float(plan.consumption[0]), plan)

    def split(self, target: Target, children: Sequence[UnitState], view: View
              ) -> list[Target]:
        """Each class's plan among its members (see :mod:`.disaggregate`)."""
        where = f"{self.name}.split at {view.eid!r}"
        if target.plan is None:
            raise StrategyError(f"{where}: the target carries no plan")
        whole = self.unit_plans or any(_is_controller(child) for child in children)
        plans, _ = split_plan(target.plan, children, self.settings.horizon, view.step_s, where,
                              None if whole else 1)
        return [Target(float(p.production[0]), float(p.consumption[0]), p if whole else None)
                for p in plans]


def _is_controller(state: UnitState) -> bool:
    """A controller's aggregate has one part per class; a unit's horizon has none."""
    return state.horizon is not None and bool(state.horizon.parts)
