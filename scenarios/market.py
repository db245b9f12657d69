"""Run ``massca market`` from a checkout: ``python scenarios/market.py --help``.

The scenario itself is :mod:`mosaik_components.massca.scenarios.market` (installed with
the package, so ``massca market`` runs it from a wheel as well).
"""

import sys

from mosaik_components.massca.cli import main

if __name__ == "__main__":
    sys.exit(main(["market", *sys.argv[1:]]))
