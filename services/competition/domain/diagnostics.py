"""Judge diagnostics for admins: how harsh or lenient each judge is, and how much the judges agree.

Assignments are incomplete (each judge scores a subset of entries), so agreement is ICC(1) — one-way
random effects with entries as targets — which needs no complete judges × entries block, unlike
Kendall's W. Pure, thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from services.competition.domain.exact import Exact
from services.competition.domain.scoring import (
    AggregationMethod,
    EntryAggregate,
    Sheet,
    SheetTable,
    aggregate,
)

_ZERO_VARIANCE = 1e-12


@dataclass(frozen=True)
class JudgeSeverity:
    """``severity`` is the mean of (sheet score − entry consensus) over the judge's sheets, in points of
    the 0-100 scale: negative = harsh, positive = lenient. ``mean_absolute_deviation`` shows a judge
    who is erratic rather than biased (large while severity is near 0)."""

    judge_id: str
    severity: float
    mean_absolute_deviation: float
    sheet_count: int


def judge_severity(
    sheets: Iterable[Sheet], aggregates: Mapping[str, EntryAggregate] | None = None
) -> dict[str, JudgeSeverity]:
    """Each judge's mean deviation from the entry consensus.

    The consensus is ``aggregates[entry].score``, which should be the MEAN aggregates (computed here
    when ``aggregates`` is None): a ZSCORE consensus has already removed the severity being measured.
    The judge's own sheet is part of the consensus, which shrinks the figure by (k−1)/k for k sheets
    per entry but keeps it the plain, explainable number admins expect.
    """
    sheet_list = list(sheets)
    consensus = aggregates if aggregates is not None else aggregate(sheet_list, AggregationMethod.MEAN)
    deviations: dict[str, list[float]] = {}
    for sheet in sorted(sheet_list, key=lambda s: (s.judge_id, s.entry_id, s.score)):
        if sheet.entry_id not in consensus:
            raise ValueError(f"no aggregate for entry {sheet.entry_id!r}")
        deviations.setdefault(sheet.judge_id, []).append(float(Exact(sheet.score) - consensus[sheet.entry_id].score))
    return {
        judge_id: JudgeSeverity(
            judge_id=judge_id,
            severity=float(np.mean(values)),
            mean_absolute_deviation=float(np.mean(np.abs(values))),
            sheet_count=len(values),
        )
        for judge_id, values in deviations.items()
    }


def agreement(sheets: Iterable[Sheet]) -> float | None:
    """The round's agreement: ICC(1), single-rater, one-way random effects, entries as targets.

    Over the entries with at least 2 sheets (a = entries, N = sheets, n_i sheets of entry i):
    MSB = Σ n_i (ȳ_i − ȳ)² / (a − 1), MSW = Σ Σ (y_ij − ȳ_i)² / (N − a),
    n0 = (N − Σ n_i² / N) / (a − 1), ICC(1) = (MSB − MSW) / (MSB + (n0 − 1)·MSW).
    1 means judges agree perfectly; 0 or below means entry differences are no larger than the
    judges' disagreement (it can be negative, and is reported as such). None when fewer than 2
    entries have 2 or more sheets, or when the scores have no variance at all.
    """
    table = SheetTable.build(sheets)
    if not table.sheets:
        return None
    eligible = table.counts >= 2
    if int(eligible.sum()) < 2:
        return None
    keep = eligible[table.entry_of]
    y = table.scores[keep]
    groups = np.unique(table.entry_of[keep], return_inverse=True)[1]
    n_i = np.bincount(groups).astype(np.float64)
    a = n_i.size
    total = float(n_i.sum())
    group_mean = np.bincount(groups, weights=y) / n_i
    grand_mean = float(y.mean())
    msb = float((n_i * (group_mean - grand_mean) ** 2).sum() / (a - 1))
    msw = float(((y - group_mean[groups]) ** 2).sum() / (total - a))
    n0 = (total - float((n_i**2).sum()) / total) / (a - 1)
    denominator = msb + (n0 - 1.0) * msw
    if denominator <= _ZERO_VARIANCE * max(1.0, grand_mean**2):
        return None
    return (msb - msw) / denominator
