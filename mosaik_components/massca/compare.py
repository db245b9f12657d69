"""``massca compare RUN...``: KPIs side by side, overlay plots, the spread over seeds.

Runs are named by folder or by name below ``--runs``; all must be of one kind. Writes to
``--out`` (default ``results/compare/<timestamp>``):

* ``kpis.csv``/``kpis.md``: one row per KPI of the kind, one column per run;
* ``spread.csv``/``spread.md`` (when some runs share a configuration and differ only in
  their seed): per configuration and KPI the number of runs, mean, standard deviation
  (n - 1), minimum and maximum;
* ``overlay_<series>.png``: every run's series on one time axis (the date and time zone
  of the runs on the axis); ``spread_<series>.png``: per configuration the mean and the
  min-max band over its runs.

Every number comes from the runs' ``summary.json`` and time series; nothing is typed in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mosaik_components.massca_results.atomic import atomic_path, write_json, write_text

from .runs.folder import read_run
from .runs.index import DEFAULT_ROOT, resolve
from .runs.kinds import RunKind, run_kind

__all__ = ["Run", "Comparison", "load_runs", "kpi_table", "config_groups", "spread_table",
           "compare", "markdown", "main"]


@dataclass
class Run:
    """One run to compare: its folder, ``run.json`` and ``summary.json``."""

    name: str
    folder: Path
    record: dict[str, Any]
    summary: dict[str, Any]

    @property
    def label(self) -> str:
        """The run's name, marked when it ran without agents or did not complete."""
        marks = []
        if self.record.get("config", {}).get("no_mas"):
            marks.append("no agents")
        if self.record.get("status") != "complete":
            marks.append(str(self.record.get("status")))
        return f"{self.name} ({', '.join(marks)})" if marks else self.name


@dataclass
class Comparison:
    """What :func:`compare` computed and wrote."""

    kind: RunKind
    runs: list[Run]
    kpis: pd.DataFrame
    spread: pd.DataFrame | None
    files: list[Path]


def load_runs(refs: list[str], root: Path = DEFAULT_ROOT) -> list[Run]:
    """The runs named by ``refs`` (folders or names); all of one kind, each with a summary."""
    if not refs:
        raise ValueError("name at least one run")
    runs = []
    for ref in refs:
        folder = resolve(ref, root)
        record = read_run(folder) or {}
        summary_path = folder / "summary.json"
        if not summary_path.is_file():
            raise ValueError(f"run {ref!r} has no summary.json (status "
                             f"{record.get('status')!r}): nothing to compare")
        runs.append(Run(folder.name, folder, record, json.loads(summary_path.read_text())))
    kinds = {run.record.get("kind") for run in runs}
    if len(kinds) != 1:
        raise ValueError(f"runs of different kinds cannot be compared: {sorted(map(str, kinds))}")
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"a run is named twice: {names}")
    return runs


def kpi_table(kind: RunKind, runs: list[Run]) -> pd.DataFrame:
    """KPIs (rows, labelled with units) x runs (columns); missing KPIs are NaN."""
    rows = {kpi.label: [_number(run.summary.get(kpi.key)) for run in runs]
            for kpi in kind.kpis if any(kpi.key in run.summary for run in runs)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[r.label for r in runs])


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, int | float) else float("nan")


def config_groups(kind: RunKind, runs: list[Run]) -> list[list[Run]]:
    """Runs grouped by their configuration without seeds and output options."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        config = {k: v for k, v in run.record.get("config", {}).items()
                  if k not in kind.incidental}
        groups.setdefault(json.dumps(config, sort_keys=True), []).append(run)
    return list(groups.values())


def spread_table(kind: RunKind, runs: list[Run]) -> pd.DataFrame | None:
    """Per configuration with >= 2 runs and KPI: n, mean, std (n - 1), min, max."""
    rows = []
    for group in config_groups(kind, runs):
        if len(group) < 2:
            continue
        label = f"{group[0].name} +{len(group) - 1}"
        for kpi in kind.kpis:
            values = pd.Series([_number(run.summary.get(kpi.key)) for run in group]).dropna()
            if values.empty:
                continue
            rows.append({"configuration": label, "kpi": kpi.label, "n": len(values),
                         "mean": values.mean(), "std": values.std(ddof=1),
                         "min": values.min(), "max": values.max()})
    return pd.DataFrame(rows) if rows else None


def _plot_overlay(name: str, data: dict[str, dict[str, pd.Series]], path: Path) -> Path:
    from mosaik_components.massca_results.plots import date_axis, figure, save

    fig, ax = figure()
    index = None
    for label, series in data.items():
        if name in series:
            index = series[name].index
            ax.plot(index, series[name].to_numpy(), label=label, lw=1.2)
    ax.axhline(0, color="black", lw=0.5)
    ax.set(ylabel=f"{name} [MW] (import +)", title=f"{name}: runs overlaid")
    date_axis(ax, index)
    return save(fig, ax, path)


def _plot_spread(name: str, groups: list[list[Run]], data: dict[str, dict[str, pd.Series]],
                 path: Path) -> Path | None:
    from mosaik_components.massca_results.plots import date_axis, figure, pyplot, save

    plt = pyplot()

    fig, ax = figure()
    drawn, table = False, None
    for group in groups:
        members = [data[run.label][name] for run in group
                   if len(group) >= 2 and name in data[run.label]]
        if len(members) < 2:
            continue
        table = pd.concat(members, axis=1)
        lines = ax.plot(table.index, table.mean(axis=1).to_numpy(), lw=1.5,
                        label=f"{group[0].name} +{len(group) - 1}: mean")
        ax.fill_between(table.index, table.min(axis=1).to_numpy(),
                        table.max(axis=1).to_numpy(), alpha=0.25,
                        color=lines[0].get_color(), label="min-max over seeds")
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    assert table is not None
    ax.set(ylabel=f"{name} [MW] (import +)", title=f"{name}: spread over seeds")
    date_axis(ax, table.index)
    return save(fig, ax, path)


def compare(refs: list[str], root: Path = DEFAULT_ROOT, out: Path | None = None,
            plots: bool = True) -> Comparison:
    """Compare the runs ``refs``; write the tables (and plots) to ``out``."""
    runs = load_runs(refs, root)
    kind = run_kind(str(runs[0].record.get("kind")))
    out = Path(out) if out is not None else Path(
        "results/compare") / f"{dt.datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    kpis = kpi_table(kind, runs)
    spread = spread_table(kind, runs)
    files = [_write_csv(kpis, out / "kpis.csv", index_label="kpi"),
             write_text(out / "kpis.md", markdown(kpis.reset_index(names="KPI")))]
    if spread is not None:
        files += [_write_csv(spread, out / "spread.csv"),
                  write_text(out / "spread.md", markdown(spread))]
    if plots:
        data = {run.label: kind.series(run.folder) for run in runs}
        names = sorted({name for series in data.values() for name in series})
        groups = config_groups(kind, runs)
        for name in names:
            slug = name.replace(" ", "_")
            files.append(_plot_overlay(name, data, out / f"overlay_{slug}.png"))
            spread_png = _plot_spread(name, groups, data, out / f"spread_{slug}.png")
            if spread_png is not None:
                files.append(spread_png)
    write_json(out / "runs.json", {"runs": [str(run.folder) for run in runs],
                                   "files": sorted(p.name for p in files)})
    return Comparison(kind, runs, kpis, spread, files)


def markdown(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table (numbers with 4 significant digits)."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:.4g}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(c) for c in frame.columns) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _write_csv(frame: pd.DataFrame, path: Path, **options: Any) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index="index_label" in options, **options)
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """``massca compare`` options."""
    parser = argparse.ArgumentParser(prog="massca compare", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder or run name")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help=f"where run names are looked up (default {DEFAULT_ROOT})")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the tables and plots (default results/compare/<time>)")
    parser.add_argument("--no-plots", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Print the KPI table (and the spread); ``error: ...`` and 1 for bad runs."""
    args = parse_args(argv)
    try:
        result = compare(args.runs, args.root, args.out, plots=not args.no_plots)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(result.kpis.to_string(float_format=lambda v: f"{v:.4g}"))
        if result.spread is not None:
            print()
            print(result.spread.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\nwritten: {', '.join(str(p) for p in result.files)}")
    return 0
