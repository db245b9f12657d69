"""Benchmark: one look-ahead planning cycle (aggregate, decide, split down the tree).

Pure functions, no agents and no mosaik: ``--cells`` cells of ``--units`` units each
(2 batteries, 6 deferrable loads, PV and curtailable loads with day-shaped profiles,
seeded; see ``scalability/lookahead_systems.py``), a ``--horizon`` of 15-min intervals, a
time-of-use price (100 EUR/MWh, 250 from 07 to 10 h and 400 from 17 to 21 h; feed-in 20).
One cycle: every cell controller aggregates its units, the core aggregates the cells,
decides (the HiGHS LP) and splits its plan among the cells, every cell splits its plan
among its units. Prints the cycle's wall time (median and min over ``--repeat``) and
its parts, and the disaggregation error (MWh of energy-limit breach in the units' and
cells' plans; 0 = every member can follow its plan).

``--exact-cells K`` also measures what the aggregation costs on the first K cells: the
same LP with every unit as its own part (exact, no aggregation) against the class
aggregate (a relaxation: its optimum is a lower bound), and the breach left by an
optimal split (an LP per class, the least breach any split could reach) against the
greedy split the strategy uses. ``--stress`` does the same split comparison on 20 cells of
2-7 heterogeneous batteries (random capacity, power and state) and one fixed load each::

    python scalability/bench_lookahead.py --cells 50 --units 24 --horizon 96 --repeat 5
    python scalability/bench_lookahead.py --stress
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mosaik_components.mas.model.flexibility import UnitState  # noqa: E402
from mosaik_components.mas.model.horizon import HorizonFlex, Plan  # noqa: E402
from mosaik_components.mas.strategies.base import View  # noqa: E402
from mosaik_components.mas.strategies.lookahead import (  # noqa: E402
    LookaheadStrategy,
    SystemProblem,
    solve_system,
    split_plan,
)
from mosaik_components.mas.strategies.lookahead.classes import (  # noqa: E402
    members_by_class,
    prepare,
)
from scalability.lookahead_systems import battery, cell, load  # noqa: E402

PRICE = [100.0] * 7 + [250.0] * 3 + [100.0] * 7 + [400.0] * 4 + [100.0] * 3


def cycle(strategy: LookaheadStrategy, cells: list) -> dict[str, float]:
    """One planning cycle; wall times of its parts and the disaggregation error."""
    started = time.perf_counter()
    aggregates = [strategy.aggregate(c, View(f"cell{i}")) for i, c in enumerate(cells)]
    system = strategy.aggregate(aggregates, View("core"))
    aggregated = time.perf_counter()
    target = strategy.decide(system, 0.0, View("core"))
    decided = time.perf_counter()
    plans, error_core = split_plan(target.plan, aggregates, None, None, "core")
    error_cells = 0.0
    unit_plans = []
    for cell_plan, units in zip(plans, cells, strict=True):
        split, error = split_plan(cell_plan, units, None, None, "cell")
        error_cells += error
        unit_plans.append(split)
    done = time.perf_counter()
    return {"cycle_s": done - started, "aggregate_s": aggregated - started,
            "decide_s": decided - aggregated, "split_s": done - decided,
            "error_core_MWh": error_core, "error_cells_MWh": error_cells,
            "error_4h_MWh": _early_breach(cells, unit_plans, 16)}


def _early_breach(cells: list, plans: list, intervals: int) -> float:
    """Summed worst breach of the units' energy limits within the first ``intervals``."""
    total = 0.0
    for units, unit_plans in zip(cells, plans, strict=True):
        for unit, plan in zip(units, unit_plans, strict=True):
            for limit in unit.horizon.energy:
                level = limit.levels(plan.production, plan.consumption, unit.horizon.step_h)
                early = slice(0, intervals)
                total += max(0.0, float((limit.lower[early] - level[early]).max()),
                             float((level[early] - limit.upper[early]).max()))
    return total


def optimal_split_breach(plan: Plan, members: list[HorizonFlex]) -> float:
    """The least summed worst breach (MWh) any split of ``plan`` among ``members`` has."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_array

    n, length, dt = len(members), len(plan), members[0].step_h
    width = 3 * length + 1  # per member: p, c, level, worst breach
    rows, cols, vals, rhs_eq, ub_rows, ub_cols, ub_vals, rhs_ub = [], [], [], [], [], [], [], []
    bounds = []
    k = np.arange(length)
    for i, m in enumerate(members):
        limit, base = m.energy[0], i * width
        bounds += list(zip(m.production.min, m.production.max, strict=True))
        bounds += list(zip(m.consumption.min, m.consumption.max, strict=True))
        bounds += [(None, None)] * length + [(0, None)]
        r = i * length + k  # level[k] - level[k-1] - dt(eta_c c - p / eta_d) = 0
        rows += [r, r[1:], r, r]
        cols += [base + 2 * length + k, base + 2 * length + k[:-1], base + length + k, base + k]
        vals += [np.ones(length), -np.ones(length - 1),
                 np.full(length, -dt * limit.charge_efficiency),
                 np.full(length, dt / limit.discharge_efficiency)]
        rhs_eq.append(np.concatenate([[limit.initial], np.zeros(length - 1)]))
        u = 2 * i * length + k  # level - t <= upper, -level - t <= -lower
        ub_rows += [u, u, u + length, u + length]
        ub_cols += [base + 2 * length + k, np.full(length, base + width - 1),
                    base + 2 * length + k, np.full(length, base + width - 1)]
        ub_vals += [np.ones(length), -np.ones(length), -np.ones(length), -np.ones(length)]
        rhs_ub += [limit.upper, -limit.lower]
    for offset, total in ((0, plan.production), (length, plan.consumption)):
        r = n * length + (0 if offset == 0 else length) + k
        for i in range(n):
            rows.append(r)
            cols.append(i * width + offset + k)
            vals.append(np.ones(length))
        rhs_eq.append(total)
    shape_eq = (n * length + 2 * length, n * width)
    a_eq = coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                     shape=shape_eq)
    a_ub = coo_array((np.concatenate(ub_vals), (np.concatenate(ub_rows),
                                                np.concatenate(ub_cols))),
                     shape=(2 * n * length, n * width))
    cost = np.zeros(n * width)
    cost[width - 1::width] = 1.0
    result = linprog(cost, A_ub=a_ub, b_ub=np.concatenate(rhs_ub), A_eq=a_eq,
                     b_eq=np.concatenate(rhs_eq), bounds=bounds, method="highs")
    return float(result.fun)


def price_of_aggregation(strategy: LookaheadStrategy, cells: list) -> dict[str, float]:
    """Exact LP (every unit a part) vs the class aggregate; optimal vs greedy split."""
    s = strategy.settings
    units = [u for c in cells for u in c]
    flexes, length, step_h = prepare(units, None, None, "exact")
    prices = s.prices(s.price, 0, step_h * 3600, length)
    feed = s.prices(s.feed_in, 0, step_h * 3600, length)

    def problem(parts: tuple) -> SystemProblem:
        return SystemProblem(parts, np.zeros(length), prices, feed, s.peak_price,
                             s.exchange_price, s.shed_penalty, s.curtail_penalty)

    started = time.perf_counter()
    exact = solve_system(problem(tuple((f"u{i}", f) for i, f in enumerate(flexes))), "exact")
    exact_s = time.perf_counter() - started
    aggregates = [strategy.aggregate(c, View(f"cell{i}")) for i, c in enumerate(cells)]
    system = strategy.aggregate(aggregates, View("core"))
    relaxed = solve_system(problem(system.horizon.parts), "relaxed")
    target = strategy.decide(system, 0.0, View("core"))
    plans, _ = split_plan(target.plan, aggregates, None, None, "core")
    greedy = optimal = 0.0
    for cell_plan, cell_units in zip(plans, cells, strict=True):
        greedy += split_plan(cell_plan, cell_units, None, None, "cell")[1]
        cell_flexes, _, _ = prepare(cell_units, None, None, "cell")
        parts = dict(cell_plan.parts)
        for key, members in members_by_class(cell_flexes, "cell").items():
            if members[0][1].energy and len(members) > 1:
                optimal += optimal_split_breach(parts[key], [m for _, m in members])
    return {"exact_objective": exact.objective, "relaxed_objective": relaxed.objective,
            "exact_lp_s": exact_s, "greedy_breach_MWh": greedy,
            "optimal_breach_MWh": optimal}


def stress(strategy: LookaheadStrategy, horizon: int, seed: int) -> None:
    """Greedy vs optimal split on cells of heterogeneous batteries (see the module doc)."""
    rng = np.random.default_rng(seed)
    greedy = optimal = capacity = early = 0.0
    for _ in range(20):
        fleet = []
        for _ in range(int(rng.integers(2, 8))):
            size = rng.uniform(0.5, 4)
            fleet.append(battery(horizon, size, rng.uniform(0.2, 1.5),
                                 rng.uniform(0.15, 0.95) * size))
            capacity += size
        units = [UnitState.of_horizon(f) for f in fleet]
        units.append(UnitState.of_horizon(load(horizon, rng.uniform(0.5, 2), shed_max=0.0)))
        aggregate = strategy.aggregate(units, View("cell"))
        system = strategy.aggregate([aggregate], View("core"))
        target = strategy.decide(system, 0.0, View("core"))
        (cell_plan,), _ = split_plan(target.plan, [aggregate], None, None, "core")
        unit_plans, error = split_plan(cell_plan, units, None, None, "cell")
        greedy += error
        early += _early_breach([units], [unit_plans], 16)
        key = next(k for k, _ in cell_plan.parts if k.startswith("soc"))
        optimal += optimal_split_breach(dict(cell_plan.parts)[key], fleet)
    print(f"stress: 20 cells of 2-7 batteries, {capacity:.1f} MWh: breach greedy "
          f"{greedy:.2f} MWh (first 4 h: {early:.3f} MWh), optimal split {optimal:.2f} MWh")


def main() -> None:
    """Build the system, run the cycles, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--units", type=int, default=24)
    parser.add_argument("--horizon", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exact-cells", type=int, default=5)
    parser.add_argument("--stress", action="store_true")
    args = parser.parse_args()
    if args.stress:
        stress(LookaheadStrategy(objective="cost", price=PRICE, feed_in=20.0), args.horizon,
               args.seed)
        return
    rng = np.random.default_rng(args.seed)
    cells = [cell(rng, args.horizon, args.units) for _ in range(args.cells)]
    strategy = LookaheadStrategy(objective="cost", price=PRICE, feed_in=20.0)
    cycle(strategy, cells[:1])  # warm-up: imports scipy, HiGHS
    runs = [cycle(strategy, cells) for _ in range(args.repeat)]
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"{args.cells} cells x {args.units} units, horizon {args.horizon}")
    for key in ("cycle_s", "aggregate_s", "decide_s", "split_s"):
        values = [r[key] for r in runs]
        print(f"  {key:16s} median {statistics.median(values) * 1000:8.1f} ms   "
              f"min {min(values) * 1000:8.1f} ms")
    energy_units = sum(1 for c in cells for u in c if u.horizon.energy)
    capacity = sum(float(u.horizon.energy[0].upper.max()) for c in cells for u in c
                   if u.horizon.energy)
    print(f"  disaggregation error: {runs[0]['error_core_MWh']:.3f} MWh core -> cells, "
          f"{runs[0]['error_cells_MWh']:.3f} MWh cells -> units "
          f"({energy_units} units with an energy limit, {capacity:.1f} MWh of range); "
          f"in the first 4 h of the units' plans: {runs[0]['error_4h_MWh']:.3f} MWh")
    if args.exact_cells:
        k = min(args.exact_cells, args.cells)
        gap = price_of_aggregation(strategy, cells[:k])
        print(f"  on {k} cells: exact LP objective {gap['exact_objective']:.2f} "
              f"({gap['exact_lp_s']:.2f} s), class aggregate {gap['relaxed_objective']:.2f} "
              f"(gap {100 * (gap['exact_objective'] - gap['relaxed_objective']) / abs(gap['exact_objective']):.2f} %); "  # noqa: E501
              f"breach cells -> units: greedy {gap['greedy_breach_MWh']:.3f} MWh, optimal "
              f"split {gap['optimal_breach_MWh']:.3f} MWh")


if __name__ == "__main__":
    main()
