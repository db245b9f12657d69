"""Defaults for MASSCA-style hooks when a method file leaves one out."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["sum_states"]


def sum_states(
    aeid: str, aid: str, requested_states: Mapping[str, Any], current_state: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """MASSCA's ``aggregate_states``: add up every numeric field of the children's dicts."""
    states = list(requested_states.values())
    if not states:
        return copy.deepcopy(current_state) if current_state is not None else {}
    total = copy.deepcopy(dict(states[0]))
    for key in total:
        total[key] = dict(total[key]) if isinstance(total[key], Mapping) else total[key]
    for state in states[1:]:
        for key, part in state.items():
            if isinstance(part, Mapping):
                for field, value in part.items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        total[key][field] = total[key].get(field, 0.0) + value
            elif isinstance(part, int | float) and not isinstance(part, bool):
                total[key] = total.get(key, 0.0) + part
    return total
