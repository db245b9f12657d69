"""``HomeSimulator``: homes as a mosaik unit simulator (consumption, PV, stock, residual).

Time-based with ``step_size`` seconds; every output is persistent (mosaik's default for
time-based simulators), so consumers read it at any later time without warnings. Per
step, each home draws its consumption, produces from the irradiance, lets its stock
serve its own balance and publishes the residual at its meter (:mod:`..core.home`).

Model ``Home``; params: the fields of :class:`~..core.config.HomeSpec` and ``hid`` (the
entity id; default ``Home_<n>``). Each home's random stream is seeded with
``"<seed>/<eid>"`` (simulator param ``seed``), so a home draws the same consumption
whatever other homes exist.

| Attribute | In/Out | Meaning |
|---|---|---|
| ``P_pu`` | in | consumption profile (per unit of ``load_peak_kw``), for ``load="profile"`` |
| ``GHI[W/m2]`` | in | global horizontal irradiance, for homes with ``pv_kwp > 0`` |
| ``E[kWh]`` | out | residual energy this period at the meter (surplus +, need -) |
| ``P[kW]`` | out | the same as average power |
| ``P_load[kW]``, ``P_pv[kW]`` | out | consumption and PV production |
| ``P_stock[kW]`` | out | stock power (discharge +, charge -) |
| ``stock[kWh]``, ``SOC[%]`` | out | the stock's state of charge after the period |

A missing or non-finite input, a second source for one input, or a bad param raises an
error naming the home, the attribute and the value.
"""

from __future__ import annotations

import math
from typing import Any

import mosaik_api_v3

from ..core.config import HomeSpec, validate
from ..core.home import Home, HomeStep, pv_power
from ..errors import MarketConfigError

__all__ = ["HomeSimulator", "META", "main"]

OUTPUTS = ["E[kWh]", "P[kW]", "P_load[kW]", "P_pv[kW]", "P_stock[kW]", "stock[kWh]", "SOC[%]"]
INPUTS = ["P_pu", "GHI[W/m2]"]
META = {
    "api_version": "3.0",
    "type": "time-based",
    "models": {
        "Home": {"public": True, "params": [*HomeSpec.model_fields, "hid"],
                 "attrs": [*INPUTS, *OUTPUTS]},
    },
}


class HomeSimulator(mosaik_api_v3.Simulator):
    """Homes (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.seed = 0
        self.homes: dict[str, Home] = {}
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

    def create(self, num: int, model: str, hid: str | None = None, **params: Any
               ) -> list[dict[str, Any]]:
        if model != "Home":
            raise MarketConfigError(f"{self.sid}: unknown model {model!r}; known: 'Home'")
        if hid is not None and (num != 1 or not isinstance(hid, str) or hid in self.homes):
            raise MarketConfigError(f"{self.sid}: hid must be a new entity id for exactly one "
                                    f"home, got hid={hid!r} for {num} home(s)")
        spec = validate(HomeSpec, params, where=f"{self.sid}.Home")
        created = []
        for _ in range(num):
            eid = hid if hid is not None else f"Home_{len(self.homes)}"
            self.homes[eid] = Home(spec, f"{self.seed}/{eid}")
            created.append({"eid": eid, "type": model})
        return created

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]], max_advance: int
             ) -> int:
        hours = self.step_size / 3600
        for eid, home in self.homes.items():
            given = inputs.get(eid, {})
            p_pu = self._input(eid, given, "P_pu")
            ghi = self._input(eid, given, "GHI[W/m2]")
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
        for eid, attrs in outputs.items():
            step = self.last.get(eid)
            if step is None:
                raise MarketConfigError(f"{self.sid}: unknown entity {eid!r} or no step yet")
            spec = self.homes[eid].spec
            values = {"E[kWh]": step.residual_kw * hours, "P[kW]": step.residual_kw,
                      "P_load[kW]": step.load_kw, "P_pv[kW]": step.pv_kw,
                      "P_stock[kW]": step.stock_kw, "stock[kWh]": step.stock_kwh,
                      "SOC[%]": 100.0 * step.stock_kwh / spec.stock_kwh if spec.stock_kwh
                      else 0.0}
            try:
                data[eid] = {attr: values[attr] for attr in attrs}
            except KeyError as exc:
                raise MarketConfigError(f"{self.sid}.{eid}: no output attribute {exc}") from None
        return data


def main() -> None:
    """Run as a mosaik ``cmd`` simulator: ``python -m ...sims.homes HOST:PORT``."""
    mosaik_api_v3.start_simulation(HomeSimulator(), "massca market homes")


if __name__ == "__main__":
    main()
