"""Agents in worker processes (one mango container per process, TCP on loopback).

    core process: container 0 (core, cells 0, 3)      worker 1: cell 1      worker 2: cell 2

Spawned by the MAS (``processes=True``) or started separately (``massca-mas-worker``)
and reached with ``workers=["host:port"]``; the results equal the single-container run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest

from mosaik_components.mas.model.errors import AgentFailedError, CycleTimeoutError
from mosaik_components.mas.model.flexibility import Flex, UnitState
from mosaik_components.mas.model.hierarchy import build_tree
from mosaik_components.mas.protocol.messages import UnitsDone
from mosaik_components.mas.runtime.runtime import CycleInput, MasRuntime
from mosaik_components.mas.runtime.transport import TransportConfig
from mosaik_components.mas.strategies import BalanceStrategy
from mosaik_components.mas.strategies.coordination import StrategyCoordination
from tests.conftest import ROOT
from tests.integration.helpers import build_two_cells
from tests.integration.test_scale_out import four_cells, run_cycles
from tests.integration.test_two_cells import assert_expected_powers, assert_expected_setpoints

WORKER = "mosaik_components.mas.runtime.workers.worker"


def single_container_results():
    return [results for results, _ in asyncio.run(run_cycles(TransportConfig()))[1]]


def test_spawned_worker_processes_give_the_single_container_result():
    runtime, spread = asyncio.run(run_cycles(TransportConfig(containers=3, processes=True)))
    assert [results for results, _ in spread] == single_container_results()
    links = runtime.workers.links
    assert sorted(links) == [1, 2]
    assert all(link.process is not None for link in links.values())
    # per cycle: the single-container messages + 2 cycle starts + 2 relay reports
    assert [report.messages for _, report in spread] == [52, 52]


def secret_file(tmp_path) -> str:
    path = tmp_path / "run.key"
    path.write_text(secrets.token_hex(32))
    path.chmod(0o600)
    return str(path)


def start_worker(secret: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", WORKER, "--port", "0", "--secret-file", secret],
        cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()  # type: ignore[union-attr]
    assert line.startswith("listening on 127.0.0.1:"), (line, process.stderr.read())
    return process, line.removeprefix("listening on ")


def test_worker_started_elsewhere_is_reached_and_told_to_stop(tmp_path):
    secret = secret_file(tmp_path)
    process, address = start_worker(secret)
    try:
        _, spread = asyncio.run(run_cycles(TransportConfig(workers=(address,),
                                                           secret_file=secret)))
        assert [results for results, _ in spread] == single_container_results()
        assert process.wait(timeout=10) == 0  # the MAS sent Shutdown when it closed
    finally:
        if process.poll() is None:
            process.kill()


def test_worker_refuses_a_non_loopback_address_without_allow_remote():
    done = subprocess.run([sys.executable, "-m", WORKER, "--host", "192.0.2.1"], cwd=str(ROOT),
                          capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert "error: --host 192.0.2.1 is not loopback: pass --allow-remote" in done.stderr


def test_a_worker_process_that_dies_mid_run_is_named():
    def kill_worker_1(runtime):
        runtime.workers.links[1].process.kill()
        time.sleep(0.2)  # let it die before the cycle starts

    with pytest.raises(CycleTimeoutError, match=r"containers whose units did not finish: "
                                                r"container 1 \(worker tcp 127\.0\.0\.1:\d+, "
                                                r"pid \d+, exited with -9\)"):
        asyncio.run(run_cycles(TransportConfig(containers=2, processes=True), cycles=2,
                               timeout=2.0, between_cycles=kill_worker_1))


def test_mosaik_world_with_worker_processes(world):
    params = {"containers": 2, "processes": True}
    system = build_two_cells(world, weak=True, mas_params=params)
    world.run(until=1800)
    assert_expected_powers(system)
    assert_expected_setpoints(system)  # outputs of remote units via their proxies


def test_cohda_at_both_levels_across_worker_processes(world):
    params = {"containers": 2, "processes": True, "within_cell": "cohda",
              "between_cells": "cohda", "seed": 2}
    system = build_two_cells(world, weak=True, depth=1, mas_params=params)
    world.run(until=1800)
    collector = system.collector
    core = system.core.full_id
    iterations = collector.last(core, "iterations")
    negotiations = collector.last(core, "negotiations")
    assert all(negotiations[t] == 3 * iterations[t] for t in (0, 900))
    assert all(d <= 0.3 + 1e-9 for d in collector.last(core, "deviation[MW]").values())


def test_workers_that_host_no_agents_take_no_part_in_cycles():
    """One cell, three containers: both workers are empty (``--cells 1 --containers 3
    --processes``); cycles finish with the single-container result."""
    tree, states = four_cells()
    one_cell = {eid: node for eid, node in tree.nodes.items()
                if eid == "core" or eid == "cell0" or eid.startswith("u0_")}
    small = build_tree({eid: node.parent if node.parent != "core" else None
                        for eid, node in one_cell.items()}, {"core": "core"})
    small_states = {eid: s for eid, s in states.items() if eid in small.nodes}

    async def run(transport):
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=10,
                             transport=transport)
        await runtime.start()
        try:
            runtime.build(small)
            await runtime.attach()
            return [(await runtime.run_cycle(CycleInput(0, i, small_states))).results
                    for i in range(2)]
        finally:
            runtime.close()
            await asyncio.sleep(0.05)

    spread = asyncio.run(run(TransportConfig(containers=3, processes=True)))
    assert spread == asyncio.run(run(TransportConfig()))


@contextlib.asynccontextmanager
async def two_processes():
    """The four cells over the core's process and one spawned worker, one cycle run."""
    tree, states = four_cells()
    runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=10,
                         transport=TransportConfig(containers=2, processes=True))
    await runtime.start()
    try:
        runtime.build(tree)
        await runtime.attach()
        await runtime.run_cycle(CycleInput(0, 0, states))
        yield runtime, states
    finally:
        runtime.close()
        await asyncio.sleep(0.05)


def test_a_state_a_worker_cannot_take_fails_the_cycle_naming_it():
    """Unit states cross to a worker as one float64 block; one non-finite value there
    fails the cycle with the field and row, reported by the worker's host."""

    async def scenario():
        async with two_processes() as (runtime, states):
            remote = runtime.workers.links[1].units[2]
            bad = {**states, remote: UnitState(Flex(float("nan"), 0.0, 2.0))}
            await runtime.run_cycle(CycleInput(0, 1, bad))

    with pytest.raises(AgentFailedError, match=r"'container 1 host' failed in cycle 1: "
                                               r"ValueError: CycleStart\.states\.f: value nan "
                                               r"of row 2 is not finite"):
        asyncio.run(scenario())


def test_results_a_worker_cannot_send_fail_the_cycle_naming_its_relay():
    """A malformed ``UnitsDone`` from a worker's relay (delivered with the identity the
    authenticated envelope gives it) fails the cycle naming that relay, not the core."""

    async def scenario():
        async with two_processes() as (runtime, states):
            worker = runtime.workers.links[1].process
            os.kill(worker.pid, signal.SIGSTOP)  # its own UnitsDone cannot come first
            try:
                cycle = asyncio.create_task(runtime.run_cycle(CycleInput(0, 1, states)))
                await asyncio.sleep(0.1)
                relay = runtime.addresses["relay 1"]
                empty = {"n": 0, "f": "", "none": [], "p": {}}
                runtime.core.handle_message(
                    UnitsDone(runtime.cycle, 1, empty, {}, [0, 0, 0.0, 0]),
                    {"sender_id": relay.aid, "sender_addr": relay.protocol_addr})
                await cycle
            finally:
                os.kill(worker.pid, signal.SIGCONT)

    with pytest.raises(AgentFailedError, match=r"^'container 1 relay' sent results the core "
                                               r"cannot take in cycle 1: UnitsDone of container "
                                               r"1: results\.n is 0, expected 10$"):
        asyncio.run(scenario())
