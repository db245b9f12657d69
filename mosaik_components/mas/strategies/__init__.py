"""Coordination strategies and negotiations: pure decisions over plain data, no agents.

``STRATEGIES`` maps the names accepted by the simulator's ``strategy`` parameter to
strategy classes (a ``"package.module:Class"`` string or an instance works as well);
``NEGOTIATIONS`` maps the names accepted by ``within_cell``/``between_cells`` to
negotiation classes (built with their settings). A new strategy or negotiation is a
module plus one line here.
"""

from __future__ import annotations

from .balance import BalanceStrategy, decide_balance, split_proportional
from .base import Strategy, View
from .cohda.negotiation import CohdaNegotiation
from .grid import GridAware, GridReport
from .lookahead import LookaheadStrategy
from .negotiation import Lead, Member, Negotiation

__all__ = ["STRATEGIES", "NEGOTIATIONS", "Strategy", "View", "Negotiation", "Lead", "Member",
           "BalanceStrategy", "decide_balance", "split_proportional", "GridAware", "GridReport"]

STRATEGIES: dict[str, type] = {"balance": BalanceStrategy, "lookahead": LookaheadStrategy,
                               "grid_aware": GridAware}
NEGOTIATIONS: dict[str, type] = {"cohda": CohdaNegotiation}
