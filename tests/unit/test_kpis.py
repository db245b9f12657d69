"""KPIs from a tidy time series built by hand (values chosen so every number is obvious)."""

import math

import pandas as pd
import pytest

from mosaik_components.massca_results.kpis import (
    battery_use,
    cost,
    curtailed_energy,
    energy_not_served,
    exchange,
    kpis,
    self_supply,
    series,
    shifted_energy,
)

STEP = 3600  # one hour: MW and MWh per step coincide


def tidy(columns: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = [(t * STEP, entity, attr, value) for (entity, attr), values in columns.items()
            for t, value in enumerate(values)]
    return pd.DataFrame(rows, columns=["time", "entity", "attr", "value"])


FRAME = tidy({
    ("grid", "P[MW]"): [2.0, -1.0, 0.5, 3.0],           # import 5.5, export 1
    ("pv", "P[MW]"): [0.0, 3.0, 1.0, 0.0],
    ("pv", "P_available[MW]"): [0.0, 4.0, 1.0, 0.0],    # 1 MWh curtailed
    ("wind", "P[MW]"): [1.0, 1.0, 0.0, 0.0],
    ("wind", "P_max[MW]"): [1.5, 1.0, 0.0, 0.0],        # 0.5 MWh curtailed
    ("load", "P[MW]"): [-1.0, -2.0, -1.0, -1.0],
    ("load", "P_demand[MW]"): [1.0, 2.5, 1.0, 1.5],     # 1 MWh not served
    ("shift", "P[MW]"): [-0.5, -2.0, 0.0, -1.5],
    ("shift", "P_demand[MW]"): [1.0, 1.0, 1.0, 1.0],    # deferred 0.5+1, made up 1+0.5
    ("shift", "backlog[MWh]"): [0.5, 0.0, 1.0, 0.5],
    ("bat", "P[MW]"): [-1.0, 0.0, 0.5, 0.5],            # charged 1, discharged 1
})
UNITS = {"pv": {"kind": "pv"}, "wind": {"kind": "wind"}, "load": {"kind": "load"},
         "shift": {"kind": "shiftable"}, "bat": {"kind": "battery"}}


def test_each_kpi():
    assert energy_not_served(FRAME, STEP, ["load"]) == pytest.approx(1.0)
    assert shifted_energy(FRAME, STEP, ["shift"]) == pytest.approx(
        {"shifted_MWh": 1.5, "made_up_MWh": 1.5, "backlog_end_MWh": 0.5})
    assert curtailed_energy(FRAME, STEP, ["pv", "wind"]) == pytest.approx(1.5)
    assert exchange(FRAME, STEP, "grid") == pytest.approx(
        {"import_MWh": 5.5, "export_MWh": 1.0, "peak_import_MW": 3.0, "peak_export_MW": 1.0})
    # generated 6; consumed 6 + 5.5 - 1 = 10.5
    assert self_supply(FRAME, STEP, "grid", ["pv", "wind"]) == pytest.approx(
        {"generated_MWh": 6.0, "consumed_MWh": 10.5, "self_sufficiency": 1 - 5.5 / 10.5,
         "self_consumption": 1 - 1 / 6})
    assert battery_use(FRAME, STEP, {"bat": 2.0}) == pytest.approx(
        {"charged_MWh": 1.0, "discharged_MWh": 1.0, "throughput_MWh": 2.0,
         "equivalent_full_cycles": 0.5, "max_battery_cycles": 0.5})
    # a fleet: its cycles are its throughput over twice its capacity, not the sum of each
    # battery's cycles (an idle 6 MWh battery beside "bat" divides them by four)
    fleet = tidy({("bat", "P[MW]"): [-1.0, 0.0, 0.5, 0.5], ("idle", "P[MW]"): [0.0] * 4})
    both = battery_use(fleet, STEP, {"bat": 2.0, "idle": 6.0})
    assert both["equivalent_full_cycles"] == pytest.approx(2.0 / (2 * 8.0))
    assert both["max_battery_cycles"] == pytest.approx(0.5)
    # import at 10 before 02:00 and 100 after; export paid 5: 2*10 + 0.5*100 + 3*100 - 5
    hourly = [10.0] * 2 + [100.0] * 22
    assert cost(FRAME, STEP, "grid", hourly, 5.0) == pytest.approx(20 + 50 + 300 - 5)
    # starting at 23:00 the first step costs 100, the next ones 10, 10, 100
    assert cost(FRAME, STEP, "grid", hourly, 0.0, start="2019-06-21 23:00") == pytest.approx(
        200 + 5 + 300)


def test_all_at_once_and_missing_data_is_an_error():
    result = kpis(FRAME, STEP, UNITS, "grid", capacities={"bat": 2.0}, price=10.0)
    assert result["energy_not_served_MWh"] == pytest.approx(1.0)
    assert result["equivalent_full_cycles"] == pytest.approx(0.5)
    assert result["cost"] == pytest.approx(55.0)
    with pytest.raises(KeyError, match="'nope' has no recorded 'P\\[MW\\]'"):
        series(FRAME, "nope", "P[MW]")
    with pytest.raises(ValueError, match="battery KPIs need capacities"):
        kpis(FRAME, STEP, UNITS, "grid")
    empty = self_supply(tidy({("grid", "P[MW]"): [0.0]}), STEP, "grid", [])
    assert math.isnan(empty["self_sufficiency"]) and math.isnan(empty["self_consumption"])
