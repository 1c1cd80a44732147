"""Exact scores: numbers of the form ``r + Σ cᵢ·√qᵢ`` with rational r, cᵢ and qᵢ > 0.

MEAN and TRIMMED_MEAN aggregates are plain fractions (every term ``cᵢ`` is absent). ZSCORE maps a
judge's sheet x to ``M + (x − mⱼ)·√(V/Vⱼ)`` (round mean M, variances V and Vⱼ, all rational), so an
entry's ZSCORE score is a rational plus a rational combination of square roots of rationals. Keeping
those terms instead of a float makes equality exact for every method: two entries tie when, and
only when, their scores are the same real number.

Deciding equality: the square roots of rationals whose pairwise ratios are not squares of rationals
are linearly independent over the rationals (Besicovitch, 1940), and so are they together with 1.
So ``r + Σ cᵢ·√qᵢ`` is zero exactly when, after merging the terms whose radicands differ by a
rational square factor (√8 = 2·√2), every merged coefficient and r are zero. The sign of a non-zero
value is found by evaluating it in decimal arithmetic at growing precision until the error bound
cannot reach zero; that always ends because the value is not zero.

Pure and thread-safe; instances are immutable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from functools import total_ordering

_FAST_DIGITS = 40
"""Precision of the cached approximation: orders any two values further apart than ~1e-30 of their size."""
_FAST_MARGIN = Decimal(10) ** -30


def exact_sqrt(value: Fraction) -> Fraction | None:
    """√value when it is rational, else None (value >= 0)."""
    if value < 0:
        return None
    top, bottom = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if top * top == value.numerator and bottom * bottom == value.denominator:
        return Fraction(top, bottom)
    return None


def _decimal(value: Fraction) -> Decimal:
    """In the current decimal context (rounded once)."""
    return Decimal(value.numerator) / Decimal(value.denominator)


@total_ordering
class Exact:
    """``rational + Σ coefficient·√radicand``; radicands are positive non-squares, coefficients non-zero.

    The representation is not unique (√8 and 2·√2 are both allowed), equality and order are: compare
    with ``==``, ``<``, :meth:`compare` or :meth:`sign`, never by the fields.
    """

    __slots__ = ("_approx", "_bound", "rational", "surds")

    rational: Fraction
    surds: tuple[tuple[Fraction, Fraction], ...]
    """(radicand, coefficient) pairs, sorted by radicand, each radicand once."""

    def __init__(self, rational: Fraction | int = 0, surds: Mapping[Fraction, Fraction] | None = None) -> None:
        self._approx: Decimal | None = None
        self._bound: Decimal | None = None
        folded = rational if isinstance(rational, Fraction) else Fraction(rational)
        if not surds:
            self.rational = folded
            self.surds = ()
            return
        kept: dict[Fraction, Fraction] = {}
        for radicand, coefficient in (surds or {}).items():
            if coefficient == 0 or radicand == 0:
                continue
            if radicand < 0:
                raise ValueError("a radicand must not be negative")
            root = exact_sqrt(radicand)
            if root is not None:
                folded += coefficient * root
            else:
                kept[radicand] = kept.get(radicand, Fraction(0)) + coefficient
        self.rational = folded
        self.surds = tuple(sorted((r, c) for r, c in kept.items() if c != 0))

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def _trusted(cls, rational: Fraction, surds: tuple[tuple[Fraction, Fraction], ...]) -> Exact:
        """No checks: radicands positive non-squares, coefficients non-zero (the caller knows)."""
        value = cls(rational)
        value.surds = surds
        return value

    @classmethod
    def sqrt(cls, radicand: Fraction, coefficient: Fraction | int = 1) -> Exact:
        """coefficient·√radicand."""
        return cls(0, {radicand: Fraction(coefficient)})

    @classmethod
    def sum(cls, values: Iterable[Exact]) -> Exact:
        rational = Fraction(0)
        surds: dict[Fraction, Fraction] = {}
        for value in values:
            rational += value.rational
            for radicand, coefficient in value.surds:
                surds[radicand] = surds.get(radicand, Fraction(0)) + coefficient
        return cls(rational, surds)

    def scaled(self, factor: Fraction | int) -> Exact:
        factor = Fraction(factor)
        return Exact(self.rational * factor, {r: c * factor for r, c in self.surds})

    def __add__(self, other: Exact | Fraction | int) -> Exact:
        return Exact.sum([self, _as_exact(other)])

    def __sub__(self, other: Exact | Fraction | int) -> Exact:
        return Exact.sum([self, _as_exact(other).scaled(-1)])

    def __neg__(self) -> Exact:
        return self.scaled(-1)

    # --- what it is -----------------------------------------------------------------------------

    @property
    def is_rational(self) -> bool:
        """True when the value is rational (possibly after merging terms, e.g. √8 − 2·√2)."""
        return not self.surds or not _merged(self.surds)

    def as_fraction(self) -> Fraction:
        """The value as a fraction; ValueError when it is irrational."""
        if self.surds and _merged(self.surds):
            raise ValueError(f"{self!r} is irrational")
        return self.rational

    def approx(self, digits: int = _FAST_DIGITS) -> Decimal:
        """The value to ``digits`` significant digits (each term rounded once, then summed)."""
        if digits == _FAST_DIGITS and self._approx is not None:
            return self._approx
        value, bound = self._evaluate(digits)
        if digits == _FAST_DIGITS:
            self._approx, self._bound = value, bound
        return value

    def _evaluate(self, digits: int) -> tuple[Decimal, Decimal]:
        """(value, magnitude): magnitude = |r| + Σ|c·√q| bounds the rounding error at ~10^(3−digits)·magnitude."""
        with localcontext() as context:
            context.prec = digits
            total = _decimal(self.rational)
            magnitude = abs(total)
            for radicand, coefficient in self.surds:
                term = _decimal(coefficient) * _decimal(radicand).sqrt()
                total += term
                magnitude += abs(term)
            return +total, magnitude

    def __float__(self) -> float:
        if not self.surds:
            return float(self.rational)
        return float(self.approx())

    # --- sign and order -------------------------------------------------------------------------

    def sign(self) -> int:
        """-1, 0 or 1, exactly."""
        if not self.surds:
            return (self.rational > 0) - (self.rational < 0)
        if not _merged(self.surds):
            return (self.rational > 0) - (self.rational < 0)
        digits = _FAST_DIGITS
        while True:
            value, magnitude = self._evaluate(digits)
            if abs(value) > magnitude * Decimal(10) ** (4 - digits):
                return 1 if value > 0 else -1
            digits *= 2

    def compare(self, other: Exact | Fraction | int) -> int:
        """-1, 0 or 1 as self is below, equal to or above ``other``, exactly."""
        other = _as_exact(other)
        if not self.surds and not other.surds:
            return (self.rational > other.rational) - (self.rational < other.rational)
        # The cached approximations settle every pair that is not (nearly) tied.
        mine, theirs = self.approx(), other.approx()
        assert self._bound is not None and other._bound is not None
        if abs(mine - theirs) > (self._bound + other._bound) * _FAST_MARGIN:
            return 1 if mine > theirs else -1
        return (self - other).sign()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Exact | Fraction | int):
            return self.compare(other) == 0
        return NotImplemented

    def __lt__(self, other: Exact | Fraction | int) -> bool:
        return self.compare(other) < 0

    __hash__ = None  # type: ignore[assignment]  # equal values may have different representations

    # --- rounding -------------------------------------------------------------------------------

    def round_half_up(self, places: int) -> Decimal:
        """The value rounded to ``places`` decimals, halves away from zero (15.025 → 15.03, −0.125 →
        −0.13), decided on the exact value; a result of zero has no sign."""
        zero = Decimal(0).scaleb(-places)
        if not self.surds:
            # |p/q|·10^places + ½, floored, in integers.
            top, bottom = abs(self.rational.numerator) * 10**places, self.rational.denominator
            units = (2 * top + bottom) // (2 * bottom)
            return Decimal(units if self.rational > 0 else -units).scaleb(-places) if units else zero
        approx = self.approx()
        assert self._bound is not None
        margin = self._bound * _FAST_MARGIN * 10**places
        scaled = abs(approx).scaleb(places)
        floor = int(scaled.to_integral_value(rounding=ROUND_FLOOR))
        if abs(scaled - floor - Decimal("0.5")) > margin and abs(approx) > margin:
            units = floor + 1 if scaled - floor > Decimal("0.5") else floor
            sign = 1 if approx > 0 else -1
        else:
            sign = self.sign()
            if sign == 0:
                return zero
            magnitude = (self if sign > 0 else -self).scaled(10**places)
            # The approximation is far closer than 1/2 to the value, so the value lies in
            # [floor − ½, floor + 1½) and the exact comparison with floor + ½ decides.
            units = floor + 1 if magnitude.compare(Fraction(2 * floor + 1, 2)) >= 0 else floor
        return Decimal(sign * units).scaleb(-places) if units else zero

    def __repr__(self) -> str:
        terms = [str(self.rational)] + [f"{c}·√({r})" for r, c in self.surds]
        return f"Exact({' + '.join(terms)})"


def _as_exact(value: Exact | Fraction | int) -> Exact:
    return value if isinstance(value, Exact) else Exact(Fraction(value))


def _merged(surds: Iterable[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    """The terms with radicands that differ by a rational square merged, zero coefficients dropped."""
    groups: list[list[Fraction]] = []
    for radicand, coefficient in surds:
        for group in groups:
            ratio = exact_sqrt(radicand / group[0])
            if ratio is not None:
                group[1] += coefficient * ratio
                break
        else:
            groups.append([radicand, coefficient])
    return [(radicand, coefficient) for radicand, coefficient in groups if coefficient != 0]
