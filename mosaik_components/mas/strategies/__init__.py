"""Coordination strategies and negotiations: pure decisions over plain data, no agents.

``STRATEGIES`` maps the names accepted by the simulator's ``strategy`` parameter to
strategy classes (a ``"package.module:Class"`` string or an instance works as well);
``NEGOTIATIONS`` maps the names accepted by ``within_cell``/``between_cells`` to
negotiation classes (built with their settings). A new strategy or negotiation is a
module plus one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from .balance import BalanceStrategy, decide_balance, split_proportional
from .base import Strategy, View
from .cohda.negotiation import CohdaNegotiation
from .negotiation import Lead, Member, Negotiation

__all__ = ["STRATEGIES", "NEGOTIATIONS", "Strategy", "View", "Negotiation", "Lead", "Member",
           "BalanceStrategy", "decide_balance", "split_proportional", "GridAware", "GridReport",
           "LookaheadStrategy"]


class LazyRegistry(Mapping[str, type]):
    """Names to classes, each module imported on first use.

    The LP strategies need scipy (0.3 s, ~50 MiB), which a run with ``balance`` never pays.
    """

    def __init__(self, paths: Mapping[str, str]) -> None:
        self._paths = dict(paths)

    def __getitem__(self, name: str) -> type:
        module, _, attr = self._paths[name].partition(":")
        return getattr(importlib.import_module(module, __name__), attr)

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


STRATEGIES: Mapping[str, type] = LazyRegistry({
    "balance": ".balance:BalanceStrategy", "lookahead": ".lookahead:LookaheadStrategy",
    "grid_aware": ".grid:GridAware"})
NEGOTIATIONS: dict[str, type] = {"cohda": CohdaNegotiation}
#: names of this package imported on first use (see :class:`LazyRegistry`)
_LAZY = {"GridAware": ".grid", "GridReport": ".grid", "LookaheadStrategy": ".lookahead"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
