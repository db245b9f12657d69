"""The index of runs: every run folder below a root, what it is and how it ended.

The run folders are the truth; ``index.json`` in the root is a listing rebuilt from them
(:func:`write_index`) whenever a run starts or ends, under a file lock so that runs
ending at once do not overwrite each other's entries. :func:`scan` reads the folders
directly, :func:`resolve` finds a run by name or path.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mosaik_components.massca_results.atomic import write_json
from mosaik_components.massca_results.summary import json_ready

from .folder import RUN_FILE, read_run

__all__ = ["INDEX_FILE", "DEFAULT_ROOT", "scan", "write_index", "resolve", "entry"]

INDEX_FILE = "index.json"
DEFAULT_ROOT = Path("results/runs")
#: run.json fields an index entry carries
FIELDS = ("name", "kind", "status", "created", "finished", "config", "seeds", "error",
          "files", "status_api")


def entry(record: dict[str, Any]) -> dict[str, Any]:
    """A run's index entry: the listed fields of its ``run.json``, the path, wall time."""
    item = {key: record.get(key) for key in FIELDS}
    item["path"] = record.get("path")
    item["wall_s"] = (record.get("timings") or {}).get("wall_s")
    item["massca"] = (record.get("provenance") or {}).get("massca")
    item["commit"] = ((record.get("provenance") or {}).get("git") or {}).get("commit")
    return item


def scan(root: Path = DEFAULT_ROOT) -> list[dict[str, Any]]:
    """Index entries of the run folders directly below ``root``, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    entries = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        record = read_run(folder)
        if record is not None:
            entries.append(entry(record))
    return sorted(entries, key=lambda e: (str(e.get("created") or ""), str(e["name"])))


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    with open(root / ".index.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_index(root: Path = DEFAULT_ROOT) -> Path:
    """Rebuild ``root/index.json`` from the run folders (atomically, under a lock)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        return write_json(root / INDEX_FILE, json_ready({"runs": scan(root)}))


def resolve(ref: str | Path, root: Path = DEFAULT_ROOT) -> Path:
    """A run folder from a path (holding ``run.json``) or a run name below ``root``."""
    for candidate in (Path(ref), Path(root) / str(ref)):
        if (candidate / RUN_FILE).is_file():
            return candidate
    raise FileNotFoundError(f"no run {str(ref)!r}: neither a folder with {RUN_FILE} nor a "
                            f"run name in {str(root)!r}")
