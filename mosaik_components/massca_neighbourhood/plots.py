"""PNG plots of neighbourhood runs (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["write_run_plots", "write_runs_plot"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def write_run_plots(folder: Path, households: pd.DataFrame, series: pd.DataFrame,
                    jobs: pd.DataFrame, scores: dict[str, Any], step: int) -> list[Path]:
    """``energy.png``, ``households.png``, ``jobs.png`` and ``scores.png`` of one run."""
    plt = _plt()
    to_kw = 3600.0 / step / 1000.0
    paths = []
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True, sharey=True)
    when = series["datetime"]
    ax = axes[0]
    ax.stackplot(when, series["E_pv_Wh"] * to_kw, series["E_grid_Wh"] * to_kw,
                 labels=["jobs' demand from PV (by contract)", "jobs' demand from the grid"],
                 colors=["tab:orange", "tab:gray"], step="post", alpha=0.8)
    ax.step(when, series["E_production_Wh"] * to_kw, where="post", color="tab:green",
            label="PV production (actual)")
    ax.set(ylabel="kW", title="Negotiated: jobs placed by the agents")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[1]
    ax.step(when, series["E_demand_latest_Wh"] * to_kw, where="post", color="tab:red",
            label="jobs at latest start (grid fallback for all)")
    ax.step(when, series["E_demand_earliest_Wh"] * to_kw, where="post", color="tab:purple",
            label="jobs at earliest start")
    ax.step(when, series["E_production_Wh"] * to_kw, where="post", color="tab:green",
            label="PV production (actual)")
    ax.set(ylabel="kW", title="Without negotiation")
    ax.legend(loc="upper left", fontsize=8)
    paths.append(_save(fig, folder / "energy.png"))

    per_house = households.groupby("house")[["E_pv_Wh", "E_grid_Wh", "E_production_Wh"]].sum()
    per_house = per_house / 1000.0
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(per_house) + 3), 4))
    x = range(len(per_house))
    ax.bar(x, per_house["E_pv_Wh"], color="tab:orange", label="demand from PV")
    ax.bar(x, per_house["E_grid_Wh"], bottom=per_house["E_pv_Wh"], color="tab:gray",
           label="demand from the grid")
    ax.plot(x, per_house["E_production_Wh"], "v", color="tab:green", label="own PV production")
    ax.set_xticks(list(x), per_house.index, rotation=90 if len(per_house) > 20 else 0)
    ax.set(xlabel="house", ylabel="kWh", title="Per household")
    ax.legend(fontsize=8)
    paths.append(_save(fig, folder / "households.png"))

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    placed = jobs[jobs["producer"] != "grid"]
    axes[0].hist(placed["delay_s"] / 3600.0, bins=20, color="tab:orange")
    axes[0].set(xlabel="delay after earliest start [h]", ylabel="jobs",
                title=f"{len(placed)} jobs on PV, {len(jobs) - len(placed)} on the grid")
    axes[1].hist(jobs["declines"], bins=20, color="tab:gray")
    axes[1].set(xlabel="declines before the contract", ylabel="jobs", title="Declines per job")
    paths.append(_save(fig, folder / "jobs.png"))

    before, after = scores.get("before", {}), scores.get("after", {})
    names = sorted(after, key=lambda p: (after[p], p))
    fig, ax = plt.subplots(figsize=(max(6, 0.3 * len(names) + 3), 3.5))
    ax.bar([i - 0.2 for i in range(len(names))], [before.get(p, 10) for p in names], 0.4,
           label="before", color="0.6")
    ax.bar([i + 0.2 for i in range(len(names))], [after[p] for p in names], 0.4,
           label="after", color="tab:blue")
    ax.set_xticks(list(range(len(names))), names, rotation=90 if len(names) > 20 else 0)
    ax.set(xlabel="producer", ylabel="score (lower is asked first)", title="Producer scores")
    ax.legend(fontsize=8)
    paths.append(_save(fig, folder / "scores.png"))
    return paths


def write_runs_plot(out: Path, runs: pd.DataFrame) -> Path:
    """``runs.png``: the main KPIs of every run of a configuration."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    axes[0].bar(runs["run"], runs["self_sufficiency"], color="tab:orange")
    axes[0].set(xlabel="run", ylabel="share of demand from PV", title="Self-sufficiency")
    axes[1].bar(runs["run"], runs["import_kWh"], color="tab:gray", label="negotiated")
    axes[1].plot(runs["run"], runs["import_kWh_jobs_at_latest"], "o", color="tab:red",
                 label="jobs at latest start")
    axes[1].set(xlabel="run", ylabel="kWh", title="Neighbourhood import")
    axes[1].legend(fontsize=8)
    axes[2].bar(runs["run"], runs["jobs_pv"], color="tab:orange", label="on PV")
    axes[2].bar(runs["run"], runs["jobs_grid"], bottom=runs["jobs_pv"], color="tab:gray",
                label="on the grid")
    axes[2].set(xlabel="run", ylabel="jobs", title="Contracts")
    axes[2].legend(fontsize=8)
    return _save(fig, out / "runs.png")
