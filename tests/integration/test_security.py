"""Loopback by default, remote only on request, every message between containers sealed.

    container 0 (core, cell0, cell2)  <-- sealed -->  worker process 1 (cell1, cell3)
          ^
          | raw TCP frames from an attacker on this machine: honest or forged meta

The attacker knows the protocol and the addresses but not the run's secret. Its
messages are sent while a cycle is open (the worker is paused, so the core waits for
cells 1 and 3): if any were taken, the cycle would fail (a forged failure), or a unit
would run at 123 MW (a forged instruction), or the decision would change (forged
reports). Each must be dropped and counted once, and the cycle must give the
undisturbed result.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import pytest
from mango import create_tcp_container
from mango.messages.codecs import JSON

from mosaik_components.mas import main as mas_main
from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.mas.model.flexibility import Flex, Target, UnitState
from mosaik_components.mas.mosaik.config import parse_config
from mosaik_components.mas.protocol.messages import AgentFailure, FlexReport, Instruction, UnitsDone
from mosaik_components.mas.runtime.runtime import CycleInput, MasRuntime
from mosaik_components.mas.runtime.transport import (
    DISPATCH_AID,
    Batch,
    SealedCodec,
    TransportConfig,
    close_container,
    create_container,
)
from mosaik_components.mas.strategies import BalanceStrategy
from mosaik_components.mas.strategies.coordination import StrategyCoordination
from tests.integration.hostile import forged, send_frames
from tests.integration.test_scale_out import four_cells


def test_default_binding_is_loopback_and_the_codec_is_sealed_json():
    config = parse_config({})
    assert config.transport.transport.host == "127.0.0.1"
    container = create_container(config.transport)
    assert isinstance(container.codec, SealedCodec)
    assert type(container.codec.inner) is JSON  # no pickle of anything received


def test_non_loopback_needs_allow_remote_and_warns(caplog):
    with pytest.raises(ConfigError, match="needs allow_remote=True"):
        parse_config({"host": "127.0.0.2"})
    config = parse_config({"host": "127.0.0.2", "allow_remote": True})
    with caplog.at_level(logging.WARNING, logger="mosaik_components.mas.runtime.transport"):
        create_container(config.transport)
    assert "binds to non-loopback address 127.0.0.2" in caplog.text


def test_workers_elsewhere_need_the_runs_secret():
    with pytest.raises(ConfigError, match="need the run's secret: give secret_file"):
        parse_config({"workers": ["127.0.0.1:5701"]})


def test_mas_listening_on_the_network_needs_allow_remote(capsys):
    with pytest.raises(SystemExit) as stopped:
        mas_main(["10.1.2.3:5555", "--remote"])
    assert stopped.value.code == 1
    assert "error: massca-mas would listen on 10.1.2.3:5555, which is not loopback" in (
        capsys.readouterr().err)


STATE = UnitState(Flex(9.0, 0.0, 9.0))


def forgeries(runtime: MasRuntime, outsider: tuple[str, int]) -> list[bytes]:
    """Every forged message of the issue, aimed at container 0 while cycle 1 is open."""
    a = runtime.addresses
    home = runtime.containers[0].addr
    worker = a["cell1"].protocol_addr

    def claiming(eid: str, receiver: str, addr=None) -> dict:
        return {"sender_id": a[eid].aid, "sender_addr": addr or a[eid].protocol_addr,
                "receiver_id": a[receiver].aid}

    cycle = 1
    return [
        # a failure "from" cell1 (in the worker): would abort the run
        forged(AgentFailure(cycle, "Agent_999", "forged by an outsider"),
               claiming("cell1", "core")),
        # an instruction "from" cell0 to its unit: would set it to 123 MW
        forged(Instruction(cycle, Target(123.0, 0.0)), claiming("cell0", "u0_0")),
        # reports "from" the worker's cells, directly and inside a batch
        forged(FlexReport(cycle, STATE), claiming("cell1", "core")),
        forged(Batch([[a["cell3"].aid, a["core"].aid, FlexReport(cycle, STATE)]]),
               {"sender_id": DISPATCH_AID, "sender_addr": worker, "receiver_id": DISPATCH_AID}),
        # malformed meta: a sender address that is a dict
        forged(FlexReport(cycle, STATE), claiming("u0_1", "cell0", {"host": "x"})),
        # a batch naming an unknown receiver, and a malformed item
        forged(Batch([[a["cell1"].aid, "agent999", FlexReport(cycle, STATE)], ["x"]]),
               {"sender_id": DISPATCH_AID, "sender_addr": worker, "receiver_id": DISPATCH_AID}),
        # honest meta: the outsider as itself
        forged(FlexReport(cycle, STATE), {"sender_id": "agent0", "sender_addr": outsider,
                                          "receiver_id": a["cell0"].aid}),
        forged(UnitsDone(cycle, 1), {"sender_id": "agent0", "sender_addr": home,
                                     "receiver_id": a["core"].aid}),
    ]


async def wait_for(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)


def test_forged_messages_during_an_open_cycle_are_dropped_and_counted():
    async def scenario():
        tree, states = four_cells()
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=20,
                             transport=TransportConfig(containers=2, processes=True))
        await runtime.start()
        try:
            runtime.build(tree)
            await runtime.attach()
            before = await runtime.run_cycle(CycleInput(0, 0, states))
            worker = runtime.workers.links[1].process
            os.kill(worker.pid, signal.SIGSTOP)  # cells 1 and 3 cannot report
            try:
                cycle = asyncio.create_task(runtime.run_cycle(CycleInput(0, 0, states)))
                core = runtime.core
                await wait_for(lambda: len(core.reports) == 2)  # cell0, cell2 reported
                frames = forgeries(runtime, ("127.0.0.1", 1))
                await asyncio.to_thread(send_frames, runtime.containers[0].addr, frames)
                await wait_for(lambda: runtime.stats.rejected >= len(frames))
                assert not cycle.done()  # nothing ended it
            finally:
                os.kill(worker.pid, signal.SIGCONT)
            after = await cycle
            return runtime, before, after, len(frames)
        finally:
            runtime.close()
            await asyncio.sleep(0.05)

    runtime, before, after, count = asyncio.run(scenario())
    assert after.results == before.results
    assert after.messages == before.messages
    assert after.rejected == count == runtime.stats.rejected


def test_a_container_of_the_run_cannot_speak_for_agents_of_another():
    """Even with the run's secret, an identity is (authenticated container, agent)."""

    async def scenario():
        tree, states = four_cells()
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=10)
        await runtime.start()
        insider = create_container(TransportConfig(), 9, runtime.session)
        await insider.start()
        try:
            runtime.build(tree)
            await runtime.attach()
            before = await runtime.run_cycle(CycleInput(0, 0, states))
            core = runtime.addresses["core"]
            cell0 = runtime.addresses["cell0"].aid
            for message in (FlexReport(1, STATE), AgentFailure(1, "cell0", "forged"),
                            UnitsDone(1, 0)):
                assert await insider.send_message(message, core, sender_id=cell0,
                                                   massca_to=core.protocol_addr)
            await wait_for(lambda: runtime.stats.rejected == 3)
            after = await runtime.run_cycle(CycleInput(0, 0, states))
            return runtime, before, after
        finally:
            runtime.close()
            close_container(insider)
            await asyncio.sleep(0.05)

    runtime, before, after = asyncio.run(scenario())
    assert runtime.stats.rejected == 3
    assert after.results == before.results


def test_an_outsider_container_with_mangos_own_codec_is_dropped():
    """A plain mango container (JSON, honest meta) reaches no agent."""

    async def scenario():
        tree, states = four_cells()
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=10)
        await runtime.start()
        outsider = create_tcp_container(("127.0.0.1", 0), auto_port=True)
        await outsider.start()
        try:
            runtime.build(tree)
            await runtime.attach()
            before = await runtime.run_cycle(CycleInput(0, 0, states))
            for address in runtime.addresses.values():
                assert await outsider.send_message("hello", address, sender_id="agent0")
            await wait_for(lambda: runtime.stats.rejected == len(runtime.addresses))
            after = await runtime.run_cycle(CycleInput(0, 0, states))
            return runtime, before, after
        finally:
            runtime.close()
            await outsider.shutdown()

    runtime, before, after = asyncio.run(scenario())
    assert runtime.stats.rejected == len(runtime.addresses)
    assert after.results == before.results
