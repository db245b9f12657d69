"""Linear sensitivities of bus voltages and branch loadings to active power injections.

**Choice: the AC power-flow Jacobian at the solved operating point.** After a Newton
power flow, the Jacobian ``J`` of the bus power injections with respect to the voltage
angles (non-slack buses) and magnitudes (PQ buses) at the solution gives, for 1 MW more
net injection at bus ``k`` (reactive power unchanged, the slack takes the balance),
``[dθ; d|V|] = J⁻¹ e_k / baseMVA``; a unit whose reactive power follows its active
power (a load at a fixed power factor) adds ``tan φ`` in bus ``k``'s reactive row.
Branch currents are linear in the complex voltages (``I_from = Y_f V``,
``I_to = Y_t V``), so ``d|I|`` follows from ``dV = V (d|V|/|V| + j dθ)``, and a
branch's loading (pandapower's: the larger of both ends' current over the rating)
changes with its larger end. This is exact to first order
for meshed and radial grids alike; LinDistFlow would neglect losses and the voltage
dependence of currents and hold for radial feeders only. Validated against full power
flows in ``tests/unit/test_grid_sensitivity.py`` (figures in BENCHMARKS.md).

The Jacobian is built here from the admittance matrices and voltages pandapower keeps of
its last power flow (``net._ppc["internal"]``: ``Ybus``, ``Yf``, ``Yt``, ``V``, the bus
type sets, ``baseMVA``) and its lookups (``net._pd2ppc_lookups``). These are pandapower's
internal structures, so every access to them is in this module, and it checks what it
reads: the loadings it recomputes must equal pandapower's result tables, else
:class:`SensitivityError` (an incompatible pandapower, or ``trafo_loading="power"``).

Cost: :func:`layout_of` (indices, admittance pattern, ratings) once per topology;
:func:`operating_point` per power flow (the Jacobian's values on a fixed sparsity
pattern, one sparse LU); then :meth:`OperatingPoint.solve` for the buses a caller needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandapower as pp
import scipy.sparse as sp
from pandapower.pypower.idx_bus import BASE_KV, PD, QD
from scipy.sparse.linalg import splu

__all__ = ["Branches", "Layout", "OperatingPoint", "SensitivityError", "SolvedState",
           "layout_of", "operating_point", "solved_state"]

#: Largest relative difference allowed between recomputed and pandapower loadings.
CHECK_RTOL = 1e-6
BranchKey = tuple[str, int]  # ("line" | "trafo", pandapower index)


class SensitivityError(RuntimeError):
    """The power-flow data needed for sensitivities is missing or inconsistent."""


@dataclass(frozen=True, eq=False)
class Branches:
    """A fixed set of branches: their rows of ``Yf``/``Yt`` and % per p.u. current."""

    keys: tuple[BranchKey, ...]
    y_from: sp.csr_matrix
    y_to: sp.csr_matrix
    scale_from: np.ndarray
    scale_to: np.ndarray

    def loading(self, voltage: np.ndarray) -> np.ndarray:
        """Loading (%) of each branch at ``voltage`` (pandapower's definition)."""
        return np.maximum(self.scale_from * np.abs(self.y_from @ voltage),
                          self.scale_to * np.abs(self.y_to @ voltage))

    def sensitivity(self, voltage: np.ndarray, d_voltage: np.ndarray) -> np.ndarray:
        """D loading (%) for complex voltage changes ``d_voltage`` (one column each)."""
        ends = []
        for y, scale in ((self.y_from, self.scale_from), (self.y_to, self.scale_to)):
            current = y @ voltage
            size = np.abs(current)
            d_size = np.real(np.conj(current)[:, None] * (y @ d_voltage)) / np.where(
                size > 0, size, 1.0)[:, None]
            ends.append((scale * size, d_size * scale[:, None]))
        (from_loading, d_from), (to_loading, d_to) = ends
        return np.where((to_loading > from_loading)[:, None], d_to, d_from)


@dataclass(frozen=True, eq=False)
class Layout:
    """What stays fixed between power flows on one topology (see the module docstring)."""

    buses: int
    rows_of_angle: np.ndarray  # bus -> row of its angle in the solution, -1: slack
    rows_of_magnitude: np.ndarray  # bus -> row of its magnitude, -1: fixed (slack, PV)
    base_mva: float
    bus_row: dict[int, int]  # pandapower bus -> position in V
    branch_rows: dict[BranchKey, tuple[int, float, float]]
    y_from: sp.csr_matrix
    y_to: sp.csr_matrix
    pattern: tuple[np.ndarray, ...]  # Ybus nonzeros and their places in J
    size: int
    every_branch: Branches  # all in-service lines and transformers (for the check)
    ybus: sp.csr_matrix

    def branches(self, keys: Sequence[BranchKey]) -> Branches:
        """The :class:`Branches` of ``keys`` (each must be in service)."""
        return _branch_set(self.branch_rows, self.y_from, self.y_to, keys)


def _branch_set(branch_rows: dict[BranchKey, tuple[int, float, float]], y_from: sp.csr_matrix,
                y_to: sp.csr_matrix, keys: Sequence[BranchKey]) -> Branches:
    rows = np.array([branch_rows[k][0] for k in keys], dtype=int)
    return Branches(tuple(keys), y_from[rows], y_to[rows],
                    np.array([branch_rows[k][1] for k in keys], dtype=float),
                    np.array([branch_rows[k][2] for k in keys], dtype=float))


@dataclass(frozen=True, eq=False)
class OperatingPoint:
    """One power flow, factorised (see the module docstring)."""

    layout: Layout
    voltage: np.ndarray
    lu: object

    def solve(self, buses: Sequence[int], q_per_p: Sequence[float] | None = None
              ) -> np.ndarray:
        """Complex voltage change per MW injected at each pandapower bus of ``buses``.

        ``q_per_p``: per entry, the MVAr of reactive injection that come with each MW
        (a load at a fixed power factor: ``tan φ``; default 0, reactive power unchanged).
        One row per bus of ``V``, one column per entry of ``buses``; ``d|V|`` of a row is
        ``real(dV / V) * |V|`` (see :meth:`magnitude`).
        """
        layout = self.layout
        rhs = np.zeros((layout.size, len(buses)))
        for column, bus in enumerate(buses):
            row = layout.rows_of_angle[layout.bus_row[bus]]
            if row >= 0:  # injecting at the slack changes nothing
                rhs[row, column] = 1.0 / layout.base_mva
            q_row = layout.rows_of_magnitude[layout.bus_row[bus]]
            if q_per_p is not None and q_row >= 0:  # a PV bus holds its voltage: no Q row
                rhs[q_row, column] = q_per_p[column] / layout.base_mva
        solution = self.lu.solve(rhs) if len(buses) else rhs  # type: ignore[attr-defined]
        angle = np.zeros((layout.buses, len(buses)))
        magnitude = np.zeros_like(angle)
        has_angle = layout.rows_of_angle >= 0
        has_magnitude = layout.rows_of_magnitude >= 0
        angle[has_angle] = solution[layout.rows_of_angle[has_angle]]
        magnitude[has_magnitude] = solution[layout.rows_of_magnitude[has_magnitude]]
        v = self.voltage[:, None]
        return v * (magnitude / np.abs(v) + 1j * angle)

    def magnitude(self, d_voltage: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``d|V|`` (pu) at positions ``rows`` of ``V`` from :meth:`solve`'s result."""
        v = self.voltage[rows, None]
        return np.real(d_voltage[rows] / v) * np.abs(v)


def layout_of(net: pp.pandapowerNet) -> Layout:
    """The fixed part of :func:`operating_point` after a power flow on ``net``."""
    internal = _internal(net)
    try:
        pv, pq = (np.asarray(internal[k], dtype=int) for k in ("pv", "pq"))
        base_mva = float(internal["baseMVA"])
        bus_lookup = np.asarray(net._pd2ppc_lookups["bus"])
        branch_ranges = net._pd2ppc_lookups["branch"]
        in_service = np.asarray(internal["branch_is"], dtype=bool)
        # every bus, also those cut off (the solved ones are the first rows, as in V)
        base_kv = np.asarray(net._ppc["bus"][:, BASE_KV].real, dtype=float)
        y_from, y_to = sp.csr_matrix(internal["Yf"]), sp.csr_matrix(internal["Yt"])
        ybus = sp.coo_matrix(internal["Ybus"])
        n = len(internal["V"])
    except (AttributeError, KeyError, TypeError, IndexError) as exc:
        raise SensitivityError(f"no usable power-flow result in the network ({exc!r}); "
                               "run a power flow first") from None
    if y_from.shape[0] != int(in_service.sum()):
        raise SensitivityError(f"pandapower's Yf has {y_from.shape[0]} rows but "
                               f"{int(in_service.sum())} branches are in service")
    pvpq = np.concatenate([pv, pq])
    rows_of_angle = np.full(n, -1)
    rows_of_angle[pvpq] = np.arange(len(pvpq))
    rows_of_magnitude = np.full(n, -1)
    rows_of_magnitude[pq] = len(pvpq) + np.arange(len(pq))
    buses = net.bus.index[net.bus.in_service].to_numpy()
    bus_row = dict(zip(buses.tolist(), bus_lookup[buses].tolist(), strict=True))
    branch_rows = _branch_rows(net, branch_ranges, in_service, base_kv, bus_lookup, base_mva)
    return Layout(n, rows_of_angle, rows_of_magnitude, base_mva, bus_row, branch_rows,
                  y_from, y_to, _pattern(ybus, rows_of_angle, rows_of_magnitude),
                  len(pvpq) + len(pq),
                  _branch_set(branch_rows, y_from, y_to, list(branch_rows)), ybus.tocsr())


@dataclass(frozen=True, eq=False)
class SolvedState:
    """A power flow's complex bus voltages and each bus's demand (positions as ``V``)."""

    voltage: np.ndarray
    demand_mw: np.ndarray  # loads minus static generation, per bus (MW)
    demand_mvar: np.ndarray

    def injection_mva(self, layout: Layout, rows: np.ndarray) -> np.ndarray:
        """Complex power (MVA) the network takes from the buses at ``rows`` of ``V``."""
        v = self.voltage
        return v[rows] * np.conj(layout.ybus[rows] @ v) * layout.base_mva


def solved_state(net: pp.pandapowerNet, layout: Layout) -> SolvedState:
    """The voltages and bus demands of pandapower's last power flow on ``net``.

    Also after ``runpp(..., recycle=...)`` with ``only_v_results`` (the result tables are
    then stale; the voltages are this power flow's).
    """
    bus = _internal(net)["bus"]
    return SolvedState(_voltage(net, layout), np.asarray(bus[:, PD].real, dtype=float),
                       np.asarray(bus[:, QD].real, dtype=float))


def operating_point(net: pp.pandapowerNet, layout: Layout | None = None,
                    check: bool = True) -> OperatingPoint:
    """Factorise pandapower's last power flow on ``net`` (see the module docstring).

    ``layout`` (from :func:`layout_of`) may be reused between power flows on one topology.
    ``check=False`` skips comparing the loadings with pandapower's result tables: for a
    power flow that left them alone (``only_v_results``; the grid simulator compares
    the same loadings with the tables of its last full power flow, :mod:`.lean`).
    """
    layout = layout if layout is not None else layout_of(net)
    voltage = _voltage(net, layout)
    jacobian = _jacobian(layout, voltage)
    point = OperatingPoint(layout, voltage, splu(jacobian))
    if check:
        _check_loadings(net, point)
    return point


def _voltage(net: pp.pandapowerNet, layout: Layout) -> np.ndarray:
    """The last power flow's complex bus voltages, which must fit ``layout``."""
    voltage = np.asarray(_internal(net)["V"], dtype=complex)
    if len(voltage) != layout.buses:
        raise SensitivityError(f"the power flow has {len(voltage)} buses, the layout "
                               f"{layout.buses}: the topology changed, rebuild the layout")
    return voltage


def _internal(net: pp.pandapowerNet) -> dict:
    try:
        internal = net._ppc["internal"]
        internal["V"]
    except (AttributeError, KeyError, TypeError):
        raise SensitivityError("no power-flow result in the network; run a power flow "
                               "first") from None
    return internal


def _pattern(ybus: sp.coo_matrix, angle: np.ndarray, magnitude: np.ndarray
             ) -> tuple[np.ndarray, ...]:
    """Ybus's nonzeros and, per Jacobian block, which of them go where.

    Blocks: (P rows, angle columns), (P, magnitude), (Q, angle), (Q, magnitude); a
    bus's P row is its angle row, its Q row its magnitude row.
    """
    i, k, y = ybus.row, ybus.col, ybus.data
    places = []
    for row_of, col_of in ((angle, angle), (angle, magnitude), (magnitude, angle),
                           (magnitude, magnitude)):
        keep = (row_of[i] >= 0) & (col_of[k] >= 0)
        places += [np.flatnonzero(keep), row_of[i[keep]], col_of[k[keep]]]
    diagonal = [np.flatnonzero((row_of >= 0) & (col_of >= 0)) for row_of, col_of in (
        (angle, angle), (angle, magnitude), (magnitude, angle), (magnitude, magnitude))]
    return (i, k, y, *places, *diagonal)


def _jacobian(layout: Layout, v: np.ndarray) -> sp.csc_matrix:
    """d(P, Q injections) / d(θ of PV+PQ buses, |V| of PQ buses), textbook polar form.

    Per Ybus nonzero (i, k): ``dS_i/dθ_k = -j V_i conj(Y_ik V_k)``,
    ``dS_i/d|V_k| = V_i conj(Y_ik V_k) / |V_k|``; the diagonal adds ``j V_i conj(I_i)``
    and ``conj(I_i) V_i / |V_i|`` with ``I = Ybus V``.
    """
    i, k, y, *rest = layout.pattern
    blocks, diagonals = rest[:12], rest[12:]
    term = v[i] * np.conj(y * v[k])
    current = np.zeros(len(v), dtype=complex)
    np.add.at(current, i, y * v[k])
    by_angle = -1j * term
    by_magnitude = term / np.abs(v[k])
    diag_angle = 1j * v * np.conj(current)
    diag_magnitude = np.conj(current) * v / np.abs(v)
    parts = ((by_angle, diag_angle, np.real), (by_magnitude, diag_magnitude, np.real),
             (by_angle, diag_angle, np.imag), (by_magnitude, diag_magnitude, np.imag))
    data, rows, cols = [], [], []
    row_sets = ((layout.rows_of_angle, layout.rows_of_angle),
                (layout.rows_of_angle, layout.rows_of_magnitude),
                (layout.rows_of_magnitude, layout.rows_of_angle),
                (layout.rows_of_magnitude, layout.rows_of_magnitude))
    for number, (values, diagonal, part) in enumerate(parts):
        which, row, col = blocks[3 * number: 3 * number + 3]
        data += [part(values[which]), part(diagonal[diagonals[number]])]
        row_of, col_of = row_sets[number]
        rows += [row, row_of[diagonals[number]]]
        cols += [col, col_of[diagonals[number]]]
    return sp.csc_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(layout.size, layout.size))


def _branch_rows(net: pp.pandapowerNet, ranges: dict, in_service: np.ndarray,
                 base_kv: np.ndarray, bus_lookup: np.ndarray, base_mva: float
                 ) -> dict[BranchKey, tuple[int, float, float]]:
    """Branch key -> (row in Yf/Yt, % per p.u. current at the from end, at the to end)."""
    position = np.cumsum(in_service) - 1
    rows: dict[BranchKey, tuple[int, float, float]] = {}
    for table, ends in (("line", ("from_bus", "to_bus")), ("trafo", ("hv_bus", "lv_bus"))):
        frame = net[table]
        if table not in ranges or not len(frame):
            continue
        ppc_rows = ranges[table][0] + np.arange(len(frame))
        keep = frame.in_service.to_numpy(dtype=bool) & in_service[ppc_rows]
        kv = [base_kv[bus_lookup[frame[end].to_numpy(dtype=int)]] for end in ends]
        if table == "line":
            rating = (frame.max_i_ka * frame.df * frame.parallel).to_numpy(dtype=float)
            scales = [100.0 * base_mva / (np.sqrt(3) * k) / rating for k in kv]
        else:
            size = (frame.sn_mva * frame.parallel * frame.df).to_numpy(dtype=float)
            rated = (frame.vn_hv_kv.to_numpy(dtype=float), frame.vn_lv_kv.to_numpy(dtype=float))
            scales = [100.0 * base_mva * r / (k * size) for r, k in zip(rated, kv, strict=True)]
        for i in np.flatnonzero(keep):
            rows[(table, int(frame.index[i]))] = (
                int(position[ppc_rows[i]]), float(scales[0][i]), float(scales[1][i]))
    return rows


def _check_loadings(net: pp.pandapowerNet, point: OperatingPoint) -> None:
    """The loadings recomputed from the internal data must match pandapower's results."""
    checked = point.layout.every_branch
    if not checked.keys:
        return
    ours = checked.loading(point.voltage)
    theirs = np.concatenate([
        net[f"res_{table}"].loading_percent.to_numpy()[
            net[table].index.get_indexer([k[1] for k in checked.keys if k[0] == table])]
        for table in ("line", "trafo")])
    if not np.allclose(ours, theirs, rtol=CHECK_RTOL, atol=1e-6):
        worst = int(np.argmax(np.abs(ours - theirs)))
        table, index = checked.keys[worst]
        raise SensitivityError(
            f"{table} {index}: loading recomputed from pandapower's internal data is "
            f"{ours[worst]:.6f} %, its result table says {theirs[worst]:.6f} %; incompatible "
            "pandapower version or options (trafo_loading must be 'current')")
