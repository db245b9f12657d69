"""Coordination strategies: pure functions over plain data, no agents involved.

``STRATEGIES`` maps the names accepted by the simulator's ``strategy`` parameter to
strategy classes; a ``"package.module:Class"`` string or an instance works as well.
"""

from __future__ import annotations

from .balance import BalanceStrategy, decide_balance, split_proportional
from .base import Strategy
from .lookahead import LookaheadStrategy

__all__ = ["STRATEGIES", "Strategy", "BalanceStrategy", "decide_balance", "split_proportional"]

STRATEGIES: dict[str, type] = {"balance": BalanceStrategy, "lookahead": LookaheadStrategy}
