"""massca's multi-agent system as a mosaik component.

Use ``"mosaik_components.mas:MosaikAgents"`` in a mosaik ``SIM_CONFIG``. Everything a
user needs is importable from here.
"""

from __future__ import annotations

from .model.errors import (
    AgentFailedError,
    ConfigError,
    CycleTimeoutError,
    HierarchyError,
    MasError,
    StateError,
    StrategyError,
)
from .model.flexibility import Flex, Target, UnitState, aggregate
from .mosaik.config import MasConfig, parse_config
from .mosaik.meta import META
from .mosaik.simulator import MosaikAgents
from .strategies import STRATEGIES, BalanceStrategy, Strategy

__all__ = [
    "MosaikAgents", "META", "MasConfig", "parse_config",
    "Flex", "UnitState", "Target", "aggregate",
    "Strategy", "BalanceStrategy", "STRATEGIES",
    "MasError", "ConfigError", "StateError", "HierarchyError", "StrategyError",
    "CycleTimeoutError", "AgentFailedError",
]


def main() -> None:
    """Run the MAS simulator as a mosaik ``cmd`` subprocess (``massca-mas HOST:PORT``)."""
    import mosaik_api_v3

    mosaik_api_v3.start_simulation(MosaikAgents(), "massca multi-agent system")
