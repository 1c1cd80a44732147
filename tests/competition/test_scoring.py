"""Scoring maths: criteria and sheet validation, sheet scores and the three aggregation methods."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.common.errors import Code, DomainError
from services.competition.domain.scoring import (
    AggregationMethod,
    Criterion,
    EntryAggregate,
    Sheet,
    aggregate,
    make_sheet,
    sheet_score,
    validate_criteria,
    validate_sheet_values,
)

CRITERIA = [
    Criterion(name="technology", weight=30, min_value=0, max_value=10, step=0.5),
    Criterion(name="industrialisation", weight=30, min_value=0, max_value=10, step=0.5),
    Criterion(name="team", weight=20, min_value=1, max_value=5, step=1),
    Criterion(name="landing", weight=20, min_value=0, max_value=100, step=5),
]


def crit(name: str, weight: float = 1, lo: float = 0, hi: float = 10, step: float = 1) -> Criterion:
    return Criterion(name=name, weight=weight, min_value=lo, max_value=hi, step=step)


def fields_of(error: DomainError) -> list[str]:
    return [v.field for v in error.violations]


# --- validate_criteria -----------------------------------------------------------------------------


def test_valid_criteria_pass() -> None:
    validate_criteria(CRITERIA)
    validate_criteria([crit("a", lo=0, hi=1, step=0.1)])  # 1/0.1 is 10 steps despite binary rounding


def test_empty_criteria_rejected() -> None:
    with pytest.raises(DomainError) as caught:
        validate_criteria([])
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert fields_of(caught.value) == ["round.criteria"]


def test_every_bad_criterion_field_is_named() -> None:
    criteria = [
        crit("a"),
        crit("b", weight=0),
        crit("a", step=-1),
        crit("c", lo=5, hi=5),
        crit("d", hi=10, step=3),
        crit("", weight=math.nan),
    ]
    with pytest.raises(DomainError) as caught:
        validate_criteria(criteria)
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert caught.value.reason == "INVALID_CRITERIA"
    assert fields_of(caught.value) == [
        "round.criteria[1].weight",
        "round.criteria[2].name",
        "round.criteria[2].step",
        "round.criteria[3].max_value",
        "round.criteria[4].step",
        "round.criteria[5].name",
        "round.criteria[5].weight",
    ]


def test_criteria_field_prefix() -> None:
    with pytest.raises(DomainError) as caught:
        validate_criteria([crit("a", weight=-1)], field_prefix="criteria")
    assert fields_of(caught.value) == ["criteria[0].weight"]


# --- validate_sheet_values -------------------------------------------------------------------------

GOOD = {"technology": 8.5, "industrialisation": 7, "team": 4, "landing": 60}


def test_valid_values_pass() -> None:
    validate_sheet_values(CRITERIA, GOOD)
    validate_sheet_values([crit("a", lo=0, hi=1, step=0.1)], {"a": 0.7})  # 0.7/0.1 is not exact in binary


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"technology": 10.5}, "values[technology]", "SCORE_OUT_OF_RANGE"),
        ({"team": 0}, "values[team]", "SCORE_OUT_OF_RANGE"),
        ({"technology": 8.25}, "values[technology]", "SCORE_OFF_STEP"),
        ({"landing": 62}, "values[landing]", "SCORE_OFF_STEP"),
        ({"team": math.nan}, "values[team]", "SCORE_NOT_FINITE"),
        ({"team": math.inf}, "values[team]", "SCORE_NOT_FINITE"),
        ({"novelty": 3}, "values[novelty]", "UNKNOWN_CRITERION"),
    ],
)
def test_one_bad_value(change: dict[str, float], field: str, reason: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_sheet_values(CRITERIA, GOOD | change)
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert caught.value.reason == reason
    assert fields_of(caught.value) == [field]


def test_missing_criterion() -> None:
    values = {k: v for k, v in GOOD.items() if k != "team"}
    with pytest.raises(DomainError) as caught:
        validate_sheet_values(CRITERIA, values)
    assert caught.value.reason == "MISSING_CRITERION"
    assert fields_of(caught.value) == ["values[team]"]


def test_every_problem_reported_at_once() -> None:
    values = {"technology": 11, "industrialisation": 7.2, "landing": 60, "x": 1}
    with pytest.raises(DomainError) as caught:
        validate_sheet_values(CRITERIA, values, field_prefix="sheet.values")
    assert caught.value.reason == "INVALID_SCORE_SHEET"
    assert fields_of(caught.value) == [
        "sheet.values[technology]",
        "sheet.values[industrialisation]",
        "sheet.values[team]",
        "sheet.values[x]",
    ]


# --- sheet_score -----------------------------------------------------------------------------------


def test_sheet_score_hand_computed() -> None:
    # technology 8.5/10 → 0.85·30 = 25.5; industrialisation 0.7·30 = 21; team (4−1)/4 = 0.75·20 = 15;
    # landing 0.6·20 = 12. Σ = 73.5 over Σw = 100 → 73.5.
    assert sheet_score(CRITERIA, GOOD) == pytest.approx(73.5, abs=1e-12)


def test_sheet_score_bounds_and_unequal_weights() -> None:
    two = [crit("a", weight=3, hi=4), crit("b", weight=1, lo=10, hi=20, step=2)]
    assert sheet_score(two, {"a": 0, "b": 10}) == 0.0
    assert sheet_score(two, {"a": 4, "b": 20}) == 100.0
    # a: 3·(1/4) = 0.75; b: 1·(6/10) = 0.6; (0.75 + 0.6)/4 × 100 = 33.75
    assert sheet_score(two, {"a": 1, "b": 16}) == pytest.approx(33.75, abs=1e-12)


def test_make_sheet_validates_then_scores() -> None:
    sheet = make_sheet("j1", "e1", CRITERIA, GOOD)
    assert sheet.score == pytest.approx(73.5)
    assert sheet.criterion_scores == GOOD
    with pytest.raises(DomainError):
        make_sheet("j1", "e1", CRITERIA, GOOD | {"team": 9})


@st.composite
def criteria_and_values(draw: st.DrawFn) -> tuple[list[Criterion], dict[str, float]]:
    count = draw(st.integers(1, 5))
    criteria: list[Criterion] = []
    values: dict[str, float] = {}
    for i in range(count):
        lo = draw(st.integers(-50, 50)) / 2
        step = draw(st.sampled_from([0.1, 0.25, 0.5, 1.0, 5.0]))
        steps = draw(st.integers(1, 40))
        weight = draw(st.floats(0.01, 1000))
        c = Criterion(name=f"c{i}", weight=weight, min_value=lo, max_value=lo + steps * step, step=step)
        criteria.append(c)
        values[c.name] = draw(st.sampled_from([c.min_value, c.max_value, lo + draw(st.integers(0, steps)) * step]))
    return criteria, values


@given(criteria_and_values())
def test_sheet_score_within_0_100(case: tuple[list[Criterion], dict[str, float]]) -> None:
    criteria, values = case
    score = sheet_score(criteria, values)
    assert 0.0 <= score <= 100.0


# --- aggregation: hand-computed examples ----------------------------------------------------------


def s(judge: str, entry: str, score: float, **criteria: float) -> Sheet:
    return Sheet(judge, entry, score, criteria)


def scores(aggregates: dict[str, EntryAggregate]) -> dict[str, float]:
    return {entry: float(agg.score) for entry, agg in aggregates.items()}


def test_mean_spread_and_criterion_means() -> None:
    sheets = [s("a", "e1", 70, tech=7), s("b", "e1", 80, tech=9), s("c", "e1", 90, tech=8), s("a", "e2", 55)]
    result = aggregate(sheets, AggregationMethod.MEAN)
    assert float(result["e1"].score) == pytest.approx(80.0)
    assert result["e1"].sheet_count == 3
    # sample std of 70, 80, 90: sqrt((100 + 0 + 100) / 2) = 10
    assert result["e1"].spread == pytest.approx(10.0)
    assert result["e1"].criterion_means == {"tech": pytest.approx(8.0)}
    assert result["e2"] == EntryAggregate("e2", 55.0, 1, 0.0, {})


def test_trimmed_mean_with_four_sheets_is_the_mean() -> None:
    sheets = [s(j, "e", x) for j, x in zip("abcd", [10, 60, 70, 100], strict=True)]
    # 4 sheets: nothing dropped, (10 + 60 + 70 + 100) / 4 = 60
    assert float(aggregate(sheets, "TRIMMED_MEAN")["e"].score) == pytest.approx(60.0)


def test_trimmed_mean_with_five_sheets_drops_one_high_one_low() -> None:
    sheets = [s(j, "e", x) for j, x in zip("abcde", [10, 60, 70, 80, 100], strict=True)]
    # 5 sheets: drop 10 and 100 → (60 + 70 + 80) / 3 = 70; plain mean would be 64
    assert float(aggregate(sheets, "TRIMMED_MEAN")["e"].score) == pytest.approx(70.0)
    assert float(aggregate(sheets, "MEAN")["e"].score) == pytest.approx(64.0)


def test_trimmed_mean_drops_exactly_one_of_equal_extremes() -> None:
    sheets = [s(j, "e", x) for j, x in zip("abcdef", [50, 50, 60, 70, 90, 90], strict=True)]
    # drop one 50 and one 90: (50 + 60 + 70 + 90) / 4 = 67.5
    assert float(aggregate(sheets, "TRIMMED_MEAN")["e"].score) == pytest.approx(67.5)


ZSCORE_ROUND = [
    s("A", "E1", 80), s("A", "E2", 70), s("A", "E3", 60),
    s("B", "E1", 60), s("B", "E2", 50), s("B", "E3", 40),
    s("C", "E1", 90), s("C", "E2", 70), s("C", "E3", 80),
]  # fmt: skip


def test_zscore_hand_computed() -> None:
    # Judge A: mean 70, population std sqrt(200/3); z = +√1.5, 0, −√1.5 for E1, E2, E3.
    # Judge B (harsh, same shape): mean 50, same std, same z as A.
    # Judge C: mean 80, deviations +10, −10, 0 → z = +√1.5, −√1.5, 0.
    # z̄: E1 = √1.5; E2 = −√1.5/3; E3 = −2·√1.5/3.
    # Round: the 9 scores sum to 600 → M = 200/3; Σ(x − M)² = 2000 → S = √(2000/9).
    # S·√1.5 = √(1000/3) ≈ 18.2574, so
    #   E1 = 200/3 + √(1000/3)       ≈ 84.9241
    #   E2 = 200/3 − √(1000/3) / 3   ≈ 60.5809
    #   E3 = 200/3 − 2·√(1000/3) / 3 ≈ 54.4951
    k = math.sqrt(1000 / 3)
    result = scores(aggregate(ZSCORE_ROUND, AggregationMethod.ZSCORE))
    assert result == {
        "E1": pytest.approx(200 / 3 + k, abs=1e-9),
        "E2": pytest.approx(200 / 3 - k / 3, abs=1e-9),
        "E3": pytest.approx(200 / 3 - 2 * k / 3, abs=1e-9),
    }
    assert result["E1"] == pytest.approx(84.9241, abs=1e-4)


def test_zscore_judge_with_two_sheets_keeps_raw_scores() -> None:
    # A has 3 sheets (standardised), D only 2 (raw). Round: 80, 70, 60, 50, 100 → M = 72,
    # Σ(x − M)² = 64 + 4 + 144 + 484 + 784 = 1480 → S = √296. A's z = +√1.5, 0, −√1.5, so A's sheets
    # contribute 72 + √444, 72, 72 − √444 (√444 ≈ 21.0713).
    #   E1 = (72 + √444 + 50) / 2 ≈ 71.5357;  E2 = (72 + 100) / 2 = 86;  E3 = 72 − √444 ≈ 50.9287
    sheets = [s("A", "E1", 80), s("A", "E2", 70), s("A", "E3", 60), s("D", "E1", 50), s("D", "E2", 100)]
    result = scores(aggregate(sheets, "ZSCORE"))
    assert result == {
        "E1": pytest.approx((72 + math.sqrt(444) + 50) / 2, abs=1e-9),
        "E2": pytest.approx(86.0, abs=1e-9),
        "E3": pytest.approx(72 - math.sqrt(444), abs=1e-9),
    }


def test_zscore_judge_with_zero_spread_keeps_raw_scores() -> None:
    # Z gives 75 to everything (no spread, so no z); A as above. Round: 80, 70, 60, 75, 75, 75 → M = 72.5,
    # Σ(x − M)² = 56.25 + 6.25 + 156.25 + 3·6.25 = 237.5 → S = √(237.5/6); A contributes M ± S·√1.5.
    sheets = [s("A", "E1", 80), s("A", "E2", 70), s("A", "E3", 60)]
    sheets += [s("Z", e, 0.1 * 750) for e in ("E1", "E2", "E3")]
    shift = math.sqrt(237.5 / 6 * 1.5)
    result = scores(aggregate(sheets, "ZSCORE"))
    assert result == {
        "E1": pytest.approx((72.5 + shift + 75) / 2, abs=1e-9),
        "E2": pytest.approx((72.5 + 75) / 2, abs=1e-9),
        "E3": pytest.approx((72.5 - shift + 75) / 2, abs=1e-9),
    }


def test_zscore_rounding_noise_is_not_spread() -> None:
    # Five equal scores whose float mean is one ulp off: the computed std is ~2e-16, not 0. Treating it
    # as spread would turn rounding noise into whole standard deviations.
    value = 1.6527635528529094
    noisy = np.array([value] * 5)
    assert float(np.sqrt(((noisy - noisy.sum() / 5) ** 2).mean())) > 0.0
    sheets = [s("Z", f"Z{i}", value) for i in range(5)]
    sheets += [s("A", "E1", 80), s("A", "E2", 70), s("A", "E3", 60)]
    result = scores(aggregate(sheets, "ZSCORE"))
    assert all(result[f"Z{i}"] == value for i in range(5))


def test_zscore_removes_a_harsh_judges_offset() -> None:
    # B is A minus 20 on the same entries: under MEAN every entry is pulled down alike, and under ZSCORE
    # B's sheets become indistinguishable from A's.
    sheets = [s("A", "E1", 80), s("A", "E2", 70), s("A", "E3", 60)]
    sheets += [s("B", "E4", 60), s("B", "E5", 50), s("B", "E6", 40)]
    result = scores(aggregate(sheets, "ZSCORE"))
    assert result["E1"] == pytest.approx(result["E4"])
    assert result["E3"] == pytest.approx(result["E6"])
    assert scores(aggregate(sheets, "MEAN"))["E1"] == 80


def test_empty_round_and_method_names() -> None:
    for method in AggregationMethod:
        assert aggregate([], method) == {}
    with pytest.raises(ValueError):
        aggregate([s("a", "e", 1)], "MEDIAN")


# --- aggregation: properties -----------------------------------------------------------------------


@st.composite
def rounds(draw: st.DrawFn, standardisable_only: bool = False) -> list[Sheet]:
    """A round with judges scoring random subsets of entries; one sheet per (judge, entry)."""
    entries = [f"e{i}" for i in range(draw(st.integers(3, 8)))]
    judges = draw(st.integers(2, 5))
    score = st.integers(0, 300).map(lambda x: x / 3)  # not dyadic, so summation order shows
    sheets: list[Sheet] = []
    for j in range(judges):
        lowest = 3 if standardisable_only else 1
        chosen = draw(st.lists(st.sampled_from(entries), min_size=lowest, max_size=len(entries), unique=True))
        values = [draw(score) for _ in chosen]
        if standardisable_only:
            assume(len(set(values)) > 1)
        sheets += [
            Sheet(f"j{j}", entry, value, {"tech": value / 10, "team": (value * 7) % 10})
            for entry, value in zip(chosen, values, strict=True)
        ]
    return sheets


@settings(max_examples=150, deadline=None)
@given(rounds(), st.sampled_from(list(AggregationMethod)), st.randoms(use_true_random=False))
def test_aggregate_invariant_to_sheet_order(sheets: list[Sheet], method: AggregationMethod, rnd: random.Random) -> None:
    shuffled = list(sheets)
    rnd.shuffle(shuffled)
    # Bit-identical, not approximately equal: the frozen leaderboard digest hashes these floats.
    assert aggregate(shuffled, method) == aggregate(sheets, method)


def _standardised_positions(sheets: list[Sheet]) -> dict[str, float]:
    raw = np.array([float(sheet.score) for sheet in sheets])
    round_mean, round_std = float(raw.mean()), float(raw.std())
    return {e: (float(a.score) - round_mean) / round_std for e, a in aggregate(sheets, "ZSCORE").items()}


def _ranking(result: dict[str, EntryAggregate]) -> list[str]:
    return sorted(result, key=lambda e: (-round(float(result[e].score), 9), e))


@settings(max_examples=150, deadline=None)
@given(rounds(standardisable_only=True), st.data())
def test_zscore_invariant_to_a_judge_constant(sheets: list[Sheet], data: st.DataObject) -> None:
    judge = data.draw(st.sampled_from(sorted({sheet.judge_id for sheet in sheets})))
    constant = data.draw(st.floats(-50, 50))
    moved = [
        Sheet(x.judge_id, x.entry_id, float(x.score) + constant, x.criterion_scores) if x.judge_id == judge else x
        for x in sheets
    ]
    # Every judge is standardised here, so each entry is M + S·z̄ with z̄ untouched by the constant;
    # only the round's own M and S (the raw scale mapped back to) move with it.
    before, after = _standardised_positions(sheets), _standardised_positions(moved)
    assert after == pytest.approx(before, abs=1e-7)
    assert _ranking(aggregate(moved, "ZSCORE")) == _ranking(aggregate(sheets, "ZSCORE"))


@settings(max_examples=150, deadline=None)
@given(rounds(standardisable_only=True), st.data())
def test_zscore_invariant_to_scaling_a_judges_deviations(sheets: list[Sheet], data: st.DataObject) -> None:
    judge = data.draw(st.sampled_from(sorted({sheet.judge_id for sheet in sheets})))
    factor = data.draw(st.floats(0.1, 10))
    own = [float(x.score) for x in sheets if x.judge_id == judge]
    centre = sum(own) / len(own)
    moved = [
        Sheet(x.judge_id, x.entry_id, centre + factor * (float(x.score) - centre), x.criterion_scores)
        if x.judge_id == judge
        else x
        for x in sheets
    ]
    before, after = _standardised_positions(sheets), _standardised_positions(moved)
    assert after == pytest.approx(before, abs=1e-7)


def test_zscore_invariance_is_exact_when_the_round_scale_is_unchanged() -> None:
    # A and B swap levels (A becomes the harsh one): each judge's z are as before and the pooled raw
    # scores, hence M and S, are the same multiset, so the aggregates themselves do not move.
    swapped = [s("A", "E1", 60), s("A", "E2", 50), s("A", "E3", 40), s("B", "E1", 80), s("B", "E2", 70)]
    swapped += [s("B", "E3", 60), s("C", "E1", 90), s("C", "E2", 70), s("C", "E3", 80)]
    assert scores(aggregate(swapped, "ZSCORE")) == pytest.approx(scores(aggregate(ZSCORE_ROUND, "ZSCORE")))
    assert scores(aggregate(swapped, "MEAN")) == scores(aggregate(ZSCORE_ROUND, "MEAN"))


@given(
    st.floats(0, 100, allow_nan=False),
    st.integers(1, 12),
    st.sampled_from(list(AggregationMethod)),
)
def test_identical_sheets_aggregate_to_that_sheet(score: float, count: int, method: AggregationMethod) -> None:
    sheets = [Sheet(f"j{i}", "e", score, {"tech": 5.0}) for i in range(count)]
    result = aggregate(sheets, method)["e"]
    assert float(result.score) == pytest.approx(score, abs=1e-9)
    assert result.sheet_count == count
    assert result.spread == pytest.approx(0.0, abs=1e-9)
    if method is AggregationMethod.MEAN:
        assert float(result.score) == pytest.approx(score, rel=1e-15, abs=1e-12)
