"""Plots and the growth fit of a sweep's results (``massca sweep report``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .results import read_rows


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
    from mosaik_components.massca_results.plots import pyplot

    plt = pyplot()
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
