"""``massca ui``: the web app (Dash) to create, launch, follow, view and compare runs.

One page, four sections: *New run* (a cells scenario: cells, depth, strategy, levels,
data window, seed, number of runs; launched in the background and followed through each
run's status API), *Runs* (the index of ``--root``), *Run* (one run: KPIs, exchange,
cell balances, grid envelopes, a cell, a unit) and *Compare* (KPIs side by side with the
spread over seeds, overlaid exchange). It listens on ``127.0.0.1`` unless
``--allow-remote`` is given with another ``--host`` (anyone who reaches it can start
runs)::

    massca ui --root results/runs --port 8050
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import signal
import sys
from pathlib import Path
from typing import Any

from mosaik_components.mas.runtime.transport import is_loopback
from mosaik_components.mas.strategies import STRATEGIES

from ..compare import compare
from ..runs.index import DEFAULT_ROOT, scan
from ..runs.kinds import run_kind
from .launcher import Launcher
from .spec import LEVELS, RunSpec
from .views import view_for

__all__ = ["create_app", "main"]

TICK_MS = 1000
HIDDEN = {"display": "none"}
FORM = ("cells", "depth", "strategy", "within", "between", "start", "hours", "seed",
        "nruns", "der-scale", "no-mas", "name")


def _field(label: str, control: Any) -> Any:
    from dash import html

    return html.Label([html.Span(label, className="label"), control], className="field")


def _form() -> Any:
    from dash import dcc, html

    spec = RunSpec()
    return html.Div([
        _field("cells", dcc.Input(id="cells", type="number", value=spec.cells, min=1, max=50)),
        _field("depth", dcc.Input(id="depth", type="number", value=spec.depth, min=1, max=10)),
        _field("strategy", dcc.Dropdown(id="strategy", options=sorted(STRATEGIES),
                                        value=spec.strategy, clearable=False)),
        _field("within cells", dcc.RadioItems(id="within", options=list(LEVELS),
                                              value=spec.within_cell, inline=True)),
        _field("between cells", dcc.RadioItems(id="between", options=list(LEVELS),
                                               value=spec.between_cells, inline=True)),
        _field("start (2019, local)", dcc.Input(id="start", type="text", value=spec.start)),
        _field("hours", dcc.Input(id="hours", type="number", value=spec.hours, min=1)),
        _field("first seed", dcc.Input(id="seed", type="number", value=spec.seed, min=0)),
        _field("runs (seeds)", dcc.Input(id="nruns", type="number", value=spec.runs, min=1,
                                         max=10)),
        _field("DER scale", dcc.Input(id="der-scale", type="number", value=spec.der_scale,
                                      min=0, step=0.1)),
        _field("", dcc.Checklist(id="no-mas", options=[{"label": "without agents",
                                                         "value": "no-mas"}], value=[])),
        _field("name (optional)", dcc.Input(id="name", type="text", value="")),
        html.Button("Launch", id="launch", n_clicks=0),
        html.Div(id="launch-message", className="message"),
    ], className="form")


def _table(table_id: str, columns: list[str]) -> Any:
    from dash import dash_table

    return dash_table.DataTable(id=table_id, columns=[{"name": c, "id": c} for c in columns],
                                data=[], page_size=100, style_cell={"textAlign": "left"},
                                sort_action="native")


def _layout() -> Any:
    from dash import dcc, html

    return html.Div([
        html.H1("massca: power-cell runs"),
        dcc.Interval(id="tick", interval=TICK_MS),
        html.H2("New run"), _form(),
        html.H3("Launched here"),
        _table("jobs", ["name", "status", "progress", "time", "steps_per_s", "exit"]),
        html.H2("Runs"),
        _table("runs-table", ["name", "kind", "status", "created", "cells", "depth",
                              "strategy", "seed", "hours", "exchange_abs_MWh", "wall_s"]),
        html.H2("Run"),
        dcc.RadioItems(id="run-select", options=[], value=None, className="choices"),
        html.Div(id="run-summary"), html.Div(id="run-overview"),
        dcc.Dropdown(id="part-select", options=[], placeholder="drill down: a cell"),
        dcc.Graph(id="part-graph", figure={}, style=HIDDEN),
        dcc.Dropdown(id="item-select", options=[], placeholder="drill down: a unit"),
        dcc.Graph(id="item-graph", figure={}, style=HIDDEN),
        html.H2("Compare"),
        dcc.Checklist(id="compare-select", options=[], value=[], className="choices"),
        html.Button("Compare", id="compare-button", n_clicks=0),
        html.Div(id="compare-message", className="message"),
        _table("kpi-table", ["kpi"]),
        dcc.Graph(id="compare-graph", figure={}),
    ], className="page")


def _runs_rows(root: Path) -> list[dict[str, Any]]:
    rows = []
    for entry in scan(root):
        config = entry.get("config") or {}
        summary = _summary(Path(entry["path"]))
        until = config.get("until")
        rows.append({"name": entry["name"], "kind": entry.get("kind"),
                     "status": entry["status"], "created": entry.get("created"),
                     "cells": config.get("cells"), "depth": config.get("depth"),
                     "strategy": "none (no agents)" if config.get("no_mas")
                     else config.get("strategy"), "seed": config.get("seed"),
                     "hours": until / 3600 if isinstance(until, int | float) else None,
                     "exchange_abs_MWh": _rounded(summary.get("exchange_abs_MWh")),
                     "wall_s": _rounded(entry.get("wall_s"))})
    return rows


def _rounded(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value


def _summary(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _register(app: Any, root: Path, launcher: Launcher) -> None:
    _register_launch(app, root, launcher)
    _register_view(app, root)
    _register_compare(app, root)


def _register_launch(app: Any, root: Path, launcher: Launcher) -> None:
    from dash import Input, Output, State

    @app.callback(Output("launch-message", "children"), Input("launch", "n_clicks"),
                  [State(f, "value") for f in FORM], prevent_initial_call=True)
    def launch(clicks: int, *values: Any) -> str:
        form = dict(zip(FORM, values, strict=True))
        try:
            spec = RunSpec.checked(
                cells=form["cells"], depth=form["depth"], strategy=form["strategy"],
                within_cell=form["within"], between_cells=form["between"],
                start=form["start"], hours=form["hours"], seed=form["seed"],
                runs=form["nruns"], der_scale=form["der-scale"],
                no_mas="no-mas" in (form["no-mas"] or []), prefix=form["name"] or "")
            names = launcher.launch(spec)
        except ValueError as exc:
            return f"error: {exc}"
        return f"launched: {', '.join(names)}"

    @app.callback(Output("jobs", "data"), Output("runs-table", "data"),
                  Output("run-select", "options"), Output("compare-select", "options"),
                  Input("tick", "n_intervals"))
    def refresh(_: int | None) -> tuple[Any, ...]:
        jobs = launcher.jobs()
        for job in jobs:
            if isinstance(job["progress"], float):
                job["progress"] = f"{100 * job['progress']:.0f} %"
        runs = _runs_rows(root)
        done = [r["name"] for r in runs if (root / r["name"] / "summary.json").is_file()]
        return jobs, runs, done, done


def _register_view(app: Any, root: Path) -> None:
    from dash import Input, Output, State, html, no_update

    @app.callback(Output("run-summary", "children"), Output("run-overview", "children"),
                  Output("part-select", "options"), Output("part-select", "value"),
                  Input("run-select", "value"), prevent_initial_call=True)
    def open_run(name: str | None) -> tuple[Any, ...]:
        if not name:
            return no_update, no_update, no_update, no_update
        folder = root / name
        record = json.loads((folder / "run.json").read_text())
        view = view_for(record.get("kind"))
        summary = _summary(folder)
        head = html.Div([html.H3(f"{name}: {summary.get('status')}", id="run-title"),
                         _kpi_list(record.get("kind"), summary)])
        parts = [{"label": label, "value": value} for label, value in view.parts(folder)]
        return head, view.overview(folder), parts, None

    @app.callback(Output("part-graph", "figure"), Output("part-graph", "style"),
                  Output("item-select", "options"), Output("item-select", "value"),
                  Input("part-select", "value"), State("run-select", "value"),
                  prevent_initial_call=True)
    def open_part(part: str | None, name: str | None) -> tuple[Any, ...]:
        if not part or not name:
            return {}, HIDDEN, [], None
        folder = root / name
        view = view_for(json.loads((folder / "run.json").read_text()).get("kind"))
        figure, items = view.part(folder, part)
        return figure, {}, [{"label": label, "value": value} for label, value in items], None

    @app.callback(Output("item-graph", "figure"), Output("item-graph", "style"),
                  Input("item-select", "value"), State("run-select", "value"),
                  prevent_initial_call=True)
    def open_item(item: str | None, name: str | None) -> tuple[Any, Any]:
        if not item or not name:
            return {}, HIDDEN
        folder = root / name
        view = view_for(json.loads((folder / "run.json").read_text()).get("kind"))
        return view.item(folder, item), {}


def _register_compare(app: Any, root: Path) -> None:
    from dash import Input, Output, State

    @app.callback(Output("compare-message", "children"), Output("kpi-table", "columns"),
                  Output("kpi-table", "data"), Output("compare-graph", "figure"),
                  Input("compare-button", "n_clicks"), State("compare-select", "value"),
                  prevent_initial_call=True)
    def run_compare(clicks: int, names: list[str] | None) -> tuple[Any, ...]:
        return _compare(root, names or [])


def _kpi_list(kind: str | None, summary: dict[str, Any]) -> Any:
    from dash import html

    try:
        kpis = run_kind(str(kind)).kpis
    except KeyError:
        return html.Div()
    items = [html.Li(f"{k.label}: {summary[k.key]:.4g}") for k in kpis
             if isinstance(summary.get(k.key), int | float)]
    return html.Ul(items, className="kpis")


def _compare(root: Path, names: list[str]) -> tuple[Any, ...]:
    import plotly.graph_objects as go

    if len(names) < 2:
        return "choose at least two runs", [{"name": "kpi", "id": "kpi"}], [], {}
    out = root / ".ui-compare" / f"{dt.datetime.now():%Y%m%d-%H%M%S-%f}"
    try:
        result = compare(names, root, out, plots=False)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        return f"error: {exc}", [{"name": "kpi", "id": "kpi"}], [], {}
    table = result.kpis.reset_index(names="kpi")
    columns = [{"name": str(c), "id": str(c)} for c in table.columns]
    rows = [{str(k): _rounded(v) for k, v in row.items()} for row in table.to_dict("records")]
    if result.spread is not None:
        for row in result.spread.to_dict("records"):
            rows.append({"kpi": f"{row['kpi']} [{row['configuration']}: mean ± std, n="
                                f"{row['n']}]",
                         table.columns[1]: f"{row['mean']:.4g} ± {row['std']:.4g}"})
    fig = go.Figure()
    for run in result.runs:
        for series_name, series in result.kind.series(run.folder).items():
            index = series.index.tz_localize(None) if getattr(series.index, "tz", None) \
                else series.index
            fig.add_scatter(x=index, y=series.to_numpy(), name=f"{run.label}: {series_name}",
                            line={"dash": "dash"} if "uncontrolled" in series_name else {})
    fig.update_layout(title="Exchange, runs overlaid (import +)", yaxis_title="MW",
                      height=400)
    return f"compared {len(result.runs)} runs", columns, rows, fig


def create_app(root: Path, launcher: Launcher | None = None) -> Any:
    """The Dash app over the runs below ``root`` (launching with ``launcher``)."""
    import dash

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    app = dash.Dash(__name__, title="massca")
    app.layout = _layout()
    _register(app, root, launcher or Launcher(root))
    return app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """``massca ui`` options."""
    parser = argparse.ArgumentParser(prog="massca ui", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help=f"the folder of run folders (default {DEFAULT_ROOT})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--allow-remote", action="store_true",
                        help="permit a non-loopback --host (anyone reaching it can start runs)")
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(f"argument --host: {args.host!r} is not loopback; add --allow-remote "
                     "deliberately (anyone who reaches the app can start runs)")
    if not 0 < args.port <= 65535:
        parser.error(f"argument --port: must be within [1, 65535], got {args.port}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Serve the app until Ctrl-C or SIGTERM; runs still going are interrupted then."""
    args = parse_args(argv)
    if not is_loopback(args.host):
        print(f"warning: massca ui listens on {args.host}: anyone who reaches it can start "
              "runs", file=sys.stderr)
    launcher = Launcher(args.root)
    atexit.register(launcher.close)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    app = create_app(args.root, launcher)
    print(f"massca ui on http://{args.host}:{args.port} (runs in {args.root})", flush=True)
    app.run(host=args.host, port=args.port, debug=False)
    return 0
