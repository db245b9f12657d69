"""Run ``massca demo`` from a checkout: ``python scenarios/demo.py --help``.

The scenario itself is :mod:`mosaik_components.massca.scenarios.demo` (installed with
the package, so ``massca demo`` runs it from a wheel as well).
"""

import sys

from mosaik_components.massca.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", *sys.argv[1:]]))
