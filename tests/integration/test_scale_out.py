"""Agents spread over several mango containers (TCP on loopback, MQTT via mosquitto).

Runtime-level tests drive :class:`MasRuntime` directly on a 4-cell tree; the mosaik
test runs the two-cell system of ``test_two_cells`` with ``containers=2``:

    container 0: core, cell0 -> pv0, load0        container 1: cell1 -> pv1, load1
"""

from __future__ import annotations

import asyncio
import random

import pytest

from mosaik_components.mas.model.errors import CycleTimeoutError, TransportError
from mosaik_components.mas.model.flexibility import Flex, UnitState
from mosaik_components.mas.model.hierarchy import build_tree, place_by_cell
from mosaik_components.mas.runtime.runtime import CycleInput, MasRuntime
from mosaik_components.mas.runtime.transport import (
    MqttTransport,
    TransportConfig,
    close_container,
)
from mosaik_components.mas.strategies import BalanceStrategy
from mosaik_components.mas.strategies.coordination import StrategyCoordination
from tests.integration.brokers import Broker, free_port
from tests.integration.helpers import build_two_cells
from tests.integration.test_two_cells import assert_expected_powers


@pytest.fixture
def broker(tmp_path):
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


def four_cells():
    rng = random.Random(3)
    parents = {"core": None}
    states = {}
    for cell in range(4):
        parents[f"cell{cell}"] = None
        for unit in range(5):
            eid = f"u{cell}_{unit}"
            parents[eid] = f"cell{cell}"
            states[eid] = UnitState(Flex(rng.uniform(0, 2), 0.0, 2.0),
                                    Flex(rng.uniform(0, 2), 0.5, 2.5))
    return build_tree(parents, {"core": "core"}), states


async def run_cycles(transport: TransportConfig, cycles: int = 2, timeout: float = 10.0,
                     between_cycles=None):
    tree, states = four_cells()
    runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=timeout,
                         transport=transport)
    await runtime.start()
    try:
        runtime.build(tree)
        await runtime.attach()
        results = []
        for cycle in range(cycles):
            if between_cycles is not None and cycle > 0:
                between_cycles(runtime)
            report = await runtime.run_cycle(CycleInput(0, cycle, states))
            results.append((report.results, report))
        return runtime, results
    finally:
        runtime.close()
        await asyncio.sleep(0.05)  # let cancelled tasks and the broker threads wind down


def test_placement_keeps_each_cell_in_one_container():
    tree, _ = four_cells()
    placement = place_by_cell(tree, 3)
    assert placement["core"] == 0
    for cell in range(4):
        assert {placement[f"u{cell}_{u}"] for u in range(5)} == {placement[f"cell{cell}"]}
    assert [placement[f"cell{c}"] for c in range(4)] == [0, 1, 2, 0]


@pytest.mark.parametrize("containers", [2, 3])
def test_tcp_containers_give_the_single_container_result(containers):
    _, single = asyncio.run(run_cycles(TransportConfig()))
    runtime, spread = asyncio.run(run_cycles(TransportConfig(containers=containers)))
    assert len({c.addr for c in runtime.containers}) == containers
    for (results, report), (expected, report_1) in zip(spread, single, strict=True):
        assert results == expected
        # one extra message per other container with units: its completion relay
        assert report.messages == report_1.messages + containers - 1
    assert runtime.stats.rejected == 0


def test_mqtt_containers_through_a_real_broker(broker):
    config = TransportConfig(MqttTransport(("127.0.0.1", broker.port),
                                           f"massca-test-{broker.port}"), containers=2)
    _, single = asyncio.run(run_cycles(TransportConfig()))
    runtime, spread = asyncio.run(run_cycles(config))
    assert [r for r, _ in spread] == [r for r, _ in single]
    assert runtime.containers[1].addr == f"massca-test-{broker.port}/{runtime.session.run}/1"


def test_a_container_that_dies_mid_run_is_named():
    def kill_container_1(runtime):
        close_container(runtime.containers[1])

    with pytest.raises(CycleTimeoutError, match=r"containers whose units did not finish: "
                                                r"container 1 \(tcp 127\.0\.0\.1:auto\)"):
        asyncio.run(run_cycles(TransportConfig(containers=2), cycles=2, timeout=1.0,
                               between_cycles=kill_container_1))


def test_the_broker_going_away_fails_the_cycle_naming_the_container(broker):
    config = TransportConfig(MqttTransport(("127.0.0.1", broker.port),
                                           f"massca-gone-{broker.port}"), containers=2)
    with pytest.raises(CycleTimeoutError, match=r"container 1 \(mqtt 127\.0\.0\.1:\d+ topic "):
        asyncio.run(run_cycles(config, cycles=2, timeout=1.0,
                               between_cycles=lambda runtime: broker.stop()))


def test_an_unreachable_broker_is_a_clear_error():
    config = TransportConfig(MqttTransport(("127.0.0.1", free_port())))
    with pytest.raises(TransportError, match=r"container 0 \(mqtt 127\.0\.0\.1:\d+ topic "
                                             r"massca/[0-9a-f]{8}/0\) could not start"):
        asyncio.run(run_cycles(config))


@pytest.mark.parametrize("transport", ["tcp", "mqtt"])
def test_mosaik_world_with_two_containers(world, broker, transport):
    params = {"containers": 2, "transport": transport}
    if transport == "mqtt":
        params.update(broker=broker.address, topic=f"massca-world-{broker.port}")
    system = build_two_cells(world, weak=True, mas_params=params)
    world.run(until=1800)
    assert_expected_powers(system)
    info = system.mas.get_info()
    assert info["placement"][system.agents["pv1"].eid] == 1
    assert info["rejected"] == 0


def test_cohda_between_cells_across_tcp_containers(world):
    params = {"containers": 2, "between_cells": "cohda", "within_cell": "cohda", "seed": 1}
    system = build_two_cells(world, weak=True, depth=1, mas_params=params)
    world.run(until=1800)
    collector = system.collector
    deviation = collector.last(system.core.full_id, "deviation[MW]")
    assert all(d <= 0.3 + 1e-9 for d in deviation.values())
    assert system.mas.get_info()["rejected"] == 0


def test_messages_between_containers_travel_in_batches():
    """Container 1 hosts cells 1 and 3: their reports (and the relay's completion)
    leave it in fewer mango sends than messages."""
    sends: list[str] = []

    def count_sends(runtime):
        container = runtime.containers[1]
        original = container.send_message

        async def counted(content, receiver_addr, **kwargs):
            sends.append(type(content).__name__)
            return await original(content, receiver_addr, **kwargs)

        container.send_message = counted

    runtime, spread = asyncio.run(run_cycles(TransportConfig(containers=2), cycles=2,
                                             between_cycles=count_sends))
    assert sends and set(sends) == {"Batch"}
    # cycle 2 crosses: 2 cell reports + 1 completion from container 1 (plus COHDA: none)
    assert len(sends) < 3
    assert spread[1][0] == spread[0][0]


def test_a_batch_leaves_before_the_local_work_its_sender_set_going():
    """The core instructs cell 0 (its container) and cell 1 (container 1) in one handler:
    the batch to container 1 is encoded and written before cell 0's units take their
    instructions, so the other container works in parallel with them."""
    log: list[str] = []

    def watch(runtime):
        container = runtime.containers[0]
        original = container.send_message

        async def logged(content, receiver_addr, **kwargs):
            log.append(f"send {type(content).__name__}")
            return await original(content, receiver_addr, **kwargs)

        container.send_message = logged
        unit = runtime.agents["u0_0"]
        handle = unit.handle_message

        def handled(content, meta):
            log.append(f"u0_0 {type(content).__name__}")
            handle(content, meta)

        unit.handle_message = handled

    asyncio.run(run_cycles(TransportConfig(containers=2), cycles=2, between_cycles=watch))
    assert log.index("send Batch") < log.index("u0_0 Instruction"), log
