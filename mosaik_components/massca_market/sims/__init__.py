"""The market's mosaik simulators: homes (units), the market agents, external events.

Import them from their modules (``sims.homes:HomeSimulator``, ``sims.market:
MarketSimulator``, ``sims.events:EventSimulator``); this package imports nothing up
front, so ``python -m mosaik_components.massca_market.sims.<module>`` (mosaik's ``cmd``
mode) runs each module once.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["EventSimulator", "HomeSimulator", "MarketSimulator"]
_MODULES = {"EventSimulator": "events", "HomeSimulator": "homes", "MarketSimulator": "market"}


def __getattr__(name: str) -> Any:
    """The simulator classes, imported on first use."""
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
