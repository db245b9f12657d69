"""The strategy registry imports an LP strategy (and scipy) only when it is asked for."""

import subprocess
import sys

CHECK = """
import sys
from mosaik_components.mas import MosaikAgents
from mosaik_components.mas.strategies import STRATEGIES
assert sorted(STRATEGIES) == ["balance", "grid_aware", "lookahead"], sorted(STRATEGIES)
assert "scipy" not in sys.modules, "scipy imported by the MAS or its registry"
from mosaik_components.mas.strategies import GridAware
from mosaik_components.mas.strategies.lookahead import LookaheadStrategy
assert STRATEGIES["grid_aware"] is GridAware
assert STRATEGIES["lookahead"] is LookaheadStrategy
assert "scipy" in sys.modules
"""


def test_scipy_only_with_an_lp_strategy():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
