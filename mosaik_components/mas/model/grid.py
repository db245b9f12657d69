"""What a cell controller knows about its grid: measurements, limits, sensitivities.

A :class:`GridView` is the measured state of one cell's grid section in the current
iteration (bus voltages, branch loadings), the limits the cell shall keep, and the linear
sensitivities of those quantities to the active power injections of the cell's units.
The grid simulator publishes it (plain form: :meth:`GridView.to_dict`) and mosaik carries
it to the controller's ``grid`` input; strategies read it through their
:class:`~..strategies.base.View`.

Sign convention: an injection ``dP`` is net active power (generation positive, MW);
``dv_dp[i, j]`` is the change of bus ``i``'s voltage (pu) per MW injected by unit ``j``,
``dloading_dp[i, j]`` the change of branch ``i``'s loading (%) per MW of unit ``j``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import StateError
from .horizon import as_array

__all__ = ["GridLimits", "GridView", "VOLTAGE_TOL", "LOADING_TOL"]

#: A voltage limit counts as broken beyond this (pu): power-flow and LP round-off, which
#: put a limit-keeping result some 1e-15 pu past it, stay below it.
VOLTAGE_TOL = 1e-6
#: The same for a loading limit (percentage points).
LOADING_TOL = 1e-4


@dataclass(frozen=True, slots=True)
class GridLimits:
    """Operating limits: voltage band (pu) and maximum branch loading (%)."""

    v_min: float = 0.95
    v_max: float = 1.05
    loading_max: float = 100.0

    @classmethod
    def checked(cls, v_min: object = 0.95, v_max: object = 1.05,
                loading_max: object = 100.0, what: str = "limits") -> GridLimits:
        """Validate: ``0.5 <= v_min < v_max <= 1.5`` pu and ``0 < loading_max <= 300`` %."""
        values = []
        for label, value in (("v_min", v_min), ("v_max", v_max), ("loading_max", loading_max)):
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise StateError(f"{what}.{label} must be a number, got {value!r}")
            values.append(float(value))
        low, high, loading = values
        if not 0.5 <= low < high <= 1.5:
            raise StateError(f"{what}: need 0.5 <= v_min < v_max <= 1.5 pu, got "
                             f"v_min={v_min!r}, v_max={v_max!r}")
        if not 0 < loading <= 300:
            raise StateError(f"{what}.loading_max must be in (0, 300] %, got {loading_max!r}")
        return cls(low, high, loading)


@dataclass(frozen=True, slots=True, eq=False)
class GridView:
    """One cell's grid in this iteration (see the module docstring)."""

    buses: tuple[str, ...]
    vm_pu: np.ndarray
    branches: tuple[str, ...]
    loading_pct: np.ndarray
    units: tuple[str, ...]
    dv_dp: np.ndarray
    dloading_dp: np.ndarray
    limits: GridLimits = GridLimits()

    def __post_init__(self) -> None:
        shapes = {
            "vm_pu": (self.vm_pu.shape, (len(self.buses),)),
            "loading_pct": (self.loading_pct.shape, (len(self.branches),)),
            "dv_dp": (self.dv_dp.shape, (len(self.buses), len(self.units))),
            "dloading_dp": (self.dloading_dp.shape, (len(self.branches), len(self.units))),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise StateError(f"grid view: {name} has shape {got}, expected {want}")

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, GridView) and self.buses == other.buses
                and self.branches == other.branches and self.units == other.units
                and self.limits == other.limits
                and all(np.array_equal(a, b) for a, b in (
                    (self.vm_pu, other.vm_pu), (self.loading_pct, other.loading_pct),
                    (self.dv_dp, other.dv_dp), (self.dloading_dp, other.dloading_dp))))

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-compatible form (see :meth:`from_dict`)."""
        return {
            "buses": list(self.buses), "vm_pu": self.vm_pu.tolist(),
            "branches": list(self.branches), "loading_pct": self.loading_pct.tolist(),
            "units": list(self.units), "dv_dp": self.dv_dp.tolist(),
            "dloading_dp": self.dloading_dp.tolist(),
            "limits": {"v_min": self.limits.v_min, "v_max": self.limits.v_max,
                       "loading_max": self.limits.loading_max},
        }

    @classmethod
    def from_dict(cls, data: object, what: str = "grid") -> GridView:
        """Read and validate the form :meth:`to_dict` writes; errors name the field."""
        if not isinstance(data, Mapping):
            raise StateError(f"{what} must be a dict, got {data!r}")
        try:
            buses = _names(data["buses"], f"{what}.buses")
            branches = _names(data["branches"], f"{what}.branches")
            units = _names(data["units"], f"{what}.units")
            vm = _vector(data["vm_pu"], f"{what}.vm_pu", len(buses))
            loading = _vector(data["loading_pct"], f"{what}.loading_pct", len(branches))
            dv = _matrix(data["dv_dp"], f"{what}.dv_dp", len(buses), len(units))
            dl = _matrix(data["dloading_dp"], f"{what}.dloading_dp", len(branches), len(units))
        except KeyError as missing:
            raise StateError(f"{what} has no field {missing}") from None
        limits = data.get("limits", {})
        if not isinstance(limits, Mapping):
            raise StateError(f"{what}.limits must be a dict, got {limits!r}")
        unknown = set(limits) - {"v_min", "v_max", "loading_max"}
        if unknown:
            raise StateError(f"{what}.limits: unknown field(s) {sorted(unknown)}")
        return cls(buses, vm, branches, loading, units, dv, dl,
                   GridLimits.checked(**limits, what=f"{what}.limits"))


def _names(values: object, what: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not all(
            isinstance(v, str) for v in values):
        raise StateError(f"{what} must be a list of names, got {values!r}")
    return tuple(values)


def _vector(values: object, what: str, length: int) -> np.ndarray:
    if length == 0:
        if isinstance(values, Sequence) and len(values) == 0:
            return np.zeros(0)
        raise StateError(f"{what} must be empty here, got {values!r}")
    return as_array(values, what, length)


def _matrix(values: object, what: str, rows: int, cols: int) -> np.ndarray:
    try:
        matrix = np.asarray(values, dtype=float).reshape(rows, cols) if rows * cols else (
            np.zeros((rows, cols)))
    except (TypeError, ValueError):
        raise StateError(f"{what} must be a {rows} x {cols} matrix of numbers, got "
                         f"{values!r}") from None
    if not np.isfinite(matrix).all():
        raise StateError(f"{what} has non-finite values")
    if rows * cols and np.asarray(values, dtype=float).shape != (rows, cols):
        raise StateError(f"{what} must be a {rows} x {cols} matrix")
    return matrix
