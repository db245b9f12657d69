"""The strategy seam: methods with and without the ``view`` argument, the grid view model."""

from dataclasses import dataclass, field

import numpy as np
import pytest

from mosaik_components.mas.model import Flex, StateError, Target, UnitState
from mosaik_components.mas.model.grid import GridLimits, GridView
from mosaik_components.mas.strategies import BalanceStrategy
from mosaik_components.mas.strategies.base import View, accepts_view
from mosaik_components.mas.strategies.coordination import CycleInfo, StrategyCoordination

STATES = {"a": UnitState(Flex(2.0, 0.0, 2.0)), "b": UnitState(consumption=Flex(3.0, 3.0, 3.0))}


class OldStyle(BalanceStrategy):
    """Overrides decide in the form without ``view`` (the README's first example)."""

    def decide(self, system, offset):
        return super().decide(system, offset - 1.0)


@dataclass(frozen=True)
class Viewing(BalanceStrategy):
    """Records the views it is given."""

    seen: list = field(default_factory=list)

    def decide(self, system, offset, view):
        self.seen.append(view)
        return super().decide(system, offset, view)


def test_each_method_may_take_the_view_or_not():
    assert accepts_view(BalanceStrategy().decide, 2)
    assert not accepts_view(OldStyle().decide, 2)
    assert accepts_view(OldStyle().split, 2)  # inherited in the new form


def test_old_style_override_still_runs_and_views_reach_new_style():
    targets = StrategyCoordination(OldStyle()).decide("core", STATES, CycleInfo(time=900))
    assert sum(t.production - t.consumption for t in targets.values()) == pytest.approx(-1.0)
    viewing = Viewing()
    StrategyCoordination(viewing).decide("core", STATES, CycleInfo(time=900, iteration=2))
    assert viewing.seen == [View("core", 900, 2)]
    assert isinstance(next(iter(targets.values())), Target)


def test_grid_view_round_trip_and_errors():
    view = GridView(("b1", "b2"), np.array([1.0, 1.04]), ("l1",), np.array([55.0]), ("pv",),
                    np.array([[0.0], [0.02]]), np.array([[10.0]]), GridLimits(0.95, 1.05, 100))
    assert GridView.from_dict(view.to_dict()) == view
    with pytest.raises(StateError, match=r"grid.dv_dp must be a 2 x 1 matrix"):
        GridView.from_dict({**view.to_dict(), "dv_dp": [[0.0, 1.0], [0.02, 1.0]]})
    with pytest.raises(StateError, match=r"need 0.5 <= v_min < v_max"):
        GridView.from_dict({**view.to_dict(), "limits": {"v_min": 1.06}})
    with pytest.raises(StateError, match="has no field 'units'"):
        GridView.from_dict({k: v for k, v in view.to_dict().items() if k != "units"})
