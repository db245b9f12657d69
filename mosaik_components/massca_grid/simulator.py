"""``GridSimulator``: mosaik-pandapower-2 with a faster power flow and what cells need.

Same models, attributes and extra methods as mosaik-pandapower-2, plus:

* ``Transformer`` entities (children of ``Grid``, ``Transformer-<i>``): outputs
  ``loading[%]``, ``P_hv[MW]``, ``Q_hv[MVar]`` (mosaik-pandapower-2 has no transformer
  model);
* the ``CellView`` model: params ``cell`` (the ``cell`` number in the grid's tables),
  ``units`` (mapping unit name -> bus index; name the units as the cell controller knows
  its children, e.g. their MAS agent eids) and ``limits`` (``{"v_min", "v_max",
  "loading_max"}``, default 0.95/1.05 pu, 100 %), ``q_per_p`` (unit name -> MVAr per MW
  of its active power, e.g. a load's ``tan φ``; default 0); output ``grid``: the cell's
  :class:`~..mas.model.grid.GridView` in plain form (``GridView.to_dict()``) computed from
  this step's (this iteration's) power flow: bus voltages of the cell (no slack bus),
  loadings of its lines and transformers, and their sensitivities to each unit's active
  power (:mod:`.sensitivity`). Every parameter is validated at ``create``.

Between two steps only bus injections change (unit powers on the buses' automatic loads
and sgens), so ``runpp(recycle={"bus_pq": True, ...})`` skips rebuilding the admittance
model (results identical to a fresh ``runpp`` within 1e-8; see tests). Switching
elements on or off makes the next power flow a fresh one. lightsim2grid is used when
installed (pandapower's ``"auto"``). The recycled power flows leave pandapower's result
tables alone (``only_v_results``): bus voltages, line and transformer loadings, line
currents and the external grid's power are computed from the solved voltages
(:mod:`.lean`, ~4x faster per power flow on 5 CIGRE cells), checked against
pandapower's tables at every fresh power flow; the first request for any other output
runs pandapower's full power flow, from then on. The
sensitivities reuse one index layout per topology and factorise the Jacobian once per
power flow, only when a ``CellView`` output is requested, and solve for each cell's own
unit buses (one multi-column solve with every cell's buses at once is slower: OpenBLAS
threads on 2 busy cores made a 550-column solve take seconds).

Stepping: the simulator is *hybrid* whatever ``step_size`` is. Every input triggers a
step (so inside a ``world.group()`` the power flow re-runs in every same-time iteration
and the agents never act on a stale exchange), and every output is persistent (a power
flow result holds until the next one, so the recorder and the agents may read it as a
measurement without mosaik's "non-persistent ... non-trigger" warning). With an integer
``step_size`` it also steps on its own every ``step_size`` seconds (profiles, no
inputs); ``step_size=None`` steps only when inputs arrive. Both give the same results
(mosaik-pandapower-2 itself is time-based with ``step_size`` and then re-runs only once
per time step). ``python -m mosaik_components.massca_grid.simulator HOST:PORT`` starts it
for mosaik's ``cmd`` mode.
"""

from __future__ import annotations

import copy
import time as time_module
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mosaik_api_v3
import pandapower as pp
from mosaik_components.pandapower.simulator import META as PANDAPOWER_META
from mosaik_components.pandapower.simulator import MODEL_TO_ELEMENT_SPECS, apply_profiles
from mosaik_components.pandapower.simulator import Simulator as PandapowerSimulator

from ..mas.model.errors import ConfigError
from .cellview import CellIndex, CellSpec, cell_index, cell_spec, grid_view
from .lean import TABLES_CHECKED, LeanLayout, LeanResults, check_against_tables, lean_layout
from .sensitivity import (
    Layout,
    OperatingPoint,
    SensitivityError,
    layout_of,
    operating_point,
    solved_state,
)

__all__ = ["GridSimulator", "META", "main"]

RECYCLE = {"trafo": False, "gen": False, "bus_pq": True}
TRANSFORMER_OUTPUTS = {"loading[%]": "loading_percent", "P_hv[MW]": "p_hv_mw",
                       "Q_hv[MVar]": "q_hv_mvar"}
META = copy.deepcopy(PANDAPOWER_META)
META["models"]["Transformer"] = {"public": False, "params": [],
                                 "attrs": list(TRANSFORMER_OUTPUTS), "any_inputs": False}
META["models"]["CellView"] = {"public": True, "params": ["cell", "units", "limits",
                                                         "q_per_p"],
                              "attrs": ["grid"], "any_inputs": False}
META["extra_methods"] = [*META.get("extra_methods", []), "power_flow_seconds",
                         "cell_view_seconds"]
META["type"] = "hybrid"
for _model in META["models"].values():  # hybrid: inputs trigger, outputs persist
    _model.update({"trigger": list(_model["attrs"]), "non-trigger": [],
                   "persistent": list(_model["attrs"]), "non-persistent": []})
del _model


class GridSimulator(PandapowerSimulator):
    """See the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.meta = copy.deepcopy(META)
        self._fresh = True
        self.power_flow_s = 0.0
        #: wall seconds spent on CellView outputs (sensitivities, views)
        self.cell_view_s = 0.0
        self._results: dict[str, tuple[dict[Any, int], dict[str, Any]]] = {}
        self._cells: dict[str, CellSpec] = {}
        self._layout: Layout | None = None
        self._indices: dict[str, CellIndex] = {}
        self._point: OperatingPoint | None = None
        self._views: dict[str, dict[str, Any]] = {}
        #: (eid, input attr) -> ((table, column), row, aggregator): the grid's elements
        #: are fixed once created, so each input's place is looked up once
        self._targets: dict[tuple[str, str], tuple[tuple[str, str], int,
                                                   Callable[[Any], float]]] = {}
        self._parsed: dict[str, tuple[str, int]] = {}
        #: outputs from the voltages alone (:mod:`.lean`) while every one asked is covered
        self._lean_enabled = True
        self._recycles_voltages = False  # the recycled power flows skip the tables
        self._voltages_only = False  # this power flow skipped them
        self._lean: LeanResults | None = None
        self._lean_layout: LeanLayout | None = None

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int | None = 900
             ) -> dict[str, Any]:
        """As mosaik-pandapower-2, but hybrid for every ``step_size`` (module docstring)."""
        if step_size is not None and (isinstance(step_size, bool)
                                      or not isinstance(step_size, int) or step_size < 1):
            raise ValueError(f"{sid}: step_size must be None or an integer >= 1, "
                             f"got {step_size!r}")
        super().init(sid, time_resolution, step_size)
        self.meta["type"] = "hybrid"
        return self.meta

    def create(self, num: int, model: str, **model_params: Any) -> list[Any]:
        """As mosaik-pandapower-2, plus ``CellView``; bad grid files and params are named."""
        if model == "CellView":
            return [self._create_cell_view(**model_params) for _ in range(num)]
        if model != "Grid" or "json" not in model_params:
            return super().create(num, model, **model_params)
        path = model_params["json"]
        if not Path(str(path)).is_file():
            raise ValueError(f"Grid json={path!r}: no such file")
        try:
            return super().create(num, model, **model_params)
        except (Warning, ValueError, KeyError, AttributeError, TypeError) as exc:
            raise ValueError(f"Grid json={path!r}: not a pandapower network file "
                             f"({type(exc).__name__}: {exc})") from None

    def get_net(self) -> pp.pandapowerNet:
        """As mosaik-pandapower-2, with the result tables filled for the current power flow.

        A recycled power flow leaves pandapower's tables alone (:mod:`.lean`); asking for
        the network runs pandapower's full power flow first.
        """
        if self._voltages_only:
            self._fresh_power_flow(voltages_only=False)
            self._fresh = True  # the next step goes back to the voltages-only power flows
        return super().get_net()

    def power_flow_seconds(self) -> float:
        """Wall seconds spent in power flows so far (a mosaik extra method)."""
        return self.power_flow_s

    def cell_view_seconds(self) -> float:
        """Wall seconds spent on CellView outputs so far (a mosaik extra method)."""
        return self.cell_view_s

    def create_grid(self, **params: Any) -> dict[str, Any]:
        """As mosaik-pandapower-2, plus one ``Transformer-<i>`` child per transformer."""
        grid = super().create_grid(**params)
        self._targets.clear()  # a new grid, new automatic elements
        for row in self._net.trafo.itertuples():
            eid = f"Transformer-{row.Index}"
            info = {"name": row.name, "index": row.Index}
            grid["children"].append({"type": "Transformer", "eid": eid, "extra_info": info,
                                     "rel": [f"Bus-{row.hv_bus}", f"Bus-{row.lv_bus}"]})
            self._extra_info[eid] = info
        return grid

    def _create_cell_view(self, cell: Any = None, units: Any = None, limits: Any = None,
                          q_per_p: Any = None, **unknown: Any) -> dict[str, Any]:
        eid = f"CellView-{len(self._cells)}"
        if unknown:
            raise ConfigError(f"{self._sid}.{eid}: unknown parameter(s) {sorted(unknown)}")
        if not self._net:
            raise ConfigError(f"{self._sid}.{eid}: create the Grid before CellView entities")
        self._cells[eid] = cell_spec(self._net, cell, units, limits, what=f"{self._sid}.{eid}",
                                     q_per_p=q_per_p)
        return {"eid": eid, "type": "CellView", "rel": [f"Bus-{b}" for b in
                                                        self._cells[eid].buses]}

    def disable_elements(self, elements: list[str]) -> None:
        """As mosaik-pandapower-2; the next power flow rebuilds its model."""
        super().disable_elements(elements)
        self._fresh = True

    def enable_elements(self, elements: list[str]) -> None:
        """As mosaik-pandapower-2; the next power flow rebuilds its model."""
        super().enable_elements(elements)
        self._fresh = True

    def step(self, time: int, inputs: dict[str, dict[str, dict[str, Any]]],
             max_advance: int) -> int | None:
        """Apply bus/element inputs (one vectorised write per column), run the power flow."""
        if self._profiles:
            apply_profiles(self._net, self._profiles, time // 900)
        writes: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        for eid, data in inputs.items():
            for attr, values in data.items():
                target = self._targets.get((eid, attr))
                if target is None:
                    target = self._targets[eid, attr] = self._input_target(eid, attr)
                table_column, row, aggregate = target
                rows, column_values = writes.setdefault(table_column, ([], []))
                rows.append(row)
                column_values.append(aggregate(values.values()))
        for (elem, column), (rows, column_values) in writes.items():
            self._net[elem].loc[rows, column] = column_values
        self._results = {}
        self._point = None
        self._views = {}
        self._lean = None
        if self._fresh:
            self._fresh_power_flow(voltages_only=self._lean_enabled)
        else:
            self._run_power_flow(recycle=RECYCLE)
            self._voltages_only = self._recycles_voltages
        if self._step_size:
            return time + self._step_size
        return None

    def _fresh_power_flow(self, voltages_only: bool) -> None:
        """A power flow that rebuilds pandapower's model and fills its result tables.

        With ``voltages_only`` a second one (the same solution) sets pandapower's
        ``only_v_results``, so this and the recycled power flows after it leave the tables
        alone and the outputs come from the voltages (:mod:`.lean`), once they have been
        checked against the first one's tables.
        """
        self._run_power_flow()
        self._fresh = False
        self._layout = self._lean_layout = None
        self._indices = {}
        self._point = None
        self._lean = None
        self._voltages_only = self._recycles_voltages = False
        if not voltages_only:
            return
        tables = {name: self._net[name].copy() for name in TABLES_CHECKED}
        self._run_power_flow(only_v_results=True)
        try:
            problem = check_against_tables(tables, self._lean_results())
        except SensitivityError as exc:
            problem = str(exc)
        if problem is None:
            self._voltages_only = self._recycles_voltages = True
            return
        warnings.warn(f"{self._sid}: grid outputs computed from the voltages differ from "
                      f"pandapower's ({problem}); using pandapower's full power flow",
                      RuntimeWarning, stacklevel=2)
        self._lean_enabled = False
        self._fresh_power_flow(voltages_only=False)

    def _run_power_flow(self, **options: Any) -> None:
        """``pp.runpp`` on the grid with ``options``, its wall time counted."""
        started = time_module.perf_counter()
        pp.runpp(self._net, **options)
        self.power_flow_s += time_module.perf_counter() - started

    def _lean_results(self) -> LeanResults:
        """The current power flow's outputs from its voltages (computed once per flow)."""
        if self._lean is None:
            started = time_module.perf_counter()
            if self._lean_layout is None:
                if self._layout is None:
                    self._layout = layout_of(self._net)
                self._lean_layout = lean_layout(self._net, self._layout)
            self._lean = LeanResults(self._lean_layout, solved_state(self._net, self._layout))
            self.power_flow_s += time_module.perf_counter() - started
        return self._lean

    def _input_target(self, eid: str, attr: str
                      ) -> tuple[tuple[str, str], int, Callable[[Any], float]]:
        """Where input ``attr`` of ``eid`` goes: (table, column), row, and its aggregator."""
        model, idx = self.get_model_and_idx(eid)
        spec = MODEL_TO_ELEMENT_SPECS.get(model)
        attr_spec = spec.input_attr_specs.get(attr) if spec else None
        if attr_spec is None:
            raise ValueError(f"{self._sid}.{eid}: {attr!r} is not an input of {model}")
        return ((attr_spec.target_elem or spec.elem, attr_spec.column),
                attr_spec.idx_fn(idx, self), attr_spec.aggregator)

    def get_model_and_idx(self, eid: str) -> tuple[str, int]:
        """As mosaik-pandapower-2 (``"Bus-3"`` -> ``("Bus", 3)``), parsed once per id."""
        parsed = self._parsed.get(eid)
        if parsed is None:
            parsed = self._parsed[eid] = super().get_model_and_idx(eid)
        return parsed

    def get_entity_data(self, eid: str, attrs: list[str]) -> dict[str, Any]:
        """Read results from per-table numpy copies (made once per power flow)."""
        model, idx = self.get_model_and_idx(eid)
        if model == "CellView":
            return {attr: self._cell_view(eid) for attr in attrs}
        if self._voltages_only:
            lean = self._lean_results()
            if lean.covers(model, idx, attrs):
                return {attr: lean.get(model, idx, attr) for attr in attrs}
            # an output the voltages do not give: pandapower's full power flow, from now on
            self._lean_enabled = False
            self._fresh_power_flow(voltages_only=False)
        if model == "Transformer":
            positions, columns = self._columns("res_trafo")
            row = positions[idx]
            return {a: float(columns[TRANSFORMER_OUTPUTS[a]][row]) for a in attrs}
        info = MODEL_TO_ELEMENT_SPECS[model]
        positions, columns = self._columns(f"res_{info.elem}")
        row = positions[idx]
        return {attr: float(columns[info.out_attr_to_column[attr]][row]) for attr in attrs}

    def _columns(self, table: str) -> tuple[dict[Any, int], dict[str, Any]]:
        cached = self._results.get(table)
        if cached is None:
            frame = self._net[table]
            positions = {label: i for i, label in enumerate(frame.index)}
            cached = self._results[table] = (positions, {c: frame[c].to_numpy()
                                                         for c in frame.columns})
        return cached

    def _cell_view(self, eid: str) -> dict[str, Any]:
        """The cell's GridView (plain form) at this power flow; computed once per flow."""
        view = self._views.get(eid)
        if view is not None:
            return view
        started = time_module.perf_counter()
        if self._layout is None:
            self._layout = layout_of(self._net)
        if self._point is None:
            self._point = operating_point(self._net, self._layout,
                                          check=not self._voltages_only)
        index = self._indices.get(eid)
        if index is None:
            index = self._indices[eid] = cell_index(self._cells[eid], self._layout)
        view = self._views[eid] = grid_view(index, self._point).to_dict()
        self.cell_view_s += time_module.perf_counter() - started
        return view


def main() -> None:
    """Start the grid simulator for mosaik's ``cmd`` mode (``%(python)s -m ... %(addr)s``)."""
    mosaik_api_v3.start_simulation(GridSimulator(), "massca grid simulator")


if __name__ == "__main__":
    main()
