"""Run ``massca sweep`` from a checkout: ``python scalability/sweep.py run --help``.

The sweep runner itself is :mod:`mosaik_components.massca.sweep.runner`.
"""

import sys

from mosaik_components.massca.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", *sys.argv[1:]]))
