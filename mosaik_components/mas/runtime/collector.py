"""Python's garbage collector around many long-lived agents and fast-allocating cycles.

A MAS builds thousands of agents that live until the run ends, then every coordination
cycle allocates messages, states and events at a high rate, almost none of them in
reference cycles. With the collector's defaults (a young collection every 700
allocations, a full one walking every tracked object) that costs more than the agents'
own work (``scalability/bench_cycle.py`` at 14,994 agents: cycle 246 -> 136 ms, setup
1.24 -> 0.59 s; at 103,589 agents: setup 7.8 -> 4.05 s; BENCHMARKS.md):

* :func:`collector_paused` builds agents in bulk with the collector off;
* :func:`collector_tuned` freezes what exists (full collections no longer walk it) and
  collects the young generation every :data:`RUN_GC_THRESHOLD` [0] allocations.

Both restore the collector's previous settings on exit. ``massca cells`` runs its
world, and a worker process its whole life, under :func:`collector_tuned`; a scenario
script can do the same around ``world.run``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RUN_GC_THRESHOLD", "collector_paused", "collector_tuned"]

#: The collector's thresholds while agents run (young, middle, old generation).
RUN_GC_THRESHOLD = (50_000, 20, 20)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collections inside: for building long-lived objects in bulk."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def collector_tuned() -> Iterator[None]:
    """What exists now frozen, young collections every ``RUN_GC_THRESHOLD[0]`` allocations.

    Measured on a 5-cell SimBench day: the freeze alone 35.5 -> 28.5 s with grid_aware;
    a 50-cell, depth-10 day spent ~12 % in collections before the threshold. Results do
    not change; the freeze and the thresholds are undone on exit.
    """
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(*RUN_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
