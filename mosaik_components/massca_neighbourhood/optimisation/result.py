"""What a solver returns, and the solver options (validated)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["Solution", "SolverOptions", "METHODS", "HEURISTICS"]

#: The scipy local methods PySSMic runs under basin-hopping.
HEURISTICS = ("L-BFGS-B", "SLSQP", "TNC")
#: Every method a producer can use: the seed's three heuristics, our fast local search
#: (``descent``) and the exact MILP.
METHODS = (*HEURISTICS, "descent", "milp")

Method = Literal["L-BFGS-B", "SLSQP", "TNC", "descent", "milp"]


@dataclass(frozen=True, slots=True)
class Solution:
    """A choice of candidate start per job and its grid energy (Wh, exact)."""

    choice: tuple[int, ...]
    grid_wh: float
    method: str
    #: proven optimal (the MILP with status 0); heuristics never claim it
    optimal: bool
    seconds: float
    #: objective evaluations (heuristics) or solver calls (MILP)
    evaluations: int


@dataclass(frozen=True, slots=True)
class SolverOptions:
    """How a producer optimises its schedule.

    ``eps`` (s) is the finite-difference step of the scipy methods' numerical gradient and
    ``tol`` their termination tolerance (scipy's ``eps`` and ``tol``, the seed's "step
    size" and "tolerance"); ``niter`` basin-hopping iterations with random jumps of up to
    ``stepsize`` s; ``time_limit`` (s) bounds one MILP solve (``None``: none).
    """

    method: Method = "L-BFGS-B"
    eps: float = 1.0
    tol: float = 1e-6
    niter: int = 10
    stepsize: float = 1800.0
    time_limit: float | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        for name in ("eps", "tol", "stepsize"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if isinstance(self.niter, bool) or not isinstance(self.niter, int) or self.niter < 0:
            raise ValueError(f"niter must be an integer >= 0, got {self.niter!r}")
        if self.time_limit is not None and not (
                isinstance(self.time_limit, int | float) and self.time_limit > 0):
            raise ValueError(f"time_limit must be > 0 or None, got {self.time_limit!r}")
