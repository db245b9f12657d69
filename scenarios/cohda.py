"""Run ``massca cohda`` from a checkout: ``python scenarios/cohda.py --help``.

The scenario itself is :mod:`mosaik_components.massca.scenarios.cohda` (installed with
the package, so ``massca cohda`` runs it from a wheel as well).
"""

import sys

from mosaik_components.massca.cli import main

if __name__ == "__main__":
    sys.exit(main(["cohda", *sys.argv[1:]]))
