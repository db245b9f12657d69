"""mosaik-pandapower-2's grid simulator with a faster power flow for fixed topologies.

``GridSimulator`` is imported on first use (PEP 562): pandapower takes about a second to
import, and the grid builders and data helpers of this package do not all need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simulator import GridSimulator

__all__ = ["GridSimulator"]


def __getattr__(name: str) -> Any:
    """``GridSimulator``, imported from :mod:`.simulator` on first use."""
    if name != "GridSimulator":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .simulator import GridSimulator

    globals()[name] = GridSimulator
    return GridSimulator
