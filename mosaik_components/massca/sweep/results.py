"""Result files of a sweep: crash-safe appends, resume keys, merge, MASSCA exports.

``runs.csv`` has one row per finished point (also failed ones, with their error);
``steps.csv`` one row per simulated step of every successful run. A point counts as
finished once its ``runs.csv`` row exists (its steps are written first; duplicate steps
from a sweep killed in between are dropped when reading).

Crash safety: a writer killed in the middle of a line leaves an unterminated last line.
Readers ignore exactly that line; the next writer first cuts it off (under an exclusive
``flock`` on the file), then appends complete lines with one ``write`` and ``fsync``.
Field values never contain line breaks (they are replaced by spaces), so every complete
row is one line. Any other malformed line is reported as an error, never skipped.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: appends are not locked
    fcntl = None  # type: ignore[assignment]

RUN_FIELDS = [
    "cells_count", "hierarchy_depth", "attempt", "seed", "status", "error", "sim_time",
    "agents", "messages", "agent_time", "agent_time_per_step", "power_flow_time",
    "peak_rss_mib", "iterations_max", "import_MWh", "import_MWh_uncontrolled",
]
STEP_FIELDS = ["step", "cells_count", "hierarchy_depth", "attempt", "agents_time",
               "messages", "iterations", "agents"]
KEY = ("cells_count", "hierarchy_depth", "attempt")


class ResultsError(ValueError):
    """A result file or folder is missing, foreign or corrupt."""


@contextmanager
def _locked(descriptor: int) -> Iterator[None]:
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _repair(descriptor: int) -> int:
    """Cut an unterminated last line off; the file's size afterwards."""
    size = os.fstat(descriptor).st_size
    if size == 0 or os.pread(descriptor, 1, size - 1) == b"\n":
        return size
    keep, position = 0, size
    while position > 0 and not keep:
        start = max(0, position - 65536)
        chunk = os.pread(descriptor, position - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
        position = start
    os.ftruncate(descriptor, keep)
    return keep


def _clean(value: Any) -> str:
    return str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def append_rows(path: Path, fields: list[str], rows: Iterable[dict[str, Any]]) -> None:
    """Append complete CSV lines (a header first if the file is new), crash-safe."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    for row in rows:
        writer.writerow({f: _clean(row.get(f, "")) for f in fields})
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        with _locked(descriptor):
            if _repair(descriptor) == 0:
                header = io.StringIO()
                csv.writer(header, lineterminator="\n").writerow(fields)
                buffer = io.StringIO(header.getvalue() + buffer.getvalue())
            else:
                _check_header(path, fields)
            os.write(descriptor, buffer.getvalue().encode())
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _check_header(path: Path, fields: list[str]) -> None:
    with path.open(newline="") as handle:
        header = next(csv.reader(handle), [])
    if header != fields:
        raise ResultsError(f"{path}: has columns {header}, expected {fields} "
                           "(a file of another program or version: use another --out)")


def read_rows(path: Path) -> list[dict[str, str]]:
    """All complete rows of a result file ([] if it does not exist).

    An unterminated last line (a writer killed mid-line) is not a row; any other line
    with the wrong number of fields raises :class:`ResultsError`.
    """
    if not path.exists():
        return []
    text = path.read_text()
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return []
    rows = []
    for line, values in enumerate(reader, start=2):
        if len(values) != len(header):
            raise ResultsError(f"{path}, line {line}: {len(values)} fields, expected "
                               f"{len(header)}: {values}")
        rows.append(dict(zip(header, values, strict=True)))
    return rows


def key_of(row: dict[str, Any]) -> tuple[int, int, int]:
    """A point's identity."""
    return tuple(int(row[k]) for k in KEY)  # type: ignore[return-value]


def finished(out: Path, include_failed: bool = True) -> set[tuple[int, int, int]]:
    """Points with a row in ``runs.csv`` (ok, and failed ones unless told otherwise)."""
    return {key_of(row) for row in read_rows(out / "runs.csv")
            if include_failed or row["status"] == "ok"}


def still_failed(out: Path) -> set[tuple[int, int, int]]:
    """Points whose runs all failed (none of their rows is ok)."""
    return finished(out) - finished(out, include_failed=False)


def unique_steps(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Steps without duplicates (the last copy of a point's step wins)."""
    seen: dict[tuple[int, ...], dict[str, str]] = {}
    for row in rows:
        seen[(*key_of(row), int(row["step"]))] = row
    return list(seen.values())


def merge(sources: list[Path], out: Path) -> tuple[int, int]:
    """Join the result folders of several shards into ``out``; returns (runs, steps).

    A point found in several folders keeps its successful row (else the last one).
    """
    for source in sources:
        if not (source / "runs.csv").is_file():
            raise ResultsError(f"merge: {str(source)!r} has no runs.csv "
                               "(not a sweep result folder)")
    runs: dict[tuple[int, int, int], dict[str, str]] = {}
    steps: list[dict[str, str]] = []
    for source in sources:
        for row in read_rows(source / "runs.csv"):
            earlier = runs.get(key_of(row))
            if earlier is None or row["status"] == "ok" or earlier["status"] != "ok":
                runs[key_of(row)] = row
        steps.extend(read_rows(source / "steps.csv"))
    ok = {k for k, row in runs.items() if row["status"] == "ok"}
    steps = [row for row in unique_steps(steps) if key_of(row) in ok]
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "runs.csv", RUN_FIELDS, sorted(runs.values(), key=key_of))
    write_table(out / "steps.csv", STEP_FIELDS,
                sorted(steps, key=lambda r: (*key_of(r), int(r["step"]))))
    return len(runs), len(steps)


def export_massca(out: Path) -> None:
    """MASSCA's ``simulation_time.csv`` and ``scalability_time.csv`` (plus our columns)."""
    out.mkdir(parents=True, exist_ok=True)
    runs = [r for r in read_rows(out / "runs.csv") if r["status"] == "ok"]
    steps = unique_steps(read_rows(out / "steps.csv"))
    ok = {key_of(r) for r in runs}
    write_table(out / "simulation_time.csv",
                ["cells_count", "hierarchy_depth", "sim_time", "attempt", "agents",
                 "messages", "agent_time", "power_flow_time", "peak_rss_mib"], runs)
    write_table(out / "scalability_time.csv",
                ["step", "cells_count", "hierarchy_depth", "agents_time", "attempt",
                 "agents", "messages", "iterations"], [s for s in steps if key_of(s) in ok])


def write_table(path: Path, fields: list[str], rows: list[dict[str, Any]]) -> None:
    """Write a whole CSV file atomically (a temporary file, then a rename)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows({f: _clean(row.get(f, "")) for f in fields} for row in rows)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def check_writable(out: Path) -> None:
    """Create ``out`` and a file in it, or raise a :class:`ResultsError` saying why."""
    who = f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-check-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ResultsError(f"out: cannot write to {str(out)!r} as {who}: "
                           f"{exc.strerror or exc}; create the folder with the right "
                           "owner first (in Docker: mkdir -p the mounted folder on the host "
                           "and run with your UID/GID)") from None


@contextmanager
def sweep_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.sweep.lock`` for the sweep: a second sweep on one folder is an error."""
    descriptor = os.open(out / ".sweep.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(descriptor, 64, 0).decode(errors="replace").strip()
                raise ResultsError(f"out: another sweep (pid {holder or '?'}) is writing to "
                                   f"{str(out)!r}; wait for it or use another --out") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(descriptor)
