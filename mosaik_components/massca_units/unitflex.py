"""A unit's horizon flexibility (its ``flex`` output) from its forecasts.

Forecast inputs are lists (one value per interval, interval 0 = now) published by the
data sources (:mod:`.timeseries`); a unit reads the first ``horizon`` of them and turns
them into power: :func:`forecast_input` validates them, :func:`producer_flex` and
:func:`consumer_flex` build the :class:`~mosaik_components.mas.model.HorizonFlex` of a
curtailable producer or a load without energy coupling. Storage and deferrable loads
add :class:`~mosaik_components.mas.model.EnergyLimit` s in their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mosaik_components.mas.model.horizon import Band, Costs, HorizonFlex

__all__ = ["forecast_input", "required_forecast", "producer_flex", "consumer_flex"]


def forecast_input(where: str, inputs: Mapping[str, Mapping[str, Any]], attr: str,
                   horizon: int, time: int) -> np.ndarray | None:
    """The first ``horizon`` values of forecast input ``attr``; ``None`` if not connected.

    ``where`` (``"sim.eid"``) names the unit in errors: more than one source, a value
    that is not a list of at least ``horizon`` finite numbers.
    """
    sources = inputs.get(attr)
    if not sources:
        return None
    if len(sources) != 1:
        raise ValueError(f"{where}: {attr} comes from {sorted(sources)}; connect one forecast")
    (source, values), = sources.items()
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise ValueError(f"{where}: {attr} from {source!r} at time {time} must be a list, "
                         f"got {values!r}")
    if len(values) < horizon:
        raise ValueError(f"{where}: {attr} from {source!r} has {len(values)} values, the "
                         f"horizon needs {horizon}; create the source with horizon >= "
                         f"{horizon}")
    try:
        array = np.asarray(values[:horizon], dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {attr} from {source!r} must hold numbers, got "
                         f"{values!r}") from None
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: {attr} from {source!r} at time {time} holds a non-finite "
                         "value")
    return array


def required_forecast(where: str, inputs: Mapping[str, Mapping[str, Any]], attr: str,
                      horizon: int, time: int, now: float) -> np.ndarray:
    """The forecast of ``attr`` with interval 0 set to the measured value ``now``.

    With ``horizon == 1`` no forecast is needed; otherwise a missing one is an error.
    """
    if horizon == 1:
        return np.array([now])
    values = forecast_input(where, inputs, attr, horizon, time)
    if values is None:
        raise ValueError(f"{where}: horizon={horizon} needs the forecast input {attr} at time "
                         f"{time}; connect a source created with horizon >= {horizon}")
    values[0] = now
    return values


def producer_flex(step_h: float, available: np.ndarray, curtail_cost: float) -> HorizonFlex:
    """A producer that may be curtailed to 0 from its ``available`` power (MW)."""
    zeros = np.zeros(available.size)
    return HorizonFlex(step_h, Band(available, zeros, available), Band.zeros(available.size),
                       costs=Costs(curtail=curtail_cost))


def consumer_flex(step_h: float, expected: np.ndarray, low: np.ndarray, high: np.ndarray,
                  costs: Costs) -> HorizonFlex:
    """A load that runs at ``expected`` and may move within ``[low, high]`` (MW)."""
    return HorizonFlex(step_h, Band.zeros(expected.size), Band(expected, low, high),
                       costs=costs)
