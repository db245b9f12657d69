"""``massca COMMAND --help`` imports nothing it does not need to print the options.

pandapower (~1 s), matplotlib, scipy's optimisers and mango are imported by the code that
runs a job, not by the parsers: ``--help`` stays well under a second (the timing itself
is measured in BENCHMARKS.md, not here). Also: the package façades load on first use.
"""

import subprocess
import sys

import pytest

from mosaik_components.massca.cli import COMMANDS

HEAVY = ("pandapower", "matplotlib", "scipy.optimize", "simbench")
#: commands whose own run does not use mango (their --help must not import it either)
WITHOUT_MANGO = ("cells", "study", "demo", "cohda", "runs", "compare")

CHECK = """
import contextlib, io, sys
from mosaik_components.massca.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        status = main([{command!r}, "--help"])
    except SystemExit as exit:
        status = exit.code
assert status == 0, status
assert "usage:" in out.getvalue(), out.getvalue()
print(" ".join(sorted(m for m in {modules!r} if m in sys.modules)))
"""


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_imports_no_heavy_library(command):
    modules = HEAVY + (("mango",) if command in WITHOUT_MANGO else ())
    done = subprocess.run([sys.executable, "-c", CHECK.format(command=command,
                                                              modules=modules)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"massca {command} --help imported {done.stdout}"


FACADES = """
import sys
import mosaik_components.mas.model.errors
import mosaik_components.massca_grid
assert "mango" not in sys.modules and "pandapower" not in sys.modules, sorted(sys.modules)
from mosaik_components.mas import ConfigError, MosaikAgents
from mosaik_components.massca_grid import GridSimulator
assert "mango" in sys.modules and "pandapower" in sys.modules
import mosaik_components.mas as mas
assert set(mas.__all__) <= set(dir(mas))
try:
    mas.NoSuchName
except AttributeError as exc:
    assert "NoSuchName" in str(exc)
else:
    raise AssertionError("an unknown name must raise AttributeError")
"""


def test_facades_import_on_first_use():
    done = subprocess.run([sys.executable, "-c", FACADES], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
