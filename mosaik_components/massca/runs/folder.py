"""One run, one folder: creation, ``run.json`` (what, from where, how it ended), files.

A run folder holds ``run.json`` and whatever its kind writes (for ``cells``:
``timeseries.*``, ``summary.json``, ``entities.json``, PNG plots). ``run.json`` is
written when the run starts (``status: running``) and rewritten, atomically, when it ends
(``complete``, ``failed`` or ``interrupted``); a run whose process died without a word
(SIGKILL, power loss) still says ``running``, and :func:`read_run` reports it as
``killed`` once its process is gone. A new run never reuses an earlier run's folder:
named folders must not hold a run (unless ``overwrite``: the earlier run's files are
removed first), timestamped names get a suffix when taken.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mosaik_components.massca_results.atomic import PARTIAL_MARK, write_json
from mosaik_components.massca_results.summary import json_ready

from .provenance import provenance

__all__ = ["RUN_FILE", "STATUSES", "FINAL", "RunFolder", "RunFolderError", "read_run",
           "auto_name", "check_name", "RUN_FILES"]

RUN_FILE = "run.json"
RUN_FORMAT = 1
STATUSES = ("running", "complete", "failed", "interrupted", "killed")
FINAL = ("complete", "failed", "interrupted")
#: names (glob patterns) of files that belong to a run: an earlier run is recognised by them
RUN_FILES = ("run.json", "summary.json", "entities.json", "timeseries.*", "*.png",
             f".*{PARTIAL_MARK}*")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


class RunFolderError(ValueError):
    """A run folder cannot be used (taken, not a folder, not writable, bad name)."""


def now() -> str:
    """The current time, UTC, ISO 8601 with seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def auto_name(kind: str, when: dt.datetime | None = None) -> str:
    """A timestamped run name, e.g. ``20190621-120000-cells`` (local time)."""
    when = when or dt.datetime.now()
    return f"{when:%Y%m%d-%H%M%S}-{kind}"


def check_name(name: str) -> str:
    """``name`` if it is a valid run name (letters, digits, ``._-``; no path), else raise."""
    if not NAME.fullmatch(name) or name in (".", ".."):
        raise RunFolderError(f"run name must be 1-120 letters, digits, '.', '_' or '-' "
                             f"(starting with a letter or digit), got {name!r}")
    return name


def _earlier_run_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in RUN_FILES:
        found.extend(p for p in folder.glob(pattern) if p.is_file())
    return sorted(set(found))


def _process_start(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks (Linux), to tell a reused pid apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    current = _process_start(pid)
    if Path("/proc").is_dir():  # Linux: a zombie or a reused pid is not our run
        return current is not None and (started is None or current == started)
    return True


@dataclass
class RunFolder:
    """A run's folder and its ``run.json`` record (see the module docstring)."""

    path: Path
    kind: str
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The run's name: its folder's name."""
        return self.path.name

    @classmethod
    def create(cls, kind: str, root: Path | None = None, name: str | None = None,
               exact: Path | None = None, overwrite: bool = False) -> RunFolder:
        """Create the folder: ``exact`` as given, else ``root/name`` (timestamped if None).

        Raises :class:`RunFolderError` before anything is written when the folder holds
        an earlier run (and not ``overwrite``), is a file, or cannot be written.
        """
        if exact is not None:
            return cls(_claim(Path(exact), overwrite), kind)
        root = Path(root if root is not None else "results/runs")
        if root.exists() and not root.is_dir():
            raise RunFolderError(f"runs folder {str(root)!r} exists and is not a folder")
        _make_dirs(root)
        if name is not None:
            return cls(_claim(root / check_name(name), overwrite), kind)
        base = auto_name(kind)
        for attempt in range(1, 1000):
            candidate = root / (base if attempt == 1 else f"{base}-{attempt}")
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            return cls(candidate, kind)
        raise RunFolderError(f"no free run name {base}-N in {str(root)!r}")

    def start(self, config: dict[str, Any], seeds: dict[str, int],
              **extra: Any) -> None:
        """Write ``run.json`` with status ``running`` (configuration typed as given)."""
        origin = provenance()
        self.record = {
            "format": RUN_FORMAT, "kind": self.kind, "name": self.name, "status": "running",
            "created": now(), "finished": None, "config": config, "seeds": seeds,
            "provenance": origin, "host": socket.gethostname(),
            "pid": os.getpid(), "pid_start": _process_start(os.getpid()),
            "timings": {}, "files": [], "error": None, "status_api": None, **extra,
        }
        self.save()

    def update(self, **fields: Any) -> None:
        """Change fields of the record and rewrite ``run.json``."""
        self.record.update(fields)
        self.save()

    def finish(self, status: str, timings: dict[str, float], error: str | None = None,
               **extra: Any) -> None:
        """Record how the run ended and the files it left (those that exist)."""
        if status not in FINAL:
            raise ValueError(f"status must be one of {FINAL}, got {status!r}")
        files = sorted(p.name for p in self.path.iterdir()
                       if p.is_file() and not p.name.startswith("."))
        if RUN_FILE not in files:
            files.append(RUN_FILE)
        self.update(status=status, finished=now(), timings=timings, error=error,
                    files=sorted(files), **extra)

    def save(self) -> None:
        """Write ``run.json`` atomically."""
        write_json(self.path / RUN_FILE, json_ready(self.record))


def _make_dirs(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create folder {str(folder)!r}: {exc.strerror}") from None


def _claim(folder: Path, overwrite: bool) -> Path:
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"output folder {str(folder)!r} exists and is not a folder")
    _make_dirs(folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RunFolderError(f"output folder {str(folder)!r} is not writable")
    earlier = _earlier_run_files(folder)
    if earlier and not overwrite:
        raise RunFolderError(
            f"output folder {str(folder)!r} holds an earlier run ({earlier[0].name}, ...); "
            "choose a new folder or name, or overwrite it deliberately (--overwrite)")
    for path in earlier:
        path.unlink()
    return folder


def read_run(folder: Path) -> dict[str, Any] | None:
    """A folder's ``run.json`` (None if it has none), with its ``path``.

    ``running`` becomes ``killed`` when the run's process on this host is gone.
    """
    path = Path(folder) / RUN_FILE
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        return {"name": Path(folder).name, "kind": None, "status": "unreadable",
                "error": f"{RUN_FILE}: {exc}"}
    if (record.get("status") == "running" and record.get("host") == socket.gethostname()
            and isinstance(record.get("pid"), int)
            and not _alive(record["pid"], record.get("pid_start"))):
        record["status"] = "killed"
    record["path"] = str(Path(folder))
    return record
