"""Exact scores: equality, order and rounding of r + Σ c·√q, and exact ties under every method."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.competition.domain.exact import Exact
from services.competition.domain.ranking import AdvancementRule, advancing, display_score, rank
from services.competition.domain.scoring import (
    AggregationMethod,
    Criterion,
    GridScorer,
    Sheet,
    aggregate,
    exact_decimal,
    exact_sheet_score,
)

F = Fraction


def test_square_roots_equal_up_to_a_rational_square_are_equal() -> None:
    assert Exact.sqrt(F(8)) == Exact.sqrt(F(2), 2)
    assert Exact.sqrt(F(8)) - Exact.sqrt(F(2), 2) == 0
    assert Exact.sqrt(F(9, 4)) == F(3, 2)  # folded into the rational part
    assert (Exact.sqrt(F(8)) - Exact.sqrt(F(2), 2)).is_rational
    assert not Exact.sqrt(F(2)).is_rational


def test_order_is_exact_even_far_below_float_precision() -> None:
    # √2 + √3 − √(5 + 2√6) = 0 is not expressible here, but a difference of 1e-40 is decided exactly.
    tiny = F(1, 10**40)
    a = Exact(F(1), {F(2): F(1)})
    b = Exact(F(1) + tiny, {F(2): F(1)})
    assert float(a) == float(b)
    assert a < b and b > a and a != b
    assert (a - b).sign() == -1
    # Near-equal irrational values: √2 against its 60-digit truncation.
    truncated = F(Decimal("1.414213562373095048801688724209698078569671875376948073176679"))
    assert Exact.sqrt(F(2)) > truncated
    assert Exact.sqrt(F(2)).compare(truncated + F(1, 10**59)) == -1


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Exact(F(601, 40)), "15.03"),  # 15.025
        (Exact(F(-601, 40)), "-15.03"),  # halves away from zero
        (Exact(F(60099, 4000)), "15.02"),  # 15.02475
        (Exact(F(-1, 1000)), "0.00"),  # no negative zero
        (Exact(F(0)), "0.00"),
        (Exact.sqrt(F(2), 100), "141.42"),
        (Exact(F(15), {F(2): F(1, 10**50)}), "15.00"),
    ],
)
def test_round_half_up_of_the_exact_value(value: Exact, shown: str) -> None:
    assert str(value.round_half_up(2)) == shown
    assert str(display_score(value)) == shown


def test_an_irrational_value_near_a_half_is_rounded_on_the_exact_side() -> None:
    # 15.025 − 10^-45·√2 is just below the half: 15.02.
    below = Exact(F(601, 40), {F(2): F(-1, 10**45)})
    above = Exact(F(601, 40), {F(2): F(1, 10**45)})
    assert str(below.round_half_up(2)) == "15.02"
    assert str(above.round_half_up(2)) == "15.03"


def test_a_decimal_grid_value_is_exact() -> None:
    assert exact_decimal(0.1) == F(1, 10)
    assert exact_decimal(15.025) == F(601, 40)
    overall = [Criterion(name="a", weight=0.3, min_value=0, max_value=1, step=0.1)]
    # 0.1 + 0.2 as sent by a client that added floats is snapped onto the grid point 0.3.
    assert exact_sheet_score(overall, {"a": 0.1 + 0.2}) == 30
    assert GridScorer(overall).sheet("j", "e", {"a": 0.7}).criterion_scores == {"a": F(7, 10)}


CRITERIA = [
    Criterion(name="technology", weight=30, min_value=0, max_value=10, step=0.5),
    Criterion(name="industrialisation", weight=30, min_value=0, max_value=10, step=0.5),
    Criterion(name="team", weight=20, min_value=0, max_value=10, step=1),
    Criterion(name="landing", weight=20, min_value=0, max_value=10, step=1),
]
NAMES = [c.name for c in CRITERIA]


def sheets(entry: str, rows: list[tuple[float, ...]]) -> list[Sheet]:
    scorer = GridScorer(CRITERIA)
    return [scorer.sheet(f"j{k}", entry, dict(zip(NAMES, row, strict=True))) for k, row in enumerate(rows)]


# Same per-criterion multisets, different sheets: exactly equal means, which floats split.
TIED = sheets("a", [(1.5, 6.0, 8, 7), (5.0, 2.0, 3, 1), (4.0, 7.5, 7, 7)]) + sheets(
    "b", [(1.5, 2.0, 8, 1), (4.0, 6.0, 7, 7), (5.0, 7.5, 3, 7)]
)


@pytest.mark.parametrize("method", list(AggregationMethod))
def test_tied_entries_share_a_rank_under_every_method(method: AggregationMethod) -> None:
    ranked = rank(aggregate(TIED, method), CRITERIA)
    assert [(r.rank, r.entry_id) for r in ranked] == [(1, "a"), (1, "b")]
    assert ranked[0].score == ranked[1].score
    assert advancing(ranked, AdvancementRule(top_n=1)) == {"a", "b"}


def test_zscore_ties_across_judges_whose_scales_differ_by_a_square() -> None:
    # B's deviations are twice A's, so V/V_B = (V/V_A)/4: X (A, +11) and Y (B, +22) both map to
    # M + 11·√(V/V_A), through different square roots.
    round_ = [Sheet("A", "X", 61), Sheet("A", "P", 50), Sheet("A", "Q", 39)]
    round_ += [Sheet("B", "Y", 72), Sheet("B", "R", 50), Sheet("B", "S", 28)]
    result = aggregate(round_, "ZSCORE")
    x, y = result["X"].score, result["Y"].score
    assert x.surds != y.surds  # different representations …
    assert x == y  # … of one number
    ranked = rank(result, [])
    assert [(r.rank, r.entry_id) for r in ranked[:2]] == [(1, "X"), (1, "Y")]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=3, max_size=8), st.lists(st.integers(0, 20), min_size=3, max_size=8))
def test_zscore_scores_compare_like_their_high_precision_values(a: list[int], b: list[int]) -> None:
    round_ = [Sheet("J", f"x{i}", F(v, 2)) for i, v in enumerate(a)]
    round_ += [Sheet("K", f"y{i}", F(v, 3)) for i, v in enumerate(b)]
    result = aggregate(round_, "ZSCORE")
    values = [(a.score, a.score.approx(80)) for a in result.values()]
    for first, first_value in values:
        for second, second_value in values:
            expected = first_value - second_value
            found = first.compare(second)
            if abs(expected) > Decimal(10) ** -60:
                assert found == (1 if expected > 0 else -1)
