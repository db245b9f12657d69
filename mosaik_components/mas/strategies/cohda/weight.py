"""Exact termination weights for weight throwing: dyadic rationals ``num / 2**exp``.

Splitting only ever divides by a power of two, so sums are bit shifts and additions
of Python integers (no gcd as with :class:`fractions.Fraction`) and never round.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Weight", "ZERO", "ONE"]


@dataclass(frozen=True, slots=True)
class Weight:
    """``num / 2**exp``, kept normalised (``num`` odd unless ``exp == 0``)."""

    num: int = 0
    exp: int = 0

    @classmethod
    def of(cls, num: int, exp: int) -> Weight:
        """Build a normalised weight; raises ``ValueError`` for negative parts."""
        if num < 0 or exp < 0:
            raise ValueError(f"weight {num}/2**{exp} must be >= 0")
        if num == 0:
            return ZERO
        shift = min((num & -num).bit_length() - 1, exp)
        return cls(num >> shift, exp - shift)

    def __add__(self, other: Weight) -> Weight:
        if not other.num:
            return self
        if not self.num:
            return other
        exp = max(self.exp, other.exp)
        return Weight.of((self.num << (exp - self.exp)) + (other.num << (exp - other.exp)), exp)

    def __bool__(self) -> bool:
        return self.num != 0

    def compare_one(self) -> int:
        """-1, 0 or 1 as the weight is below, equal to or above 1."""
        one = 1 << self.exp
        return (self.num > one) - (self.num < one)

    def split(self, parts: int) -> list[Weight]:
        """``parts`` non-zero shares adding up exactly to this weight."""
        if parts < 1 or not self.num:
            raise ValueError(f"cannot split weight {self} into {parts} non-zero parts")
        bits = (parts - 1).bit_length()
        share = Weight.of(self.num, self.exp + bits)
        first = Weight.of(self.num * ((1 << bits) - parts + 1), self.exp + bits)
        return [first] + [share] * (parts - 1)

    def __str__(self) -> str:
        return f"{self.num}/2**{self.exp}"


ZERO = Weight()
ONE = Weight(1, 0)
