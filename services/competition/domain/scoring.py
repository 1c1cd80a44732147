"""Scoring maths of a round: criteria, score-sheet validation, per-sheet scores and per-entry aggregation.

Pure functions over plain values (no I/O, no module state), so the servicer may run them in a worker
thread. Every aggregate is computed from the sheets in a canonical order (entry, score, judge, values),
so the same multiset of sheets gives bit-identical floats whatever order the store returned them in:
the frozen leaderboard's digest depends on the unrounded scores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from services.common.errors import FieldViolation, ViolationCollector, invalid_argument

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

GRID_TOLERANCE = 1e-9
"""Tolerance of the step grid, relative to the offset from ``min_value`` (absolute below 1)."""
MIN_SHEETS_TO_TRIM = 5
MIN_SHEETS_TO_STANDARDISE = 3


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


def _on_grid(offset: float, step: float) -> bool:
    steps = round(offset / step)
    return abs(offset - steps * step) <= GRID_TOLERANCE * max(1.0, abs(offset))


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
                _on_grid(criterion.span, criterion.step),
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
        elif not _on_grid(value - criterion.min_value, criterion.step):
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


def sheet_score(criteria: Sequence[Criterion], values: Mapping[str, float]) -> float:
    """Weighted score normalised to 0-100: Σ w·(x−min)/(max−min) / Σ w × 100.

    Assumes validated criteria and values (see :func:`validate_sheet_values`).
    """
    total_weight = 0.0
    weighted = 0.0
    for criterion in criteria:
        total_weight += criterion.weight
        weighted += criterion.weight * ((values[criterion.name] - criterion.min_value) / criterion.span)
    return weighted / total_weight * 100.0


class AggregationMethod(StrEnum):
    MEAN = "MEAN"
    TRIMMED_MEAN = "TRIMMED_MEAN"
    ZSCORE = "ZSCORE"


@dataclass(frozen=True)
class Sheet:
    """One judge's sheet for one entry: its normalised ``score`` (0-100) and the raw per-criterion values."""

    judge_id: str
    entry_id: str
    score: float
    criterion_scores: Mapping[str, float] = field(default_factory=dict)


def make_sheet(judge_id: str, entry_id: str, criteria: Sequence[Criterion], values: Mapping[str, float]) -> Sheet:
    """Validate a judge's values and score them (raises like :func:`validate_sheet_values`)."""
    validate_sheet_values(criteria, values)
    return Sheet(judge_id, entry_id, sheet_score(criteria, values), dict(values))


@dataclass(frozen=True)
class EntryAggregate:
    """An entry's result under one method.

    ``score`` is unrounded (ranking uses it as is). ``spread`` is the sample standard deviation
    (ddof=1) of the entry's raw sheet scores whatever the method, 0.0 for a single sheet, so it
    shows the judges' disagreement rather than an artefact of the method. ``criterion_means`` are
    means of the raw per-criterion values over all the entry's sheets (for tie-breaks).
    """

    entry_id: str
    score: float
    sheet_count: int
    spread: float
    criterion_means: Mapping[str, float]


def _canonical_key(sheet: Sheet) -> tuple[str, float, str, list[tuple[str, float]]]:
    return (sheet.entry_id, sheet.score, sheet.judge_id, sorted(sheet.criterion_scores.items()))


@dataclass(frozen=True)
class SheetTable:
    """A round's sheets in canonical order as arrays: sorted by entry, then ascending score, so each
    entry's sheets are contiguous (``starts``/``counts``) and summed in the same order every time."""

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
    """(sheets, criteria) raw values; NaN where a sheet lacks the criterion."""

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
                values[row, name_index[name]] = value
        return cls(
            sheets=ordered,
            entry_ids=tuple(entry_index),
            entry_of=entry_of,
            starts=starts,
            counts=counts,
            judge_ids=judge_ids,
            judge_of=np.fromiter((judge_index[s.judge_id] for s in ordered), np.intp, len(ordered)),
            scores=np.fromiter((s.score for s in ordered), np.float64, len(ordered)),
            criterion_names=names,
            criterion_values=values,
        )

    def standardised(self) -> FloatArray:
        """Each sheet's contribution under ZSCORE (see :func:`aggregate`), in table order."""
        scores = self.scores
        if scores.size == 0:
            return scores.copy()
        judges = len(self.judge_ids)
        n_j = np.bincount(self.judge_of, minlength=judges)
        mean_j = np.bincount(self.judge_of, weights=scores, minlength=judges) / n_j
        deviation = scores - mean_j[self.judge_of]
        std_j = np.sqrt(np.bincount(self.judge_of, weights=deviation**2, minlength=judges) / n_j)
        # A spread within rounding noise of zero (e.g. three equal scores whose mean is off by one ulp)
        # must count as zero, or z would blow the noise up to whole standard deviations.
        standardisable = (n_j >= MIN_SHEETS_TO_STANDARDISE) & (std_j > GRID_TOLERANCE * np.maximum(1.0, np.abs(mean_j)))
        round_mean = float(scores.mean())
        round_std = float(scores.std())
        z = deviation / np.where(standardisable, std_j, 1.0)[self.judge_of]
        mapped: FloatArray = np.where(standardisable[self.judge_of], round_mean + round_std * z, scores).astype(
            np.float64
        )
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


def aggregate(sheets: Iterable[Sheet], method: AggregationMethod | str) -> dict[str, EntryAggregate]:
    """Aggregate each entry's sheet scores.

    - MEAN: mean of the entry's sheet scores.
    - TRIMMED_MEAN: with at least 5 sheets, drop exactly one highest and one lowest, then mean;
      otherwise mean.
    - ZSCORE: let M and S be the mean and population standard deviation of all sheet scores of the
      round, and m_j, s_j those of judge j's sheets (population, ddof=0). A judge with at least 3
      sheets and s_j > 0 is standardised: their sheet x contributes v = M + S·(x − m_j)/s_j. Any other
      judge contributes v = x (their raw score). The entry's score is the mean of its sheets' v, which
      for standardised judges only equals M + S·z̄ (z̄ = mean z over the entry's sheets).

    Because M and S are the raw round's own figures, a constant added to one judge's scores moves
    every ZSCORE aggregate by the same amount (their standardised position (score − M)/S, and the
    order of entries judged by standardised judges, do not change).
    """
    method = AggregationMethod(method)
    table = SheetTable.build(sheets)
    if not table.sheets:
        return {}
    if method is AggregationMethod.MEAN:
        scores = table.entry_means(table.scores)
    elif method is AggregationMethod.TRIMMED_MEAN:
        scores = table.entry_means(table.scores, table.trimmed_keep())
    else:
        scores = table.entry_means(table.standardised())
    return _assemble(table, scores)


def _assemble(table: SheetTable, scores: FloatArray) -> dict[str, EntryAggregate]:
    entries = len(table.entry_ids)
    raw_mean = table.entry_means(table.scores)
    deviation = table.scores - raw_mean[table.entry_of]
    squares = np.bincount(table.entry_of, weights=deviation**2, minlength=entries)
    spread = np.where(table.counts >= 2, np.sqrt(squares / np.maximum(table.counts - 1, 1)), 0.0)
    present = ~np.isnan(table.criterion_values)
    filled = np.where(present, table.criterion_values, 0.0)
    criterion_means: list[dict[str, float]] = [{} for _ in range(entries)]
    for column, name in enumerate(table.criterion_names):
        counts = np.bincount(table.entry_of, weights=present[:, column], minlength=entries)
        sums = np.bincount(table.entry_of, weights=filled[:, column], minlength=entries)
        for entry in np.flatnonzero(counts):
            criterion_means[entry][name] = float(sums[entry] / counts[entry])
    return {
        entry_id: EntryAggregate(
            entry_id=entry_id,
            score=float(scores[i]),
            sheet_count=int(table.counts[i]),
            spread=float(spread[i]),
            criterion_means=criterion_means[i],
        )
        for i, entry_id in enumerate(table.entry_ids)
    }
