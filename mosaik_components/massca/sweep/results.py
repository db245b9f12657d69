"""Result files of a sweep: loss-free appends, resume keys, merge, MASSCA exports, plots.

``runs.csv`` has one row per finished point (also failed ones, with their error);
``steps.csv`` one row per simulated step of every successful run. Rows are appended
with a single ``write`` on an ``O_APPEND`` descriptor followed by ``fsync``, so a killed
sweep leaves only complete lines; a point counts as finished once its ``runs.csv`` row
exists (its steps are written first, and duplicates from a run killed in between are
dropped when reading).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RUN_FIELDS = [
    "cells_count", "hierarchy_depth", "attempt", "seed", "status", "error", "sim_time",
    "agents", "messages", "agent_time", "agent_time_per_step", "power_flow_time",
    "peak_rss_mib", "iterations_max", "import_MWh", "import_MWh_uncontrolled",
]
STEP_FIELDS = ["step", "cells_count", "hierarchy_depth", "attempt", "agents_time",
               "messages", "iterations", "agents"]
KEY = ("cells_count", "hierarchy_depth", "attempt")


def append_rows(path: Path, fields: list[str], rows: Iterable[dict[str, Any]]) -> None:
    """Append complete CSV lines (header first if the file is new) atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    new = not path.exists() or path.stat().st_size == 0
    if new:
        writer.writeheader()
    for row in rows:
        writer.writerow({f: row.get(f, "") for f in fields})
    data = buffer.getvalue().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_rows(path: Path) -> list[dict[str, str]]:
    """All complete rows of a result file ([] if it does not exist)."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if None not in row.values()]


def key_of(row: dict[str, Any]) -> tuple[int, int, int]:
    """A point's identity."""
    return tuple(int(row[k]) for k in KEY)  # type: ignore[return-value]


def finished(out: Path, include_failed: bool = True) -> set[tuple[int, int, int]]:
    """Points with a row in ``runs.csv`` (ok, and failed ones unless told otherwise)."""
    return {key_of(row) for row in read_rows(out / "runs.csv")
            if include_failed or row["status"] == "ok"}


def unique_steps(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Steps without duplicates (the last copy of a point's step wins)."""
    seen: dict[tuple[int, ...], dict[str, str]] = {}
    for row in rows:
        seen[(*key_of(row), int(row["step"]))] = row
    return list(seen.values())


def merge(sources: list[Path], out: Path) -> tuple[int, int]:
    """Join the result folders of several shards into ``out``; returns (runs, steps)."""
    runs: dict[tuple[int, int, int], dict[str, str]] = {}
    steps: list[dict[str, str]] = []
    for source in sources:
        for row in read_rows(source / "runs.csv"):
            runs[key_of(row)] = row
        steps.extend(read_rows(source / "steps.csv"))
    ok = {k for k, row in runs.items() if row["status"] == "ok"}
    steps = [row for row in unique_steps(steps) if key_of(row) in ok]
    out.mkdir(parents=True, exist_ok=True)
    for name in ("runs.csv", "steps.csv"):
        (out / name).unlink(missing_ok=True)
    append_rows(out / "runs.csv", RUN_FIELDS, sorted(runs.values(), key=key_of))
    append_rows(out / "steps.csv", STEP_FIELDS,
                sorted(steps, key=lambda r: (*key_of(r), int(r["step"]))))
    return len(runs), len(steps)


def export_massca(out: Path) -> None:
    """MASSCA's ``simulation_time.csv`` and ``scalability_time.csv`` (plus our columns)."""
    out.mkdir(parents=True, exist_ok=True)
    runs = [r for r in read_rows(out / "runs.csv") if r["status"] == "ok"]
    steps = unique_steps(read_rows(out / "steps.csv"))
    ok = {key_of(r) for r in runs}
    _write(out / "simulation_time.csv",
           ["cells_count", "hierarchy_depth", "sim_time", "attempt", "agents", "messages",
            "agent_time", "power_flow_time", "peak_rss_mib"], runs)
    _write(out / "scalability_time.csv",
           ["step", "cells_count", "hierarchy_depth", "agents_time", "attempt", "agents",
            "messages", "iterations"], [s for s in steps if key_of(s) in ok])


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def growth_exponent(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(time) over log(agents)."""
    xs = [math.log(a) for a, _ in points]
    ys = [math.log(t) for _, t in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        raise ValueError("need at least two different agent counts for a growth exponent")
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var


def plots(out: Path) -> dict[str, Any]:
    """Run time vs cells per depth, agent time per step vs agents, log-log growth fit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [r for r in read_rows(out / "runs.csv") if r["status"] == "ok"]
    if not runs:
        raise ValueError(f"{out}/runs.csv has no successful run to plot")
    by_depth: dict[int, dict[int, list[float]]] = {}
    per_agents: dict[int, list[float]] = {}
    for r in runs:
        by_depth.setdefault(int(r["hierarchy_depth"]), {}).setdefault(
            int(r["cells_count"]), []).append(float(r["sim_time"]))
        per_agents.setdefault(int(r["agents"]), []).append(float(r["agent_time_per_step"]))
    fig, ax = plt.subplots(figsize=(8, 5))
    for depth, cells in sorted(by_depth.items()):
        xs = sorted(cells)
        ax.plot(xs, [sum(cells[c]) / len(cells[c]) for c in xs], marker="o",
                label=f"depth {depth}")
    ax.set(xlabel="cells", ylabel="whole-run time [s]", title="Simulation time")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(out / "sim_time_vs_cells.png", dpi=110)
    plt.close(fig)
    mean = sorted((a, sum(t) / len(t)) for a, t in per_agents.items())
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot([a for a, _ in mean], [t for _, t in mean], "o-")
    ax.set(xlabel="agents", ylabel="agent time per step [s]", title="Agent time per step")
    fig.tight_layout()
    fig.savefig(out / "agent_time_vs_agents.png", dpi=110)
    plt.close(fig)
    result: dict[str, Any] = {"points": len(mean)}
    if len(mean) >= 2:
        slope = growth_exponent(mean)
        result["growth_exponent"] = slope
        fig, ax = plt.subplots(figsize=(6, 5))
        ax.loglog([a for a, _ in mean], [t for _, t in mean], "o", label="measured")
        a0, t0 = mean[0]
        ax.loglog([a for a, _ in mean], [t0 * (a / a0) ** slope for a, _ in mean], "--",
                  label=f"fit: time ~ agents^{slope:.2f}")
        ax.set(xlabel="agents", ylabel="agent time per step [s]", title="Growth (log-log)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "growth_loglog.png", dpi=110)
        plt.close(fig)
    (out / "growth.json").write_text(json.dumps(result, indent=2) + "\n")
    return result
