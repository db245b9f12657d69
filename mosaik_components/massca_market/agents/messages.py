"""The market's wire messages (mango ``@json_serializable``; JSON codec only).

A home sends one :class:`OrderMessage` per period to its market; the market answers
each home with one :class:`SettlementMessage`. Neither carries the home's identity: the
market knows which registered home a message comes from by its sender address, so a
message cannot claim to be another home's.
"""

from __future__ import annotations

from dataclasses import dataclass

from mango import json_serializable

__all__ = ["OrderMessage", "SettlementMessage", "MESSAGE_TYPES"]


@json_serializable
@dataclass(slots=True)
class OrderMessage:
    """A home's order for ``period``: ``amount`` kWh to ``mode`` (sell, gift, buy, ask, idle)."""

    period: int
    mode: str
    amount: float


@json_serializable
@dataclass(slots=True)
class SettlementMessage:
    """What the home got in ``period`` (kWh, EUR) and whether a taker asked for gifts."""

    period: int
    price: float
    mode: str
    bought: float
    sold: float
    given: float
    received: float
    imported: float
    exported: float
    paid: float
    earned: float
    asked: bool


MESSAGE_TYPES = (OrderMessage, SettlementMessage)
