"""MASSCA's helper module, for method files written for MASSCA (``from ...utils import *``).

MASSCA's scenario and method files import its state template, precision and printing
helpers from ``mosaik_components.mas.utils``; massca provides the same names (written
anew, without MASSCA's ``termcolor``/pandas dependencies) so those files run unchanged.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import numbers
from collections.abc import Mapping
from typing import Any

__all__ = [
    "PRECISION", "MAS_DEFAULT_STATE", "MAS_DEFAULT_CONFIG", "highlight", "reduce_zero_dict",
    "reduce_equal_dicts", "make_hashable", "make_hash_sha256",
]

#: MASSCA's threshold below which a power counts as zero (MW).
PRECISION = 1e-6

#: MASSCA's state template: production and consumption bands plus a ``scale_factor``.
MAS_DEFAULT_STATE: dict[str, dict[str, float]] = {
    "production": {"min": 0, "max": 0, "current": 0, "scale_factor": 0},
    "consumption": {"min": 0, "max": 0, "current": 0, "scale_factor": 0},
}

#: MASSCA's default simulator parameters (massca accepts every one of them).
MAS_DEFAULT_CONFIG: dict[str, Any] = {
    "verbose": 1,
    "performance": False,
    "convergence_steps": 3,
    "convegence_max_steps": 5,
    "state_dict": MAS_DEFAULT_STATE,
    "input_method": None,
    "output_method": None,
    "states_agg_method": None,
    "execute_method": None,
}

_COLOURS = {"grey": 90, "dark_grey": 90, "red": 31, "green": 32, "yellow": 33, "blue": 34,
            "magenta": 35, "cyan": 36, "white": 37}


def highlight(text: object, color: str = "green") -> str:
    """``text`` in an ANSI terminal colour (MASSCA's coloured console output)."""
    return f"\033[{_COLOURS.get(color, 0)}m{text}\033[0m"


def _flat(value: object, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(_flat(item, f"{prefix}_{key}" if prefix else str(key)))
    return flat


def reduce_zero_dict(value: Any) -> Any:
    """``'none'`` (greyed) for a nested dict whose numbers are all zero, else the dict."""
    if isinstance(value, Mapping):
        numbers_ = [v for v in _flat(value).values() if isinstance(v, int | float)]
        if sum(numbers_) == 0:
            return highlight("none", "dark_grey")
    return value


def reduce_equal_dicts(a_dict: Any, b_dict: Any) -> Any:
    """``'same'`` (greyed) when two nested dicts hold equal values, else ``a_dict``."""
    if isinstance(a_dict, Mapping) and isinstance(b_dict, Mapping) and (
            _flat(a_dict) == _flat(b_dict)):
        return highlight("same", "dark_grey")
    return a_dict


def make_hashable(value: Any) -> Any:
    """A hashable, order-independent form; numbers rounded to 6 decimals, tiny ones to 0."""
    if isinstance(value, tuple | list):
        return tuple(make_hashable(item) for item in value)
    if isinstance(value, Mapping):
        return tuple(sorted((key, make_hashable(item)) for key, item in value.items()))
    if isinstance(value, set | frozenset):
        return tuple(sorted(make_hashable(item) for item in value))
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return 0 if abs(value) <= PRECISION else f"{value:.6f}"  # type: ignore[arg-type]
    return value


def make_hash_sha256(value: Any) -> str:
    """A base64 SHA-256 of :func:`make_hashable` (MASSCA's cache key)."""
    digest = hashlib.sha256(repr(make_hashable(copy.deepcopy(value))).encode()).digest()
    return base64.b64encode(digest).decode()
