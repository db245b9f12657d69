"""Loopback by default, remote binding only on request, JSON only, outsiders rejected."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import pytest
from mango import Agent
from mango.messages.codecs import JSON

from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.mas.model.flexibility import Flex, Target, UnitState
from mosaik_components.mas.mosaik.config import parse_config
from mosaik_components.mas.protocol.messages import AgentFailure, FlexReport, Instruction, UnitsDone
from mosaik_components.mas.runtime.runtime import CycleInput, MasRuntime
from mosaik_components.mas.runtime.transport import (
    TransportConfig,
    close_container,
    create_container,
)
from mosaik_components.mas.strategies import BalanceStrategy
from mosaik_components.mas.strategies.cohda.model import Objective
from mosaik_components.mas.strategies.cohda.protocol import Participant, Start, Update
from mosaik_components.mas.strategies.cohda.weight import ONE
from mosaik_components.mas.strategies.coordination import StrategyCoordination
from tests.integration.test_scale_out import four_cells


class Outsider(Agent):
    """An agent that is not part of the tree."""

    def handle_message(self, content, meta):
        pass


def test_default_binding_is_loopback_and_the_codec_is_json():
    config = parse_config({})
    assert config.transport.transport.host == "127.0.0.1"
    container = create_container(config.transport)
    assert type(container.codec) is JSON  # no pickle of anything received


def test_non_loopback_needs_allow_remote_and_warns(caplog):
    with pytest.raises(ConfigError, match="needs allow_remote=True"):
        parse_config({"host": "127.0.0.2"})
    config = parse_config({"host": "127.0.0.2", "allow_remote": True})
    with caplog.at_level(logging.WARNING, logger="mosaik_components.mas.runtime.transport"):
        create_container(config.transport)
    assert "binds to non-loopback address 127.0.0.2" in caplog.text


def a_valid_update() -> Update:
    participant = Participant(0, np.array([[1.0]]), [1])
    participant.start(Start(0, Objective.of([1.0]), 2, ONE))
    (_, update), = participant.flush()[0]
    return update


def test_messages_from_agents_outside_the_tree_are_rejected_and_counted():
    forged = [
        FlexReport(1, UnitState(Flex(9.0, 0.0, 9.0))),
        Instruction(1, Target(9.0, 0.0)),
        AgentFailure(1, "cell0", "forged failure"),
        UnitsDone(1, 1),
        Start(0, Objective.of([1.0]), 2, ONE),
        a_valid_update(),
    ]

    async def scenario():
        tree, states = four_cells()
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=10)
        await runtime.start()
        outsider_container = create_container(TransportConfig())
        await outsider_container.start()
        try:
            runtime.build(tree)
            await runtime.attach()
            before = await runtime.run_cycle(CycleInput(0, 0, states))
            outsider = Outsider()
            outsider_container.register(outsider)
            for agent in runtime.agents.values():  # every kind to every tree agent, by TCP
                for message in forged:
                    assert await outsider.send_message(message, agent.addr)
            for _ in range(100):
                if runtime.stats.rejected == len(runtime.agents) * len(forged):
                    break
                await asyncio.sleep(0.02)
            after = await runtime.run_cycle(CycleInput(900, 0, states))
            return runtime, before, after
        finally:
            runtime.close()
            close_container(outsider_container)
            await asyncio.sleep(0.05)

    runtime, before, after = asyncio.run(scenario())
    assert runtime.stats.rejected == len(runtime.agents) * len(forged)
    # nothing changed
    assert after.results == before.results and after.messages == before.messages
