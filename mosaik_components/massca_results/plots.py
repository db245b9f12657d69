"""PNG plots of a cells run: exchange with vs without agents, cell balances, envelopes.

Every plot has dates on its x axis and the time zone in the axis label (the run's
``datetime`` column; else the start given), legends outside the data area, and, where a
limit exists, the limit as a dashed line (voltage band, maximum branch loading). Where
both exist the uncontrolled case is drawn beside the controlled one; a run without
agents is labelled as what it is (uncontrolled), not "with agents".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mosaik_components.mas.model.grid import GridLimits

from .summary import branch_loadings, wide

__all__ = ["write_plots", "plot_envelope_overlay", "pyplot", "figure", "date_axis",
           "zone_name", "save", "time_index", "LIMIT_STYLE"]

LIMIT_STYLE = {"color": "tab:red", "ls": "--", "lw": 1.0}


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, imported on first use (it takes ~0.2 s)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure(rows: int = 1, height: float = 4.0) -> tuple[Any, Any]:
    """A figure with ``rows`` axes sharing x, wide enough for a legend at the right."""
    plt = pyplot()
    fig, axes = plt.subplots(rows, 1, figsize=(11.5, height), sharex=True, squeeze=True)
    return fig, axes


def time_index(frame: pd.DataFrame, times: pd.Index, start: pd.Timestamp | None
               ) -> pd.Index:
    """Datetimes of ``times`` (s): the frame's ``datetime``, else ``start`` + times.

    Without either, the seconds themselves.
    """
    if "datetime" in frame.columns:
        clock = frame.drop_duplicates("time").set_index("time")["datetime"]
        return pd.DatetimeIndex(clock.loc[times])
    if start is not None:
        return pd.DatetimeIndex(start + pd.to_timedelta(times, unit="s"))
    return times


def date_axis(ax: Any, x: pd.Index) -> None:
    """Concise dates on the x axis and the start and time zone as its label.

    ``x`` is what was plotted; without datetimes the axis is labelled in seconds.
    """
    import matplotlib.dates as mdates

    if not isinstance(x, pd.DatetimeIndex) or not len(x):
        ax.set_xlabel("simulated time [s]")
        return
    stamp = x[0]
    locator = mdates.AutoDateLocator(tz=stamp.tzinfo)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=stamp.tzinfo))
    ax.set_xlabel(f"time from {stamp:%Y-%m-%d %H:%M} ({zone_name(stamp)})")


def zone_name(stamp: pd.Timestamp) -> str:
    """``UTC-05:00`` for a timestamp with an offset, ``time zone unknown`` without."""
    offset = stamp.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "time zone unknown"


def save(fig: Any, ax: Any, path: Path) -> Path:
    """Put the legend(s) outside the data (right) and write the PNG atomically."""
    from .atomic import atomic_path

    for axis in (ax if hasattr(ax, "__iter__") else [ax]):
        if axis.get_legend_handles_labels()[0]:
            axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
                        frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    pyplot().close(fig)
    return path


def write_plots(frame: pd.DataFrame, units: dict[str, dict[str, Any]], out: Path,
                start: pd.Timestamp | None, ext_id: str, core_id: str | None,
                limits: GridLimits | None = None, first_iteration: bool = True
                ) -> list[Path]:
    """Write ``exchange.png``, ``cell_balances.png`` and ``grid_envelopes.png``.

    ``first_iteration=False``: the core's first-iteration exchange is not an uncontrolled
    case (a planned run: the previous plan is still in force then) and is not drawn.
    """
    limits = limits or GridLimits()
    return [
        plot_exchange(frame, out / "exchange.png", start, ext_id, core_id, first_iteration),
        plot_cell_balances(frame, units, out / "cell_balances.png", start, ext_id),
        plot_envelopes(frame, out / "grid_envelopes.png", start, limits),
    ]


def plot_exchange(frame: pd.DataFrame, path: Path, start: pd.Timestamp | None, ext_id: str,
                  core_id: str | None, first_iteration: bool = True) -> Path:
    """External-grid exchange with the agents and without them (the uncontrolled case)."""
    ext = wide(frame, "P[MW]")[ext_id]
    x = time_index(frame, ext.index, start)
    fig, ax = figure()
    if core_id is None:  # a run without agents is the uncontrolled case itself
        ax.plot(x, ext.to_numpy(), label="without agents (uncontrolled)", color="0.35")
    else:
        if first_iteration:
            uncontrolled = wide(frame, "P_uncontrolled[MW]")[core_id]
            ax.plot(x, uncontrolled.to_numpy(), label="without agents (uncontrolled)",
                    color="0.55", ls="--")
        ax.plot(x, ext.to_numpy(), label="with agents (controlled)", color="tab:blue")
    ax.axhline(0, color="black", lw=0.5)
    ax.set(ylabel="exchange with the external grid [MW]\n(import +, export -)",
           title="External-grid exchange")
    date_axis(ax, x)
    return save(fig, ax, path)


def plot_cell_balances(frame: pd.DataFrame, units: dict[str, dict[str, Any]], path: Path,
                       start: pd.Timestamp | None, ext_id: str) -> Path:
    """Net power of every cell's units, stacked (generation up, consumption down)."""
    plt = pyplot()
    unit_p = wide(frame, "P[MW]")[list(units)]
    cells = sorted({meta["cell"] for meta in units.values()})
    balances = pd.DataFrame({f"cell {c}": unit_p[[u for u, m in units.items()
                                                  if m["cell"] == c]].sum(axis=1)
                             for c in cells})
    x = time_index(frame, balances.index, start)
    fig, ax = figure()
    palette = plt.get_cmap("tab20")
    colors = [palette(i % 20) for i in range(len(cells))]  # one colour per cell, both stacks
    labels = list(balances.columns) if len(cells) <= 20 else None
    ax.stackplot(x, balances.clip(lower=0).T.to_numpy(), colors=colors,
                 **({"labels": labels} if labels else {}))
    ax.stackplot(x, balances.clip(upper=0).T.to_numpy(), colors=colors)
    ax.plot(x, balances.sum(axis=1).to_numpy(), color="black", lw=1.2,
            label="all cells (net)")
    ax.axhline(0, color="black", lw=0.5)
    ax.set(ylabel="net power of the cells' units [MW]\n(generation +)",
           title="Cell balances (stacked, with agents)")
    date_axis(ax, x)
    return save(fig, ax, path)


def plot_envelopes(frame: pd.DataFrame, path: Path, start: pd.Timestamp | None,
                   limits: GridLimits) -> Path:
    """Bus-voltage band and line and transformer loadings over time, with their limits."""
    voltages = wide(frame, "Vm[pu]")
    lines, trafos = branch_loadings(frame)
    fig, (top, bottom) = figure(rows=2, height=6.5)
    xv = time_index(frame, voltages.index, start)
    top.fill_between(xv, voltages.min(axis=1), voltages.max(axis=1), alpha=0.4,
                     label="min-max over buses")
    top.plot(xv, voltages.mean(axis=1).to_numpy(), lw=1.0, label="mean")
    top.set(ylabel="bus voltage [pu]", title="Voltage and loading envelopes (slack excluded)")
    xl = time_index(frame, lines.index, start)
    bottom.plot(xl, lines.max(axis=1).to_numpy(), label="max over lines")
    bottom.plot(xl, lines.mean(axis=1).to_numpy(), label="mean over lines")
    if trafos.shape[1]:
        bottom.plot(xl, trafos.max(axis=1).to_numpy(), label="max over transformers")
    _limit_lines(top, bottom, limits)
    _loading_axis(bottom, float(wide(frame, "loading[%]").max().max()))
    date_axis(bottom, xl)
    return save(fig, (top, bottom), path)


def plot_envelope_overlay(frames: dict[str, pd.DataFrame], path: Path,
                          start: pd.Timestamp | None, limits: GridLimits) -> Path:
    """Several runs' voltage extremes and largest branch loading, overlaid, with limits.

    One colour per run: its highest bus voltage (solid) and lowest (dashed), and its
    largest loading over lines and transformers.
    """
    plt = pyplot()
    fig, (top, bottom) = figure(rows=2, height=6.5)
    colors = plt.get_cmap("tab10")
    x = None
    peak = 0.0
    for i, (name, frame) in enumerate(frames.items()):
        voltages, loading = wide(frame, "Vm[pu]"), wide(frame, "loading[%]")
        x = time_index(frame, voltages.index, start)
        top.plot(x, voltages.max(axis=1).to_numpy(), color=colors(i % 10), lw=1.2, label=name)
        top.plot(x, voltages.min(axis=1).to_numpy(), color=colors(i % 10), lw=1.0, ls=":")
        bottom.plot(x, loading.max(axis=1).to_numpy(), color=colors(i % 10), lw=1.2,
                    label=name)
        peak = max(peak, float(loading.max().max()))
    _limit_lines(top, bottom, limits)
    top.set(ylabel="bus voltage [pu]\n(highest solid, lowest dotted)",
            title="Voltage and loading envelopes per run (slack excluded)")
    _loading_axis(bottom, peak)
    bottom.set(ylabel="largest loading [%]\n(lines and transformers)")
    date_axis(bottom, x if x is not None else pd.Index([]))
    return save(fig, (top, bottom), path)


def _limit_lines(top: Any, bottom: Any, limits: GridLimits) -> None:
    top.axhline(limits.v_min, **LIMIT_STYLE, label=f"limits {limits.v_min:g}/"
                                                   f"{limits.v_max:g} pu")
    top.axhline(limits.v_max, **LIMIT_STYLE)
    bottom.axhline(limits.loading_max, **LIMIT_STYLE, label=f"limit {limits.loading_max:g} %")


def _loading_axis(ax: Any, peak: float) -> None:
    ax.set(ylabel="loading [%]", ylim=(0, max(105.0, peak * 1.05)))
