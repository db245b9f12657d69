"""massca's multi-agent system as a mosaik component.

Use ``"mosaik_components.mas:MosaikAgents"`` in a mosaik ``SIM_CONFIG``. Everything a
user needs is importable from here. The package is layered; each layer imports only the
ones above it in this list:

* :mod:`.model` — the state model (flexibility over one interval or a horizon, the grid
  view, the tree, errors); pure;
* :mod:`.strategies` — pure decisions: the ``Strategy`` protocol and ``balance``, the
  ``Negotiation`` protocol and COHDA, the invariant checks;
* :mod:`.protocol` — message types and the one codec;
* :mod:`.runtime` — mango agents, the cycle runner, transports, worker processes, the
  compat fence for mango internals;
* :mod:`.mosaik` — ``MosaikAgents``, META, unit I/O, configuration, MASSCA's hooks.
"""

from __future__ import annotations

from .model.errors import (
    AgentFailedError,
    ConfigError,
    CycleTimeoutError,
    HierarchyError,
    MasError,
    NegotiationTimeoutError,
    StateError,
    StrategyError,
    TransportError,
)
from .model.flexibility import Flex, Target, UnitState, aggregate
from .model.grid import GridLimits, GridView
from .model.horizon import Band, Costs, EnergyLimit, HorizonFlex, Plan
from .mosaik.config import MasConfig, parse_config
from .mosaik.meta import META
from .mosaik.simulator import MosaikAgents
from .strategies import (
    NEGOTIATIONS,
    STRATEGIES,
    BalanceStrategy,
    Lead,
    Member,
    Negotiation,
    Strategy,
    View,
)

__all__ = [
    "MosaikAgents", "META", "MasConfig", "parse_config",
    "Flex", "UnitState", "Target", "aggregate",
    "Band", "Costs", "EnergyLimit", "HorizonFlex", "Plan", "GridView", "GridLimits",
    "Strategy", "View", "BalanceStrategy", "STRATEGIES",
    "Negotiation", "Lead", "Member", "NEGOTIATIONS",
    "MasError", "ConfigError", "StateError", "HierarchyError", "StrategyError",
    "CycleTimeoutError", "AgentFailedError", "NegotiationTimeoutError", "TransportError",
]


def main() -> None:
    """Run the MAS simulator as a mosaik ``cmd`` subprocess (``massca-mas HOST:PORT``)."""
    import mosaik_api_v3

    mosaik_api_v3.start_simulation(MosaikAgents(), "massca multi-agent system")
