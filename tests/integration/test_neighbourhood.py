"""Neighbourhood scheduling end to end: a real mosaik world, real mango containers (TCP,
JSON), the scenario command, the optional pandapower feeder.

    House(x6) --jobs, predictions--> Household(x6) (agents: keeper, consumers, producers)
    House(x6) <--contracts (weak, same step)-- Household(x6)
"""

from __future__ import annotations

import asyncio
import json
import warnings
from pathlib import Path

import mosaik
import numpy as np
import pandas as pd
import pytest
from mango import JSON, Agent, create_tcp_container

from mosaik_components.massca.scenarios import neighbourhood as scenario
from mosaik_components.massca_neighbourhood import (
    GRID,
    AgentSystem,
    Market,
    Scoreboard,
    SolverOptions,
    load_run,
    make_neighbourhood,
    read_neighbourhood,
    write_neighbourhood,
)
from mosaik_components.massca_neighbourhood.energy import actual_production
from mosaik_components.massca_neighbourhood.grid import build_feeder
from mosaik_components.massca_neighbourhood.messages import (
    MESSAGE_TYPES,
    JobRequest,
    Outcomes,
    RescheduleJob,
)
from mosaik_components.massca_neighbourhood.protocol import Contract
from mosaik_components.massca_neighbourhood.settlement import job_loads, settle
from mosaik_components.massca_neighbourhood.transport import (
    TO,
    Session,
    create_containers,
    send_now,
)

STEP = 900
NB = make_neighbourhood(houses=6, jobs=24, pv_share=0.5, seed=3)
SIM_CONFIG = {
    "Households": {"python": "mosaik_components.massca_neighbourhood.simulators:"
                             "HouseholdsSimulator"},
    "Agents": {"python": "mosaik_components.massca_neighbourhood.simulators:AgentsSimulator"},
}


def co_simulate(until: int) -> tuple[dict, dict, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. mosaik's "connection ... not recommended"
        world = mosaik.World(SIM_CONFIG, skip_greetings=True)
        with world:
            with world.group():
                households = world.start("Households", step_size=STEP, neighbourhood=NB,
                                         until=until)
                agents = world.start("Agents", step_size=STEP, neighbourhood=NB, until=until,
                                     method="descent", seed=2, containers=2)
            households.Neighbourhood()
            for house in NB.houses:
                entity, household = households.House(id=house.id), agents.Household(id=house.id)
                world.connect(entity, household, "jobs", "predictions")
                world.connect(household, entity, "contracts", weak=True)
            world.run(until=until, print_progress=False)
            return households.results(), agents.scores(), agents.stats()


def test_a_mosaik_world_with_mango_agents_runs_the_protocol_exactly():
    until = (NB.horizon() // STEP + 2) * STEP
    results, scores, stats = co_simulate(until)
    market = Market(NB, STEP, SolverOptions(method="descent"), Scoreboard(NB.id), seed=2)
    expected = market.run()
    contracts = {c["job"]: Contract(**c) for c in results["contracts"]}
    assert contracts == expected  # agents over TCP/JSON == the pure protocol
    assert scores == market.scoreboard.scores
    assert stats["messages"] == market.stats.messages and stats["rejected"] == 0
    jobs = {j.id: j for j in NB.jobs()}
    for job_id, contract in contracts.items():
        assert jobs[job_id].earliest <= contract.start <= jobs[job_id].latest
    assert any(c.producer != GRID for c in contracts.values())

    rows = pd.DataFrame([r for r in results["rows"] if r["entity"].startswith("House-")])
    assert len(rows) == len(NB.houses) * until // STEP
    balance = rows["E_pv[Wh]"] + rows["E_grid[Wh]"] - rows["E_demand[Wh]"]
    assert balance.abs().max() < 1e-9  # PV used + grid = demand, every house, every step
    assert np.isclose(rows["E_demand[Wh]"].sum(), sum(j.energy for j in jobs.values()))
    # the step-by-step settlement equals settling the final contracts over the whole run
    count = until // STEP
    production = {p.id: actual_production(p.predictions, count, STEP)
                  for _, p in NB.producers()}
    whole = settle(job_loads(jobs, contracts, 0, count, STEP), contracts, production)
    per_house = rows.groupby("entity")["E_pv[Wh]"].sum()
    for house in NB.houses:
        pv = sum(whole.job_pv[j].sum() for j in jobs if jobs[j].house == house.id)
        assert per_house[f"House-{house.id}"] == pytest.approx(pv, abs=1e-6)
    totals = pd.DataFrame([r for r in results["rows"] if r["entity"] == "neighbourhood"])
    produced = sum(p.sum() for p in production.values())
    assert totals["E_production[Wh]"].sum() == pytest.approx(produced)
    assert (totals["E_pv[Wh]"] + totals["E_surplus[Wh]"]).sum() == pytest.approx(produced)


def test_the_scenario_writes_runs_persists_scores_and_repeats_per_seed(tmp_path: Path):
    xml = write_neighbourhood(NB, tmp_path / "n.xml")
    argv = [str(xml), "--method", "descent", "--runs", "2", "--seed", "4", "--quiet"]
    assert scenario.cli([*argv, "--out", str(tmp_path / "a")]) == 0
    out = tmp_path / "a"
    for name in ("summary.json", "runs.parquet", "households.parquet", "runs.png",
                 "run-000/energy.png", "run-000/households.png", "run-001/scores.png"):
        assert (out / name).is_file(), name
    first, second = load_run(out / "run-000"), load_run(out / "run-001")
    assert second.scores["before"] == first.scores["after"]  # scores persist between runs
    saved = json.loads((out / f"scores-{NB.id}.json").read_text())["scores"]
    assert saved == second.scores["after"]
    summary = first.summary
    assert summary["pv_used_kWh"] == pytest.approx(first.households["E_pv_Wh"].sum() / 1000)
    assert summary["energy_balance_error_Wh"] < 1e-6
    assert summary["jobs_pv"] + summary["jobs_grid"] == len(first.jobs) == len(NB.jobs())
    assert (first.jobs["pv_Wh"] + first.jobs["grid_Wh"] - first.jobs["energy_Wh"]).abs().max() \
        < 1e-6
    assert summary["grid_kWh"] < summary["grid_only_kWh"]
    per_household = pd.read_parquet(out / "households.parquet")
    assert set(per_household["run"]) == {0, 1} and len(per_household) == 2 * len(NB.houses)
    # the same seed and the same starting scores give the same run
    assert scenario.cli([*argv, "--runs", "1", "--out", str(tmp_path / "b")]) == 0
    again = load_run(tmp_path / "b" / "run-000")
    pd.testing.assert_frame_equal(again.jobs, first.jobs)
    pd.testing.assert_frame_equal(again.households, first.households)


def test_bad_xml_fails_before_any_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    text = write_neighbourhood(NB, tmp_path / "n.xml").read_text()
    (tmp_path / "bad.xml").write_text(text.replace("<type>producer</type>",
                                                   "<type>windmill</type>", 1))
    assert scenario.cli([str(tmp_path / "bad.xml"), "--out", str(tmp_path / "o")]) == 1
    assert "<type> must be 'consumer' or 'producer', got 'windmill'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_houses_feed_a_pandapower_feeder(tmp_path: Path):
    assert scenario.cli(["--method", "descent", "--grid", "--no-plots", "--quiet", "--out",
                         str(tmp_path)]) == 0
    run = load_run(tmp_path / "run-000")
    summary = run.summary
    # the transformer sees the neighbourhood's net exchange plus the losses: its iron
    # losses all the time, and a little more in the cables and windings
    net = summary["import_kWh"] - summary["export_kWh"]
    measured = summary["grid_import_kWh"] - summary["grid_export_kWh"]
    houses = [h.id for h in read_neighbourhood(scenario.example_path()).houses]
    hours = len(run.neighbourhood) * STEP / 3600
    iron = float(build_feeder(houses).trafo.pfe_kw.iloc[0]) * hours
    throughput = summary["import_kWh"] + summary["export_kWh"]
    assert iron <= measured - net <= iron + 0.05 * throughput
    assert 0.9 < summary["min_voltage_pu"] <= 1.0 <= summary["max_voltage_pu"] < 1.1
    assert read_neighbourhood(scenario.example_path()).id in json.dumps(
        json.loads((tmp_path / "summary.json").read_text()))


class Stranger(Agent):
    def handle_message(self, content, meta):  # noqa: D102
        pass


def plain_codec() -> JSON:
    """mango's JSON codec with the neighbourhood's messages: the format, not sealed."""
    json = JSON()
    for message_type in MESSAGE_TYPES:
        json.add_serializer(*message_type.__serializer__())
    return json


def forged_messages(job, producer, consumer, keeper):
    """(message, receiver) pairs that would move a contract or a score if accepted."""
    return [(JobRequest(job.id, job.house, 0, 1, [0, 60], [0.0, 1.0]), producer.addr),
            (RescheduleJob(job.id, job.latest), consumer.addr),
            (Outcomes(job.id, [[producer.book.producer, True]]), keeper.addr)]


def test_messages_from_strangers_are_rejected_without_effect():
    """Plain frames (honest meta, or meta naming the keeper), frames sealed under another
    run's secret, and sealed frames of a container of this run that claim the keeper's
    aid or come from an agent outside the directory: none has an effect."""

    async def main() -> tuple[AgentSystem, dict, dict]:
        board = Scoreboard(NB.id)
        async with AgentSystem(NB, STEP, SolverOptions(method="descent"), board) as system:
            job = NB.jobs()[0]
            await system.negotiate(job, job.created // STEP * STEP)
            before = (dict(board.scores), dict(system.contracts()))
            plain = create_tcp_container(("127.0.0.1", 0), codec=plain_codec(),
                                         auto_port=True)
            other = Session()  # another run: its own secret
            other_run, = create_containers(1, session=other)
            this_run, = create_containers(1, session=system.session)
            outsiders = [plain, other_run, this_run]
            strangers = [c.register(Stranger()) for c in outsiders]
            for container in outsiders:
                await container.start()
            try:
                producer = next(iter(system.producers.values()))
                forged = forged_messages(job, producer, system.consumers[job.house],
                                         system.keeper)
                keeper_addr = system.keeper.addr.protocol_addr
                for cid, addr in system.session.peers().items():  # ids are not secret
                    other.add_peer(addr, cid)
                for message, receiver in forged:
                    await plain.send_message(message, receiver, sender_id="stranger")
                    await plain.send_message(message, receiver, sender_id="keeper",
                                             sender_addr=keeper_addr)
                    await send_now(strangers[1], message, receiver)
                    await send_now(strangers[2], message, receiver)
                    await this_run.send_message(message, receiver, sender_id="keeper",
                                                **{TO: receiver.protocol_addr})
                for _ in range(100):
                    if system.rejected >= 15:
                        break
                    await asyncio.sleep(0.01)
            finally:
                for container in outsiders:
                    await container.shutdown()
            return system, before, (dict(board.scores), system.contracts())

    system, before, after = asyncio.run(main())
    # the plain frames and the other run's: dropped by the envelope, unread
    assert system.frames.rejected == 9
    # this run's container: authentic, but neither from the keeper nor from a known agent
    assert system.stats.rejected == 6
    assert after == before
