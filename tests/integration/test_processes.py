"""The MAS as a mosaik ``cmd`` subprocess, and two worlds with a MAS each at once.

mosaik only logs exceptions of ``cmd`` simulators, so these tests assert results.
"""

import asyncio
import sys

import mosaik
import pytest

from tests.conftest import ROOT, SIM_CONFIG
from tests.integration.helpers import build_two_cells
from tests.integration.test_two_cells import assert_expected_setpoints


@pytest.mark.slow
def test_mas_as_cmd_subprocess_gives_the_same_setpoints():
    config = {
        **SIM_CONFIG,
        "MAS": {"cmd": f"{sys.executable} -m mosaik_components.mas %(addr)s",
                "cwd": str(ROOT)},
    }
    with mosaik.World(config) as world:
        system = build_two_cells(world, weak=True)
        world.run(until=1800)
        assert_expected_setpoints(system)
        assert system.collector.last(system.core.full_id, "converged") == {0: True, 900: True}


async def run_async_world(index: int) -> dict:
    """A complete small world on the current loop; returns the core's outputs."""
    async with mosaik.AsyncWorld(SIM_CONFIG) as world:
        mas = await world.start("MAS", step_size=900)
        units = await world.start("Units", step_size=900)
        collector_sim = await world.start("Collector")
        sink = (await collector_sim.Collector.create(1))[0]
        core = (await mas.MosaikAgents.create(1))[0]
        cell = (await mas.MosaikAgents.create(1, controller=None))[0]
        unit = (await units.Unit.create(1, profile=[float(index + 1)]))[0]
        agent = (await mas.MosaikAgents.create(1, controller=cell.eid, kind="producer"))[0]
        world.connect(unit, agent, "current")
        world.connect(agent, sink, "P_set[MW]")
        world.connect(core, sink, "messages")
        await world.run(until=900)
        return {"set": await collector_sim.call.last(agent.full_id, "P_set[MW]"),
                "port": (await mas.call.get_info())["address"][1]}


def test_two_worlds_with_a_mas_each_run_at_the_same_time():
    async def both():
        return await asyncio.gather(run_async_world(0), run_async_world(1))

    first, second = asyncio.run(both())
    # each producer alone with no load: the balance curtails it to zero
    assert first["set"] == {0: 0.0} and second["set"] == {0: 0.0}
    assert first["port"] != second["port"]


def test_mas_started_elsewhere_via_connect_gives_the_same_setpoints():
    """``massca-mas HOST:PORT --remote`` listens; mosaik reaches it with ``connect``."""
    import subprocess
    import time

    from tests.integration.brokers import free_port, listening

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mosaik_components.mas", f"127.0.0.1:{port}", "--remote"],
        cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not listening(port):  # it accepts one connection only: do not probe it
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "massca-mas did not listen in 30 s"
            time.sleep(0.05)
        with mosaik.World({**SIM_CONFIG, "MAS": {"connect": f"127.0.0.1:{port}"}}) as world:
            system = build_two_cells(world, weak=True)
            world.run(until=1800)
            assert_expected_setpoints(system)
    finally:
        process.terminate()
        process.wait(timeout=10)
