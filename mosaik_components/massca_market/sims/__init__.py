"""The market's mosaik simulators: homes (units), the market agents, external events."""

from .events import EventSimulator
from .homes import HomeSimulator
from .market import MarketSimulator

__all__ = ["EventSimulator", "HomeSimulator", "MarketSimulator"]
