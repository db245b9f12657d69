"""The shipped demo scenario runs end to end and the MAS never worsens the exchange."""


import pandas as pd

from mosaik_components.massca.scenarios import demo  # noqa: E402
from mosaik_components.massca_results.summary import wide

CORE = "MAS-0.MosaikAgent"


def test_demo_runs_and_improves_the_exchange(tmp_path):
    summary = demo.main(["--hours", "24", "--quiet", "--out", str(tmp_path)])
    assert summary["steps"] == 96
    assert summary["exchange_with_mas_MWh"] < summary["exchange_without_mas_MWh"]
    frame = pd.read_csv(tmp_path / "timeseries.csv")
    planned = wide(frame, "P_exchange[MW]")[CORE]
    assert (planned.abs() <= wide(frame, "P_uncontrolled[MW]")[CORE].abs() + 1e-9).all()
    # the units really run at the agents' setpoints (sign: generation positive)
    units = wide(frame, "P[MW]").sum(axis=1)
    setpoints = wide(frame, "P_set[MW]").sum(axis=1)
    assert (units - setpoints).abs().max() < 1e-9
    assert (units + planned).abs().max() < 1e-9  # and the plan is what they exchange
