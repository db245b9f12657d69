"""The README's example of a user strategy (kept here so the README stays true)."""

from dataclasses import dataclass

from mosaik_components.mas import BalanceStrategy


@dataclass(frozen=True)
class KeepImport(BalanceStrategy):
    """Balance, but leave `reserve` MW of import to the external grid."""

    reserve: float = 1.0
    name: str = "keep_import"

    def decide(self, system, offset):
        return super().decide(system, offset - self.reserve)
