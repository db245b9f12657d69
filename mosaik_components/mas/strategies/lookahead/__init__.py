"""The look-ahead (rolling-horizon) strategy, registered as ``"lookahead"``.

Units report horizon flexibility, controllers aggregate it by class, the top solves a
linear program, controllers split the plan with energy feasibility; see :mod:`.strategy`.
"""

from .classes import aggregate_flex, class_key
from .disaggregate import split_class
from .params import OBJECTIVES
from .strategy import LookaheadStrategy, offset_profile, split_plan
from .system_lp import Solution, SystemProblem, solve_system

__all__ = ["LookaheadStrategy", "OBJECTIVES", "aggregate_flex", "class_key", "split_class",
           "split_plan", "offset_profile", "SystemProblem", "Solution", "solve_system"]
