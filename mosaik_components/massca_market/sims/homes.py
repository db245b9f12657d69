"""``HomeSimulator``: homes as a mosaik unit simulator (consumption, PV, stock, residual).

Time-based with ``step_size`` seconds; every output is persistent (mosaik's default for
time-based simulators), so consumers read it at any later time without warnings. Per
step, each home draws its consumption, produces from the irradiance, lets its stock
serve its own balance and publishes the residual at its meter (:mod:`..core.home`).

Model ``Home``; params: the fields of :class:`~..core.config.HomeSpec`, ``hid`` (the
entity id; default ``Home_<n>``) and ``site`` (optional: the eid of a ``Site``). Each
home's random stream is seeded with ``"<seed>/<eid>"`` (simulator param ``seed``), so a
home draws the same consumption whatever other homes exist.

Model ``Site`` (no params): inputs ``P_pu`` and ``GHI[W/m2]`` shared by every home
created with ``site=<its eid>``. Connecting a weather and a profile source once to a site
instead of to every home saves mosaik one connection per home and input; a home with a
site takes both inputs from it (connecting them to the home as well is an error).

| Attribute | In/Out | Meaning |
|---|---|---|
| ``P_pu`` | in | consumption profile (per unit of ``load_peak_kw``), for ``load="profile"`` |
| ``GHI[W/m2]`` | in | global horizontal irradiance, for homes with ``pv_kwp > 0`` |
| ``E[kWh]`` | out | residual energy this period at the meter (surplus +, need -) |
| ``P[kW]`` | out | the same as average power |
| ``P_load[kW]``, ``P_pv[kW]`` | out | consumption and PV production |
| ``P_stock[kW]`` | out | stock power (discharge +, charge -) |
| ``stock[kWh]``, ``SOC[%]`` | out | the stock's state of charge after the period |
| ``P_gen[MW]``, ``P_load[MW]`` | out | the residual as a grid bus injection (surplus, need) |

A missing or non-finite input, a second source for one input, or a bad param raises an
error naming the home, the attribute and the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mosaik_api_v3

from ..core.config import HomeSpec, validate
from ..core.home import Home, HomeStep, pv_power
from ..errors import MarketConfigError

__all__ = ["HomeSimulator", "META", "main"]

INPUTS = ["P_pu", "GHI[W/m2]"]
#: output attribute -> its value from a period's step, the home's spec and the hours
OUTPUT_OF: dict[str, Callable[[HomeStep, HomeSpec, float], float]] = {
    "E[kWh]": lambda step, spec, hours: step.residual_kw * hours,
    "P[kW]": lambda step, spec, hours: step.residual_kw,
    "P_load[kW]": lambda step, spec, hours: step.load_kw,
    "P_pv[kW]": lambda step, spec, hours: step.pv_kw,
    "P_stock[kW]": lambda step, spec, hours: step.stock_kw,
    "stock[kWh]": lambda step, spec, hours: step.stock_kwh,
    "SOC[%]": lambda step, spec, hours: (100.0 * step.stock_kwh / spec.stock_kwh
                                         if spec.stock_kwh else 0.0),
    # the residual for a grid bus (mosaik-pandapower-2's bus inputs, MW)
    "P_gen[MW]": lambda step, spec, hours: max(step.residual_kw, 0.0) / 1000.0,
    "P_load[MW]": lambda step, spec, hours: max(-step.residual_kw, 0.0) / 1000.0,
}

META = {
    "api_version": "3.0",
    "type": "time-based",
    "models": {
        "Home": {"public": True, "params": [*HomeSpec.model_fields, "hid", "site"],
                 "attrs": [*INPUTS, *OUTPUT_OF]},
        "Site": {"public": True, "params": [], "attrs": INPUTS},
    },
}


class HomeSimulator(mosaik_api_v3.Simulator):
    """Homes (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.seed = 0
        self.homes: dict[str, Home] = {}
        self.site_of: dict[str, str] = {}
        self.sites: dict[str, dict[str, float | None]] = {}
        self.last: dict[str, HomeStep] = {}

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900,
             seed: int = 0) -> dict[str, Any]:
        for name, value in (("step_size", step_size), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, int) or value < (
                    1 if name == "step_size" else 0):
                raise MarketConfigError(f"{sid}: {name} must be an integer >= "
                                        f"{1 if name == 'step_size' else 0}, got {value!r}")
        if time_resolution != 1.0:
            raise MarketConfigError(f"{sid}: only time_resolution=1.0 is supported, got "
                                    f"{time_resolution!r}")
        self.sid = sid
        self.step_size = step_size
        self.seed = seed
        return self.meta

    def create(self, num: int, model: str, hid: str | None = None, site: str | None = None,
               **params: Any) -> list[dict[str, Any]]:
        if model == "Site":
            if params or hid is not None or site is not None:
                raise MarketConfigError(f"{self.sid}: Site takes no params")
            eids = [f"Site_{len(self.sites) + i}" for i in range(num)]
            self.sites.update({eid: {} for eid in eids})
            return [{"eid": eid, "type": model} for eid in eids]
        if model != "Home":
            raise MarketConfigError(f"{self.sid}: unknown model {model!r}; known: 'Home', "
                                    "'Site'")
        if hid is not None and (num != 1 or not isinstance(hid, str) or hid in self.homes
                                or hid in self.sites):
            raise MarketConfigError(f"{self.sid}: hid must be a new entity id for exactly one "
                                    f"home, got hid={hid!r} for {num} home(s)")
        if site is not None and site not in self.sites:
            raise MarketConfigError(f"{self.sid}: site must be the eid of a Site created "
                                    f"before, got {site!r}; known: {sorted(self.sites)}")
        spec = validate(HomeSpec, params, where=f"{self.sid}.Home")
        created = []
        for _ in range(num):
            eid = hid if hid is not None else f"Home_{len(self.homes)}"
            self.homes[eid] = Home(spec, f"{self.seed}/{eid}")
            if site is not None:
                self.site_of[eid] = site
            created.append({"eid": eid, "type": model})
        return created

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]], max_advance: int
             ) -> int:
        hours = self.step_size / 3600
        for site in self.sites:
            given = inputs.get(site, {})
            self.sites[site] = {attr: self._input(site, given, attr) for attr in INPUTS}
        site_of = self.site_of
        for eid, home in self.homes.items():
            given = inputs.get(eid, {})
            site = site_of.get(eid)
            if site is None:
                p_pu = self._input(eid, given, "P_pu")
                ghi = self._input(eid, given, "GHI[W/m2]")
            elif given:
                raise MarketConfigError(f"{self.sid}.{eid}: takes its inputs from {site}; "
                                        f"do not connect {sorted(given)} to the home too")
            else:
                p_pu, ghi = self.sites[site]["P_pu"], self.sites[site]["GHI[W/m2]"]
            if home.spec.pv_kwp > 0 and ghi is None:
                raise MarketConfigError(f"{self.sid}.{eid}: has PV (pv_kwp="
                                        f"{home.spec.pv_kwp}) but no GHI[W/m2] input")
            try:
                load = home.load(p_pu)
            except ValueError as exc:
                raise MarketConfigError(f"{self.sid}.{eid}: {exc}") from None
            self.last[eid] = home.step(hours, load, pv_power(home.spec, ghi or 0.0))
        return time + self.step_size

    def _input(self, eid: str, given: dict[str, dict[str, Any]], attr: str) -> float | None:
        sources = given.get(attr)
        if not sources:
            return None
        if len(sources) != 1:
            raise MarketConfigError(f"{self.sid}.{eid}.{attr}: one source expected, got "
                                    f"{sorted(sources)}")
        (source, value), = sources.items()
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise MarketConfigError(f"{self.sid}.{eid}.{attr}: not a finite number from "
                                    f"{source}: {value!r}")
        return float(value)

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        hours = self.step_size / 3600
        data = {}
        last = self.last
        for eid, attrs in outputs.items():
            step = last.get(eid)
            if step is None:
                if eid in self.sites:
                    raise MarketConfigError(f"{self.sid}.{eid}: a Site has no outputs")
                raise MarketConfigError(f"{self.sid}: unknown entity {eid!r} or no step yet")
            if attrs == ["E[kWh]"]:  # what the agents read: the common case, kept cheap
                data[eid] = {"E[kWh]": step.residual_kw * hours}
                continue
            unknown = [attr for attr in attrs if attr not in OUTPUT_OF]
            if unknown:
                raise MarketConfigError(f"{self.sid}.{eid}: no output attribute(s) {unknown}")
            spec = self.homes[eid].spec
            data[eid] = {attr: OUTPUT_OF[attr](step, spec, hours) for attr in attrs}
        return data


def main() -> None:
    """Run as a mosaik ``cmd`` simulator: ``python -m ...sims.homes HOST:PORT``."""
    mosaik_api_v3.start_simulation(HomeSimulator(), "massca market homes")


if __name__ == "__main__":
    main()
