"""The simulator's mosaik META: models, their parameters and attributes."""

from __future__ import annotations

from typing import Any

from ..model.hierarchy import Role
from .unit_io import UNIT_INPUTS, UNIT_OUTPUTS

__all__ = ["META", "CORE_EID", "CORE_INPUTS", "STRUCTURED_INPUTS", "CONTROLLER_INPUTS",
           "MODEL_ROLES", "MODEL_PREFIX", "aid_of"]

#: The core's entity id (MASSCA's name for it).
CORE_EID = "MosaikAgent"

CORE_INPUTS = ("P_offset[MW]", "P_ext[MW]")
#: Inputs that carry a structure (one source each), not a number: a unit's horizon
#: flexibility (``HorizonFlex.to_dict()``) and a controller's grid view
#: (``GridView.to_dict()``).
STRUCTURED_INPUTS = ("flex", "grid")
CONTROLLER_INPUTS = ("grid",)
AGGREGATE_OUTPUTS = (
    "P[MW]", "production[MW]", "production_min[MW]", "production_max[MW]",
    "consumption[MW]", "consumption_min[MW]", "consumption_max[MW]",
)
CORE_OUTPUTS = ("steptime", "messages", "rejected", "iterations", "converged",
                "negotiations", "deviation[MW]", "P_exchange[MW]", "P_uncontrolled[MW]",
                *AGGREGATE_OUTPUTS)
#: a grid-aware controller's report of the last iteration: limits it predicts it could
#: not meet (count, worst excess in pu or percentage points) and what it curtailed
GRID_OUTPUTS = ("grid_violations", "grid_excess", "grid_curtailed[MW]")
CONTROLLER_OUTPUTS = (*AGGREGATE_OUTPUTS, "P_set[MW]", *GRID_OUTPUTS)
UNIT_PARAMS = ["controller", "kind", "current", "min", "max", "P_min[MW]", "P_max[MW]"]
#: Outputs that describe a state until the next step (mosaik "persistent"): all of the
#: core's and controllers'. A unit's setpoints are events (not persistent): a unit
#: simulator applies one only when it arrives. In the mixed MASSCA model
#: ``MosaikAgents`` only the names no unit output shares can be persistent.


def _unique(*groups: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(a for group in groups for a in group))


MIXED_PERSISTENT = [a for a in _unique(CORE_OUTPUTS, CONTROLLER_OUTPUTS) if a not in UNIT_OUTPUTS]


#: Which role an entity of each model declares (None: inferred from the tree).
MODEL_ROLES: dict[str, Role | None] = {
    "MosaikAgents": None, "Core": "core", "Controller": "controller", "Unit": "unit",
}
MODEL_PREFIX = {"MosaikAgents": "Agent", "Controller": "Controller", "Unit": "Unit"}

META: dict[str, Any] = {
    "api_version": "3.0",
    # hybrid only to declare persistent outputs: every input triggers, as event-based
    "type": "hybrid",
    "extra_methods": ["get_info"],
    "models": {
        "MosaikAgents": {
            "public": True,
            "any_inputs": True,
            "params": [*UNIT_PARAMS, "initial_state"],
            "attrs": _unique(UNIT_INPUTS, UNIT_OUTPUTS, CORE_INPUTS, CORE_OUTPUTS,
                             CONTROLLER_INPUTS, CONTROLLER_OUTPUTS),
            "non-trigger": [],
            "persistent": MIXED_PERSISTENT,
        },
        "Core": {
            "public": True,
            "params": [],
            "attrs": _unique(CORE_INPUTS, CORE_OUTPUTS),
            "non-trigger": [],
            "persistent": list(CORE_OUTPUTS),
        },
        "Controller": {
            "public": True,
            "params": ["controller", "initial_state"],
            "attrs": _unique(CONTROLLER_INPUTS, CONTROLLER_OUTPUTS),
            "non-trigger": [],
            "persistent": list(CONTROLLER_OUTPUTS),
        },
        "Unit": {
            "public": True,
            "params": UNIT_PARAMS,
            "attrs": _unique(UNIT_INPUTS, UNIT_OUTPUTS),
            "non-trigger": [],
        },
    },
}


for _model in META["models"].values():  # hybrid needs the outputs partitioned explicitly
    _model["non-persistent"] = [a for a in _model["attrs"]
                                if a not in _model.setdefault("persistent", [])]
del _model


def aid_of(eid: str) -> str:
    """MASSCA's mango id for an entity: ``agent0`` for the core, ``agentN`` for ``Agent_N``.

    MASSCA created the core first and then one agent per entity in one container, so its
    method files key states and instructions by ``agentN`` with ``N`` the entity's number.
    """
    if eid == CORE_EID:
        return "agent0"
    number = eid.rpartition("_")[2]
    return f"agent{number}" if number.isdigit() else eid
