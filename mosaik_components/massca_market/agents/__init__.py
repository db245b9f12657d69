"""The market's mango agents, their messages, transport and the period runtime."""

from .agents import HomeAgent, MarketAgent, PeriodHooks
from .messages import OrderMessage, SettlementMessage
from .runtime import MarketRuntime, PeriodReport
from .transport import Containers, key_of, send, sender_of

__all__ = ["HomeAgent", "MarketAgent", "PeriodHooks", "OrderMessage", "SettlementMessage",
           "MarketRuntime", "PeriodReport", "Containers", "key_of", "send", "sender_of"]
