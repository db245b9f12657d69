"""``massca study``: the main scenario's strategies side by side, in one command.

Runs ``massca cells`` on the same cells, day and seed as

* ``uncontrolled``: the energy-true units without agents (``--strategy lookahead
  --no-mas``: demand served at once, batteries idle, nothing curtailed);
* ``balance``: the balance strategy (per-step exchange balancing, flexible loads);
* ``lookahead``: planning over the horizon under the tariff;
* ``grid_aware``: the same plan kept within each cell's grid limits;

each into ``OUT/<variant>`` (its own run folder), then writes ``OUT/kpis.csv`` and
``OUT/kpis.md``: one column per variant, the rows read from each run's ``summary.json``
(every figure computed there from the run's time series), and ``OUT/grid_envelopes.png``:
the variants' voltage extremes and largest line/transformer loading overlaid, with the
limits (not with ``--no-plots``). Options it does not know are
passed to every ``massca cells`` run (e.g. ``--start``, ``--price``, ``--der-scale``)::

    massca study --cells 1 --days 1 --out results/study
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from mosaik_components.mas.model.grid import GridLimits
from mosaik_components.massca_results.atomic import write_json, write_text
from mosaik_components.massca_results.plots import plot_envelope_overlay

from ..compare import markdown
from ..runs.cells_kind import load_frame
from . import cells

#: variant -> the ``massca cells`` options that make it
VARIANTS: dict[str, list[str]] = {
    "uncontrolled": ["--strategy", "lookahead", "--no-mas"],
    "balance": ["--strategy", "balance"],
    "lookahead": ["--strategy", "lookahead"],
    "grid_aware": ["--strategy", "grid_aware"],
}
#: table row -> where it is in ``summary.json`` (a key, or ``kpis.<key>``)
ROWS: dict[str, str] = {
    "cost under the tariff [EUR]": "kpis.cost",
    "import [MWh]": "kpis.import_MWh",
    "export [MWh]": "kpis.export_MWh",
    "peak import [MW]": "kpis.peak_import_MW",
    "energy not served [MWh]": "kpis.energy_not_served_MWh",
    "shifted [MWh]": "kpis.shifted_MWh",
    "made up [MWh]": "kpis.made_up_MWh",
    "queued at the end [MWh]": "kpis.backlog_end_MWh",
    "curtailed [MWh]": "kpis.curtailed_MWh",
    "battery equivalent full cycles": "kpis.equivalent_full_cycles",
    "losses [MWh]": "losses_MWh",
    "min voltage [pu]": "min_voltage_pu",
    "max voltage [pu]": "max_voltage_pu",
    "max line loading [%]": "max_line_loading_pct",
    "max transformer loading [%]": "max_trafo_loading_pct",
    "hours with a voltage violation": "voltage_violation_h",
    "steps with a voltage violation": "voltage_violation_steps",
    "steps with a loading violation": "loading_violation_steps",
    "wall time [s]": "wall_time_s",
}


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """The study's own options, and the rest (for every ``massca cells`` run)."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="other options go to every 'massca cells' run (see massca cells --help)")
    parser.add_argument("--out", type=Path, default=Path("results/study"),
                        help="folder for the runs and the tables")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS),
                        default=list(VARIANTS), help="which variants to run")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the runs of an earlier study in --out")
    args, rest = parser.parse_known_args(argv)
    taken = {"--runs", "--name", "--strategy", "--no-mas", "--overwrite", "--quiet"}
    for option in rest:
        if option.split("=")[0] in taken:
            parser.error(f"argument {option.split('=')[0]}: set by the study, not accepted")
    for name in args.variants:  # every mistake before the first run starts
        cells.parse_args([*rest, *VARIANTS[name], "--out", str(args.out / name)])
    return args, rest


def value(summary: dict[str, Any], where: str) -> Any:
    """A row's value from one summary (``None`` when the run did not report it)."""
    node: Any = summary
    for key in where.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def table(summaries: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One column per variant, one row per KPI."""
    return pd.DataFrame({name: [value(summary, where) for where in ROWS.values()]
                         for name, summary in summaries.items()}, index=list(ROWS))


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run every variant, write ``kpis.csv`` and ``kpis.md``, return the table."""
    args, rest = parse_args(argv)
    summaries = {}
    for name in args.variants:
        run_args = cells.parse_args([*rest, *VARIANTS[name], "--out", str(args.out / name),
                                     "--quiet", *(["--overwrite"] if args.overwrite else [])])
        summaries[name] = cells.run(run_args)
        print(f"{name}: done in {summaries[name]['wall_time_s']:.1f} s", file=sys.stderr)
    frame = table(summaries)
    if "--no-plots" not in rest:
        plot_envelope_overlay({name: load_frame(args.out / name) for name in summaries},
                              args.out / "grid_envelopes.png", None, GridLimits())
    write_text(args.out / "kpis.csv", frame.to_csv())
    write_text(args.out / "kpis.md", markdown(frame.reset_index(names="KPI")))
    write_json(args.out / "study.json",
               {"variants": {n: VARIANTS[n] for n in args.variants}, "options": rest})
    print(frame.to_string(float_format=lambda v: f"{v:.4g}"))
    return frame


def cli(argv: list[str] | None = None) -> int:
    """``massca study``."""
    main(argv)
    return 0
