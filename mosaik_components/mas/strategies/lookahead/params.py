"""The look-ahead strategy's parameters: objective, tariff, penalties, horizon; validated.

Prices are per MWh (any currency, the same as the units' declared costs), a peak price
per MW. A *tariff* is one number (flat) or a list of ``N`` numbers that divide the day
into ``N`` equal periods from midnight (24: hourly, 96: quarter-hourly); ``start`` is
the time of day at simulation time 0 (``"HH:MM"`` or an ISO timestamp such as
``"2019-06-21 00:00"``, of which only the time of day counts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

import numpy as np

from ...model.errors import ConfigError

__all__ = ["OBJECTIVES", "Settings", "settings", "tariff"]

OBJECTIVES = ("cost", "peak", "exchange")
#: defaults of the objective's own weight when it is not given
DEFAULT_PEAK_PRICE = 1000.0
DEFAULT_EXCHANGE_PRICE = 100.0
#: per MWh of storage throughput: breaks ties against needless cycling
TIE_BREAK = 1e-3
DAY_S = 86400


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated parameters in the form the solver uses."""

    objective: str
    price: np.ndarray
    feed_in: np.ndarray
    peak_price: float
    exchange_price: float
    shed_penalty: float
    curtail_penalty: float
    horizon: int | None
    start_s: int

    def prices(self, tariff_values: np.ndarray, time_s: float, step_s: float,
               intervals: int) -> np.ndarray:
        """A tariff's value in each of ``intervals`` intervals from simulation time ``time_s``."""
        of_day = (self.start_s + time_s + step_s * np.arange(intervals)) % DAY_S
        period = DAY_S / tariff_values.size
        return tariff_values[(of_day // period).astype(int) % tariff_values.size]


def _number(value: object, what: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{what} must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{what} must be >= {minimum}, got {value!r}")
    return float(value)


def tariff(value: object, what: str) -> np.ndarray:
    """A flat price or a list dividing the day evenly, as an array; errors name ``what``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return np.array([_number(value, what)])
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise ConfigError(f"{what} must be a number or a list of numbers, got {value!r}")
    values = [_number(v, f"{what}[{i}]") for i, v in enumerate(value)]
    if not values or DAY_S % len(values):
        raise ConfigError(f"{what} must divide the day evenly: give 1, 24, 48, 96, ... values, "
                          f"got {len(values)}")
    return np.array(values)


def _start_seconds(value: object) -> int:
    if not isinstance(value, str):
        raise ConfigError(f"lookahead.start must be 'HH:MM' or an ISO timestamp, got {value!r}")
    try:
        moment: time = (time.fromisoformat(value) if len(value) <= 8
                        else datetime.fromisoformat(value).time())
    except ValueError:
        raise ConfigError(f"lookahead.start must be 'HH:MM' or an ISO timestamp, got "
                          f"{value!r}") from None
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def settings(objective: object, price: object, feed_in: object, peak_price: object,
             exchange_price: object, shed_penalty: object, curtail_penalty: object,
             horizon: object, start: object) -> Settings:
    """Validate every parameter (see the module docstring); errors name the field."""
    if objective not in OBJECTIVES:
        raise ConfigError(f"lookahead.objective must be one of {list(OBJECTIVES)}, got "
                          f"{objective!r}")
    if price is None and objective == "cost":
        raise ConfigError("lookahead.price: objective 'cost' needs a price (EUR/MWh: a number "
                          "or a list dividing the day)")
    prices = tariff(0.0 if price is None else price, "lookahead.price")
    feed = tariff(feed_in, "lookahead.feed_in")
    size = math.lcm(prices.size, feed.size)
    fine_price, fine_feed = np.repeat(prices, size // prices.size), np.repeat(
        feed, size // feed.size)
    if (fine_feed > fine_price).any():
        k = int(np.flatnonzero(fine_feed > fine_price)[0])
        raise ConfigError(f"lookahead.feed_in ({fine_feed[k]}) exceeds lookahead.price "
                          f"({fine_price[k]}) at {k * 24 / size:g} h: importing to export "
                          "would pay without bound")
    peak = _number(DEFAULT_PEAK_PRICE if peak_price is None and objective == "peak"
                   else peak_price or 0.0, "lookahead.peak_price", 0.0)
    exchange = _number(DEFAULT_EXCHANGE_PRICE if exchange_price is None
                       and objective == "exchange" else exchange_price or 0.0,
                       "lookahead.exchange_price", 0.0)
    if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int)
                                or horizon < 1):
        raise ConfigError(f"lookahead.horizon must be an integer >= 1 (intervals) or None, "
                          f"got {horizon!r}")
    return Settings(str(objective), prices, feed, peak, exchange,
                    _number(shed_penalty, "lookahead.shed_penalty", 0.0),
                    _number(curtail_penalty, "lookahead.curtail_penalty", 0.0),
                    horizon, _start_seconds(start))  # type: ignore[arg-type]
