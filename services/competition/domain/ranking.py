"""Ranking, advancement, rank robustness and the leaderboard digest of a round. Pure, thread-safe."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cmp_to_key

import numpy as np
import numpy.typing as npt

from services.common.errors import ViolationCollector
from services.competition.domain.exact import Exact
from services.competition.domain.scoring import (
    MIN_SHEETS_TO_TRIM,
    AggregationMethod,
    Criterion,
    EntryAggregate,
    FloatArray,
    IntArray,
    Sheet,
    SheetTable,
    aggregate,
    exact_decimal,
)

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20240101
_RESAMPLE_CHUNK = 128
_RESAMPLE_DIGITS = 9
"""Resamples drawn per vectorised batch: bounds memory at chunk × entries × max sheets floats."""
DISPLAY_PLACES = 2
_DIGEST_VERSION = 1

SortKey = tuple[float, ...]


@dataclass(frozen=True)
class AdvancementRule:
    """Who advances: the top ``top_n`` ranks, or every entry scoring at least ``threshold`` — exactly one.

    Construction raises INVALID_ARGUMENT naming ``advancement.top_n`` / ``advancement.threshold``.
    """

    top_n: int | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        found = ViolationCollector()
        if (self.top_n is None) == (self.threshold is None):
            found.add("advancement", "set exactly one of top_n and threshold")
        if self.top_n is not None:
            # bool is an int subclass; True as "top 1" would be a caller bug, not an intent.
            found.check(
                isinstance(self.top_n, int) and not isinstance(self.top_n, bool) and self.top_n >= 0,
                "advancement.top_n",
                "must be an integer >= 0",
            )
        if self.threshold is not None:
            found.check(math.isfinite(self.threshold), "advancement.threshold", "must be a finite number")
        found.raise_if_any("INVALID_ADVANCEMENT_RULE")


@dataclass(frozen=True)
class RankedEntry:
    rank: int
    entry_id: str
    score: float
    """The exact score as the nearest double (what the leaderboard shows as ``score``)."""
    display_score: Decimal
    """The exact score rounded half-up to 2 decimals (15.025 → 15.03)."""
    sheet_count: int
    spread: float
    exact: Exact | None = field(default=None, compare=False)
    """The exact score: ordering and the cut use this value."""

    @property
    def exact_score(self) -> Exact:
        return self.exact if self.exact is not None else Exact(exact_decimal(self.score))


def display_score(score: Exact | Fraction | float) -> Decimal:
    """Half-up (halves away from zero) to 2 decimals of the exact value; a float is read as the decimal
    it prints as (85.125 → 85.13)."""
    if not isinstance(score, Exact):
        score = Exact(exact_decimal(score))
    return score.round_half_up(DISPLAY_PLACES)


def tie_break_order(criteria: Sequence[Criterion]) -> list[str]:
    """Criterion names in tie-break order: weight descending, then name."""
    return [c.name for c in sorted(criteria, key=lambda c: (-c.weight, c.name))]


def _sort_key(score: float, criterion_means: Mapping[str, float], sheet_count: int, order: Sequence[str]) -> SortKey:
    # Float form of the rank key, for the bootstrap. Larger is better on every component; an entry
    # lacking a criterion loses that tie-break.
    return (score, *(criterion_means.get(name, -math.inf) for name in order), float(sheet_count))


def compare_aggregates(a: EntryAggregate, b: EntryAggregate, order: Sequence[str]) -> int:
    """-1, 0, 1 as ``a`` ranks below, level with or above ``b``, exactly: the score, then each criterion
    mean in ``order`` (an entry lacking the criterion loses), then the number of sheets."""
    found = a.score.compare(b.score)
    if found:
        return found
    for name in order:
        x, y = a.criterion_means.get(name), b.criterion_means.get(name)
        if x != y:
            if x is None or y is None:
                return -1 if x is None else 1
            return -1 if x < y else 1
    return (a.sheet_count > b.sheet_count) - (a.sheet_count < b.sheet_count)


def rank(aggregates: Mapping[str, EntryAggregate], criteria: Sequence[Criterion]) -> list[RankedEntry]:
    """Standard competition ranking ("1224") on exact values.

    Order: exact score descending; an exact tie on the score is broken by the exact mean on the
    highest-weight criterion, then the next (equal weights in name order), then more sheets. Entries
    equal on all of these are tied: they share a rank, the next rank skips (1, 2, 2, 4), and they are
    listed by entry_id."""
    order = tie_break_order(criteria)
    keyed = _ordered(list(aggregates.values()), order)
    ranked: list[RankedEntry] = []
    current_rank = 0
    for position, (agg, tied_with_previous) in enumerate(keyed, start=1):
        if not tied_with_previous:
            current_rank = position
        ranked.append(
            RankedEntry(
                rank=current_rank,
                entry_id=agg.entry_id,
                score=float(agg.score),
                display_score=display_score(agg.score),
                sheet_count=agg.sheet_count,
                spread=agg.spread,
                exact=agg.score,
            )
        )
    return ranked


def _ordered(aggregates: list[EntryAggregate], order: Sequence[str]) -> list[tuple[EntryAggregate, bool]]:
    """Best first, each with whether it is tied (equal on every key) with the one before."""
    if all(not a.score.surds for a in aggregates):
        # Rational scores: the keys as integers over common denominators, compared in C.
        _, score_unit = _scale_of([a.score.rational for a in aggregates])
        units = [_scale_of([m for a in aggregates if (m := a.criterion_means.get(n)) is not None])[1] for n in order]
        missing = -(1 << 4096)  # below every mean: an entry lacking a criterion loses that tie-break

        def key(a: EntryAggregate) -> tuple[int, ...]:
            means = (a.criterion_means.get(name) for name in order)
            return (
                a.score.rational.numerator * (score_unit // a.score.rational.denominator),
                *(
                    missing if m is None else m.numerator * (u // m.denominator)
                    for m, u in zip(means, units, strict=True)
                ),
                a.sheet_count,
            )

        keys = {a.entry_id: key(a) for a in aggregates}
        sorted_aggregates = sorted(aggregates, key=lambda a: a.entry_id)
        sorted_aggregates.sort(key=lambda a: keys[a.entry_id], reverse=True)
        return [
            (a, i > 0 and keys[a.entry_id] == keys[sorted_aggregates[i - 1].entry_id])
            for i, a in enumerate(sorted_aggregates)
        ]

    def better_first(a: EntryAggregate, b: EntryAggregate) -> int:
        return -compare_aggregates(a, b, order) or (a.entry_id > b.entry_id) - (a.entry_id < b.entry_id)

    result = sorted(aggregates, key=cmp_to_key(better_first))
    return [(a, i > 0 and compare_aggregates(result[i - 1], a, order) == 0) for i, a in enumerate(result)]


def _advancing_aggregates(
    aggregates: Mapping[str, EntryAggregate], order: Sequence[str], rule: AdvancementRule
) -> set[str]:
    """:func:`advancing` of :func:`rank` without rendering the ranked rows."""
    if rule.threshold is not None:
        threshold = exact_decimal(rule.threshold)
        return {a.entry_id for a in aggregates.values() if a.score.compare(threshold) >= 0}
    assert rule.top_n is not None
    chosen: set[str] = set()
    current_rank = 0
    for position, (agg, tied) in enumerate(_ordered(list(aggregates.values()), order), start=1):
        if not tied:
            current_rank = position
        if current_rank > rule.top_n:
            break
        chosen.add(agg.entry_id)
    return chosen


def _scale_of(values: Sequence[Fraction]) -> tuple[None, int]:
    return None, math.lcm(*{v.denominator for v in values}) if values else 1


def advancing(ranked: Iterable[RankedEntry], rule: AdvancementRule) -> set[str]:
    """Entries that advance. Top N takes every entry whose shared rank is <= N, so entries tied at the
    cut all advance (the cut may admit more than N; dropping one of them would need an arbitrary
    choice). A threshold compares the exact score: score >= threshold, the threshold read as the
    decimal it prints as."""
    if rule.top_n is not None:
        return {r.entry_id for r in ranked if r.rank <= rule.top_n}
    assert rule.threshold is not None
    threshold = exact_decimal(rule.threshold)
    return {r.entry_id for r in ranked if r.exact_score.compare(threshold) >= 0}


def robustness(
    sheets: Iterable[Sheet],
    criteria: Sequence[Criterion],
    method: AggregationMethod | str,
    rule: AdvancementRule,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """Probability that each entry is within the cut when its judges are resampled.

    Each bootstrap resample draws, for every entry independently, as many sheets as it has, with
    replacement from its own sheets; the entry is re-aggregated by ``method``, the round re-ranked
    (with the same tie-breaks as :func:`rank`, on the resampled sheets' criterion means) and the cut
    re-applied. Deterministic for a given seed (numpy ``default_rng``), input and resample count.

    Approximation for ZSCORE: each sheet's standardised contribution (see
    :func:`~services.competition.domain.scoring.aggregate`) is computed once from the full round and
    those contributions are resampled; the judges' means and spreads are not re-estimated per resample.
    This keeps a sheet tied to its judge's scale and lets every resample be vectorised.
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    method = AggregationMethod(method)
    table = SheetTable.build(sheets)
    entries = len(table.entry_ids)
    if entries == 0:
        return {}
    values = table.standardised() if method is AggregationMethod.ZSCORE else table.scores
    counts = table.counts
    widest = int(counts.max())
    slot = np.arange(widest)
    valid = slot[None, :] < counts[:, None]
    if method is AggregationMethod.TRIMMED_MEAN:
        trims = counts >= MIN_SHEETS_TO_TRIM
        kept = valid & (~trims[:, None] | ((slot[None, :] > 0) & (slot[None, :] < counts[:, None] - 1)))
    else:
        kept = valid
    divisor = kept.sum(axis=1).astype(np.float64)
    order = tie_break_order(criteria)
    rng = np.random.default_rng(seed)
    hits = np.zeros(entries, dtype=np.int64)
    for done in range(0, resamples, _RESAMPLE_CHUNK):
        batch = min(_RESAMPLE_CHUNK, resamples - done)
        local = np.floor(rng.random((batch, entries, widest)) * counts[None, :, None]).astype(np.intp)
        drawn = table.starts[None, :, None] + np.minimum(local, counts[None, :, None] - 1)
        # Sorting puts padding (+inf) last and makes equal multisets sum in the same order, so entries
        # that drew the same scores tie exactly instead of by rounding noise.
        drawn_values = np.where(valid[None], values[drawn], np.inf)
        drawn_values.sort(axis=2)
        # Rounded to 1e-9 points: entries whose exact resampled means are equal from different sheets
        # (e.g. 3500/51 twice) differ by float noise only, and must tie here as they do in rank().
        scores = np.round(np.where(kept[None], drawn_values, 0.0).sum(axis=2) / divisor[None], _RESAMPLE_DIGITS)
        within = _within_cut(scores, rule, table, drawn, order)
        hits += within.sum(axis=0)
    return {entry_id: float(hits[i] / resamples) for i, entry_id in enumerate(table.entry_ids)}


def _within_cut(
    scores: FloatArray, rule: AdvancementRule, table: SheetTable, drawn: IntArray, order: Sequence[str]
) -> npt.NDArray[np.bool_]:
    """(resamples, entries) mask of entries within the cut, ranking exactly as :func:`advancing`."""
    if rule.threshold is not None:
        at_least: npt.NDArray[np.bool_] = scores >= rule.threshold
        return at_least
    assert rule.top_n is not None
    batch, entries = scores.shape
    top_n = rule.top_n
    if top_n == 0:
        return np.zeros((batch, entries), dtype=np.bool_)
    if top_n >= entries:
        return np.ones((batch, entries), dtype=np.bool_)
    cut = -np.partition(-scores, top_n - 1, axis=1)[:, top_n - 1]
    above = scores > cut[:, None]
    at_cut = scores == cut[:, None]
    n_above = above.sum(axis=1)
    straddles = n_above + at_cut.sum(axis=1) > top_n
    within: npt.NDArray[np.bool_] = above | (at_cut & ~straddles[:, None])
    # A tie on score across the cut is rare with real data: settle it in Python with the tie-breaks.
    for resample in np.flatnonzero(straddles):
        tied = np.flatnonzero(at_cut[resample])
        keys = {int(e): _resampled_key(table, drawn[resample, e], int(e), order) for e in tied}
        slots = int(top_n - n_above[resample])
        for entry, key in keys.items():
            better = sum(1 for other in keys.values() if other > key)
            within[resample, entry] = better < slots
    return within


def _resampled_key(table: SheetTable, drawn: IntArray, entry: int, order: Sequence[str]) -> SortKey:
    count = int(table.counts[entry])
    rows = table.criterion_values[drawn[:count]]
    means: dict[str, float] = {}
    for column, name in enumerate(table.criterion_names):
        present = rows[:, column][~np.isnan(rows[:, column])]
        if present.size:
            means[name] = float(present.sum() / present.size)
    # Score is equal within the tied group by construction, so only the tie-break components matter.
    return _sort_key(0.0, means, count, order)


def method_sensitivity(
    sheets: Iterable[Sheet],
    criteria: Sequence[Criterion],
    rule: AdvancementRule,
    known: Mapping[AggregationMethod, set[str]] | None = None,
) -> set[str]:
    """Entries whose advancement is not the same under MEAN, TRIMMED_MEAN and ZSCORE (``known``: the
    advancing sets already computed for some methods)."""
    sheet_list = list(sheets)
    known = known or {}
    order = tie_break_order(criteria)
    outcomes = [
        known[method] if method in known else _advancing_aggregates(aggregate(sheet_list, method), order, rule)
        for method in AggregationMethod
    ]
    everywhere = outcomes[0].intersection(*outcomes[1:])
    return outcomes[0].union(*outcomes[1:]) - everywhere


JsonScalar = str | int | float | bool | Decimal | None


def _canonical_value(value: JsonScalar) -> str | int | bool | None:
    # Floats as their repr (shortest round-trip text) and Decimals as text, so the JSON is the same
    # on every platform and json's own float formatting never enters the digest.
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def leaderboard_row(entry: RankedEntry) -> dict[str, JsonScalar]:
    return {
        "rank": entry.rank,
        "entry_id": entry.entry_id,
        "score": entry.score,
        "display_score": entry.display_score,
        "sheet_count": entry.sheet_count,
        "spread": entry.spread,
    }


def leaderboard_digest(rows: Iterable[RankedEntry | Mapping[str, JsonScalar]]) -> str:
    """SHA-256 hex of a canonical JSON of the rows, in the given (leaderboard) order.

    Rows are :class:`RankedEntry` or flat mappings (so a snapshot may add columns such as robustness
    or the method flag); keys are sorted, floats written as ``repr`` of the unrounded value, Decimals
    as their text, no whitespace, UTF-8.
    """
    canonical = [
        {
            key: _canonical_value(value)
            for key, value in (leaderboard_row(row) if isinstance(row, RankedEntry) else row).items()
        }
        for row in rows
    ]
    text = json.dumps(
        {"version": _DIGEST_VERSION, "rows": canonical},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
