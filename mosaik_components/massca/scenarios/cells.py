"""The power-cells scenario: N MV cells, their units and profiles, the MAS, a grid.

    core -> cell controller (x cells) -> ... (depth levels) -> one agent per unit

``--data simbench`` (default): SimBench MV feeders of the high-DER scenarios, every
element on its own SimBench profile (generators as profile-driven ``Generator`` units,
SimBench's home batteries). ``--data cigre``: CIGRE MV feeders; every load a flexible
load on a BDEW profile, every PV a pvlib PV plant (or a mosaik-pv panel with ``--pv
mosaik-pv``), the wind turbine a WECS on measured wind, two batteries per cell (MASSCA's
scenario). With a planning strategy
(``--strategy lookahead`` or ``grid_aware``) the loads are shiftable and the units
publish their flexibility over a horizon from forecasts; ``grid_aware`` also feeds each
cell's grid view into its controller. Unit powers feed the grid's bus inputs (the
original elements are disabled); the grid's external-grid exchange flows back to the core
in the same step, so the agents see what the grid really exchanges (losses included).
Every run gets its own folder (:mod:`...runs.cells_run`) with ``run.json``,
``timeseries.csv``, ``summary.json`` (with KPIs) and PNG plots::

    massca cells --cells 3 --days 1 --name june-day
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mosaik
import pandas as pd

from mosaik_components.mas.model.errors import MasError
from mosaik_components.mas.strategies import STRATEGIES

from ..data import data_dir
from ..runs import cells_run
from ..runs.folder import RunFolderError
from .checks import enforce, mas_params, plans

DATA = data_dir()
SIM_CONFIG = {
    "MAS": {"python": "mosaik_components.mas:MosaikAgents"},
    "Grid": {"python": "mosaik_components.massca_grid:GridSimulator"},
    "Weather": {"python": "mosaik_components.massca_units.timeseries:WeatherSimulator"},
    "Profiles": {"python": "mosaik_components.massca_units.timeseries:ProfileSimulator"},
    "FlexLoad": {"python": "mosaik_components.massca_units.flexload:FlexLoadSimulator"},
    "Shiftable": {"python": "mosaik_components.massca_units.shiftable:ShiftableLoadSimulator"},
    "PV": {"python": "mosaik_components.massca_units.pv:PVSimulator"},
    "MosaikPV": {"python": "mosaik_components.pv.pvsimulator:PVSimulator"},
    "WECS": {"python": "mosaik_components.massca_units.wecs:WecsSimulator"},
    "Battery": {"python": "mosaik_components.massca_units.battery:BatterySimulator"},
    "Generator": {"python": "mosaik_components.massca_units.generator:GeneratorSimulator"},
    "Recorder": {"python": "mosaik_components.massca_results.recorder:TidyRecorder"},
}
PROFILE_OF_CLASS = {"residential": "h0", "commercial": "g0"}
CIGRE_START = pd.Timestamp("2019-06-21")
SIMBENCH_START = pd.Timestamp("2016-05-29")  # massca_grid.simbench.DEFAULT_START, CET
#: SimBench's profile time: CET without daylight saving (massca_grid.simbench)
SIMBENCH_UTC_OFFSET_H = 1.0
WIND_CURVE = {"v_rated": 13.0, "v_cut_in": 3.5, "v_cut_out": 25.0}  # MASSCA's WECS
UNIT_ATTRS = ("P[MW]", "P_min[MW]", "P_max[MW]")
RECORDED_UNIT_ATTRS = (*UNIT_ATTRS, "limited[MW]")
#: what units record beyond their power (the KPIs' energy: demand, backlog, charge)
ENERGY_ATTRS = {"load": ("P_demand[MW]",),
                "shiftable": ("P_demand[MW]", "backlog[MWh]", "E_shifted[MWh]",
                              "E_overdue[MWh]"),
                "battery": ("SOC[MWh]", "cycles")}
#: EUR/MWh a plan pays per MWh deferred / discharged: small, so that among equally cheap
#: plans the one that serves load at once and cycles the battery least wins (without it a
#: rolling plan defers "for free" until a deadline forces the load into a dear hour)
SHIFT_COST = 1.0
WEAR_COST = 1.0
#: the default tariff (EUR/MWh per hour from midnight): an illustrative time-of-use tariff,
#: not market data; give your own with --price
TOU_TARIFF = [60.0] * 6 + [90.0] * 11 + [160.0] * 4 + [90.0] + [60.0] * 2
WEATHER_ATTRS = ("GHI[W/m2]", "DNI[W/m2]", "DHI[W/m2]", "T_air[degC]", "wind_speed[m/s]")


def int_at_least(minimum: int) -> Callable[[str], int]:
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


def price_list(text: str) -> list[float]:
    """A tariff: one number or comma-separated numbers (argparse type)."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not numbers: {text!r}") from None
    if not all(math.isfinite(v) for v in values) or 86400 % len(values):
        raise argparse.ArgumentTypeError(
            f"must be finite numbers dividing the day evenly (1, 24, 96, ...), got {text!r}")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; errors name the option and the value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=positive_int, default=3, help="number of cells")
    parser.add_argument("--depth", type=positive_int, default=1,
                        help="controller levels between a cell and its units (MASSCA's "
                             "--hierarchy)")
    parser.add_argument("--data", choices=["simbench", "cigre"], default="simbench",
                        help="simbench: SimBench MV feeders (high-DER scenarios) with their "
                             "own per-element profiles (2016, CET); cigre: CIGRE MV feeders "
                             "on the shipped weather and BDEW profiles (2019, MASSCA's)")
    parser.add_argument("--start", type=timestamp, default=None,
                        help="start, local standard time (default: 2019-06-21 for cigre, "
                             "2016-05-29 for simbench)")
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--days", type=positive_int, default=None, help="simulated days (1)")
    span.add_argument("--until", type=positive_int, default=None, help="simulated seconds")
    parser.add_argument("--step", type=positive_int, default=900, help="step size in s")
    parser.add_argument("--seed", type=non_negative_int, default=42,
                        help="seed of every random choice (battery start states)")
    parser.add_argument("--strategy", default="grid_aware",
                        help=f"one of {sorted(STRATEGIES)} or 'module:Class' (grid_aware: "
                             "plan over the horizon within each cell's grid limits; balance: "
                             "MASSCA's per-step exchange balancing)")
    parser.add_argument("--within-cell", choices=["balance", "cohda"], default="balance",
                        help="how a cell splits its share among its units")
    parser.add_argument("--between-cells", choices=["balance", "cohda"], default="balance",
                        help="how the system's target is split among the cells")
    parser.add_argument("--containers", type=positive_int, default=1,
                        help="mango containers for the agents (cells spread over them)")
    parser.add_argument("--transport", choices=["tcp", "mqtt"], default="tcp")
    parser.add_argument("--processes", action="store_true",
                        help="run all containers but the core's in worker processes")
    parser.add_argument("--broker", default="127.0.0.1:1883",
                        help="MQTT broker host:port (with --transport mqtt)")
    parser.add_argument("--topic", default=None,
                        help="MQTT topic prefix (with --transport mqtt; default 'massca'; "
                             "every run adds its own id, so runs can share a broker)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds one coordination cycle may take before it fails")
    parser.add_argument("--flex", type=float, default=0.2,
                        help="load flexibility: share a load may move down or up (with "
                             "--strategy lookahead: the share of each load that is shiftable)")
    planning = parser.add_argument_group(
        "planning (--strategy lookahead or grid_aware; --price also prices every run's KPIs)")
    planning.add_argument("--objective", choices=["cost", "peak", "exchange"], default="cost",
                          help="what the plan minimises over the horizon: the peak import, "
                               "the absolute exchange, or the cost under --price")
    planning.add_argument("--price", type=price_list, default=TOU_TARIFF,
                          help="EUR/MWh: one number or comma-separated values dividing the "
                               "day evenly from midnight (24: hourly); default: an "
                               "illustrative time-of-use tariff (night 22-6 h 60, day 90, "
                               "evening peak 17-21 h 160)")
    planning.add_argument("--horizon-h", type=positive_int, default=24,
                          help="planning horizon in hours (forecasts over it)")
    planning.add_argument("--forecast", choices=["perfect", "persistence", "noisy"],
                          default="perfect", help="forecasts of weather and load profiles")
    planning.add_argument("--forecast-sigma", type=float, default=0.1,
                          help="relative error of --forecast noisy (seeded by --seed)")
    planning.add_argument("--max-delay-h", type=float, default=4.0,
                          help="deferred load must be served within this many hours")
    parser.add_argument("--der-scale", type=float, default=1.0,
                        help="multiply the generators' ratings (1: as the data; CIGRE's "
                             "feeders then always import, larger values give surplus hours)")
    parser.add_argument("--pv", choices=["pvlib", "mosaik-pv"], default="pvlib")
    parser.add_argument("--no-mas", action="store_true",
                        help="run without the agents (uncontrolled baseline)")
    cells_run.add_options(parser)  # --runs/--name/--out, --format, --status-port, ...
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.start is None:
        args.start = SIMBENCH_START if args.data == "simbench" else CIGRE_START
    if args.data == "simbench" and args.pv != "pvlib":
        parser.error("argument --pv: SimBench's generators follow their own profiles; "
                     "--pv applies to --data cigre only")
    cells_run.check_options(parser, args)
    args.until = args.until if args.until is not None else 86400 * (args.days or 1)
    if args.until < args.step:
        parser.error(f"argument --until: {args.until} s is shorter than --step {args.step} s")
    if not args.der_scale >= 0:
        parser.error(f"argument --der-scale: must be >= 0, got {args.der_scale}")
    if not args.timeout > 0:
        parser.error(f"argument --timeout: must be > 0, got {args.timeout}")
    if not 0 <= args.flex <= 1:
        parser.error(f"argument --flex: must be within [0, 1], got {args.flex}")
    if args.step % 900:
        parser.error(f"argument --step: the data is at 15 min; use a multiple of 900, "
                     f"got {args.step}")
    enforce(args)  # data range and grid, numbers, --out, engines, the MAS's parameters
    return args


@dataclass
class Scenario:
    """Handles to what a run created (for results and tests)."""

    world: mosaik.World
    net: Any
    recorder: Any
    core: Any = None
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    ext_id: str = ""
    recorder_sim: Any = None
    cell_controllers: dict[str, int] = field(default_factory=dict)
    grid_sim: Any = None
    agents: int = 0
    mas_sim: Any = None
    #: the arguments of ``massca_results.kpis.kpis`` beyond the series (battery
    #: capacities, the tariff and the time of day at 0)
    kpi_args: dict[str, Any] = field(default_factory=dict)
    #: whether the core's first-iteration exchange is the uncontrolled case (not for a
    #: planning strategy: the previous plan is still in force then)
    first_iteration_uncontrolled: bool = True


def build(args: argparse.Namespace) -> Scenario:
    """Create the world, its simulators, entities and connections."""
    site = json.loads((DATA / "site.json").read_text())
    args.site_latitude = site["latitude"]
    if args.data == "simbench":
        net, profiles_csv = _simbench(args)
        site = {**site, "utc_offset_h": SIMBENCH_UTC_OFFSET_H}
    else:
        # imported here: pandapower takes ~1 s to import, and ``--help`` needs none of it
        from mosaik_components.massca_grid.cells import build_cells

        net, profiles_csv = build_cells(args.cells), None
    world = mosaik.World(SIM_CONFIG, debug=False)
    try:
        return _populate(world, net, site, args, profiles_csv)
    except BaseException:
        world.shutdown()
        raise


def _simbench(args: argparse.Namespace) -> tuple[Any, Path]:
    """SimBench cells and their element powers (MW) as a profile file in the run folder."""
    from mosaik_components.massca_grid.simbench import build_simbench_cells

    cells = build_simbench_cells(cells=args.cells)
    horizon_s = args.horizon_h * 3600 if plans(args) else 0
    days = (int(args.until) + horizon_s) / 86400
    path = cells.write_csv(Path(args.out) / "simbench_profiles.csv", start=args.start,
                           days=math.ceil(days * 96) / 96)
    _prepare_profiles(path, cells.net)
    return cells.net, path


#: SimBench's relative generator profiles dip below zero by rounding (seen: wind profile
#: WP7 at -2.3e-6 on 2016-05-29 20:00); up to this fraction of a generator's ``p_mw`` a
#: negative generation is set to 0, and said so
ROUNDING_PU = 1e-5


def _prepare_profiles(path: Path, net: Any) -> None:
    """Loads per unit of their ``p_mw`` (as the CIGRE profiles); generator negatives checked.

    A negative generator power is a rounding artefact down to :data:`ROUNDING_PU` times
    the generator's ``p_mw`` (set to 0 and reported on stderr) and an error beyond.
    """
    frame = pd.read_csv(path, index_col="time")
    for index, rating in net.load["p_mw"].items():
        column = f"load_{index}"
        frame[column] = frame[column] / rating if rating > 0 else 0.0
    sgens = frame[[c for c in frame.columns if c.startswith("sgen_")]]
    negative = sgens < 0
    if negative.to_numpy().any():
        ratings = pd.Series({f"sgen_{i}": p for i, p in net.sgen["p_mw"].items()})
        # per unit of the rating; a generator rated <= 0 has no rounding allowance (-1)
        relative = sgens.div(ratings[sgens.columns].where(ratings > 0), axis=1).fillna(-1.0)
        beyond = negative & (relative < -ROUNDING_PU)
        if beyond.to_numpy().any():
            worst = relative.where(beyond).min().idxmin()
            when = relative[worst].idxmin()
            raise MasError(f"{path.name}: generator {worst} (p_mw {float(ratings[worst])}) "
                           f"has {float(sgens.at[when, worst])} MW at {when} (negative "
                           f"generation beyond rounding, {ROUNDING_PU:g} x p_mw)")
        frame[sgens.columns] = sgens.mask(negative, 0.0)
        print(f"SimBench profiles: {int(negative.to_numpy().sum())} negative generator "
              f"value(s) down to {float(relative.where(negative).min().min()):.2g} x p_mw "
              f"(rounding) set to 0 in {path.name}", file=sys.stderr)
    frame.to_csv(path)


def _populate(world: mosaik.World, net: Any, site: dict[str, Any],
              args: argparse.Namespace, profiles_csv: Path | None) -> Scenario:
    start = str(args.start)
    step = args.step
    planned = plans(args)
    horizon = args.horizon_h * 3600 // step if planned else None
    sources: dict[str, Any] = {"start": start}
    if planned:  # forecasts over the horizon, from every step of the run
        sources.update(horizon=horizon, until=int(args.until), forecast=args.forecast,
                       sigma=args.forecast_sigma if args.forecast == "noisy" else 0.0,
                       seed=args.seed)
    profiles_sim = world.start("Profiles", step_size=step)
    if profiles_csv is None:
        weather = world.start("Weather", step_size=step).Weather(
            path=str(DATA / "weather_15min.csv"), **sources)
        profiles: dict[str, Any] = {
            name: profiles_sim.LoadProfile(path=str(DATA / "load_profiles_15min.csv"),
                                           column=name, **sources)
            for name in PROFILE_OF_CLASS.values()}
    else:  # one profile per element (MW), made on first use
        weather, profiles = None, _ElementProfiles(profiles_sim, profiles_csv, sources)
    # outside the group: the recorder gets the settled values of every step
    recorder_sim = world.start("Recorder", step_size=step, out=str(args.out), fmt=args.format,
                               start=cells_run.local_start(args.start, site["utc_offset_h"]))
    recorder = recorder_sim.Recorder()
    with world.group():
        grid_sim = world.start("Grid", step_size=None)  # event-based: re-runs per iteration
        grid = grid_sim.Grid(net=net)
        unit_step = {"step_size": step, **({"horizon": horizon} if planned else {})}
        sims = {
            "load": world.start("Shiftable" if planned else "FlexLoad", **unit_step),
            "wind": world.start("WECS", **unit_step),
            "battery": world.start("Battery", **unit_step),
            "generator": world.start("Generator", **unit_step),
            "pv": world.start("PV", latitude=site["latitude"],
                              longitude=site["longitude"], altitude=site["altitude"],
                              utc_offset_h=site["utc_offset_h"], start=start, **unit_step)
            if args.pv == "pvlib" else None,
        }
        mas = None if args.no_mas else world.start("MAS", **mas_params(args))
    if args.pv == "mosaik-pv":
        sims["pv"] = world.start("MosaikPV", step_size=step,
                                 start_date=args.start.strftime("%Y-%m-%d %H:%M:%S"))
    entities = {e.eid: e for e in grid.children}
    scenario = Scenario(world, net, recorder, recorder_sim=recorder_sim, grid_sim=grid_sim,
                        mas_sim=mas)
    parents = _agents_tree(mas, args, scenario) if mas is not None else {}
    buses = _units(args, scenario, sims, entities, weather, profiles, parents, mas)
    if mas is not None and args.strategy == "grid_aware":
        _grid_views(scenario, grid_sim, parents, buses)
    if mas is not None:
        scenario.agents = 1 + args.cells * args.depth + len(scenario.units)
    grid_sim.disable_elements([f"Load-{i}" for i in net.load.index]
                              + [f"StaticGen-{i}" for i in net.sgen.index])
    ext = entities["ExternalGrid-0"]
    scenario.ext_id = ext.full_id
    world.connect(ext, recorder, "P[MW]")
    if scenario.core is not None:
        world.connect(ext, scenario.core, ("P[MW]", "P_ext[MW]"))
        world.connect(scenario.core, recorder, "steptime", "messages", "iterations",
                      "converged", "P_exchange[MW]", "P_uncontrolled[MW]", "negotiations",
                      "deviation[MW]")
    slack = set(net.ext_grid.bus)  # its voltage is the external grid's setpoint, not a result
    for idx in net.bus.index.difference(list(slack)):
        world.connect(entities[f"Bus-{idx}"], recorder, "Vm[pu]")
    for idx in net.line.index:
        world.connect(entities[f"Line-{idx}"], recorder, "loading[%]")
    for idx in net.trafo.index[net.trafo.in_service]:
        world.connect(entities[f"Transformer-{idx}"], recorder, "loading[%]")
    return scenario


def _agents_tree(mas: Any, args: argparse.Namespace, scenario: Scenario) -> dict[int, Any]:
    """The core and, per cell, a chain of ``depth`` controllers; returns the lowest."""
    scenario.core = mas.MosaikAgents()
    lowest = {}
    for cell in range(args.cells):
        parent = None
        for level in range(args.depth):
            parent = mas.MosaikAgents(controller=parent.eid if parent is not None else None)
            if level == 0:  # the cell controller: the cell's aggregate and instructed power
                scenario.cell_controllers[parent.full_id] = cell
                scenario.world.connect(parent, scenario.recorder, "P[MW]", "P_set[MW]")
        lowest[cell] = parent
    return lowest


def _units(args: argparse.Namespace, scenario: Scenario, sims: dict[str, Any],
           entities: dict[str, Any], weather: Any, profiles: dict[str, Any],
           parents: dict[int, Any], mas: Any) -> dict[int, dict[str, int]]:
    """One simulator entity (and one agent) per load, PV, wind turbine and battery.

    Returns, per cell, each unit agent's bus and the MVAr per MW its reactive power
    follows its active power with (for the cells' grid views).
    """
    world, net, recorder = scenario.world, scenario.net, scenario.recorder
    rng = random.Random(args.seed)
    planned = plans(args)
    scenario.first_iteration_uncontrolled = not planned
    scenario.kpi_args = {"capacities": {}, "price": args.price, "start": str(args.start)}
    buses: dict[int, dict[str, tuple[int, float]]] = {}  # per cell: agent -> bus, Q per P
    rows = [("load", r) for _, r in net.load.iterrows()] + [
        (r.unit_kind, r) for _, r in net.sgen.iterrows()] + [
        ("battery", r) for _, r in net.storage.iterrows()]
    for kind, row in rows:
        bus = entities[f"Bus-{int(row.bus)}"]
        forecast = ["P_pu_forecast"] if planned else []
        if kind == "load":
            kind, unit = _load(args, sims["load"], row, planned)
            world.connect(_load_profile(profiles, row), unit, "P_pu", *forecast)
            world.connect(unit, bus, "P_load[MW]", "Q_load[MVar]")
            agent_kind = "consumer"
        elif kind != "battery" and isinstance(profiles, _ElementProfiles):
            # a SimBench generator: its own power profile (MW), curtailable
            unit = sims["generator"].Generator(peak_mw=args.der_scale)
            world.connect(profiles.of("sgen", row.name), unit, "P_pu", *forecast)
            world.connect(unit, bus, "P_gen[MW]")
            agent_kind = "producer"
        elif kind == "pv" and args.pv == "mosaik-pv":
            # area such that 1000 W/m2 at 20 % efficiency gives the element's peak power
            unit = sims["pv"].PV(latitude=args.site_latitude,
                                 area=float(row.p_mw) * args.der_scale * 5000.0,
                                 efficiency=0.2, el_tilt=30.0, az_tilt=0.0)
            world.connect(weather, unit, "DNI[W/m2]")
            world.connect(unit, bus, ("P[MW]", "P_gen[MW]"))
            agent_kind = "producer"
        elif kind == "pv":
            unit = sims["pv"].PV(peak_mw=float(row.p_mw) * args.der_scale)
            world.connect(weather, unit, *_weather(WEATHER_ATTRS, planned))
            world.connect(unit, bus, "P_gen[MW]")
            agent_kind = "producer"
        elif kind == "wind":
            unit = sims["wind"].WECS(P_rated=float(row.p_mw) * args.der_scale, **WIND_CURVE)
            world.connect(weather, unit, *_weather(("wind_speed[m/s]",), planned))
            world.connect(unit, bus, "P_gen[MW]")
            agent_kind = "producer"
        else:
            p_max = float(row.max_p_mw)
            unit = sims["battery"].Battery(
                capacity_mwh=float(row.max_e_mwh), p_charge_mw=p_max, p_discharge_mw=p_max,
                efficiency=0.9, soc_init=(float(row.soc_percent) / 100.0
                                          if args.data == "simbench" else rng.uniform(0.3, 0.7)),
                **({"wear_cost": WEAR_COST} if planned else {}))
            world.connect(unit, bus, "P_gen[MW]", "P_load[MW]")
            agent_kind = "prosumer"
        mosaik_pv = kind == "pv" and args.pv == "mosaik-pv"
        # the agent's setpoint is P[MW] + limited[MW] (what the unit could not follow)
        world.connect(unit, recorder, *(["P[MW]"] if mosaik_pv else RECORDED_UNIT_ATTRS),
                      *ENERGY_ATTRS.get(kind, ()))
        _register(scenario, unit.full_id, kind, row)
        if mosaik_pv:  # it follows no setpoint: nothing to curtail
            scenario.units[unit.full_id]["fixed"] = True
        if mas is None:
            continue
        agent = mas.MosaikAgents(controller=parents[int(row.cell)].eid, kind=agent_kind)
        q_per_p = _tan_phi(row.p_mw, row.q_mvar) if agent_kind == "consumer" else 0.0
        buses.setdefault(int(row.cell), {})[agent.eid] = (int(row.bus), q_per_p)
        if mosaik_pv:  # no band, no same-step setpoint: it takes part as a fixed producer
            world.connect(unit, agent, ("P[MW]", "current"))
            continue
        world.connect(unit, agent, *(("flex",) if planned else UNIT_ATTRS))
        world.connect(agent, unit, "P_set[MW]", weak=True)
    return buses


def _grid_views(scenario: Scenario, grid_sim: Any, parents: dict[int, Any],
                buses: dict[int, dict[str, tuple[int, float]]]) -> None:
    """Each cell's grid (voltages, loadings, sensitivities) into its units' controller.

    A load's reactive power follows its active power at a fixed power factor, so its
    sensitivities are those of both (``q_per_p``: its ``tan φ``).
    """
    for cell, units in buses.items():
        view = grid_sim.CellView(cell=cell, units={a: bus for a, (bus, _) in units.items()},
                                 q_per_p={a: q for a, (_, q) in units.items() if q})
        scenario.world.connect(view, parents[cell], "grid")
        scenario.world.connect(parents[cell], scenario.recorder, "grid_violations",
                               "grid_excess", "grid_curtailed[MW]")


def _register(scenario: Scenario, full_id: str, kind: str, row: Any) -> None:
    """What the results need of a unit: kind, cell, bus (and a battery's capacity)."""
    scenario.units[full_id] = {"kind": kind, "cell": int(row.cell), "bus": int(row.bus)}
    if kind == "battery":
        scenario.units[full_id]["capacity_mwh"] = float(row.max_e_mwh)
        scenario.kpi_args["capacities"][full_id] = float(row.max_e_mwh)


class _ElementProfiles:
    """One ``LoadProfile`` per SimBench element column.

    ``load_<i>`` is per unit of the load's ``p_mw``, ``sgen_<i>`` in MW.
    """

    def __init__(self, sim: Any, path: Path, sources: dict[str, Any]) -> None:
        self.sim, self.path, self.sources = sim, path, sources

    def of(self, table: str, index: int) -> Any:
        return self.sim.LoadProfile(path=str(self.path), column=f"{table}_{index}",
                                    **self.sources)


def _load_profile(profiles: Any, row: Any) -> Any:
    """A load's profile: its own (SimBench, MW) or its class's (CIGRE, per unit)."""
    if isinstance(profiles, _ElementProfiles):
        return profiles.of("load", row.name)
    return profiles[PROFILE_OF_CLASS[row.load_class]]


def _load(args: argparse.Namespace, sim: Any, row: Any, planned: bool) -> tuple[str, Any]:
    """A load: shiftable when the run plans (deferred energy comes back), else flexible.

    Its profile is per unit of its ``p_mw`` (CIGRE: its class's; SimBench: its own).
    """
    cos_phi = _cos_phi(row.p_mw, row.q_mvar)
    peak = float(row.p_mw)
    if planned:
        return "shiftable", sim.ShiftableLoad(
            peak_mw=peak, flexible_share=args.flex, max_delay_h=args.max_delay_h,
            shift_cost=SHIFT_COST, cos_phi=cos_phi,
            p_max_mw=float(row.p_mw) * (1.0 + args.flex))  # rated: peak + flexible share
    return "load", sim.FlexLoad(peak_mw=peak, flex_down=args.flex,
                                flex_up=args.flex, cos_phi=cos_phi)


def _weather(attrs: tuple[str, ...], planned: bool) -> list[str]:
    """Weather attributes a unit reads, with their forecasts when it plans."""
    return [*attrs, *(a.replace("[", "_forecast[") for a in attrs)] if planned else list(attrs)


def _cos_phi(p_mw: float, q_mvar: float) -> float:
    apparent = (p_mw**2 + q_mvar**2) ** 0.5
    return float(p_mw / apparent) if apparent > 0 else 1.0


def _tan_phi(p_mw: float, q_mvar: float) -> float:
    """MVAr per MW of a load at the power factor of ``_cos_phi`` (as the unit runs it)."""
    cos_phi = _cos_phi(p_mw, q_mvar)
    return float((1.0 - cos_phi**2) ** 0.5 / cos_phi)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build and run in the run's own folder, write the results; returns the summary."""
    return cells_run.execute(args, build)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry point: run and print a short summary."""
    args = parse_args(argv)
    summary = run(args)
    if not args.quiet:
        print(f"\nresults in {args.out}/ ({', '.join(summary['files'])})")
        for key in ("import_MWh", "export_MWh", "import_MWh_uncontrolled",
                    "export_MWh_uncontrolled", "curtailed_MWh", "max_line_loading_pct",
                    "max_trafo_loading_pct",
                    "min_voltage_pu", "max_voltage_pu", "agent_time_s", "wall_time_s"):
            if key in summary:  # None: not measured in this run (e.g. planned runs)
                value = summary[key]
                print(f"  {key:28s} {'n/a' if value is None else format(value, '.3f'):>10}")
    return summary


def cli(argv: list[str] | None = None) -> int:
    """``massca cells``: run, print the summary; ``error: ...`` and 1 on a MAS error."""
    try:
        main(argv)
    except MasError as exc:  # a clear message, no traceback from deep inside
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except RunFolderError as exc:  # before any simulation work
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the steps completed before are in the run folder",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(cli())
