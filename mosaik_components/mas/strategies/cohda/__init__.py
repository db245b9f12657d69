"""COHDA on mango 2: distributed combinatorial optimisation among sibling agents.

* :mod:`.model` — the algorithm's data and rules (pure numpy),
* :mod:`.protocol` — one negotiation as transport-free messages, with exact
  termination detection (weight throwing),
* :mod:`.overlay` — seeded small-world overlays (networkx, mango's topology format),
* :mod:`.schedules` — options from a flexibility band and back to a target,
* :mod:`.local` — an agent-free reference driver,
* :mod:`.wire` — its messages as plain JSON data,
* :mod:`.negotiation` — COHDA behind the :class:`~..negotiation.Negotiation` seam: how
  a controller's children in the MAS tree agree on their targets.

Standalone mango 2 roles (outside the MAS tree) are in
:mod:`mosaik_components.mas.runtime.cohda_roles`.
"""

from __future__ import annotations

from .local import LocalRun, negotiate
from .model import Candidate, Objective, SystemConfig, WorkingMemory
from .negotiation import CohdaNegotiation, CohdaSettings
from .overlay import neighbour_lists, small_world
from .protocol import Done, Initiator, Participant, Solution, Start, Update
from .schedules import options_for, target_for_net

__all__ = [
    "Objective", "SystemConfig", "Candidate", "WorkingMemory",
    "Start", "Update", "Done", "Participant", "Initiator", "Solution",
    "small_world", "neighbour_lists", "options_for", "target_for_net",
    "LocalRun", "negotiate", "CohdaNegotiation", "CohdaSettings",
]
