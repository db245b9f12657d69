"""massca's application layer: the scenarios, the sweep runner and the ``massca`` command.

The components themselves live beside it in the ``mosaik_components`` namespace:
``mas`` (the agents), ``massca_units`` (unit simulators), ``massca_grid`` (the grid) and
``massca_results`` (recording, summaries, plots). This package wires them into runnable
jobs and ships the data they use (``data/``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("massca")
except PackageNotFoundError:  # run from a checkout without installing
    __version__ = "0+unknown"
