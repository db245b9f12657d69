"""The porting note for MASSCA's newer examples (README, "Drop-in for MASSCA users"), checked.

MASSCA's ``examples/hyBitCell`` and ``examples/cohda`` (repository head) default to
``--performance True`` and then call ``mosaik.util.plot_dataflow_graph(world, ...)`` before
``world.run``. On the mosaik versions massca supports (>= 3.6) that call fails whatever
MAS runs (3.6.0: ``nx`` is imported for type checking only; 3.7: runtime simulators exist
only after ``run``), so the examples run with ``--performance ""``. If this test fails,
mosaik changed and the note must be updated.
"""

from __future__ import annotations

import mosaik
import mosaik.util
import pytest

from tests.conftest import SIM_CONFIG


def test_plot_dataflow_graph_before_run_fails_on_the_installed_mosaik(tmp_path):
    with mosaik.World(SIM_CONFIG) as world:
        units = world.start("Units", step_size=900)
        collector = world.start("Collector")
        world.connect(units.Unit(profile=[1.0]), collector.Collector(), "current")
        with pytest.raises((NameError, RuntimeError)):
            mosaik.util.plot_dataflow_graph(world, folder=str(tmp_path), show_plot=False)


def test_the_examples_imports_resolve():
    # the names the examples import from MASSCA's package exist in massca
    from mosaik_components.mas.lib.cohda import COHDA
    from mosaik_components.mas.mosaik_agents import META
    from mosaik_components.mas.utils import MAS_DEFAULT_STATE, PRECISION, highlight

    assert "MosaikAgents" in META["models"] and callable(COHDA(muted=True).execute)
    assert set(MAS_DEFAULT_STATE) == {"production", "consumption"} and PRECISION > 0
    assert "x" in highlight("x")
