"""Shared fixtures: mosaik worlds whose simulator instances the tests can inspect."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import mosaik
import pytest
from hypothesis import settings

# CI must be reproducible: hypothesis draws its examples from a fixed seed per test.
# HYPOTHESIS_PROFILE=explore draws fresh examples (for hunting bugs locally).
settings.register_profile("massca", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "massca"))

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIM_CONFIG = {
    "MAS": {"python": "mosaik_components.mas:MosaikAgents"},
    "Units": {"python": "tests.simulators.units:Units"},
    "Collector": {"python": "tests.simulators.collector:Collector"},
}


@pytest.fixture
def world() -> Iterator[mosaik.World]:
    """A world used as a context manager: ``run`` keeps it open, so the simulators'
    extra methods (the collector's records, ...) answer after the run; it is shut down
    when the test ends."""
    with ExitStack() as stack:
        yield stack.enter_context(mosaik.World(SIM_CONFIG))


@pytest.fixture
def new_world() -> Iterator[Callable[[], mosaik.World]]:
    """A factory of fresh worlds (for tests that run several); all are shut down."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(mosaik.World(SIM_CONFIG))


@pytest.fixture
def no_task_leaks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail if asyncio reports destroyed pending tasks or unretrieved exceptions."""
    gc.collect()  # garbage of earlier tests (e.g. mosaik's tasks of a failed run) goes first
    caplog.set_level(logging.ERROR, logger="asyncio")
    yield
    gc.collect()
    bad = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert not bad, bad


def descendants_running(pid: int, marker: str) -> list:
    """The live descendants of ``pid`` whose command line contains ``marker``.

    A child that exits (or is a zombie) while it is looked at is not running, so it
    is left out rather than failing the look-up."""
    import psutil

    found = []
    for process in psutil.Process(pid).children(recursive=True):
        try:
            if marker in " ".join(process.cmdline()):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found
