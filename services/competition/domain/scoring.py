"""Scoring maths of a round: criteria, score-sheet validation, per-sheet scores and per-entry aggregation.

Exactness. A value a judge gives is a decimal on its criterion's step grid (min + k·step); the client
sends it as a double, which is read as the shortest decimal that round-trips (what the judge typed)
and snapped onto the grid (validation accepts only values within ``GRID_TOLERANCE`` of a grid point).
From there on everything that decides a rank is exact: a sheet's score is a :class:`~fractions.Fraction`
(Σ wᵢ·kᵢ/nᵢ / Σw × 100 with nᵢ the criterion's number of steps), MEAN and TRIMMED_MEAN aggregates
are fractions, and ZSCORE aggregates are :class:`~.exact.Exact` values (rational plus rational
multiples of square roots), so two entries tie exactly when their scores are the same number.
Floats appear only as renderings of those values (``float()`` of the exact value, deterministic)
and in the bootstrap robustness statistic (numpy).

Pure functions over plain values (no I/O, no module state), so the servicer may run them in a worker
thread.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import cached_property

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from services.common.errors import FieldViolation, ViolationCollector, invalid_argument
from services.competition.domain.exact import Exact, exact_sqrt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

GRID_TOLERANCE = 1e-9
"""Tolerance of the step grid, relative to the offset from ``min_value`` (absolute below 1)."""
_TOLERANCE = Fraction(Decimal(repr(GRID_TOLERANCE)))
MIN_SHEETS_TO_TRIM = 5
MIN_SHEETS_TO_STANDARDISE = 3


def exact_decimal(value: float | int | Fraction) -> Fraction:
    """The decimal a person wrote for ``value``: a double is read as its shortest round-tripping
    decimal (``repr``), so 0.1 is exactly 1/10, not the binary 0.1000000000000000055…"""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(Decimal(repr(float(value))))


def _exact_number(value: float | int | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else exact_decimal(value)


class Criterion(BaseModel):
    """A scored dimension of a round.

    The model itself accepts any numbers so that :func:`validate_criteria` can report every bad field
    of a request at once, with its path; call it before using a criterion list.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    weight: float
    min_value: float
    max_value: float
    step: float

    @property
    def span(self) -> float:
        return self.max_value - self.min_value

    # The decimals of the grid, computed once per criterion: every value of every sheet is checked
    # against them, and reading a float as its decimal is the costly part of a check.
    @cached_property
    def exact_min(self) -> Fraction:
        return exact_decimal(self.min_value)

    @cached_property
    def exact_step(self) -> Fraction:
        return exact_decimal(self.step)

    def grid_steps(self, value: float | Fraction) -> int | None:
        """k such that ``value`` is min + k·step within the grid tolerance, else None (exact arithmetic
        on the decimals; assumes a finite value and a validated criterion)."""
        if type(value) is float:
            return _float_grid_steps(self.min_value, self.step, value)
        return _grid_steps(exact_decimal(value) - self.exact_min, self.exact_step)

    def grid_value(self, steps: int) -> Fraction:
        return self.exact_min + steps * self.exact_step


def _grid_steps(offset: Fraction, step: Fraction) -> int | None:
    steps: int = round(offset / step)
    if abs(offset - steps * step) <= _TOLERANCE * max(Fraction(1), abs(offset)):
        return steps
    return None


@functools.lru_cache(maxsize=4096)
def _float_grid_steps(min_value: float, step: float, value: float) -> int | None:
    # Memoised: a pure function of three floats, the values judges give are few (the points of a
    # few grids) and the exact check costs some ten Fraction operations, for each value of every
    # sheet. Floats only: equal floats read as the same decimal (-0.0 and 0.0 as 0), whereas a
    # Fraction or an int equal to a float may not (Fraction(0.1) is not the decimal 0.1).
    return _grid_steps(exact_decimal(value) - exact_decimal(min_value), exact_decimal(step))


def validate_criteria(criteria: Sequence[Criterion], field_prefix: str = "round.criteria") -> None:
    """Raise INVALID_ARGUMENT (reason ``INVALID_CRITERIA``) naming every bad field, e.g.
    ``round.criteria[1].weight``: an empty list, empty or duplicate names, a non-finite number,
    weight <= 0, step <= 0, max <= min, or a range that is not a whole number of steps."""
    found = ViolationCollector()
    if not criteria:
        found.add(field_prefix, "a round needs at least one criterion")
    first_index: dict[str, int] = {}
    for i, criterion in enumerate(criteria):
        path = f"{field_prefix}[{i}]"
        if not criterion.name.strip():
            found.add(f"{path}.name", "must not be empty")
        elif criterion.name in first_index:
            found.add(f"{path}.name", f"duplicates {field_prefix}[{first_index[criterion.name]}].name")
        else:
            first_index[criterion.name] = i
        numbers = {
            "weight": criterion.weight,
            "min_value": criterion.min_value,
            "max_value": criterion.max_value,
            "step": criterion.step,
        }
        finite = True
        for name, number in numbers.items():
            if not math.isfinite(number):
                found.add(f"{path}.{name}", "must be a finite number")
                finite = False
        if not finite:
            continue
        found.check(criterion.weight > 0, f"{path}.weight", "must be greater than 0")
        found.check(criterion.step > 0, f"{path}.step", "must be greater than 0")
        found.check(criterion.max_value > criterion.min_value, f"{path}.max_value", "must be greater than min_value")
        if criterion.step > 0 and criterion.max_value > criterion.min_value:
            found.check(
                criterion.grid_steps(criterion.max_value) is not None,
                f"{path}.step",
                f"max_value - min_value ({criterion.span:g}) must be a whole number of steps ({criterion.step:g})",
            )
    found.raise_if_any("INVALID_CRITERIA")


def validate_sheet_values(
    criteria: Sequence[Criterion], values: Mapping[str, float], field_prefix: str = "values"
) -> None:
    """Raise INVALID_ARGUMENT with one violation per problem, each naming ``values[<criterion>]``.

    The reason is the problem's own (``MISSING_CRITERION``, ``UNKNOWN_CRITERION``, ``SCORE_NOT_FINITE``,
    ``SCORE_OUT_OF_RANGE``, ``SCORE_OFF_STEP``) when all violations share one, else
    ``INVALID_SCORE_SHEET``. The range check is exact, so a valid sheet scores within [0, 100].
    """
    problems: list[tuple[str, FieldViolation]] = []

    def add(reason: str, name: str, description: str) -> None:
        problems.append((reason, FieldViolation(f"{field_prefix}[{name}]", description)))

    known = {criterion.name for criterion in criteria}
    for criterion in criteria:
        if criterion.name not in values:
            add("MISSING_CRITERION", criterion.name, "no score given for this criterion")
            continue
        value = values[criterion.name]
        if not math.isfinite(value):
            add("SCORE_NOT_FINITE", criterion.name, "must be a finite number")
        elif not criterion.min_value <= value <= criterion.max_value:
            add(
                "SCORE_OUT_OF_RANGE",
                criterion.name,
                f"{value:g} is outside [{criterion.min_value:g}, {criterion.max_value:g}]",
            )
        elif criterion.grid_steps(value) is None:
            add(
                "SCORE_OFF_STEP",
                criterion.name,
                f"{value:g} is not {criterion.min_value:g} plus a whole number of steps of {criterion.step:g}",
            )
    for name in values:
        if name not in known:
            add("UNKNOWN_CRITERION", name, "the round has no criterion of this name")
    if problems:
        reasons = {reason for reason, _ in problems}
        reason = reasons.pop() if len(reasons) == 1 else "INVALID_SCORE_SHEET"
        raise invalid_argument([violation for _, violation in problems], reason)


class GridScorer:
    """Scores the sheets of one round exactly, fast: with kᵢ the grid steps of value i, a sheet's score
    is (Σ Cᵢ·kᵢ) / L for integers Cᵢ and one denominator L shared by every sheet of the round.

    Assumes validated criteria; values are snapped onto the grid (see the module docstring).
    """

    def __init__(self, criteria: Sequence[Criterion]) -> None:
        self.criteria = tuple(criteria)
        weights = [exact_decimal(c.weight) for c in self.criteria]
        total = sum(weights, Fraction(0))
        counts = [c.grid_steps(c.max_value) or 1 for c in self.criteria]
        shares = [100 * w / (total * n) for w, n in zip(weights, counts, strict=True)]
        self.denominator = math.lcm(*(share.denominator for share in shares)) if shares else 1
        self._coefficients = [int(share * self.denominator) for share in shares]
        self._floats = [(c.min_value, c.step) for c in self.criteria]
        self._mins = [c.exact_min for c in self.criteria]
        self._steps = [c.exact_step for c in self.criteria]

    def steps(self, criterion: int, value: float) -> int:
        low, step = self._floats[criterion]
        guess = round((value - low) / step)
        # The float guess is right for every value validation accepted; confirm it exactly only when
        # float noise could matter (a value near the tolerance edge, or an unvalidated one).
        if abs((value - low) - guess * step) <= 1e-12 * max(1.0, abs(value - low)):
            return guess
        exact = self.criteria[criterion].grid_steps(value)
        return exact if exact is not None else guess

    def score(self, values: Mapping[str, float]) -> Fraction:
        """The sheet's exact score on 0-100; KeyError when a criterion is missing."""
        points = 0
        for i, criterion in enumerate(self.criteria):
            points += self._coefficients[i] * self.steps(i, values[criterion.name])
        return Fraction(points, self.denominator)

    def sheet(self, judge_id: str, entry_id: str, values: Mapping[str, float]) -> Sheet:
        points = 0
        exact: dict[str, Fraction] = {}
        for i, criterion in enumerate(self.criteria):
            k = self.steps(i, values[criterion.name])
            points += self._coefficients[i] * k
            exact[criterion.name] = self._mins[i] + k * self._steps[i]
        for name, value in values.items():
            exact.setdefault(name, exact_decimal(value))
        return Sheet(judge_id, entry_id, Fraction(points, self.denominator), exact)


def exact_sheet_score(criteria: Sequence[Criterion], values: Mapping[str, float]) -> Fraction:
    """Weighted score normalised to 0-100, exactly: Σ w·(x−min)/(max−min) / Σ w × 100 on the grid values.

    Assumes validated criteria and values (see :func:`validate_sheet_values`).
    """
    return GridScorer(criteria).score(values)


def sheet_score(criteria: Sequence[Criterion], values: Mapping[str, float]) -> float:
    """:func:`exact_sheet_score` as the nearest double (what a sheet's ``total`` shows)."""
    return float(exact_sheet_score(criteria, values))


class AggregationMethod(StrEnum):
    MEAN = "MEAN"
    TRIMMED_MEAN = "TRIMMED_MEAN"
    ZSCORE = "ZSCORE"


Number = Fraction | float | int


@dataclass(frozen=True, init=False)
class Sheet:
    """One judge's sheet for one entry: its exact ``score`` (0-100) and per-criterion values.

    Numbers given as floats are read as the decimals they print as (see :func:`exact_decimal`); the
    servicer builds sheets with :class:`GridScorer`, which puts every value on its grid.
    """

    judge_id: str
    entry_id: str
    score: Fraction
    criterion_scores: Mapping[str, Fraction]

    def __init__(
        self, judge_id: str, entry_id: str, score: Number, criterion_scores: Mapping[str, Number] | None = None
    ) -> None:
        values = criterion_scores or {}
        object.__setattr__(self, "judge_id", judge_id)
        object.__setattr__(self, "entry_id", entry_id)
        object.__setattr__(self, "score", _exact_number(score))
        object.__setattr__(
            self,
            "criterion_scores",
            values
            if all(isinstance(v, Fraction) for v in values.values())
            else {k: _exact_number(v) for k, v in values.items()},
        )


def make_sheet(judge_id: str, entry_id: str, criteria: Sequence[Criterion], values: Mapping[str, float]) -> Sheet:
    """Validate a judge's values and score them (raises like :func:`validate_sheet_values`)."""
    validate_sheet_values(criteria, values)
    return GridScorer(criteria).sheet(judge_id, entry_id, values)


@dataclass(frozen=True, init=False)
class EntryAggregate:
    """An entry's result under one method.

    ``score`` is exact (ranking and the cut use it). ``spread`` is the sample standard deviation
    (ddof=1) of the entry's sheet scores whatever the method, 0.0 for a single sheet, so it shows the
    judges' disagreement rather than an artefact of the method; it is a float (a statistic, never a
    rank key). ``criterion_means`` are exact means of the per-criterion values over all the entry's
    sheets (for tie-breaks).
    """

    entry_id: str
    score: Exact
    sheet_count: int
    spread: float
    criterion_means: Mapping[str, Fraction]

    def __init__(
        self,
        entry_id: str,
        score: Exact | Number,
        sheet_count: int,
        spread: float,
        criterion_means: Mapping[str, Number],
    ) -> None:
        object.__setattr__(self, "entry_id", entry_id)
        object.__setattr__(self, "score", score if isinstance(score, Exact) else Exact(_exact_number(score)))
        object.__setattr__(self, "sheet_count", sheet_count)
        object.__setattr__(self, "spread", spread)
        object.__setattr__(self, "criterion_means", {k: _exact_number(v) for k, v in criterion_means.items()})


def _canonical_key(sheet: Sheet) -> tuple[str, Fraction, str]:
    return (sheet.entry_id, sheet.score, sheet.judge_id)


@dataclass(frozen=True)
class JudgeScale:
    """How ZSCORE maps a standardised judge's sheet x: ``round_mean + (x − mean)·√ratio``, where ratio is
    the round's population variance over the judge's. ``ratio`` None: the judge is not standardised."""

    mean: Fraction
    ratio: Fraction | None
    root: Fraction | None = None
    """√ratio when it is rational."""


def _common_scale(values: Iterable[Fraction]) -> tuple[list[int], int]:
    """The values as integers over one common denominator (exact sums without a gcd per addition)."""
    values = list(values)
    denominator = math.lcm(*{v.denominator for v in values}) if values else 1
    return [v.numerator * (denominator // v.denominator) for v in values], denominator


def zscore_scales(sheets: Sequence[Sheet]) -> tuple[Fraction, dict[str, JudgeScale]]:
    """The round mean M and each judge's scale under ZSCORE (exact; see :func:`aggregate`)."""
    count = len(sheets)
    if count == 0:
        return Fraction(0), {}
    points, unit = _common_scale(s.score for s in sheets)
    total, squares = sum(points), sum(p * p for p in points)
    # Variances in points² (times count² resp. n²) stay integers until the ratio.
    round_spread = count * squares - total * total
    by_judge: dict[str, list[int]] = {}
    for sheet, p in zip(sheets, points, strict=True):
        by_judge.setdefault(sheet.judge_id, []).append(p)
    scales: dict[str, JudgeScale] = {}
    for judge_id, own in by_judge.items():
        n, own_total = len(own), sum(own)
        spread = n * sum(p * p for p in own) - own_total * own_total
        standardised = n >= MIN_SHEETS_TO_STANDARDISE and spread > 0
        ratio = Fraction(round_spread * n * n, count * count * spread) if standardised else None
        scales[judge_id] = JudgeScale(Fraction(own_total, n * unit), ratio, exact_sqrt(ratio) if ratio else None)
    return Fraction(total, count * unit), scales


def aggregate(sheets: Iterable[Sheet], method: AggregationMethod | str) -> dict[str, EntryAggregate]:
    """Aggregate each entry's sheet scores, exactly.

    - MEAN: mean of the entry's sheet scores.
    - TRIMMED_MEAN: with at least 5 sheets, drop exactly one highest and one lowest, then mean;
      otherwise mean.
    - ZSCORE: let M and V be the mean and population variance of all sheet scores of the round, and
      m_j, V_j those of judge j's sheets. A judge with at least 3 sheets and V_j > 0 is standardised:
      their sheet x contributes v = M + (x − m_j)·√(V/V_j) (= M + S·z with S = √V, z = (x − m_j)/√V_j).
      Any other judge contributes v = x (their raw score). The entry's score is the mean of its sheets'
      v. Exact: the square roots are kept as terms (see :mod:`.exact`), so equal is equal here too.

    Because M and V are the raw round's own figures, a constant added to one judge's scores moves
    every ZSCORE aggregate by the same amount (their standardised position (score − M)/S, and the
    order of entries judged by standardised judges, do not change).
    """
    method = AggregationMethod(method)
    # Exact sums do not depend on the order; this one only makes the output's order reproducible.
    ordered = sorted(sheets, key=lambda s: (s.entry_id, s.judge_id))
    if not ordered:
        return {}
    points, unit = _common_scale(s.score for s in ordered)
    names = sorted({name for s in ordered for name in s.criterion_scores})
    units = {
        name: math.lcm(*{v.denominator for s in ordered if (v := s.criterion_scores.get(name)) is not None})
        for name in names
    }
    runs: dict[str, list[int]] = {}
    for row, sheet in enumerate(ordered):
        runs.setdefault(sheet.entry_id, []).append(row)
    if method is AggregationMethod.ZSCORE:
        round_mean, scales = zscore_scales(ordered)
    result: dict[str, EntryAggregate] = {}
    for entry_id, rows in runs.items():
        count = len(rows)
        own = [points[row] for row in rows]
        if method is AggregationMethod.MEAN:
            score = Exact(Fraction(sum(own), count * unit))
        elif method is AggregationMethod.TRIMMED_MEAN:
            kept = sorted(own)[1:-1] if count >= MIN_SHEETS_TO_TRIM else own
            score = Exact(Fraction(sum(kept), len(kept) * unit))
        else:
            rational = Fraction(0)
            by_judge: dict[str, Fraction] = {}
            for row in rows:
                sheet = ordered[row]
                scale = scales[sheet.judge_id]
                if scale.ratio is None:
                    rational += sheet.score
                elif scale.root is not None:
                    rational += round_mean + (sheet.score - scale.mean) * scale.root
                else:
                    rational += round_mean
                    by_judge[sheet.judge_id] = by_judge.get(sheet.judge_id, Fraction(0)) + sheet.score - scale.mean
            terms = tuple(
                (ratio, coefficient / count)
                for judge_id, coefficient in sorted(by_judge.items())
                if coefficient and (ratio := scales[judge_id].ratio) is not None
            )
            score = Exact._trusted(rational / count, terms)
        means: dict[str, Fraction] = {}
        for name in names:
            scale_of = units[name]
            present = [v for row in rows if (v := ordered[row].criterion_scores.get(name)) is not None]
            if present:
                total = sum(v.numerator * (scale_of // v.denominator) for v in present)
                means[name] = Fraction(total, len(present) * scale_of)
        result[entry_id] = EntryAggregate(
            entry_id=entry_id,
            score=score,
            sheet_count=count,
            spread=_spread(own, unit),
            criterion_means=means,
        )
    return result


def _spread(points: Sequence[int], unit: int) -> float:
    """Sample standard deviation (ddof=1) of points/unit; 0.0 for fewer than 2 values."""
    n = len(points)
    if n < 2:
        return 0.0
    total = sum(points)
    return math.sqrt((n * sum(p * p for p in points) - total * total) / (n * (n - 1) * unit * unit))


@dataclass(frozen=True)
class SheetTable:
    """A round's sheets in canonical order as float arrays, for the bootstrap: sorted by entry, then
    ascending score, so each entry's sheets are contiguous (``starts``/``counts``) and summed in the
    same order every time."""

    sheets: tuple[Sheet, ...]
    entry_ids: tuple[str, ...]
    entry_of: IntArray
    starts: IntArray
    counts: IntArray
    judge_ids: tuple[str, ...]
    judge_of: IntArray
    scores: FloatArray
    criterion_names: tuple[str, ...]
    criterion_values: FloatArray
    """(sheets, criteria) values; NaN where a sheet lacks the criterion."""

    @classmethod
    def build(cls, sheets: Iterable[Sheet]) -> SheetTable:
        ordered = tuple(sorted(sheets, key=_canonical_key))
        entry_index: dict[str, int] = {}
        for sheet in ordered:
            entry_index.setdefault(sheet.entry_id, len(entry_index))
        judge_ids = tuple(sorted({sheet.judge_id for sheet in ordered}))
        judge_index = {judge_id: i for i, judge_id in enumerate(judge_ids)}
        names = tuple(sorted({name for sheet in ordered for name in sheet.criterion_scores}))
        name_index = {name: i for i, name in enumerate(names)}
        entry_of = np.fromiter((entry_index[s.entry_id] for s in ordered), np.intp, len(ordered))
        counts = np.bincount(entry_of, minlength=len(entry_index)).astype(np.intp)
        starts = (np.cumsum(counts) - counts).astype(np.intp)
        values = np.full((len(ordered), len(names)), np.nan)
        for row, sheet in enumerate(ordered):
            for name, value in sheet.criterion_scores.items():
                values[row, name_index[name]] = float(value)
        return cls(
            sheets=ordered,
            entry_ids=tuple(entry_index),
            entry_of=entry_of,
            starts=starts,
            counts=counts,
            judge_ids=judge_ids,
            judge_of=np.fromiter((judge_index[s.judge_id] for s in ordered), np.intp, len(ordered)),
            scores=np.fromiter((float(s.score) for s in ordered), np.float64, len(ordered)),
            criterion_names=names,
            criterion_values=values,
        )

    def standardised(self) -> FloatArray:
        """Each sheet's contribution under ZSCORE (see :func:`aggregate`), in table order, as floats:
        which judges are standardised, and their means and variances, are decided exactly."""
        if not self.sheets:
            return self.scores.copy()
        round_mean, scales = zscore_scales(self.sheets)
        mapped = np.empty(len(self.sheets))
        for row, sheet in enumerate(self.sheets):
            scale = scales[sheet.judge_id]
            if scale.ratio is None:
                mapped[row] = float(sheet.score)
            else:
                mapped[row] = float(round_mean) + float(sheet.score - scale.mean) * math.sqrt(scale.ratio)
        return mapped

    def entry_means(self, values: FloatArray, keep: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        entries = len(self.entry_ids)
        if keep is None:
            sums = np.bincount(self.entry_of, weights=values, minlength=entries)
            return sums / self.counts
        sums = np.bincount(self.entry_of[keep], weights=values[keep], minlength=entries)
        return sums / np.bincount(self.entry_of[keep], minlength=entries)

    def trimmed_keep(self) -> npt.NDArray[np.bool_]:
        """Sheets kept by TRIMMED_MEAN: within an entry they are sorted by score, so the lowest is the
        first and the highest the last of its run."""
        position = np.arange(self.scores.size) - self.starts[self.entry_of]
        count = self.counts[self.entry_of]
        trimmed = count >= MIN_SHEETS_TO_TRIM
        keep: npt.NDArray[np.bool_] = ~trimmed | ((position > 0) & (position < count - 1))
        return keep
