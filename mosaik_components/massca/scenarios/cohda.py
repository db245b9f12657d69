"""COHDA vs. balance within and between cells: MASSCA's ``examples/cohda`` counterpart.

Two CIGRE MV cells (the cells scenario at ``--cells 2``) with flexible loads, PV,
wind and batteries, run once per combination of ``within_cell`` and
``between_cells`` (``balance`` | ``cohda``). Writes ``comparison.csv`` and
``comparison.md`` (one row per combination) and ``comparison.png``; each run's full
results are in its own subdirectory.

    massca cohda                  # one day, results/cohda/
    massca cohda --until 21600    # six hours
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from mosaik_components.massca_results.plots import pyplot

from . import cells

COMBOS = [("balance", "balance"), ("balance", "cohda"), ("cohda", "balance"),
          ("cohda", "cohda")]
COLUMNS = {
    "exchange_abs_MWh": "abs exchange [MWh]",
    "exchange_abs_MWh_uncontrolled": "abs exchange uncontrolled [MWh]",
    "deviation_mean_MW": "mean deviation from target [MW]",
    "agent_time_s": "agent time [s]",
    "agent_time_per_step_s": "agent time per step [s]",
    "messages": "messages",
    "negotiations": "negotiations",
    "wall_time_s": "wall time [s]",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Options; the rest of the cells scenario's options are passed through."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("results/cohda"))
    parser.add_argument("--until", type=cells.positive_int, default=86400,
                        help="simulated seconds per run (one day)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def run_all(args: argparse.Namespace) -> pd.DataFrame:
    """Run the four combinations; one row of results each."""
    rows: list[dict[str, Any]] = []
    for within, between in COMBOS:
        out = args.out / f"within-{within}_between-{between}"
        if not args.quiet:
            print(f"within_cell={within} between_cells={between} -> {out}")
        summary = cells.run(cells.parse_args([
            "--data", "cigre", "--strategy", "balance", "--cells", "2", "--until", str(args.until),
            "--seed", str(args.seed),
            "--within-cell", within, "--between-cells", between, "--out", str(out),
            "--overwrite", "--no-plots", "--quiet"]))
        row = {"within_cell": within, "between_cells": between}
        row.update({label: summary.get(key, 0.0 if key in ("negotiations",
                                                           "deviation_mean_MW") else None)
                    for key, label in COLUMNS.items()})
        row["messages per step"] = summary["messages"] / summary["steps"]
        rows.append(row)
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path) -> None:
    """Four panels: exchange, deviation, agent time, messages per combination."""
    labels = [f"{w}/{b}" for w, b in zip(table.within_cell, table.between_cells, strict=True)]
    panels = ["abs exchange [MWh]", "mean deviation from target [MW]", "agent time [s]",
              "messages per step"]
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    for ax, column in zip(axes, panels, strict=True):
        ax.bar(labels, table[column], color=["#888", "#4a90d9", "#e39b2d", "#3aa655"])
        ax.set_title(column, fontsize=10)
        ax.tick_params(axis="x", rotation=30, labelsize=8)
    fig.suptitle("within cell / between cells")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(table: pd.DataFrame) -> str:
    """A GitHub table of ``table`` (numbers to 4 significant digits)."""
    def cell(value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run, write the comparison table and plot, print the table."""
    args = parse_args(argv)
    table = run_all(args)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "comparison.csv", index=False)
    (args.out / "comparison.md").write_text(markdown(table))
    plot(table, args.out / "comparison.png")
    if not args.quiet:
        print(table.to_string(index=False))
    return table


def cli(argv: list[str] | None = None) -> int:
    """``massca cohda``."""
    main(argv)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
