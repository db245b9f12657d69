"""Measure SimBench grids as power-cell data: surplus/deficit hours, voltages, loadings.

For every candidate code and day, the feeders of the grid (massca's cells, see
``mosaik_components.massca_grid.simbench``) run uncontrolled through the day: each
15-min interval sets every load and sgen to its SimBench profile value (batteries idle)
and runs a full AC power flow (pandapower). Printed per code and day:

* ``exp/imp h``: hours the grid (all its feeders) exports / imports at the slack,
* ``cells +/-``: feeders with at least one surplus hour AND one deficit hour (net
  injection of the feeder's units > 0 and < 0),
* ``Vm min/max``: over the feeders' buses (not the HV slack or the substation busbar),
* ``h>vmax``/``h<vmin``: hours with any feeder bus outside [0.95, 1.05] pu,
* ``line max``/``h>100``: highest line loading (%) and hours with a line above 100 %,
* ``trafo max``: highest HV/MV transformer loading (%).

``--scan MONTHS`` first ranks every day of those months by a profile-only proxy (hours
with both signs of the grid's net injection, times the peak surplus) and measures the
best ``--top`` days per code with power flows.

    python scalability/explore_simbench.py --days 2016-06-08 2016-07-14
    python scalability/explore_simbench.py --scan 5 6 7 8 --top 3
    python scalability/explore_simbench.py --cells 5 --days 2016-05-29   # per cell
"""

from __future__ import annotations

import argparse
import time as clock

import numpy as np
import pandapower as pp
import pandas as pd

from mosaik_components.massca_grid.simbench import (
    DEFAULT_CODES,
    DEFAULT_START,
    SimbenchCells,
    build_simbench_cells,
)

ALL_MV = [f"1-MV-{kind}--{level}-sw" for kind in ("rural", "semiurb", "urban", "comm")
          for level in (0, 1, 2)]


def run_day(cells: SimbenchCells, start: pd.Timestamp) -> dict[str, np.ndarray]:
    """Uncontrolled 15-min power flows over one day on ``cells.net`` (batteries idle)."""
    net = cells.net
    powers = cells.powers(start, 1)
    out: dict[str, list] = {"exchange": [], "vm": [], "line": [], "trafo": [], "injection": []}
    cell_ids = sorted(set(net.bus.cell[net.bus.cell >= 0]))
    load_cell, sgen_cell = net.load.cell.to_numpy(), net.sgen.cell.to_numpy()
    for step in range(len(powers.time)):
        net.load["p_mw"] = powers.load_p_mw.iloc[step].to_numpy()
        net.load["q_mvar"] = powers.load_q_mvar.iloc[step].to_numpy()
        net.sgen["p_mw"] = powers.sgen_p_mw.iloc[step].to_numpy()
        pp.runpp(net, numba=False)
        out["exchange"].append(float(net.res_ext_grid.p_mw.sum()))
        out["vm"].append(net.res_bus.vm_pu.to_numpy().copy())
        out["line"].append(net.res_line.loading_percent.to_numpy().copy())
        out["trafo"].append(net.res_trafo.loading_percent.to_numpy().copy())
        out["injection"].append([net.sgen.p_mw[sgen_cell == c].sum()
                                 - net.load.p_mw[load_cell == c].sum() for c in cell_ids])
    return {key: np.array(value) for key, value in out.items()}


def measure_day(cells: SimbenchCells, start: pd.Timestamp, v_min: float = 0.95,
                v_max: float = 1.05, series: dict[str, np.ndarray] | None = None
                ) -> dict[str, float]:
    """The grid-level figures of the module docstring for one day."""
    net = cells.net
    series = series if series is not None else run_day(cells, start)
    feeder = (net.bus.cell >= 0).to_numpy()
    vm = series["vm"][:, feeder]
    injection = series["injection"]
    both = int(((injection > 0).any(axis=0) & (injection < 0).any(axis=0)).sum())
    hours = 0.25
    return {
        "exp h": hours * int((series["exchange"] < 0).sum()),
        "imp h": hours * int((series["exchange"] > 0).sum()),
        "cells": injection.shape[1], "cells +/-": both,
        "Vm min": vm.min(), "Vm max": vm.max(),
        "h>vmax": hours * int((vm.max(axis=1) > v_max).sum()),
        "h<vmin": hours * int((vm.min(axis=1) < v_min).sum()),
        "line max": series["line"].max(), "h>100": hours * int((series["line"] > 100).any(
            axis=1).sum()),
        "trafo max": series["trafo"].max(),
    }


def measure_cells(cells: SimbenchCells, series: dict[str, np.ndarray], v_max: float = 1.05
                  ) -> pd.DataFrame:
    """Per cell: surplus/deficit hours, Vm range, hours above ``v_max``, max line loading."""
    net = cells.net
    rows = []
    for position, cell in enumerate(sorted(set(net.bus.cell[net.bus.cell >= 0]))):
        buses = (net.bus.cell == cell).to_numpy()
        lines = (net.line.cell == cell).to_numpy()
        vm = series["vm"][:, buses]
        injection = series["injection"][:, position]
        rows.append({"cell": cell, "code": cells.cells.code[cell],
                     "feeder": cells.cells.feeder[cell], "buses": int(buses.sum()),
                     "surplus h": 0.25 * int((injection > 0).sum()),
                     "deficit h": 0.25 * int((injection < 0).sum()),
                     "P max MW": injection.max(), "P min MW": injection.min(),
                     "Vm min": vm.min(), "Vm max": vm.max(),
                     "h>vmax": 0.25 * int((vm.max(axis=1) > v_max).sum()),
                     "line max": series["line"][:, lines].max()})
    return pd.DataFrame(rows)


def proxy_days(cells: SimbenchCells, months: list[int], top: int) -> list[pd.Timestamp]:
    """Days of ``months`` ranked by hours with both signs of net injection x peak surplus."""
    time = cells.time
    days = [d for d in pd.date_range(time[0], time[-1].normalize(), freq="D")
            if d.month in months]
    scores = []
    for day in days:
        powers = cells.powers(day, 1)
        net = powers.sgen_p_mw.sum(axis=1) - powers.load_p_mw.sum(axis=1)
        surplus = float((net > 0).mean())
        scores.append((min(surplus, 1 - surplus) * float(net.max()), day))
    scores.sort(reverse=True)
    return [day for _, day in scores[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", nargs="+", default=ALL_MV)
    parser.add_argument("--days", nargs="+", type=pd.Timestamp, default=None)
    parser.add_argument("--scan", nargs="+", type=int, default=None, help="months to scan")
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--cells", type=int, default=None,
                        help="instead: per-cell figures of build_simbench_cells(codes, cells)")
    args = parser.parse_args()
    print(f"default codes {list(DEFAULT_CODES)}, default day {DEFAULT_START.date()}")
    if args.cells:
        codes = args.codes if args.codes != ALL_MV else list(DEFAULT_CODES)
        cells = build_simbench_cells(codes, args.cells, cache_dir=args.cache_dir)
        for day in args.days or [DEFAULT_START]:
            print(f"\n{day.date()}: {args.cells} cells of {codes}")
            series = run_day(cells, day)
            whole = measure_day(cells, day, series=series)
            print("all cells:", " ".join(f"{k}={v:.3f}" if isinstance(v, float) else
                                         f"{k}={v}" for k, v in whole.items()))
            with pd.option_context("display.width", 200, "display.max_columns", 20):
                print(measure_cells(cells, series).round(3).to_string(index=False))
        return
    results = []
    for code in args.codes:
        started = clock.perf_counter()
        cells = build_simbench_cells([code], None, cache_dir=args.cache_dir)
        days = args.days or ([DEFAULT_START] if not args.scan else [])
        if args.scan:
            days = list(days) + proxy_days(cells, args.scan, args.top)
        for day in days:
            row = {"code": code, "day": str(day.date()), **measure_day(cells, day)}
            results.append(row)
            print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items()), f"({clock.perf_counter() - started:.1f} s)",
                  flush=True)
    frame = pd.DataFrame(results)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(frame.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
