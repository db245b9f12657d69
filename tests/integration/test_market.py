"""The local energy market with real mango containers and real mosaik worlds.

    Weather --GHI/T_air--> Homes --E[kWh]--> HomeAgents --orders--> Market(s) <-- Events
"""

import asyncio
import json
import math
import random

import mosaik
import pandas as pd
import pytest
from mango import JSON, Agent, create_tcp_container

from mosaik_components.massca.data import data_dir
from mosaik_components.massca.scenarios import market
from mosaik_components.massca_market import (
    Community,
    MarketConfig,
    MarketConfigError,
    MarketTimeoutError,
    validate,
)
from mosaik_components.massca_market.agents import (
    Containers,
    MarketRuntime,
    OrderMessage,
    send,
)
from mosaik_components.massca_market.core.clearing import MarketBook
from mosaik_components.massca_market.core.config import PolicySpec, PriceParams, Tariffs
from mosaik_components.massca_market.core.policy import Order
from mosaik_components.massca_market.results import write_plots
from mosaik_components.massca_units.timeseries import TimeSeries

DATA = data_dir()


# -- exactly once, with real agents -----------------------------------------------------
class Intruder(Agent):
    """An agent that is not a registered home."""


def test_orders_are_applied_exactly_once_with_concurrent_duplicates_and_retries():
    # GIVEN 120 home agents over two TCP containers (most orders cross TCP), one market
    homes = 120
    rng = random.Random(4)
    cfg = validate(MarketConfig, {"homes": [
        {"policy": rng.choice(["sell", "give", "hold"]), "demand": rng.choice(["buy", "ask"])}
        for _ in range(homes)], "scope": "system"})

    async def scenario():
        runtime = MarketRuntime(containers=2, timeout=20.0, placement="spread")
        await runtime.start()
        try:
            book = MarketBook(cfg.price, cfg.tariffs)  # the reference, fed unique orders
            market = runtime.add_market("market", cfg.price, cfg.tariffs)
            agents = [runtime.add_home(f"home_{i}", "market", cfg.homes[i].policy_spec())
                      for i in range(homes)]
            intruder = runtime.containers.items[1].register(Intruder())
            copies = 0
            bills = [0.0] * homes
            for period in range(6):
                residuals = {f"home_{i}": rng.choice([0.0, rng.uniform(-2, 2)])
                             for i in range(homes)}
                chosen = rng.sample(agents, 40)

                async def duplicate(period=period, chosen=chosen):
                    # WHEN copies of orders race the originals (and the clearing)
                    while any(a.pending is None or a.pending[0] != period for a in chosen):
                        await asyncio.sleep(0)
                    await asyncio.gather(*(a.resend() for a in chosen for _ in range(2)))

                report, _ = await asyncio.gather(
                    runtime.run_period(period, residuals, 20.0, [], concurrent=True),
                    duplicate())
                copies += 2 * len(chosen)
                # a retry after the settlement (a lost acknowledgement) and an intruder
                await agents[period].resend()
                copies += 1
                assert await send(intruder, OrderMessage(period, "buy", 99.0), market.addr)
                orders = {a.home_id: a.pending[1] for a in agents}
                expected = book.clear(period, orders, 20.0, [])
                # THEN every home got exactly its share of the unique orders, once
                assert report.clearings["market"].fills == expected.fills
                assert report.fills == expected.fills
                assert report.clearings["market"].price == expected.price
                for i, agent in enumerate(agents):
                    bills[i] += expected.fills[f"home_{i}"].cost
                    assert agent.settled_period == period
            await asyncio.sleep(0.2)  # let the last copies arrive
            assert market.duplicates == copies
            assert market.rejected == 6  # the intruder's orders, without effect
            assert [a.bill for a in agents] == pytest.approx(bills, abs=1e-12)
            assert all(a.duplicates == 0 and a.rejected == 0 for a in agents)
        finally:
            await runtime.close()

    asyncio.run(scenario())


def test_frames_from_outside_the_run_are_dropped_whoever_they_claim_to_be():
    """A plain mango container that names a home as its sender, and a container sealed
    under another run's secret: their orders never reach the market."""
    async def scenario():
        cfg = validate(MarketConfig, {"homes": [{"policy": "sell"}, {"demand": "buy"}],
                                      "scope": "system"})
        runtime = MarketRuntime(containers=2, placement="spread")
        await runtime.start()
        json = JSON()
        json.add_serializer(*OrderMessage.__serializer__())
        plain = create_tcp_container(("127.0.0.1", 0), codec=json, auto_port=True)
        other = Containers(1)
        try:
            market = runtime.add_market("market", cfg.price, cfg.tariffs)
            homes = [runtime.add_home(f"home_{i}", "market", cfg.homes[i].policy_spec())
                     for i in range(2)]
            stranger = other.items[0].register(Intruder())
            await plain.start()
            await other.start()
            for cid, addr in runtime.containers.session.peers().items():  # ids are public
                other.session.add_peer(addr, cid)
            home = homes[1].addr  # in the second container: its orders cross TCP
            forged = OrderMessage(0, "buy", 99.0)
            await plain.send_message(forged, market.addr, sender_id=home.aid,
                                     sender_addr=home.protocol_addr)
            assert await send(stranger, forged, market.addr)
            for _ in range(100):
                if runtime.containers.frames.rejected >= 2:
                    break
                await asyncio.sleep(0.01)
            assert runtime.containers.frames.rejected == 2
            assert market.orders == {} and market.rejected == 0
            report = await runtime.run_period(0, {"home_0": 1.0, "home_1": -1.0}, 20.0, [])
            assert report.rejected == 0  # counted when they came, not in this period
            assert report.fills["home_1"].bought == pytest.approx(1.0)
        finally:
            await plain.shutdown()
            await other.stop()
            await runtime.close()

    asyncio.run(scenario())


def test_a_home_that_stays_silent_fails_the_period_naming_it():
    async def scenario():
        runtime = MarketRuntime(timeout=0.5)
        await runtime.start()
        try:
            runtime.add_market("m", PriceParams(), Tariffs())
            runtime.add_home("home_0", "m", PolicySpec())
            runtime.add_home("home_1", "m", PolicySpec())

            async def silent(period):  # home_1 never sends its order
                return Order("idle", 0.0)

            runtime.homes["home_1"].submit = silent
            with pytest.raises(MarketTimeoutError,
                               match=r"period 0 .*m has no order from home_1"):
                await runtime.run_period(0, {"home_0": 1.0, "home_1": 0.0}, 20.0, [])
        finally:
            await runtime.close()

    asyncio.run(scenario())


# -- the mosaik scenario ----------------------------------------------------------------
HOMES = [
    {"cell": 0, "policy": "sell", "pv_kwp": 6.0, "stock_kwh": 5.0, "stock_kw": 2.5},
    {"cell": 0, "policy": "give", "pv_kwp": 4.0},
    {"cell": 0, "policy": "hold", "ttl": 2, "pv_kwp": 5.0, "demand": "ask"},
    {"cell": 0, "demand": "ask", "load": "random", "load_max_kw": 1.5},
    {"cell": 1, "demand": "buy", "load": "profile", "load_peak_kw": 1.2, "load_noise": 0.2},
    {"cell": 1, "policy": "give", "pv_kwp": 3.0, "load": "profile", "load_peak_kw": 0.8},
    {"cell": 1, "demand": "ask", "stock_kwh": 8.0, "stock_kw": 3.0, "pv_kwp": 2.0},
]


def run_scenario(tmp_path, name, config=None, *options):
    out = tmp_path / name
    argv = ["--start", "2019-06-21 06:00", "--until", str(12 * 3600), "--quiet", "--no-plots",
            "--out", str(out), *options]
    if config is not None:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(config))
        argv += ["--config", str(path)]
    return market.main(argv), out


def reference(out, start="2019-06-21 06:00", periods=48):
    """The agent-free run of the configuration the scenario wrote, on the same data."""
    cfg = validate(MarketConfig, json.loads((out / "market_config.json").read_text()))
    weather = TimeSeries(DATA / "weather_15min.csv", ["temp_air", "ghi"], start)
    profile = TimeSeries(DATA / "load_profiles_15min.csv", ["h0"], start)
    community = Community(cfg)
    outcomes = []
    for p in range(periods):
        temp, ghi = weather.row(p * cfg.step_s)
        outcomes.append(community.step(p, float(temp), float(ghi),
                                       float(profile.row(p * cfg.step_s)[0])))
    return outcomes


def test_the_scenario_runs_agents_in_mosaik_exactly_as_the_reference(tmp_path):
    # GIVEN two cells with a market each, all policies, PV, stocks, profile and random loads
    config = {"homes": HOMES, "scope": "cell", "events": {"rate_per_day": 8.0}}
    summary, out = run_scenario(tmp_path, "cells", config)
    trades = pd.read_csv(out / "trades.csv")
    # THEN every period's price and every home's fill equal the agent-free reference
    for outcome in reference(out):
        time = outcome.period * 900
        mine = trades[trades["time"] == time].set_index("home")
        for clearing in outcome.clearings.values():
            for home, fill in clearing.fills.items():
                if fill.mode == "idle":
                    assert home not in mine.index
                    continue
                row = mine.loc[home]
                assert row["mode"] == fill.mode
                assert row["price"] == pytest.approx(clearing.price.price, rel=1e-12)
                for column, value in (("bought", fill.bought), ("sold", fill.sold),
                                      ("given", fill.given), ("received", fill.received),
                                      ("imported", fill.imported), ("exported", fill.exported),
                                      ("paid", fill.paid), ("earned", fill.earned)):
                    assert row[column] == pytest.approx(value, rel=1e-12, abs=1e-15)
    # AND the KPIs, recomputed from the time series, conserve energy and money
    assert summary["periods"] == 48 and summary["markets"] == 2
    assert summary["balance_error_home_kWh"] < 1e-9
    assert summary["balance_error_market_kWh"] < 1e-9
    assert summary["balance_error_money_EUR"] < 1e-9
    assert summary["traded_kWh"] > 0 and summary["gifted_kWh"] > 0
    assert summary["welfare_EUR"] == pytest.approx(summary["welfare_EUR_markets"], abs=1e-9)
    spread = 0.32 - 0.08
    assert summary["welfare_EUR"] == pytest.approx(
        spread * (summary["traded_kWh"] + summary["gifted_kWh"]), rel=1e-9)
    assert summary["import_kWh"] < summary["import_kWh_without_market"]
    assert summary["self_sufficiency"] > summary["self_sufficiency_without_market"]
    # O(homes): every home sends one order, every home with a trade gets one settlement
    frame = pd.read_csv(out / "timeseries.csv")
    messages = frame[frame["attr"] == "messages"].groupby("time")["value"].sum()
    traders = trades.groupby("time")["home"].count().reindex(messages.index, fill_value=0)
    assert (messages == len(HOMES) + traders).all()
    assert (traders < len(HOMES)).any()  # some homes were idle (their stock covered them)
    gifts = pd.read_csv(out / "gifts.csv")
    assert gifts["kWh"].sum() == pytest.approx(summary["gifted_kWh"], rel=1e-9)


def test_same_seed_same_run_other_seed_other_run_and_plots(tmp_path):
    options = ["--homes", "10", "--cells", "1", "--market", "system", "--until", "21600",
               "--seed", "3"]
    _, first = run_scenario(tmp_path, "a", None, *options)
    _, second = run_scenario(tmp_path, "b", None, *options)
    summary, third = run_scenario(tmp_path, "c", None, *options[:-1], "4")
    for name in ("timeseries.csv", "trades.csv", "gifts.csv"):
        assert (first / name).read_text() == (second / name).read_text()
    assert (first / "trades.csv").read_text() != (third / "trades.csv").read_text()
    frame = pd.read_csv(first / "timeseries.csv")
    config = validate(MarketConfig, json.loads((first / "market_config.json").read_text()))
    paths = write_plots(frame, market_meta(first, config), config, first,
                               pd.Timestamp("2019-06-21 06:00"))
    assert [p.name for p in paths] == ["price.png", "energy.png", "stock.png", "bills.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)


def market_meta(out, config):
    """The results' entity map of a single-simulator run (as the scenario builds it)."""
    return {"markets": {"market": "Market-0.Market_0"},
            "homes": {f"home_{i}": {"unit": f"Homes-0.home_{i}", "agent": f"Market-0.home_{i}",
                                    "policy": h.policy, "demand": h.demand, "market": "market",
                                    "stock_kwh": h.stock_kwh, "pv_kwp": h.pv_kwp}
                      for i, h in enumerate(config.homes)}}


def test_an_event_moves_the_price_for_exactly_its_ttl_in_mosaik(tmp_path):
    wide = ["--import-tariff", "5", "--export-tariff", "0", "--event-rate", "0", "--homes",
            "8", "--market", "system"]
    _, plain = run_scenario(tmp_path, "plain", None, *wide)
    _, moved = run_scenario(tmp_path, "moved", None, *wide, "--event", "plant_outage@10")

    def prices(out):
        frame = pd.read_csv(out / "timeseries.csv")
        return frame[frame["attr"] == "price[EUR/kWh]"].set_index("time")["value"]

    a, b = prices(plain), prices(moved)
    changed = sorted(int(t) // 900 for t in a.index if a[t] != b[t])
    assert changed == [10, 11, 12, 13]  # plant_outage: ttl 4
    assert all(math.isclose(b[p * 900], 1.5 * a[p * 900]) for p in changed)


# -- bad input: clear errors before the run -----------------------------------------
@pytest.mark.parametrize(("home", "field"), [
    ({"policy": "steal"}, "config.homes.0.policy"),
    ({"pv_kwp": -2.0}, "config.homes.0.pv_kwp"),
    ({"stock_kw": "fast"}, "config.homes.0.stock_kw"),
])
def test_a_bad_config_fails_before_any_simulator_starts(tmp_path, capsys, home, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"homes": [home]}))
    status = market.cli(["--config", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert status == 1
    assert field in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written


def test_bad_options_are_named(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        market.parse_args(["--policies", "sell=1,steal=2"])
    assert info.value.code == 2
    assert "unknown 'steal'" in capsys.readouterr().err
    status = market.cli(["--event", "meteor@3", "--out", str(tmp_path / "o"), "--quiet"])
    assert status == 1 and "unknown event 'meteor'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        market.parse_args(["--pv-share", "1.5"])
    assert "--pv-share: must be within [0, 1], got 1.5" in capsys.readouterr().err


def test_the_simulators_refuse_bad_params_at_start_and_create():
    world = mosaik.World(market.SIM_CONFIG)
    try:
        with pytest.raises(MarketConfigError, match=r"tariffs.import_eur_kwh"):
            world.start("Market", tariffs={"import_eur_kwh": -1.0})
        sim = world.start("Market", step_size=900)
        with pytest.raises(MarketConfigError, match=r"HomeAgent market must be the eid"):
            sim.HomeAgent(market="nowhere")
        with pytest.raises(MarketConfigError, match=r"unknown event 'meteor'"):
            world.start("Events").Events(scheduled=[{"kind": "meteor", "period": 1}])
        with pytest.raises(MarketConfigError, match=r"Home.stock_kwh"):
            world.start("Homes").Home(stock_kwh=-5.0)
    finally:
        world.shutdown()


# -- the market simulator as a mosaik cmd subprocess -------------------------------------
def test_the_market_runs_as_a_cmd_subprocess(tmp_path):
    config = {**market.SIM_CONFIG,
              "Market": {"cmd": "%(python)s -m mosaik_components.massca_market.sims.market "
                                "%(addr)s"}}
    world = mosaik.World(config)
    try:
        weather = world.start("Weather", step_size=900).Weather(
            path=str(DATA / "weather_15min.csv"), start="2019-06-21 10:00")
        homes = world.start("Homes", step_size=900, seed=1)
        sim = world.start("Market", step_size=900, until=4 * 900)
        place = sim.Market()
        world.connect(weather, place, "T_air[degC]")
        units = [homes.Home(hid="seller", pv_kwp=5.0), homes.Home(hid="buyer")]
        world.connect(weather, units[0], "GHI[W/m2]")
        agents = [sim.HomeAgent(hid="seller", market=place.eid),
                  sim.HomeAgent(hid="buyer", market=place.eid)]
        for unit, agent in zip(units, agents, strict=True):
            world.connect(unit, agent, "E[kWh]")
        world.run(until=4 * 900, print_progress=False, shutdown=False)
        ledger = sim.get_ledger()
        stats = sim.get_stats()
    finally:
        world.shutdown()
    # mosaik only logs a cmd simulator's errors: check what it produced
    assert stats["messages"] == [4, 4, 4, 4]
    modes = {(row[2], row[3]) for row in ledger["trades"]}
    assert modes == {("seller", "sell"), ("buyer", "buy")}
    sold = sum(row[5] for row in ledger["trades"])
    bought = sum(row[4] for row in ledger["trades"])
    assert sold == pytest.approx(bought) and sold > 0


def test_the_grid_carries_what_the_markets_pass_on_plus_losses(tmp_path):
    # GIVEN the homes on two CIGRE MV feeders (their own loads and generators switched off)
    summary, out = run_scenario(tmp_path, "grid", {"homes": HOMES}, "--grid",
                                "--until", str(6 * 3600))
    frame = pd.read_csv(out / "timeseries.csv")
    flow = frame[(frame["attr"] == "P[MW]") & (frame["entity"].str.endswith("ExternalGrid-0"))]
    markets = frame[frame["attr"].isin(["import[kWh]", "export[kWh]"])
                    & frame["entity"].str.contains(r"\.Market_")]
    passed = (markets[markets["attr"] == "import[kWh]"].groupby("time")["value"].sum()
              - markets[markets["attr"] == "export[kWh]"].groupby("time")["value"].sum())
    # THEN the power flow's exchange is the markets' net grid import plus small losses
    exchange_kwh = flow.set_index("time")["value"] * 1000 * 0.25
    losses = exchange_kwh - passed
    assert len(losses) == 24 and (losses > 0).all() and (losses < 1.0).all()
    assert summary["grid_losses_kWh"] == pytest.approx(losses.sum(), rel=1e-9)
    assert 0.95 < summary["min_voltage_pu"] <= summary["max_voltage_pu"] < 1.05
