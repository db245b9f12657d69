"""Energy-true unit models driven step by step (no mosaik): deferrable load, battery,
curtailable load; any setpoint, the physics holds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.mas.model.horizon import HorizonFlex
from mosaik_components.massca_units.battery import BatterySimulator
from mosaik_components.massca_units.curtailable import CurtailableLoadSimulator
from mosaik_components.massca_units.shiftable import ShiftableLoadSimulator, deferrable_flex

STEP = 900
DT = STEP / 3600


def drive(sim, eid, steps, inputs_at, setpoint_at):
    """Step ``sim`` through ``steps`` times; a setpoint in a second same-time iteration."""
    outputs = []
    for k in range(steps):
        inputs = inputs_at(k)
        sim.step(k * STEP, {eid: inputs}, 10**9)
        band = sim.get_data({eid: ["P_min[MW]", "P_max[MW]", "flex"]})[eid]
        wanted = setpoint_at(k, band)
        sim.step(k * STEP, {eid: {**inputs, "P_set[MW]": {"mas": wanted}}}, 10**9)
        outputs.append(sim.get_data({eid: list(ATTRS[sim.model])})[eid])
    return outputs


ATTRS = {
    "ShiftableLoad": ("P[MW]", "P_demand[MW]", "backlog[MWh]", "E_shifted[MWh]",
                      "E_overdue[MWh]", "P_min[MW]", "P_max[MW]"),
    "Battery": ("P[MW]", "SOC[MWh]", "E_charged[MWh]", "E_discharged[MWh]", "cycles"),
    "CurtailableLoad": ("P[MW]", "P_demand[MW]", "P_shed[MW]", "E_not_served[MWh]"),
}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=8, max_size=40),
       st.lists(st.floats(0, 1), min_size=48, max_size=48), st.integers(0, 6),
       st.sampled_from([1, 6]), st.sampled_from([1.0, 0.3]))
def test_deferred_energy_is_served_within_its_window(profile, choices, delay, horizon, share):
    """Whatever the agents choose inside the band, every arrival is served within
    max_delay (the inflexible part at once), the backlog stays bounded, and after the
    demand stops everything is served: the load's energy over the window equals its
    demand."""
    pu = list(profile) + [0.0] * (delay + 2)  # the demand stops: the backlog must drain
    sim = ShiftableLoadSimulator()
    sim.init("Shift", step_size=STEP, horizon=horizon)
    (created,) = sim.create(1, "ShiftableLoad", peak_mw=2.0, flexible_share=share,
                            max_delay_h=delay * DT, max_backlog_mwh=0.6, p_max_mw=2.5,
                            terminal="free")
    eid = created["eid"]
    padded = pu + [0.0] * horizon

    def inputs_at(k):
        return {"P_pu": {"profile": pu[k]}, "P_pu_forecast": {"profile": padded[k:k + horizon]}}

    def setpoint_at(k, band):
        return band["P_min[MW]"] + choices[k % 48] * (band["P_max[MW]"] - band["P_min[MW]"])

    out = drive(sim, eid, len(pu), inputs_at, setpoint_at)
    # the simulator (all loads at once) publishes what the one-load builder makes
    entity = sim.entities[eid]
    alone = deferrable_flex(
        entity.state["queue"], entity.state["index"], 2.0 * np.array(padded[len(pu) - 1:][
            :horizon]), DT, delay, 0.6, 2.5, entity.state["costs"], None, "x", share)
    assert np.allclose(entity.flex.consumption.min, alone.consumption.min)
    assert np.allclose(entity.flex.consumption.max, alone.consumption.max)
    assert np.allclose(entity.flex.energy[0].lower, alone.energy[0].lower)
    assert np.allclose(entity.flex.energy[0].upper, alone.energy[0].upper)
    demand = np.array([o["P_demand[MW]"] for o in out]) * DT
    served = -np.array([o["P[MW]"] for o in out]) * DT
    arrived, done = np.cumsum(demand), np.cumsum(served)
    assert np.allclose(demand, 2.0 * np.array(pu) * DT)
    assert (served >= (1 - share) * demand - 1e-9).all()  # the inflexible part at once
    # FIFO with one delay: the arrivals up to step j are served by the end of j + delay
    at_once = np.cumsum((1 - share) * demand)
    for j in range(len(pu) - delay):
        assert done[j + delay] >= arrived[j] - 1e-9
        assert done[j] >= at_once[j] + share * (arrived[j - delay] if j >= delay else 0) - 1e-9
    assert (arrived - done <= 0.6 + 1e-9).all()  # the bounded backlog
    assert (done <= arrived + 1e-9).all()  # never served before it arrives
    assert done[-1] == pytest.approx(arrived[-1], abs=1e-9)
    assert out[-1]["E_overdue[MWh]"] == 0.0
    assert out[-1]["backlog[MWh]"] == pytest.approx(0.0, abs=1e-9)
    deferred = np.clip(demand - served, 0, None).sum()
    assert out[-1]["E_shifted[MWh]"] == pytest.approx(deferred, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=60), st.sampled_from([1, 8]))
def test_soc_stays_within_bounds_for_any_plan(setpoints, horizon):
    sim = BatterySimulator()
    sim.init("Battery", step_size=STEP, horizon=horizon)
    (created,) = sim.create(1, "Battery", capacity_mwh=2.0, p_charge_mw=1.0,
                            p_discharge_mw=1.5, charge_efficiency=0.9,
                            discharge_efficiency=0.95, soc_init=0.5, soc_min=0.2, soc_max=0.9)
    eid = created["eid"]
    out = drive(sim, eid, len(setpoints), lambda k: {}, lambda k, band: setpoints[k])
    soc = np.array([o["SOC[MWh]"] for o in out])
    assert (soc >= 0.4 - 1e-9).all() and (soc <= 1.8 + 1e-9).all()
    p = np.array([o["P[MW]"] for o in out])
    expected = 1.0 + np.cumsum(np.where(p < 0, -p * DT * 0.9, -p * DT / 0.95))
    assert soc == pytest.approx(expected, abs=1e-9)  # one settlement per step, not two
    charged, discharged = np.clip(-p, 0, None).sum() * DT, np.clip(p, 0, None).sum() * DT
    assert out[-1]["E_charged[MWh]"] == pytest.approx(charged, abs=1e-9)
    assert out[-1]["E_discharged[MWh]"] == pytest.approx(discharged, abs=1e-9)
    assert out[-1]["cycles"] == pytest.approx((charged + discharged) / 4.0, abs=1e-9)


def test_battery_flex_is_cyclic_and_feasible():
    sim = BatterySimulator()
    sim.init("Battery", step_size=STEP, horizon=8)
    (created,) = sim.create(1, "Battery", capacity_mwh=1.0, p_charge_mw=1.0,
                            p_discharge_mw=1.0, efficiency=0.81, soc_init=0.5)
    sim.step(0, {}, 10**9)
    flex = HorizonFlex.from_dict(sim.get_data({created["eid"]: ["flex"]})[created["eid"]]["flex"])
    limit = flex.energy[0]
    assert limit.initial == 0.5 and limit.lower[-1] == 0.5  # back to today's charge
    assert limit.charge_efficiency == pytest.approx(0.9)
    # discharging now must leave time to recharge: 7 intervals at 1 MW store 1.575 MWh
    assert flex.production.max[0] == pytest.approx(1.0)
    assert flex.tightened() == flex


def test_curtailable_load_counts_energy_not_served():
    sim = CurtailableLoadSimulator()
    sim.init("Curt", step_size=STEP)
    (created,) = sim.create(1, "CurtailableLoad", peak_mw=2.0, shed_max=0.5, shed_cost=500.0)
    eid = created["eid"]
    pu = [0.5, 1.0, 0.25]
    out = drive(sim, eid, 3, lambda k: {"P_pu": {"p": pu[k]}},
                lambda k, band: band["P_max[MW]"])  # shed as much as allowed
    shed = [o["P_shed[MW]"] for o in out]
    assert shed == pytest.approx([0.5, 1.0, 0.25])  # half of 2 MW x P_pu
    assert out[-1]["E_not_served[MWh]"] == pytest.approx(sum(shed) * DT)
    flex = HorizonFlex.from_dict(sim.get_data({eid: ["flex"]})[eid]["flex"])
    assert flex.costs.shed == 500.0 and flex.consumption.max[0] == pytest.approx(0.5)


@pytest.mark.parametrize(("sim_cls", "params", "message"), [
    (ShiftableLoadSimulator, {"peak_mw": 2.0, "p_max_mw": 1.0},
     r"ShiftableLoad_0.p_max_mw \(1.0 MW\) is below peak_mw \(2.0 MW\): a peak interval's "
     "demand cannot be served within its window"),
    (ShiftableLoadSimulator, {"max_delay_h": 0.3},
     r"ShiftableLoad_0.max_delay_h \(0.3\) must be a multiple of the step \(0.25 h\)"),
    (ShiftableLoadSimulator, {"max_backlog_mwh": -1}, "ShiftableLoad_0.max_backlog_mwh must be"),
    (ShiftableLoadSimulator, {"flexible_share": 1.2}, "ShiftableLoad_0.flexible_share must be"),
    (BatterySimulator, {"soc_min": 0.4, "soc_init": 0.3},
     r"Battery_0.soc_init \(0.3\) contradicts the limits \[soc_min, soc_max\] = \[0.4, 1.0\]"),
    (BatterySimulator, {"charge_efficiency": -0.9},
     r"Battery_0.charge_efficiency must be in \(0, 1\], got -0.9"),
    (BatterySimulator, {"efficiency": 0.9, "discharge_efficiency": 0.9},
     "give either efficiency"),
    (BatterySimulator, {"wear_cost": -1}, r"Battery_0.wear_cost must be >= 0 \(per MWh\), got -1"),
    (CurtailableLoadSimulator, {"shed_max": 1.5}, r"CurtailableLoad_0.shed_max must be in"),
])
def test_bad_parameters_name_the_unit_and_field(sim_cls, params, message):
    sim = sim_cls()
    sim.init("X", step_size=STEP)
    with pytest.raises(ValueError, match=message):
        sim.create(1, sim.model, **params)


def test_served_rates_carry_no_rounding_below_zero():
    from mosaik_components.massca_units.shiftable import served_rates

    # a cumulative that stands still, as float arithmetic gives it (seen at 50 cells)
    fastest = np.array([[0.1, 0.3, 0.3 - 5.551115123125783e-17, 0.5]])
    rates = served_rates(fastest, 0.25)
    assert (rates >= 0).all()
    assert rates == pytest.approx(np.array([[0.4, 0.8, 0.0, 0.8]]))
