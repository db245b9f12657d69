"""Forecasts over a horizon from a data table: perfect foresight, persistence, noisy.

A forecast issued at row ``row`` of a table covers ``horizon`` intervals, ``stride`` rows
apart (the simulation step over the data's frequency); interval 0 is the issue time
itself and is always the measured value. Methods:

* ``perfect``: the data itself (perfect foresight);
* ``persistence``: the value at the issue time, held over the whole horizon;
* ``noisy``: the data times ``1 + e(l)`` (never below 0), where the relative error
  ``e`` is a random walk over the lead time ``l`` (in intervals): ``e(0) = 0``,
  ``e(l) = e(l - 1) + sigma * sqrt(step_h / 24) * z(l)`` with standard normal ``z``. Its
  standard deviation grows as ``sigma * sqrt(lead time / 24 h)``: ``sigma`` at 24 h
  ahead, half of it at 6 h. Errors along the horizon are correlated (a forecast that is
  too high now stays too high for a while), as in real day-ahead forecasts. Columns of
  one *group* (e.g. the three irradiance components) share one error path; columns in
  no group are forecast perfectly. The draws come from
  ``numpy.random.default_rng([seed, row, group])``: the same seed gives the same
  forecast for the same issue time, whatever ran before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np

from .params import ForecastMethod, ForecastParams

__all__ = ["METHODS", "ForecastSpec", "issue", "forecast_attr"]

METHODS = get_args(ForecastMethod)


@dataclass(frozen=True, slots=True)
class ForecastSpec:
    """How a source forecasts: ``method``, ``horizon`` (intervals), ``sigma``, ``seed``."""

    method: str = "perfect"
    horizon: int = 1
    sigma: float = 0.0
    seed: int = 0

    @classmethod
    def checked(cls, method: object, horizon: object, sigma: object, seed: object,
                what: str) -> ForecastSpec:
        """Validate every field (:class:`~.params.ForecastParams`).

        Errors name ``what``, the field and the value.
        """
        options = ForecastParams.checked(what, {"forecast": method, "horizon": horizon,
                                                "sigma": sigma, "seed": seed})
        return cls(options.forecast, options.horizon, options.sigma, options.seed)


def issue(values: np.ndarray, row: int, stride: int, spec: ForecastSpec, step_h: float,
          groups: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """The forecast issued at ``row``: an array ``(spec.horizon, columns)``.

    ``values`` is the whole table (rows x columns); the caller has checked that it
    reaches ``row + (horizon - 1) * stride``. ``groups`` lists the column indices that
    share one error path (``noisy`` only).
    """
    rows = row + stride * np.arange(spec.horizon)
    if spec.method == "persistence":
        return np.repeat(values[row][np.newaxis, :], spec.horizon, axis=0)
    truth = values[rows].astype(float, copy=True)
    if spec.method == "perfect" or spec.sigma == 0 or spec.horizon == 1:
        return truth
    scale = spec.sigma * math.sqrt(step_h / 24.0)
    for index, columns in enumerate(groups):
        rng = np.random.default_rng([spec.seed, row, index])
        walk = np.concatenate([[0.0], np.cumsum(rng.standard_normal(spec.horizon - 1))])
        factor = np.maximum(1.0 + scale * walk, 0.0)
        truth[:, list(columns)] *= factor[:, np.newaxis]
    return truth


def forecast_attr(attr: str) -> str:
    """The forecast attribute of ``attr``: ``GHI[W/m2]`` -> ``GHI_forecast[W/m2]``."""
    name, bracket, unit = attr.partition("[")
    return f"{name}_forecast{bracket}{unit}"
