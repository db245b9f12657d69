"""The state model: flexibility (one interval and over a horizon), the tree, the errors.

Pure data and arithmetic: no mango, no mosaik. Every other layer builds on it.
"""

from .errors import (
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
from .flexibility import Flex, Target, UnitState, aggregate, from_net, net_band
from .hierarchy import Node, Role, Tree, build_tree, place_by_cell
from .horizon import Band, Costs, EnergyLimit, HorizonFlex, Plan

__all__ = [
    "Flex", "UnitState", "Target", "aggregate", "from_net", "net_band",
    "Band", "Costs", "EnergyLimit", "HorizonFlex", "Plan",
    "Node", "Role", "Tree", "build_tree", "place_by_cell",
    "MasError", "ConfigError", "StateError", "HierarchyError", "StrategyError",
    "CycleTimeoutError", "AgentFailedError", "NegotiationTimeoutError", "TransportError",
]
