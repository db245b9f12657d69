"""MASSCA's ``COHDA`` interface (``mosaik_components.mas.lib.cohda``) on massca's COHDA."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mosaik_components.mas.lib.cohda import COHDA


def test_the_interface_massca_s_method_files_use():
    # as MASSCA's examples/hyBitCell/methods.py: COHDA(muted=...), a final_schedules dict
    # they fill, execute(...) -> {name: {"FlexSchedules": [...]}} in participant order
    cohda = COHDA(muted=True)
    cohda.final_schedules = {}
    flex = [{"flex_max_power": [10.3], "flex_min_power": [2.1]},
            {"flex_max_power": [9.6], "flex_min_power": [2.1]},
            {"flex_max_power": [10], "flex_min_power": [0]}]
    schedules = cohda.execute(target_schedule=[8.37], flexibility=flex)
    assert list(schedules) == ["Agent_0", "Agent_1", "Agent_2"]
    values = [s["FlexSchedules"][0] for s in iter(schedules.values())]
    for value, band in zip(values, flex, strict=True):
        assert band["flex_min_power"][0] - 1e-9 <= value <= band["flex_max_power"][0] + 1e-9
    # COHDA ends where no participant can do better alone: with 11 levels per participant,
    # no single change of one pick brings the sum closer to the target
    grids = [np.linspace(b["flex_min_power"][0], b["flex_max_power"][0], 11) for b in flex]
    deviation = abs(sum(values) - 8.37)
    for i, grid in enumerate(grids):
        others = sum(values) - values[i]
        assert min(abs(others + option - 8.37) for option in grid) >= deviation - 1e-9
    # and it is no worse than the worst single option step away from the exhaustive best
    best = min(abs(sum(c) - 8.37) for c in itertools.product(*grids))
    assert deviation <= best + max(g[1] - g[0] for g in grids)


def test_schedules_over_several_intervals_and_the_cache():
    cohda = COHDA(muted=True)
    flex = {"flex_max_power": [3.0, 3.0, 3.0], "flex_min_power": [0.1, 0.2, 0.3]}
    first = cohda.execute([0.5, 2.0, 5.0], [flex] * 5)
    assert all(len(s["FlexSchedules"]) == 3 for s in first.values())
    total = np.sum([s["FlexSchedules"] for s in first.values()], axis=0)
    # each participant picks one of 11 scaled copies of its band: the sum lies in the band
    assert (total >= 5 * np.array([0.1, 0.2, 0.3]) - 1e-9).all() and (total <= 15 + 1e-9).all()
    first["Agent_0"]["FlexSchedules"][0] = -99.0  # a caller's change must not reach the cache
    again = cohda.execute([0.5, 2.0, 5.0], [flex] * 5)
    assert again["Agent_0"]["FlexSchedules"][0] != -99.0
    assert again == cohda.execute([0.5, 2.0, 5.0], [flex] * 5)


@pytest.mark.parametrize(("flexibility", "match"), [
    ([], "at least one participant"),
    ([{"flex_max_power": [1.0]}], r"flexibility\[0\] must be a dict"),
    ([{"flex_max_power": [1.0], "flex_min_power": [2.0]}], r"flexibility\[0\] must give 1"),
    ([{"flex_max_power": [1.0, 2.0], "flex_min_power": [0.0, 0.0]}], "must give 1 value"),
    ([{"flex_max_power": [float("nan")], "flex_min_power": [0.0]}], "finite"),
])
def test_bad_input_is_refused_naming_it(flexibility, match):
    with pytest.raises(ValueError, match=match):
        COHDA(muted=True).execute([1.0], flexibility)
