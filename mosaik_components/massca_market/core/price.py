"""Price formation, declared: one market's price for one period.

With ``B`` the energy bid and ``S`` the energy offered for sale in this period (kWh;
gifts and gift asks are **not** part of either), ``T`` the air temperature and ``c_e``
the coefficients of the external events active in this period::

    imbalance  = (B - S) / (B + S)             (0 when B + S = 0; within [-1, 1])
    base(t)    = base(t-1) ** (1 - theta) * reference ** theta * exp(kappa * imbalance)
    f_T(t)     = 1 + beta_heat * max(t_heat - T, 0) + beta_cool * max(T - t_cool, 0)
    f_E(t)     = product over active events of (1 + c_e)
    formed(t)  = base(t) * f_T(t) * f_E(t)
    price(t)   = formed(t) kept within [export tariff, import tariff]

So the price rises with demand and falls with supply (through ``base``, which carries
the history: ``ln base`` moves by ``kappa * imbalance`` per period and reverts to
``ln reference`` at rate ``theta``; a lasting full imbalance settles at
``reference * exp(+-kappa / theta)``, so ``base`` stays positive and bounded), rises in
heating and cooling weather, and moves with events exactly while they are active:
temperature and events scale the price of their own period and never enter ``base``.
The last line is economics, not clipping of data: no buyer pays more than importing
costs and no seller takes less than exporting earns; ``formed`` is reported beside
``price``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .config import PriceParams, Tariffs

__all__ = ["PricePoint", "imbalance", "temperature_factor", "event_factor", "form_price"]


@dataclass(frozen=True, slots=True)
class PricePoint:
    """One period's price and its parts."""

    base: float
    imbalance: float
    temperature_factor: float
    event_factor: float
    formed: float
    price: float


def imbalance(bids_kwh: float, offers_kwh: float) -> float:
    """``(B - S) / (B + S)``, 0 without either."""
    total = bids_kwh + offers_kwh
    return (bids_kwh - offers_kwh) / total if total > 0 else 0.0


def temperature_factor(params: PriceParams, temperature: float) -> float:
    """``f_T``: 1 inside ``[t_heat, t_cool]``, rising linearly per kelvin outside."""
    return (1.0 + params.beta_heat * max(params.t_heat - temperature, 0.0)
            + params.beta_cool * max(temperature - params.t_cool, 0.0))


def event_factor(coefficients: Iterable[float]) -> float:
    """``f_E``: the product of ``1 + c`` over the active events (1 without events)."""
    return math.prod(1.0 + c for c in coefficients)


def form_price(params: PriceParams, tariffs: Tariffs, base_before: float, bids_kwh: float,
               offers_kwh: float, temperature: float, coefficients: Iterable[float]
               ) -> PricePoint:
    """The price of a period from the last base price, the order balance, weather, events."""
    imb = imbalance(bids_kwh, offers_kwh)
    base = (base_before ** (1.0 - params.theta) * params.reference ** params.theta
            * math.exp(params.kappa * imb))
    f_t = temperature_factor(params, temperature)
    f_e = event_factor(coefficients)
    formed = base * f_t * f_e
    price = min(max(formed, tariffs.export_eur_kwh), tariffs.import_eur_kwh)
    return PricePoint(base, imb, f_t, f_e, formed, price)
