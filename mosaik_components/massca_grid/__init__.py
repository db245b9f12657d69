"""mosaik-pandapower-2's grid simulator with a faster power flow for fixed topologies."""

from .simulator import GridSimulator

__all__ = ["GridSimulator"]
