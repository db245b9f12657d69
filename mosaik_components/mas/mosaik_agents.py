"""MASSCA's module name for the MAS simulator (``mosaik_components.mas.mosaik_agents``).

MASSCA's newer examples import ``META`` (and ``MosaikAgents``) from here; massca's
simulator is the same class as ``mosaik_components.mas:MosaikAgents``.
"""

from __future__ import annotations

from . import main
from .mosaik.meta import META
from .mosaik.simulator import MosaikAgents

__all__ = ["META", "MosaikAgents", "main"]

if __name__ == "__main__":
    main()
