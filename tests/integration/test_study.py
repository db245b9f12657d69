"""``massca study``: four variants of the cells scenario, one KPI table read from their runs."""

import json

import pandas as pd
import pytest

from mosaik_components.massca.scenarios import study

ARGS = ["--data", "cigre", "--cells", "1", "--start", "2019-06-21 16:00", "--until", "21600"]


@pytest.fixture(scope="module")
def studied(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    study.main([*ARGS, "--out", str(out)])
    return out


def test_the_runs_envelopes_are_overlaid_in_one_plot(studied):
    assert (studied / "grid_envelopes.png").stat().st_size > 20_000
    for name in study.VARIANTS:  # each run also has its own plots
        assert (studied / name / "grid_envelopes.png").is_file()


def test_the_table_is_what_each_run_reported(studied):
    table = pd.read_csv(studied / "kpis.csv", index_col=0)
    assert list(table.columns) == list(study.VARIANTS)
    for name in study.VARIANTS:
        summary = json.loads((studied / name / "summary.json").read_text())
        assert summary["status"] == "complete" and summary["steps"] == 24
        for row, where in study.ROWS.items():
            expected = study.value(summary, where)
            if expected is None:
                assert pd.isna(table.loc[row, name])
            else:
                assert table.loc[row, name] == pytest.approx(expected, rel=1e-12), (name, row)
    assert (studied / "kpis.md").read_text().startswith("| KPI | uncontrolled |")


def test_balance_sheds_what_the_planning_variants_shift(studied):
    table = pd.read_csv(studied / "kpis.csv", index_col=0)
    not_served = table.loc["energy not served [MWh]"]
    assert not_served["uncontrolled"] == pytest.approx(0.0, abs=1e-9)
    assert not_served["lookahead"] == pytest.approx(0.0, abs=1e-9)
    assert not_served["grid_aware"] == pytest.approx(0.0, abs=1e-9)
    assert not_served["balance"] > 1.0  # exchange balancing sheds load, never recovered
    assert table.loc["shifted [MWh]", "lookahead"] > 1.0  # the evening peak is moved


@pytest.mark.parametrize("option", ["--strategy", "--no-mas", "--runs", "--name"])
def test_options_the_study_sets_are_refused(option, capsys):
    with pytest.raises(SystemExit) as stopped:
        study.parse_args([option, "balance"] if option in ("--strategy", "--name", "--runs")
                         else [option])
    assert stopped.value.code == 2
    assert "set by the study" in capsys.readouterr().err
