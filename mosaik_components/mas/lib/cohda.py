"""MASSCA's ``COHDA`` helper (``from mosaik_components.mas.lib.cohda import COHDA``).

MASSCA's newer method files (its ``examples/hyBitCell`` and ``examples/cohda``) call COHDA
from inside ``execute_method``: ``COHDA(muted=...)``, ``.execute(target_schedule,
flexibility)`` returning ``{name: {"FlexSchedules": [MW per interval]}}`` in participant
order, results cached per input, and a ``final_schedules`` dict the method files fill.
MASSCA wrapped mosaik-cohda (mango 1, a mosaik simulator per call on nest_asyncio);
this class runs massca's own COHDA (:mod:`..strategies.cohda`) with its in-process
reference driver (:func:`..strategies.cohda.negotiate`): the same algorithm, no
sockets, no nested event loop, deterministic for a ``seed``.

Each participant's options are ``levels`` schedules evenly spaced between its
``flex_min_power`` and ``flex_max_power`` (both ends included); participants talk on a
seeded small-world ring. ``step_size``, ``time_resolution``, ``host`` and ``base_port``
are accepted for MASSCA's signature and not needed.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..strategies.cohda import Objective, negotiate, neighbour_lists, small_world
from ..utils import make_hash_sha256, make_hashable

__all__ = ["COHDA"]

logger = logging.getLogger(__name__)

Schedules = dict[str, dict[str, list[float]]]


class COHDA:
    """MASSCA's COHDA interface on massca's COHDA (module docstring)."""

    def __init__(self, step_size: int = 900, time_resolution: float = 1.0,
                 host: str = "localhost", base_port: int = 7060, muted: bool = False,
                 levels: int = 11, neighbours: int = 4, rewire: float = 0.1, seed: int = 0,
                 max_updates: int = 10_000, **sim_params: Any) -> None:
        if levels < 2 or neighbours < 2 or not 0.0 <= rewire <= 1.0 or max_updates < 1:
            raise ValueError(f"COHDA needs levels >= 2, neighbours >= 2, 0 <= rewire <= 1 and "
                             f"max_updates >= 1, got levels={levels!r}, "
                             f"neighbours={neighbours!r}, rewire={rewire!r}, "
                             f"max_updates={max_updates!r}")
        self.step_size = step_size
        self.time_resolution = time_resolution
        self.muted = muted
        self.levels = levels
        self.neighbours = neighbours
        self.rewire = rewire
        self.seed = seed
        self.max_updates = max_updates
        self.sim_params = sim_params
        self.cache: dict[str, Schedules] = {}
        #: filled by MASSCA's method files (controller eid -> its last schedules)
        self.final_schedules: dict[str, Any] = {}

    def execute(self, target_schedule: Sequence[float],
                flexibility: Sequence[Mapping[str, Sequence[float]]]) -> Schedules:
        """One schedule per participant whose sum comes as close to the target as found."""
        target = _schedule(target_schedule, "target_schedule")
        bands = [_band(flex, index, len(target)) for index, flex in enumerate(flexibility)]
        if not bands:
            raise ValueError("COHDA.execute: flexibility must name at least one participant")
        key = make_hash_sha256(make_hashable((list(target_schedule),
                                             [dict(f) for f in flexibility])))
        if key in self.cache:
            if not self.muted:
                logger.info("COHDA returns a cached solution")
            return copy.deepcopy(self.cache[key])
        options = [_options(low, high, self.levels) for low, high in bands]
        overlay = small_world(len(bands), self.neighbours, self.rewire, self.seed)
        run = negotiate(options, neighbour_lists(overlay), Objective.of(target),
                        max_updates=self.max_updates)
        schedules = {f"Agent_{i}": {"FlexSchedules": [float(v) for v in row]}
                     for i, row in enumerate(run.solution.schedules)}
        self.cache[key] = schedules
        if not self.muted:
            logger.info("COHDA: target %s, %d participants, %d updates, performance %.6g",
                        target.tolist(), len(bands), run.updates, run.solution.performance)
        return copy.deepcopy(schedules)


def _schedule(values: object, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"COHDA.execute: {name} must be a list of numbers, "
                         f"got {values!r}") from None
    if array.size == 0 or not all(math.isfinite(v) for v in array):
        raise ValueError(f"COHDA.execute: {name} must be a non-empty list of finite numbers, "
                         f"got {values!r}")
    return array


def _band(flex: Mapping[str, Sequence[float]], index: int, horizon: int
          ) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(flex, Mapping) or not {"flex_min_power", "flex_max_power"} <= set(flex):
        raise ValueError(f"COHDA.execute: flexibility[{index}] must be a dict with "
                         f"'flex_min_power' and 'flex_max_power', got {flex!r}")
    low = _schedule(flex["flex_min_power"], f"flexibility[{index}]['flex_min_power']")
    high = _schedule(flex["flex_max_power"], f"flexibility[{index}]['flex_max_power']")
    if low.size != horizon or high.size != horizon or (low > high).any():
        raise ValueError(f"COHDA.execute: flexibility[{index}] must give {horizon} value(s) "
                         f"per bound with min <= max, got min {low.tolist()}, "
                         f"max {high.tolist()}")
    return low, high


def _options(low: np.ndarray, high: np.ndarray, levels: int) -> np.ndarray:
    """``levels`` schedules from ``low`` to ``high`` (distinct rows), shape ``(m, H)``."""
    steps = np.linspace(0.0, 1.0, levels).reshape(-1, 1)
    return np.unique(low + steps * (high - low), axis=0)
