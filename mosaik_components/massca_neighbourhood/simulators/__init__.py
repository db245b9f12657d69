"""The neighbourhood's mosaik simulators: households (loads, PV, settlement) and agents."""

from __future__ import annotations

from .agents import AgentsSimulator
from .households import HouseholdsSimulator

__all__ = ["AgentsSimulator", "HouseholdsSimulator"]
