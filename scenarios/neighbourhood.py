"""Run ``massca neighbourhood`` from a checkout: ``python scenarios/neighbourhood.py --help``.

The scenario itself is :mod:`mosaik_components.massca.scenarios.neighbourhood` (installed
with the package, so ``massca neighbourhood`` runs it from a wheel as well).
"""

import sys

from mosaik_components.massca.cli import main

if __name__ == "__main__":
    sys.exit(main(["neighbourhood", *sys.argv[1:]]))
