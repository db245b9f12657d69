"""Runs: one folder per run with its provenance, an index of runs, run kinds as plug-ins.

``folder`` (a run's folder and ``run.json``), ``provenance`` (version, commit, packages,
machine), ``index`` (the runs below a root), ``kinds`` (what a kind of run offers:
KPIs and series to compare), ``cells_run`` (the cells scenario's run life cycle),
``cli`` (``massca runs``).
"""

from __future__ import annotations

from .folder import FINAL, RUN_FILE, STATUSES, RunFolder, RunFolderError, read_run
from .index import DEFAULT_ROOT, INDEX_FILE, resolve, scan, write_index

__all__ = ["FINAL", "RUN_FILE", "STATUSES", "RunFolder", "RunFolderError", "read_run",
           "DEFAULT_ROOT", "INDEX_FILE", "resolve", "scan", "write_index"]
