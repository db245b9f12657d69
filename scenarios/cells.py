"""Run ``massca cells`` from a checkout: ``python scenarios/cells.py --help``.

The scenario itself is :mod:`mosaik_components.massca.scenarios.cells` (installed with
the package, so ``massca cells`` runs it from a wheel as well).
"""

import sys

from mosaik_components.massca.cli import main

if __name__ == "__main__":
    sys.exit(main(["cells", *sys.argv[1:]]))
