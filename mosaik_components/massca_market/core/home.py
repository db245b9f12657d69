"""A home's physics per period: consumption, PV, its stock, and what is left at the meter.

The stock is home storage modelled by massca's battery functions
(:func:`~mosaik_components.massca_units.battery.battery_band` and
:func:`~mosaik_components.massca_units.battery.next_soc`: power limits, state-of-charge
bounds, round-trip efficiency split evenly between charging and discharging). Those
functions are homogeneous in their units; here energies are kWh and powers kW.

The stock serves the home first: it charges from a surplus and discharges into a need,
within its band. What remains is the home's **residual** at the meter, generation
positive: ``residual = pv - load + stock`` (``stock``: discharge positive), a surplus
when positive, a need when negative. Only the residual reaches the market.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mosaik_components.massca_units.battery import battery_band, next_soc

from .config import HomeSpec

__all__ = ["HomeState", "HomeStep", "Home", "pv_power"]


def pv_power(spec: HomeSpec, ghi_w_m2: float) -> float:
    """PV power (kW) at global horizontal irradiance ``ghi_w_m2``."""
    return spec.pv_kwp * max(ghi_w_m2, 0.0) / 1000.0 * spec.pv_pr


@dataclass(slots=True)
class HomeStep:
    """One period of one home (kW averages over the period, stock in kWh)."""

    load_kw: float
    pv_kw: float
    stock_kw: float
    residual_kw: float
    stock_kwh: float


@dataclass(slots=True)
class HomeState:
    """What a home carries from one period to the next."""

    soc_kwh: float


class Home:
    """One home: its spec, its random stream (seeded) and its stock."""

    __slots__ = ("spec", "rng", "state", "_battery")

    def __init__(self, spec: HomeSpec, seed: int | str) -> None:
        self.spec = spec
        self.rng = random.Random(seed)
        self.state = HomeState(spec.stock_init * spec.stock_kwh)
        self._battery = {  # battery_band's parameter names; kWh and kW here
            "efficiency": spec.stock_efficiency, "soc_min": spec.stock_min,
            "soc_max": spec.stock_max, "capacity_mwh": spec.stock_kwh,
            "p_charge_mw": spec.stock_kw, "p_discharge_mw": spec.stock_kw,
        }

    def load(self, p_pu: float | None) -> float:
        """Consumption this period (kW), drawn anew every period (see HomeSpec)."""
        spec = self.spec
        if spec.load == "random":
            return self.rng.uniform(spec.load_min_kw, spec.load_max_kw)
        if p_pu is None:
            raise ValueError("a home with load='profile' needs a P_pu input every period")
        factor = self.rng.uniform(1.0 - spec.load_noise, 1.0 + spec.load_noise)
        return spec.load_peak_kw * p_pu * factor

    def step(self, hours: float, load_kw: float, pv_kw: float) -> HomeStep:
        """Run one period of ``hours``: the stock covers what it can, the rest is residual."""
        net = pv_kw - load_kw
        stock_kw = 0.0
        soc = self.state.soc_kwh
        if self.spec.stock_kwh > 0:
            low, high = battery_band(soc, hours, self._battery)
            stock_kw = min(max(-net, low), high)  # discharge into a need, charge a surplus
            soc = next_soc(soc, stock_kw, hours, self.spec.stock_efficiency)
            self.state.soc_kwh = soc
        return HomeStep(load_kw, pv_kw, stock_kw, net + stock_kw, soc)
