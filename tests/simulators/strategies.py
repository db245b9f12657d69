"""The README's example of a user strategy (kept here so the README stays true)."""

from dataclasses import dataclass, field

from mosaik_components.mas import BalanceStrategy


@dataclass(frozen=True)
class KeepImport(BalanceStrategy):
    """Balance, but leave `reserve` MW of import to the external grid."""

    reserve: float = 1.0
    name: str = "keep_import"

    def decide(self, system, offset):
        return super().decide(system, offset - self.reserve)


def producer_input(aeid, aid, input_data, current_state, current_time, first_time_step,
                   **kwargs):
    """A MASSCA-style input_method used with a typed strategy: every unit produces."""
    value = {attr: sum(sources.values()) for attr, sources in input_data.items()}
    return {"production": {"current": value["current"], "min": value["min"],
                           "max": value["max"]},
            "consumption": {"current": 0.0, "min": 0.0, "max": 0.0}}


@dataclass(frozen=True)
class Watching(BalanceStrategy):
    """Balance, recording the grid views and child horizons it is shown."""

    seen: list = field(default_factory=list)
    name: str = "watching"

    def split(self, target, children, view=None):
        self.seen.append((view.eid, view.grid, [c.horizon for c in children]))
        return super().split(target, children, view)
