"""The invariant checks that guard against faulty user strategies."""

from dataclasses import dataclass

import pytest

from mosaik_components.mas.model.errors import StrategyError
from mosaik_components.mas.model.flexibility import Flex, Target, UnitState
from mosaik_components.mas.mosaik.massca import MasscaCoordination
from mosaik_components.mas.strategies.balance import BalanceStrategy
from mosaik_components.mas.strategies.coordination import CycleInfo, StrategyCoordination

CHILDREN = {"a": UnitState(Flex(1, 0, 2)), "b": UnitState(Flex(1, 0, 2))}
OWN = UnitState(Flex(2, 0, 4))  # the controller's aggregate of CHILDREN


@dataclass(frozen=True)
class Greedy(BalanceStrategy):
    """Gives everything to the first child: breaks the bands."""

    def split(self, target, children):
        return [Target(target.production, 0.0)] + [Target(0.0, 0.0)] * (len(children) - 1)


@dataclass(frozen=True)
class Leaky(BalanceStrategy):
    def split(self, target, children):
        return [Target(0.5, 0.0) for _ in children]


def test_decide_then_split_gives_each_child_its_share():
    coordination = StrategyCoordination(BalanceStrategy())
    out = coordination.decide("core", CHILDREN, CycleInfo(offset=3.0))  # 1 MW deficit
    assert out == {"a": Target(1.5, 0.0), "b": Target(1.5, 0.0)}


def test_split_out_of_band_is_rejected():
    with pytest.raises(StrategyError, match="for child 'a': production target 3.5 MW outside"):
        StrategyCoordination(Greedy()).split("c", Target(3.5, 0), OWN, CHILDREN, CycleInfo())


def test_split_not_summing_up_is_rejected():
    with pytest.raises(StrategyError, match="add up to 1.0, not to the instruction's 3.0"):
        StrategyCoordination(Leaky()).split("c", Target(3.0, 0), OWN, CHILDREN, CycleInfo())


def test_massca_execute_must_return_one_instruction_per_child():
    def execute(aeid, aid, instruction, current_state, requested_states, **kw):
        return True, {"a": {}}, None

    coordination = MasscaCoordination(execute, lambda *a, **k: {})
    with pytest.raises(StrategyError, match=r"one instruction per child \['a', 'b'\]"):
        coordination.decide("core", {"a": {}, "b": {}}, CycleInfo())
