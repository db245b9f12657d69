"""Synthetic horizon flexibility of typical units, built as the unit simulators build it.

For the look-ahead benchmark and tests: PV (curtailable producer), curtailable loads,
batteries (cyclic state of charge) and deferrable loads (the ``ShiftableLoad``'s
``served`` limit), over ``length`` intervals of 15 min from midnight, with smooth
day-shaped profiles (evening peak). Seeded through the ``rng`` the caller passes.
"""

from __future__ import annotations

import numpy as np

from mosaik_components.mas.model.flexibility import UnitState
from mosaik_components.mas.model.horizon import Costs, HorizonFlex
from mosaik_components.massca_units.battery import battery_flex
from mosaik_components.massca_units.shiftable import deferrable_flex
from mosaik_components.massca_units.unitflex import consumer_flex, producer_flex

STEP_H = 0.25


def day(length: int) -> np.ndarray:
    """Hour of the day of each interval from midnight."""
    return (np.arange(length) * STEP_H) % 24


def pv(length: int, peak: float) -> HorizonFlex:
    """A PV plant of ``peak`` MW on a clear day."""
    hours = day(length)
    return producer_flex(STEP_H, peak * np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None), 0.0)


def load(length: int, peak: float, shed_cost: float = 300.0, shed_max: float = 0.2
         ) -> HorizonFlex:
    """A curtailable load with an evening peak."""
    hours = day(length)
    demand = peak * (0.6 + 0.4 * np.exp(-((hours - 19) / 2.5) ** 2))
    return consumer_flex(STEP_H, demand, (1 - shed_max) * demand, demand, Costs(shed=shed_cost))


def battery(length: int, capacity: float, power: float, soc: float, eta: float = 0.95,
            wear: float = 2.0) -> HorizonFlex:
    """A battery at ``soc`` MWh, floor 10 % of ``capacity``, cyclic."""
    params = {"capacity_mwh": capacity, "soc_min": 0.1, "soc_max": 1.0, "p_charge_mw": power,
              "p_discharge_mw": power, "eta_c": eta, "eta_d": eta}
    return battery_flex(soc, params, length, STEP_H, Costs(wear=wear))


def shiftable(length: int, peak: float, delay: int = 8, shift_cost: float = 1.0
              ) -> HorizonFlex:
    """A deferrable load (``delay`` intervals, rated twice its peak), nothing queued yet."""
    hours = day(length)
    demand = peak * (0.5 + 0.5 * np.exp(-((hours - 18) / 3) ** 2))
    queue = [[delay, demand[0] * STEP_H]]
    return deferrable_flex(queue, 0, demand, STEP_H, delay, 2 * peak, 2 * peak,
                           Costs(shift=shift_cost), 0.0)


def cell(rng: np.random.Generator, length: int, units: int = 24) -> list[UnitState]:
    """``units`` units: 2 batteries, up to 6 deferrable loads, PV and curtailable loads."""
    flexes = [battery(length, c, c / 4, c * rng.uniform(0.2, 0.9))
              for c in rng.uniform(1, 4, 2)]
    flexes += [shiftable(length, rng.uniform(0.1, 0.5)) for _ in range(min(6, units - 2))]
    rest = units - len(flexes)
    flexes += [pv(length, rng.uniform(0.1, 1.0)) for _ in range(rest // 2)]
    flexes += [load(length, rng.uniform(0.2, 1.0)) for _ in range(rest - rest // 2)]
    return [UnitState.of_horizon(flex) for flex in flexes]
