"""The local energy market: homes buy, sell or give energy; markets set the price.

    Weather --GHI--> Site --> Homes --E[kWh]--> HomeAgents --orders--> Market agent(s)
    Weather --T_air[degC]--> Markets <--events-- Events
    Homes --P_gen/P_load[MW]--> Grid (with --grid: one CIGRE MV feeder per cell)

Homes (PV, a stock, consumption from the BDEW h0 profile or a seeded random range) are a
mosaik unit simulator; their residual energy goes to one mango agent per home, which
orders by its policy (sell, give, or hold; buy or ask) from the market of its cell (or
one market for the system). Markets clear every period, set the price from the balance
of bids and offers, the temperature and the active external events, and settle every
home; what they cannot match goes to the external grid at its tariffs. Writes
``timeseries.csv``, ``trades.csv``, ``gifts.csv``, ``market_config.json``,
``summary.json`` and PNG plots to ``--out``::

    massca market --homes 40 --cells 4 --days 1 --out results/market
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import sys
import time as clock
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mosaik
import pandas as pd

from mosaik_components.massca_market.core.config import MarketConfig, validate
from mosaik_components.massca_market.core.engine import home_ids, market_of
from mosaik_components.massca_market.errors import MarketConfigError, MarketError
from mosaik_components.massca_market.results import summarize, write_plots

from ..data import data_dir

DATA = data_dir()
SIM_CONFIG = {
    "Weather": {"python": "mosaik_components.massca_units.timeseries:WeatherSimulator"},
    "Profiles": {"python": "mosaik_components.massca_units.timeseries:ProfileSimulator"},
    "Homes": {"python": "mosaik_components.massca_market.sims.homes:HomeSimulator"},
    "Market": {"python": "mosaik_components.massca_market.sims.market:MarketSimulator"},
    "Events": {"python": "mosaik_components.massca_market.sims.events:EventSimulator"},
    "Recorder": {"python": "mosaik_components.massca_results.recorder:TidyRecorder"},
    "Grid": {"python": "mosaik_components.massca_grid:GridSimulator"},
}
POLICIES = ("sell", "give", "hold")
DEMANDS = ("buy", "ask")
HOME_RECORDED = ("E[kWh]", "P_load[kW]", "P_pv[kW]", "P_stock[kW]", "stock[kWh]")
AGENT_RECORDED = ("bought[kWh]", "sold[kWh]", "given[kWh]", "received[kWh]", "import[kWh]",
                  "export[kWh]", "cost[EUR]", "bill[EUR]")


def int_at_least(minimum: int) -> Any:
    """An argparse type: an integer >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def timestamp(text: str) -> pd.Timestamp:
    """Parse a timestamp such as '2019-06-21' or '2019-06-21 06:00' (argparse type)."""
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a timestamp: {text!r}") from None


def mix(choices: tuple[str, ...]) -> Any:
    """An argparse type: ``name=weight,...`` over ``choices`` (weights >= 0, sum > 0)."""
    def parse(text: str) -> dict[str, float]:
        weights: dict[str, float] = {}
        for part in text.split(","):
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in choices:
                raise argparse.ArgumentTypeError(
                    f"unknown {name!r} in {text!r}; choose from {', '.join(choices)}")
            try:
                weight = float(value)
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"{name}: weight must be a number, got {value!r}") from None
            if not 0 <= weight < float("inf"):
                raise argparse.ArgumentTypeError(f"{name}: weight must be >= 0 and finite, "
                                                 f"got {value!r}")
            weights[name] = weight
        if sum(weights.values()) <= 0:
            raise argparse.ArgumentTypeError(f"the weights of {text!r} must add up to > 0")
        return weights

    return parse


def scheduled_event(text: str) -> dict[str, Any]:
    """An argparse type: ``KIND@PERIOD`` (the kind is checked with the configuration)."""
    kind, _, period = text.partition("@")
    try:
        return {"kind": kind, "period": int(period)}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected KIND@PERIOD (e.g. plant_outage@72), got "
                                         f"{text!r}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; errors name the option and the value."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--homes", type=positive_int, default=40, help="number of homes")
    p.add_argument("--cells", type=positive_int, default=4, help="cells the homes are in")
    p.add_argument("--market", choices=["cell", "system"], default="cell",
                   help="one market per cell or one for the system")
    p.add_argument("--start", type=timestamp, default=pd.Timestamp("2019-06-21"),
                   help="start (site local standard time, 2019)")
    span = p.add_mutually_exclusive_group()
    span.add_argument("--days", type=positive_int, default=None, help="simulated days (1)")
    span.add_argument("--until", type=positive_int, default=None, help="simulated seconds")
    p.add_argument("--step", type=positive_int, default=900, help="period length in s")
    p.add_argument("--seed", type=non_negative_int, default=42, help="seed of every choice")
    p.add_argument("--policies", type=mix(POLICIES), default="sell=0.4,give=0.2,hold=0.4",
                   help="mix of surplus policies, e.g. sell=0.4,give=0.2,hold=0.4")
    p.add_argument("--demand", type=mix(DEMANDS), default="buy=0.6,ask=0.4",
                   help="mix of demand policies, e.g. buy=0.6,ask=0.4")
    p.add_argument("--ttl", type=positive_int, default=4,
                   help="periods a 'hold' home waits for a taker before it sells")
    p.add_argument("--load", choices=["profile", "random"], default="profile",
                   help="consumption: BDEW h0 profile with noise, or a random range")
    p.add_argument("--pv-share", type=float, default=0.6, help="share of homes with PV")
    p.add_argument("--stock-share", type=float, default=0.4,
                   help="share of homes with a stock (home storage)")
    p.add_argument("--price-ref", type=float, default=0.20, help="reference price EUR/kWh")
    p.add_argument("--kappa", type=float, default=0.04, help="log price move per period at "
                   "full imbalance")
    p.add_argument("--theta", type=float, default=0.1, help="reversion per period")
    p.add_argument("--beta-heat", type=float, default=0.01, help="price rise per K below "
                   "--t-heat")
    p.add_argument("--beta-cool", type=float, default=0.01, help="price rise per K above "
                   "--t-cool")
    p.add_argument("--t-heat", type=float, default=15.0, help="degC")
    p.add_argument("--t-cool", type=float, default=24.0, help="degC")
    p.add_argument("--import-tariff", type=float, default=0.32, help="EUR/kWh")
    p.add_argument("--export-tariff", type=float, default=0.08, help="EUR/kWh")
    p.add_argument("--event-rate", type=float, default=4.0, help="random events per day")
    p.add_argument("--event", type=scheduled_event, action="append", default=[],
                   help="schedule an event KIND@PERIOD (repeatable)")
    p.add_argument("--config", type=Path, default=None,
                   help="a JSON MarketConfig (homes, scope, prices, events); replaces the "
                        "population and price options")
    p.add_argument("--grid", action="store_true",
                   help="co-simulate the grid: each cell is a CIGRE MV feeder whose "
                        "residential buses carry its homes' residuals (pandapower)")
    p.add_argument("--containers", type=positive_int, default=1, help="mango containers")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds a period may take")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--out", type=Path, default=Path("results/market"))
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    args.until = args.until if args.until is not None else 86400 * (args.days or 1)
    if args.until < args.step:
        p.error(f"argument --until: {args.until} s is shorter than --step {args.step} s")
    if args.step % 900:
        p.error(f"argument --step: the data is at 15 min; use a multiple of 900, got "
                f"{args.step}")
    for name in ("pv_share", "stock_share"):
        if not 0 <= getattr(args, name) <= 1:
            p.error(f"argument --{name.replace('_', '-')}: must be within [0, 1], got "
                    f"{getattr(args, name)}")
    return args


def population(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The homes, drawn with the seed: cell, policies, PV, stock, consumption."""
    rng = random.Random(f"population/{args.seed}")
    policies, demands = list(args.policies), list(args.demand)
    homes = []
    for index in range(args.homes):
        home: dict[str, Any] = {
            "cell": index * args.cells // args.homes,
            "policy": rng.choices(policies, [args.policies[k] for k in policies])[0],
            "demand": rng.choices(demands, [args.demand[k] for k in demands])[0],
            "ttl": args.ttl,
            "load": args.load,
        }
        if args.load == "profile":  # h0 averages ~0.53 of its peak: ~3.7 MWh a year
            home.update(load_peak_kw=rng.uniform(0.6, 1.0), load_noise=0.3)
        else:
            home.update(load_min_kw=0.1, load_max_kw=rng.uniform(0.6, 1.0))
        if rng.random() < args.pv_share:
            home["pv_kwp"] = round(rng.uniform(3.0, 8.0), 1)
        if rng.random() < args.stock_share:
            capacity = round(rng.uniform(5.0, 10.0), 1)
            home.update(stock_kwh=capacity, stock_kw=capacity / 2, stock_efficiency=0.9,
                        stock_init=round(rng.uniform(0.2, 0.8), 2))
        homes.append(home)
    return homes


def configure(args: argparse.Namespace) -> MarketConfig:
    """The validated configuration of the run (raises MarketConfigError naming the field)."""
    if args.config is not None:
        try:
            data = json.loads(args.config.read_text())
        except (OSError, ValueError) as exc:
            raise MarketConfigError(f"--config {str(args.config)!r}: {exc}") from None
        data = {"step_s": args.step, "seed": args.seed, "timeout_s": args.timeout,
                "containers": args.containers, **data}
        return validate(MarketConfig, data, where="config")
    return validate(MarketConfig, {
        "homes": population(args),
        "scope": args.market,
        "step_s": args.step,
        "seed": args.seed,
        "tariffs": {"import_eur_kwh": args.import_tariff,
                    "export_eur_kwh": args.export_tariff},
        "price": {"reference": args.price_ref, "kappa": args.kappa, "theta": args.theta,
                  "beta_heat": args.beta_heat, "beta_cool": args.beta_cool,
                  "t_heat": args.t_heat, "t_cool": args.t_cool},
        "events": {"rate_per_day": args.event_rate, "scheduled": args.event},
        "timeout_s": args.timeout,
        "containers": args.containers,
    })


@dataclass
class World:
    """Handles to what a run created (for results and tests)."""

    world: mosaik.World
    config: MarketConfig
    markets: dict[str, Any] = field(default_factory=dict)
    homes: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, Any] = field(default_factory=dict)
    market_sim: Any = None
    recorder: Any = None
    grid: dict[str, Any] = field(default_factory=dict)
    weather: Any = None
    events: Any = None


def build(config: MarketConfig, start: pd.Timestamp, until: int, out: Path | None = None,
          fmt: str = "csv", record: bool = True, grid: bool = False) -> World:
    """Create the mosaik world: weather, profile, events, homes, market agents, recorder.

    ``record=False`` leaves out the recorder and the per-home ledger (for benchmarks);
    ``grid=True`` adds the power flow (see :func:`_grid`).
    """
    world = mosaik.World(SIM_CONFIG, debug=False)
    try:
        w = _populate(World(world, config), str(start), until, record)
        if grid:
            _grid(w)
        if record:
            _record(w, str(start), out or Path("results/market"), fmt)
        return w
    except BaseException:
        world.shutdown()
        raise


def _populate(w: World, start: str, until: int, record: bool) -> World:
    world, config, step = w.world, w.config, w.config.step_s
    w.weather = weather = world.start("Weather", step_size=step).Weather(
        path=str(DATA / "weather_15min.csv"), start=start)
    w.events = events = world.start("Events", step_size=step, seed=config.seed).Events(
        **config.events.model_dump())
    homes_sim = world.start("Homes", step_size=step, seed=config.seed)
    w.market_sim = world.start(
        "Market", step_size=step, tariffs=config.tariffs.model_dump(),
        price=config.price.model_dump(), timeout=config.timeout_s,
        containers=config.containers, host=config.host, until=until, ledger=record)
    site = homes_sim.Site()  # weather and profile reach every home through one site
    world.connect(weather, site, "GHI[W/m2]")
    if any(home.load == "profile" for home in config.homes):
        profile = world.start("Profiles", step_size=step).LoadProfile(
            path=str(DATA / "load_profiles_15min.csv"), start=start, column="h0")
        world.connect(profile, site, "P_pu")
    for market_id in sorted({market_of(config, i) for i in range(len(config.homes))}):
        market = w.market_sim.Market()
        w.markets[market_id] = market
        world.connect(weather, market, "T_air[degC]")
        world.connect(events, market, "events")
    for index, (hid, home) in enumerate(zip(home_ids(config), config.homes, strict=True)):
        unit = homes_sim.Home(hid=hid, site=site.eid, **home.spec().model_dump())
        agent = w.market_sim.HomeAgent(hid=hid, market=w.markets[market_of(config, index)].eid,
                                       **home.policy_spec().model_dump())
        world.connect(unit, agent, "E[kWh]")
        w.homes[hid], w.agents[hid] = unit, agent
    return w


def _grid(w: World) -> None:
    """One CIGRE MV feeder per cell (``build_cells``); homes on its residential buses.

    The feeders' own loads and generators are switched off: the grid carries the homes'
    residuals only (each home on one residential bus of its cell, in turn), so the power
    flow shows what the community exchanges physically, losses included.
    """
    from mosaik_components.massca_grid.cells import build_cells

    config, world = w.config, w.world
    cells = config.cells()
    net = build_cells(len(cells))
    grid_sim = world.start("Grid", step_size=config.step_s)
    grid = grid_sim.Grid(net=net)
    entities = {e.eid: e for e in grid.children}
    grid_sim.disable_elements([f"Load-{i}" for i in net.load.index]
                              + [f"StaticGen-{i}" for i in net.sgen.index])
    residential = net.load[net.load["load_class"] == "residential"]
    buses = {cell: sorted({int(b) for b in residential[residential["cell"] == k]["bus"]})
             for k, cell in enumerate(cells)}
    placed = dict.fromkeys(cells, 0)
    for hid, home in zip(home_ids(config), config.homes, strict=True):
        bus = buses[home.cell][placed[home.cell] % len(buses[home.cell])]
        placed[home.cell] += 1
        world.connect(w.homes[hid], entities[f"Bus-{bus}"], "P_gen[MW]", "P_load[MW]")
    w.grid = {"ext": entities["ExternalGrid-0"], "buses": [entities[f"Bus-{i}"]
                                                           for i in net.bus.index],
              "lines": [entities[f"Line-{i}"] for i in net.line.index]}


def _record(w: World, start: str, out: Path, fmt: str) -> None:
    world, weather, events = w.world, w.weather, w.events
    w.recorder = world.start("Recorder", step_size=w.config.step_s, out=str(out), fmt=fmt,
                             start=start).Recorder()
    world.connect(weather, w.recorder, "T_air[degC]", "GHI[W/m2]")
    world.connect(events, w.recorder, "event_factor", "active")
    from mosaik_components.massca_market.sims.market import MARKET_OUTPUTS

    for market in w.markets.values():
        world.connect(market, w.recorder, *MARKET_OUTPUTS)
    for hid in w.homes:
        world.connect(w.homes[hid], w.recorder, *HOME_RECORDED)
        world.connect(w.agents[hid], w.recorder, *AGENT_RECORDED)
    if w.grid:
        world.connect(w.grid["ext"], w.recorder, "P[MW]")
        for bus in w.grid["buses"]:
            world.connect(bus, w.recorder, "Vm[pu]")
        for line in w.grid["lines"]:
            world.connect(line, w.recorder, "loading[%]")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Validate, build, run, write results; returns the summary."""
    started = clock.perf_counter()
    config = configure(args)  # every bad value fails here, before any simulator starts
    w = build(config, args.start, args.until, args.out, args.format, grid=args.grid)
    gc.collect()
    gc.freeze()  # the world's many long-lived objects: no need to scan them again and again
    try:
        w.world.run(until=args.until, print_progress=not args.quiet, shutdown=False)
        ledger = w.market_sim.get_ledger()
    except BaseException:
        stop(w.world)  # the recorder writes the steps completed before the failure
        raise
    finally:
        gc.unfreeze()
    w.world.shutdown()  # the recorder writes the time series
    frame = _read(args.out / f"timeseries.{args.format}", args.format)
    _write_ledger(ledger, args.out, args.start)
    meta = _meta(w)
    summary = summarize(frame, meta, config)
    summary["wall_time_s"] = clock.perf_counter() - started
    summary["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary["config"] = {k: str(v) for k, v in vars(args).items()}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / "market_config.json").write_text(config.model_dump_json(indent=2) + "\n")
    if not args.no_plots:
        write_plots(frame, meta, config, args.out, args.start)
    return summary


def _meta(w: World) -> dict[str, Any]:
    """Entity ids of the run for the results: markets, homes (unit, agent), policies."""
    return {
        "grid": {"ext": w.grid["ext"].full_id} if w.grid else None,
        "markets": {mid: m.full_id for mid, m in w.markets.items()},
        "homes": {hid: {"unit": w.homes[hid].full_id, "agent": w.agents[hid].full_id,
                        "policy": home.policy, "demand": home.demand,
                        "market": market_of(w.config, i), "stock_kwh": home.stock_kwh,
                        "pv_kwp": home.pv_kwp}
                  for i, (hid, home) in enumerate(zip(home_ids(w.config), w.config.homes,
                                                      strict=True))},
    }


def stop(world: mosaik.World) -> None:
    """After a failed run: cancel mosaik's remaining tasks, then shut the world down."""
    loop = world.loop
    if loop.is_closed():
        return
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    # the results are the cancellations just requested; the run's error is re-raised
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    world.shutdown()


def _read(path: Path, fmt: str) -> pd.DataFrame:
    return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)


def _write_ledger(ledger: dict[str, Any], out: Path, start: pd.Timestamp) -> None:
    for name in ("trades", "gifts"):
        frame = pd.DataFrame(ledger[name], columns=ledger[f"{name}_columns"])
        frame.insert(1, "datetime", start + pd.to_timedelta(frame["time"], unit="s"))
        frame.to_csv(out / f"{name}.csv", index=False)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry point: run and print a short summary."""
    args = parse_args(argv)
    summary = run(args)
    if not args.quiet:
        print(f"\nresults in {args.out}/ (timeseries.{args.format}, trades.csv, gifts.csv, "
              "summary.json, *.png)")
        for key in ("traded_kWh", "gifted_kWh", "import_kWh", "import_kWh_without_market",
                    "export_kWh", "self_sufficiency", "self_sufficiency_without_market",
                    "welfare_EUR", "price_mean_EUR_kWh", "messages_per_period_max",
                    "grid_losses_kWh", "max_line_loading_pct", "wall_time_s"):
            if key in summary:
                print(f"  {key:34s} {summary[key]:10.3f}")
    return summary


def cli(argv: list[str] | None = None) -> int:
    """``massca market``: run, print the summary; ``error: ...`` and 1 on a market error."""
    try:
        main(argv)
    except MarketError as exc:  # a clear message, no traceback from deep inside
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())
