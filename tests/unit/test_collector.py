"""The garbage collector's settings around agents are changed only inside, and restored."""

import contextlib
import gc

import pytest

from mosaik_components.mas.runtime.collector import (
    RUN_GC_THRESHOLD,
    collector_paused,
    collector_tuned,
)


@pytest.mark.parametrize("fails", [False, True])
def test_the_collector_is_relaxed_only_inside_collector_tuned(fails):
    before = gc.get_threshold()
    with contextlib.suppress(RuntimeError), collector_tuned():
        assert gc.get_threshold() == RUN_GC_THRESHOLD
        assert gc.get_freeze_count() > 0
        if fails:
            raise RuntimeError("the run failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_restores_what_it_found(enabled):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with contextlib.suppress(RuntimeError), collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("building failed")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
