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

import importlib
from typing import TYPE_CHECKING, Any

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

#: the mosaik layer's names (it pulls in mango and mosaik): imported on first use
#: (PEP 562), so ``import mosaik_components.mas.model.errors`` and a command's ``--help``
#: do not load them
_EXPORTS = {"MasConfig": ".mosaik.config", "parse_config": ".mosaik.config",
            "META": ".mosaik.meta", "MosaikAgents": ".mosaik.simulator"}

if TYPE_CHECKING:
    from .mosaik.config import MasConfig, parse_config
    from .mosaik.meta import META
    from .mosaik.simulator import MosaikAgents

__all__ = [
    "MosaikAgents", "META", "MasConfig", "parse_config",
    "Flex", "UnitState", "Target", "aggregate",
    "Band", "Costs", "EnergyLimit", "HorizonFlex", "Plan", "GridView", "GridLimits",
    "Strategy", "View", "BalanceStrategy", "STRATEGIES",
    "Negotiation", "Lead", "Member", "NEGOTIATIONS",
    "MasError", "ConfigError", "StateError", "HierarchyError", "StrategyError",
    "CycleTimeoutError", "AgentFailedError", "NegotiationTimeoutError", "TransportError",
]


def __getattr__(name: str) -> Any:
    """A name of the mosaik layer, imported from its module on first use (then kept here)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


#: The option that permits ``massca-mas HOST:PORT --remote`` on a non-loopback HOST.
ALLOW_REMOTE = "--allow-remote"


def remote_listening_error(argv: list[str]) -> str | None:
    """Why ``argv`` may not start the MAS, or None.

    ``--remote`` makes the MAS listen on ``HOST:PORT`` for mosaik's (unauthenticated)
    API connection, through which a client can make it import any ``module:Class``; a
    non-loopback ``HOST`` therefore needs ``--allow-remote``.
    """
    import argparse

    from .runtime.transport import is_loopback

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("addr", nargs="?")
    parser.add_argument("-r", "--remote", action="store_true")
    parser.add_argument(ALLOW_REMOTE, action="store_true")
    known, _ = parser.parse_known_args(argv)
    host = (known.addr or "").rpartition(":")[0]
    if known.remote and host and not is_loopback(host) and not known.allow_remote:
        return (f"massca-mas would listen on {known.addr}, which is not loopback: anyone who "
                f"reaches it can drive the MAS (mosaik's API is not authenticated); pass "
                f"{ALLOW_REMOTE} to do it deliberately")
    return None


def main(argv: list[str] | None = None) -> None:
    """Run the MAS simulator as a mosaik ``cmd`` subprocess (``massca-mas HOST:PORT``).

    ``massca-mas HOST:PORT --remote`` listens for mosaik instead; a non-loopback HOST
    needs ``--allow-remote`` (then a warning is printed), else ``error: ...`` and exit 1.
    """
    import sys

    import mosaik_api_v3

    from .mosaik.simulator import MosaikAgents

    args = sys.argv[1:] if argv is None else list(argv)
    problem = remote_listening_error(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(1)
    plain = [a for a in args if a != ALLOW_REMOTE]
    if remote_listening_error(plain) is not None:  # non-loopback, permitted
        print("warning: massca-mas listens on a non-loopback address (--allow-remote); "
              "mosaik's API connection is not authenticated", file=sys.stderr)
    sys.argv = [sys.argv[0], *plain]
    mosaik_api_v3.start_simulation(MosaikAgents(), "massca multi-agent system")
