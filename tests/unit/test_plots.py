"""Plots: dates and time zone on the axis, limits drawn, honest labels, legends outside."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mosaik_components.massca_results import plots  # noqa: E402
from mosaik_components.massca_results.timeseries import tidy_frame  # noqa: E402

EXT, CORE = "Grid-0.ExternalGrid-0", "MAS-0.MosaikAgent"
UNITS = {"PV-0.PV_0": {"kind": "pv", "cell": 0}, "FL-0.FL_0": {"kind": "load", "cell": 1}}


def frame(with_core: bool) -> pd.DataFrame:
    rows = []
    for i in range(8):
        t = 900 * i
        rows += [[t, EXT, "P[MW]", 1.0 - 0.1 * i], [t, "PV-0.PV_0", "P[MW]", 0.2 * i],
                 [t, "FL-0.FL_0", "P[MW]", -1.2], [t, "Grid-0.Bus-1", "Vm[pu]", 1.0],
                 [t, "Grid-0.Bus-2", "Vm[pu]", 0.97], [t, "Grid-0.Line-0", "loading[%]", 30.0]]
        if with_core:
            rows.append([t, CORE, "P_uncontrolled[MW]", 1.5])
    return tidy_frame(rows, pd.Timestamp("2019-06-21T00:00:00-05:00"))


@pytest.fixture
def captured(monkeypatch):
    """The figures the plot functions save (saving still happens)."""
    figures = []
    save = plots.save

    def keep(fig, ax, path):
        fig.canvas.draw()
        figures.append((fig, ax))
        return save(fig, ax, path)

    monkeypatch.setattr(plots, "save", keep)
    monkeypatch.setattr(plt, "close", lambda fig=None: None)  # keep them open to inspect
    return figures


def labels(ax):
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_exchange_labels_say_what_was_run(tmp_path, captured):
    plots.plot_exchange(frame(True), tmp_path / "a.png", None, EXT, CORE)
    plots.plot_exchange(frame(False), tmp_path / "b.png", None, EXT, None)
    (_, with_agents), (_, without) = captured
    assert labels(with_agents) == ["without agents (uncontrolled)", "with agents (controlled)"]
    assert labels(without) == ["without agents (uncontrolled)"]  # no "with agents" curve
    assert (tmp_path / "a.png").stat().st_size > 10_000


def test_axes_show_date_and_time_zone_and_legends_sit_outside(tmp_path, captured):
    plots.write_plots(frame(True), UNITS, tmp_path, None, EXT, CORE)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cell_balances.png", "exchange.png", "grid_envelopes.png"]
    for _fig, ax in captured:
        axes = ax if isinstance(ax, tuple) else (ax,)
        assert axes[-1].get_xlabel() == "time from 2019-06-21 00:00 (UTC-05:00)"
        for axis in axes:
            legend = axis.get_legend()
            assert legend is not None
            inside = axis.get_window_extent()
            assert legend.get_window_extent().x0 >= inside.x1  # right of the data area


def test_limits_are_drawn_where_they_exist(tmp_path, captured):
    plots.plot_envelopes(frame(True), tmp_path / "e.png", None, plots.GridLimits())
    _, (top, bottom) = captured[0]
    assert "limits 0.95/1.05 pu" in labels(top)
    horizontal = [line.get_ydata()[0] for line in top.get_lines()
                  if line.get_linestyle() == "--"]
    assert sorted(horizontal) == [0.95, 1.05]
    assert "limit 100 %" in labels(bottom)


def with_transformer(loading: float) -> pd.DataFrame:
    data = frame(True)
    trafo = data[data["attr"] == "loading[%]"].assign(entity="Grid-0.Transformer-0",
                                                     value=loading)
    return pd.concat([data, trafo], ignore_index=True)


def test_transformer_loading_is_drawn_apart_from_the_lines(tmp_path, captured):
    plots.plot_envelopes(with_transformer(80.0), tmp_path / "e.png", None, plots.GridLimits())
    _, (_, bottom) = captured[0]
    assert labels(bottom)[:3] == ["max over lines", "mean over lines", "max over transformers"]
    curves = dict(zip(labels(bottom), (line.get_ydata() for line in bottom.get_lines()
                                       if not line.get_label().startswith("_")), strict=False))
    assert (curves["max over transformers"] == 80.0).all()
    assert (curves["max over lines"] == 30.0).all()


def test_runs_overlaid_with_limits_dates_and_their_own_extremes(tmp_path, captured):
    runs = {"uncontrolled": with_transformer(120.0), "grid_aware": frame(True)}
    plots.plot_envelope_overlay(runs, tmp_path / "o.png", None, plots.GridLimits())
    _, (top, bottom) = captured[0]
    assert labels(top) == ["uncontrolled", "grid_aware", "limits 0.95/1.05 pu"]
    assert labels(bottom) == ["uncontrolled", "grid_aware", "limit 100 %"]
    largest = [line.get_ydata() for line in bottom.get_lines()][:2]
    assert (largest[0] == 120.0).all() and (largest[1] == 30.0).all()  # lines and trafos
    assert bottom.get_xlabel() == "time from 2019-06-21 00:00 (UTC-05:00)"
    assert bottom.get_ylim()[1] >= 120.0
