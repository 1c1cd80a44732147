"""Ranking, tie-breaks, display rounding, advancement, rank robustness, method sensitivity, digest."""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import Code, DomainError
from services.competition.domain.ranking import (
    AdvancementRule,
    JsonScalar,
    RankedEntry,
    advancing,
    display_score,
    leaderboard_digest,
    method_sensitivity,
    rank,
    robustness,
    tie_break_order,
)
from services.competition.domain.scoring import (
    AggregationMethod,
    Criterion,
    EntryAggregate,
    Sheet,
    aggregate,
    make_sheet,
)

CRITERIA = [
    Criterion(name="team", weight=20, min_value=0, max_value=10, step=1),
    Criterion(name="technology", weight=30, min_value=0, max_value=10, step=1),
    Criterion(name="industrialisation", weight=30, min_value=0, max_value=10, step=1),
    Criterion(name="landing", weight=20, min_value=0, max_value=10, step=1),
]


def agg(
    entry: str, score: float, sheets: int = 5, spread: float = 1.0, means: Mapping[str, float] | None = None
) -> EntryAggregate:
    return EntryAggregate(entry, score, sheets, spread, dict(means or {}))


def by_id(*aggregates: EntryAggregate) -> dict[str, EntryAggregate]:
    return {a.entry_id: a for a in aggregates}


def order(ranked: list[RankedEntry]) -> list[tuple[int, str]]:
    return [(r.rank, r.entry_id) for r in ranked]


# --- rank ------------------------------------------------------------------------------------------


def test_tie_break_order_is_weight_then_name() -> None:
    assert tie_break_order(CRITERIA) == ["industrialisation", "technology", "landing", "team"]


def test_rank_orders_by_unrounded_score() -> None:
    ranked = rank(by_id(agg("a", 80.004), agg("b", 80.006), agg("c", 90)), CRITERIA)
    assert order(ranked) == [(1, "c"), (2, "b"), (3, "a")]
    # a and b both display 80.01 / 80.00 but are ordered by the unrounded value
    assert [r.display_score for r in ranked] == [Decimal("90.00"), Decimal("80.01"), Decimal("80.00")]


def test_tie_breaks_follow_criterion_weights_then_sheet_count() -> None:
    same = {"industrialisation": 7.0, "technology": 7.0, "landing": 7.0, "team": 7.0}
    aggregates = by_id(
        agg("p", 75, means=same),
        agg("q", 75, means=same | {"industrialisation": 8.0, "technology": 1.0}),  # wins the first tie-break
        agg("r", 75, means=same | {"technology": 7.5}),  # second tie-break (technology, weight 30 by name)
        agg("s", 75, means=same | {"landing": 7.2, "team": 1.0}),  # landing outranks team (name order at 20)
        agg("t", 75, sheets=6, means=same),  # more sheets beats p
        agg("u", 75, means=same | {"team": 9.0}),  # team is the last criterion
    )
    assert order(rank(aggregates, CRITERIA)) == [(1, "q"), (2, "r"), (3, "s"), (4, "u"), (5, "t"), (6, "p")]


def test_entries_tied_on_everything_share_a_rank_and_are_listed_by_id() -> None:
    means = {"technology": 8.0}
    aggregates = by_id(
        agg("zeta", 88, means=means),
        agg("alpha", 88, means=means),
        agg("mid", 70),
        agg("beta", 88, means=means),
    )
    assert order(rank(aggregates, CRITERIA)) == [(1, "alpha"), (1, "beta"), (1, "zeta"), (4, "mid")]


def test_ranked_entry_fields() -> None:
    (only,) = rank(by_id(agg("e", 85.125, sheets=4, spread=2.5)), CRITERIA)
    assert only == RankedEntry(1, "e", 85.125, Decimal("85.13"), 4, 2.5)


@pytest.mark.parametrize(
    ("score", "shown"),
    [
        (85.125, "85.13"),  # exactly representable half: half-up, not banker's (85.12)
        (85.135, "85.14"),
        (85.124999, "85.12"),
        (1.005, "1.01"),  # binary value is 1.00499999…; the printed 1.005 rounds up
        (0.0, "0.00"),
        (100.0, "100.00"),
        (99.995, "100.00"),
    ],
)
def test_display_score_rounds_half_up(score: float, shown: str) -> None:
    assert str(display_score(score)) == shown


@st.composite
def aggregate_sets(draw: st.DrawFn) -> dict[str, EntryAggregate]:
    # Few distinct values so that ties on score and on tie-breaks are common.
    count = draw(st.integers(0, 12))
    return by_id(
        *(
            agg(
                f"e{i:02d}",
                draw(st.sampled_from([50.0, 60.0, 70.0])),
                sheets=draw(st.integers(1, 3)),
                means={
                    "technology": draw(st.sampled_from([5.0, 6.0])),
                    "team": draw(st.sampled_from([5.0, 6.0])),
                },
            )
            for i in range(count)
        )
    )


@given(aggregate_sets())
def test_ranks_are_a_valid_competition_ranking(aggregates: dict[str, EntryAggregate]) -> None:
    ranked = rank(aggregates, CRITERIA)
    assert sorted(r.entry_id for r in ranked) == sorted(aggregates)
    for position, row in enumerate(ranked):
        if position == 0:
            assert row.rank == 1
            continue
        previous = ranked[position - 1]
        a, b = aggregates[previous.entry_id], aggregates[row.entry_id]
        tied = (a.score, a.criterion_means, a.sheet_count) == (b.score, b.criterion_means, b.sheet_count)
        if tied:
            assert row.rank == previous.rank
            assert previous.entry_id < row.entry_id
        else:
            # standard competition ranking: 1 + the number of entries ranked strictly above
            assert row.rank == position + 1
            assert previous.score >= row.score


# --- advancing ------------------------------------------------------------------------------------


def test_top_n_admits_everyone_sharing_the_rank_at_the_cut() -> None:
    means = {"technology": 5.0}
    ranked = rank(by_id(agg("a", 90), agg("b", 80, means=means), agg("c", 80, means=means), agg("d", 70)), CRITERIA)
    assert order(ranked) == [(1, "a"), (2, "b"), (2, "c"), (4, "d")]
    assert advancing(ranked, AdvancementRule(top_n=2)) == {"a", "b", "c"}
    assert advancing(ranked, AdvancementRule(top_n=1)) == {"a"}
    assert advancing(ranked, AdvancementRule(top_n=3)) == {"a", "b", "c"}
    assert advancing(ranked, AdvancementRule(top_n=0)) == set()
    assert advancing(ranked, AdvancementRule(top_n=10)) == {"a", "b", "c", "d"}


def test_threshold_uses_the_unrounded_score() -> None:
    ranked = rank(by_id(agg("a", 80.0), agg("b", 79.999), agg("c", 80.001)), CRITERIA)
    # b displays as 80.00 but is below the threshold
    assert advancing(ranked, AdvancementRule(threshold=80.0)) == {"a", "c"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "advancement"),
        ({"top_n": 3, "threshold": 70.0}, "advancement"),
        ({"top_n": -1}, "advancement.top_n"),
        ({"top_n": True}, "advancement.top_n"),
        ({"threshold": float("nan")}, "advancement.threshold"),
    ],
)
def test_advancement_rule_needs_exactly_one_valid_setting(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        AdvancementRule(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == [field]


# --- robustness -----------------------------------------------------------------------------------


def sheets_for(entry: str, values: list[float], judges: str = "abcde") -> list[Sheet]:
    return [Sheet(judge, entry, value, {"technology": value / 10}) for judge, value in zip(judges, values, strict=True)]


NOISY_ROUND = (
    sheets_for("star", [95, 97, 99, 96, 98])
    + sheets_for("weak", [10, 12, 8, 11, 9])
    + sheets_for("m1", [60, 75, 50, 80, 65])
    + sheets_for("m2", [70, 55, 68, 62, 74])
    + sheets_for("m3", [58, 66, 72, 61, 59])
    + sheets_for("m4", [64, 71, 53, 69, 77])
)


@pytest.mark.parametrize("method", list(AggregationMethod))
def test_robustness_is_deterministic_and_sane(method: AggregationMethod) -> None:
    rule = AdvancementRule(top_n=3)
    first = robustness(NOISY_ROUND, CRITERIA, method, rule, seed=7)
    assert first == robustness(list(reversed(NOISY_ROUND)), CRITERIA, method, rule, seed=7)
    assert first["star"] == 1.0
    assert first["weak"] == 0.0
    middle = [first[e] for e in ("m1", "m2", "m3", "m4")]
    assert all(0.0 < p < 1.0 for p in middle)
    # Two of the four middling entries make the cut in each resample, bar ties at the cut.
    assert sum(middle) == pytest.approx(2.0, abs=0.05)


def test_robustness_threshold_rule() -> None:
    result = robustness(NOISY_ROUND, CRITERIA, "MEAN", AdvancementRule(threshold=90.0), resamples=1000)
    assert result == {"star": 1.0, "weak": 0.0, "m1": 0.0, "m2": 0.0, "m3": 0.0, "m4": 0.0}
    # m1 scores 50-80: its resampled mean is >= 70 now and then, but far from always.
    m1 = robustness(NOISY_ROUND, CRITERIA, "MEAN", AdvancementRule(threshold=70.0))["m1"]
    assert 0.01 < m1 < 0.5


def test_robustness_probabilities_match_the_bootstrap_distribution() -> None:
    # t: sheets 0, 80, 80, 80, 80; a resample holds c zeros, c ~ Binomial(5, 0.2).
    #   MEAN >= 80 only when c = 0: 0.8^5 ≈ 0.328.
    #   TRIMMED_MEAN drops the lowest and highest drawn sheet, so one zero is trimmed away:
    #   P(c <= 1) = 0.8^5 + 5·0.2·0.8^4 ≈ 0.737.
    # p: 3 sheets 80, 80, 0 (too few to trim): P(no zero) = (2/3)^3 ≈ 0.296 under both.
    sheets = sheets_for("t", [0, 80, 80, 80, 80]) + sheets_for("p", [80, 80, 0], judges="abc")
    rule = AdvancementRule(threshold=80.0)
    mean = robustness(sheets, CRITERIA, "MEAN", rule, resamples=4000)
    trimmed = robustness(sheets, CRITERIA, "TRIMMED_MEAN", rule, resamples=4000)
    assert mean["t"] == pytest.approx(0.8**5, abs=0.03)
    assert trimmed["t"] == pytest.approx(0.8**5 + 0.8**4, abs=0.03)
    assert mean["p"] == pytest.approx((2 / 3) ** 3, abs=0.03)
    assert trimmed["p"] == pytest.approx((2 / 3) ** 3, abs=0.03)


def test_robustness_seed_changes_the_draw() -> None:
    rule = AdvancementRule(top_n=3)
    runs = {tuple(robustness(NOISY_ROUND, CRITERIA, "MEAN", rule, seed=seed).values()) for seed in range(5)}
    assert len(runs) > 1


@st.composite
def single_sheet_rounds(draw: st.DrawFn) -> list[Sheet]:
    # One sheet per entry makes every resample equal to the round itself, so robustness must be
    # exactly the advancement indicator, ties at the cut included.
    count = draw(st.integers(1, 10))
    return [
        Sheet(
            draw(st.sampled_from(["j1", "j2", "j3"])),
            f"e{i}",
            draw(st.sampled_from([40.0, 50.0, 60.0])),
            {"technology": draw(st.sampled_from([4.0, 5.0])), "team": draw(st.sampled_from([4.0, 5.0]))},
        )
        for i in range(count)
    ]


@settings(max_examples=100, deadline=None)
@given(single_sheet_rounds(), st.integers(0, 10), st.sampled_from(list(AggregationMethod)))
def test_robustness_without_randomness_equals_advancement(
    sheets: list[Sheet], top_n: int, method: AggregationMethod
) -> None:
    rule = AdvancementRule(top_n=top_n)
    advanced = advancing(rank(aggregate(sheets, method), CRITERIA), rule)
    result = robustness(sheets, CRITERIA, method, rule, resamples=3)
    assert result == {s.entry_id: float(s.entry_id in advanced) for s in sheets}


def test_robustness_rejects_no_resamples() -> None:
    with pytest.raises(ValueError):
        robustness(NOISY_ROUND, CRITERIA, "MEAN", AdvancementRule(top_n=1), resamples=0)
    assert robustness([], CRITERIA, "MEAN", AdvancementRule(top_n=1)) == {}


def test_robustness_benchmark_1000_entries_5_sheets_1000_resamples() -> None:
    # A sanity run at the service's scale; the time is printed (pytest -s), never asserted.
    rng = np.random.default_rng(3)
    sheets: list[Sheet] = []
    for e in range(1000):
        quality = rng.normal(6, 1.5)
        for judge in rng.choice(200, 5, replace=False):
            values = {c.name: float(np.clip(round(quality + rng.normal(0, 1)), 0, 10)) for c in CRITERIA}
            sheets.append(make_sheet(f"j{judge:03d}", f"e{e:04d}", CRITERIA, values))
    rule = AdvancementRule(top_n=100)
    for method in AggregationMethod:
        started = time.perf_counter()
        result = robustness(sheets, CRITERIA, method, rule, resamples=1000)
        elapsed = time.perf_counter() - started
        print(f"robustness {method.value}: 1000 entries x 5 sheets x 1000 resamples in {elapsed:.2f} s")
        assert len(result) == 1000
        # The cut admits 100 per resample, more only through ties at the cut.
        assert 100 - 1e-9 <= sum(result.values()) <= 110
        advanced = advancing(rank(aggregate(sheets, method), CRITERIA), rule)
        inside = np.mean([result[e] for e in advanced])
        outside = np.mean([p for e, p in result.items() if e not in advanced])
        assert inside > 0.5 > 0.1 > outside


# --- method sensitivity ---------------------------------------------------------------------------


def test_a_harsh_judge_flips_an_entry_under_zscore() -> None:
    # H is harsh (mean 40) and gives X 60; L is lenient (mean 70) and gives Y 75. P and Q are scored by both.
    #   MEAN / TRIMMED_MEAN (fewer than 5 sheets): X 60, Y 75, P (30+70)/2 = 50, Q (30+65)/2 = 47.5 → Y first.
    #   ZSCORE: H: deviations +20, −10, −10, std √200 → z(X) = 20/√200 ≈ 1.414;
    #           L: deviations +5, 0, −5, std √(50/3) → z(Y) = 5/√(50/3) ≈ 1.225 → X first.
    sheets = [
        Sheet("H", "X", 60.0),
        Sheet("H", "P", 30.0),
        Sheet("H", "Q", 30.0),
        Sheet("L", "Y", 75.0),
        Sheet("L", "P", 70.0),
        Sheet("L", "Q", 65.0),
    ]
    rule = AdvancementRule(top_n=1)
    assert advancing(rank(aggregate(sheets, "MEAN"), CRITERIA), rule) == {"Y"}
    assert advancing(rank(aggregate(sheets, "ZSCORE"), CRITERIA), rule) == {"X"}
    assert method_sensitivity(sheets, CRITERIA, rule) == {"X", "Y"}
    assert method_sensitivity(sheets, CRITERIA, AdvancementRule(top_n=4)) == set()


def test_trimming_alone_flips_an_entry() -> None:
    # One outlier sheet (100) lifts A's mean above B's; trimmed, A drops below.
    sheets = sheets_for("A", [100, 60, 60, 60, 60]) + sheets_for("B", [66, 66, 66, 66, 66])
    rule = AdvancementRule(top_n=1)
    assert method_sensitivity(sheets, CRITERIA, rule) >= {"A", "B"}


# --- digest ---------------------------------------------------------------------------------------

BOARD = rank(by_id(agg("a", 85.125, spread=2.0), agg("b", 70.1 + 0.2, sheets=4), agg("c", 12.0)), CRITERIA)


def test_digest_is_stable() -> None:
    # Pinned: a change to the canonical form would break every frozen snapshot's proof.
    assert leaderboard_digest(BOARD) == leaderboard_digest(list(BOARD))
    assert leaderboard_digest(BOARD) == "993ded6c3dba47a1afcc6636a2b2738bef6bc59ed4cbafc26184482d92c00768"


def test_digest_accepts_mappings_in_any_key_order() -> None:
    rows: list[dict[str, JsonScalar]] = [
        {"entry_id": r.entry_id, "rank": r.rank, "score": r.score, "advanced": True} for r in BOARD
    ]
    reordered = [dict(reversed(list(row.items()))) for row in rows]
    assert leaderboard_digest(rows) == leaderboard_digest(reordered)


def test_digest_detects_any_change() -> None:
    original = leaderboard_digest(BOARD)
    first = BOARD[0]
    nudged = RankedEntry(first.rank, first.entry_id, np.nextafter(first.score, 0.0).item(), first.display_score, 5, 2.0)
    assert nudged.display_score == first.display_score
    assert leaderboard_digest([nudged, *BOARD[1:]]) != original  # one ulp of the unrounded score
    assert leaderboard_digest(list(reversed(BOARD))) != original  # order
    assert leaderboard_digest(BOARD[:2]) != original  # a missing row
    renamed = RankedEntry(first.rank, "a2", first.score, first.display_score, 5, 2.0)
    assert leaderboard_digest([renamed, *BOARD[1:]]) != original
    assert leaderboard_digest([]) != original
