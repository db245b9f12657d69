"""The market's pure core: configuration, homes, decisions, prices, events, clearing.

No mango, no mosaik: everything here is plain functions and small classes, unit- and
property-tested on their own; the agents (:mod:`..agents`) and simulators (:mod:`..sims`)
are thin around them.
"""

from .clearing import Clearing, Fill, MarketBook, Totals
from .config import (
    DEFAULT_EVENT_KINDS,
    EventKind,
    EventSettings,
    HomeConfig,
    HomeSpec,
    MarketConfig,
    PolicySpec,
    PriceParams,
    ScheduledEvent,
    Tariffs,
    validate,
)
from .engine import Community, PeriodOutcome, home_ids, market_ids, market_of
from .events import Event, EventProcess
from .home import Home, HomeStep, pv_power
from .policy import Order, PolicyState, decide, observe
from .price import PricePoint, form_price

__all__ = [
    "Clearing", "Fill", "MarketBook", "Totals", "DEFAULT_EVENT_KINDS", "EventKind",
    "EventSettings", "HomeConfig", "HomeSpec", "MarketConfig", "PolicySpec", "PriceParams",
    "ScheduledEvent", "Tariffs", "validate", "Community", "PeriodOutcome", "home_ids",
    "market_ids", "market_of", "Event", "EventProcess", "Home", "HomeStep", "pv_power",
    "Order", "PolicyState", "decide", "observe", "PricePoint", "form_price",
]
