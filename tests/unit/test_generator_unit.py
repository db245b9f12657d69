"""The profile-driven Generator: available power, curtailment, and bad profiles."""

import pytest

from mosaik_components.massca_units.generator import GeneratorSimulator


def generator(**params):
    sim = GeneratorSimulator()
    sim.init("Gen", step_size=900)
    eid = sim.create(1, "Generator", **params)[0]["eid"]
    return sim, eid


def test_available_is_peak_times_profile_and_a_setpoint_curtails_it():
    sim, eid = generator(peak_mw=2.0)
    sim.step(0, {eid: {"P_pu": {"profile": 0.75}}}, 900)
    first = sim.get_data({eid: ["P[MW]", "P_max[MW]", "P_min[MW]"]})[eid]
    assert first == {"P[MW]": 1.5, "P_max[MW]": 1.5, "P_min[MW]": 0.0}
    sim.step(0, {eid: {"P_pu": {"profile": 0.75}, "P_set[MW]": {"agent": 0.5}}}, 900)
    curtailed = sim.get_data({eid: ["P[MW]", "P_curtailed[MW]"]})[eid]
    assert curtailed["P[MW]"] == pytest.approx(0.5)
    assert curtailed["P_curtailed[MW]"] == pytest.approx(1.0)


@pytest.mark.parametrize("value, message", [(-0.1, "P_pu must be >= 0"),
                                            (float("nan"), "P_pu")])
def test_a_bad_profile_value_names_the_entity(value, message):
    sim, eid = generator()
    with pytest.raises(ValueError, match=message) as raised:
        sim.step(0, {eid: {"P_pu": {"profile": value}}}, 900)
    assert eid in str(raised.value)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="peak_mw must be >= 0"):
        generator(peak_mw=-1.0)
    with pytest.raises(ValueError, match="unknown parameter"):
        generator(rating=1.0)
