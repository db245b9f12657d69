"""massca's local energy market: homes buy, sell or give energy; markets set the price.

Layers (imports point one way): :mod:`.core` is pure (configuration, homes, decisions,
price formation, events, clearing, the agent-free reference run); :mod:`.agents` are
the mango agents around it (one per home, one per market) with their messages,
transport and period runtime; :mod:`.sims` are the mosaik simulators (homes as units,
the market agents, the external events). Results and KPIs: :mod:`.results`.

Simulators for a mosaik ``SIM_CONFIG``::

    "Homes":  {"python": "mosaik_components.massca_market.sims.homes:HomeSimulator"}
    "Market": {"python": "mosaik_components.massca_market.sims.market:MarketSimulator"}
    "Events": {"python": "mosaik_components.massca_market.sims.events:EventSimulator"}
"""

from .core import (
    Clearing,
    Community,
    EventKind,
    EventSettings,
    Fill,
    HomeConfig,
    HomeSpec,
    MarketBook,
    MarketConfig,
    Order,
    PolicySpec,
    PriceParams,
    ScheduledEvent,
    Tariffs,
    form_price,
    validate,
)
from .errors import (
    MarketConfigError,
    MarketError,
    MarketProtocolError,
    MarketTimeoutError,
    MarketTransportError,
)

__all__ = [
    "Clearing", "Community", "EventKind", "EventSettings", "Fill", "HomeConfig", "HomeSpec",
    "MarketBook", "MarketConfig", "Order", "PolicySpec", "PriceParams", "ScheduledEvent",
    "Tariffs", "form_price", "validate", "MarketConfigError", "MarketError",
    "MarketProtocolError", "MarketTimeoutError", "MarketTransportError",
]
