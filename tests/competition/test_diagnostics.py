"""Judge severity and the round's agreement (ICC(1))."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.competition.domain.diagnostics import JudgeSeverity, agreement, judge_severity
from services.competition.domain.scoring import AggregationMethod, Sheet, aggregate


def s(judge: str, entry: str, score: float) -> Sheet:
    return Sheet(judge, entry, score)


ROUND = [
    s("A", "E1", 80), s("A", "E2", 70), s("A", "E3", 60),
    s("B", "E1", 60), s("B", "E2", 50), s("B", "E3", 40),
    s("C", "E1", 90), s("C", "E2", 70), s("C", "E3", 80),
]  # fmt: skip


def test_judge_severity_hand_computed() -> None:
    # Consensus (MEAN): E1 230/3, E2 190/3, E3 60.
    #   A: (80 − 230/3) + (70 − 190/3) + 0 = 10/3 + 20/3 = 10 → +10/3
    #   B: (60 − 230/3) + (50 − 190/3) + (40 − 60) = −50/3 − 40/3 − 20 = −50 → −50/3 (harsh)
    #   C: (90 − 230/3) + (70 − 190/3) + (80 − 60) = 40/3 + 20/3 + 20 = 40 → +40/3 (lenient)
    result = judge_severity(ROUND)
    assert result == {
        "A": JudgeSeverity("A", pytest.approx(10 / 3), pytest.approx(10 / 3), 3),  # type: ignore[arg-type]
        "B": JudgeSeverity("B", pytest.approx(-50 / 3), pytest.approx(50 / 3), 3),  # type: ignore[arg-type]
        "C": JudgeSeverity("C", pytest.approx(40 / 3), pytest.approx(40 / 3), 3),  # type: ignore[arg-type]
    }


def test_erratic_judge_has_small_severity_but_large_absolute_deviation() -> None:
    sheets = [s("X", "E1", 90), s("X", "E2", 30), s("Y", "E1", 50), s("Y", "E2", 70)]
    x = judge_severity(sheets)["X"]
    assert x.severity == pytest.approx(0.0)
    assert x.mean_absolute_deviation == pytest.approx(20.0)


def test_judge_severity_uses_given_consensus() -> None:
    consensus = aggregate(ROUND, AggregationMethod.MEAN)
    assert judge_severity(ROUND, consensus) == judge_severity(ROUND)
    shifted = {e: a.__class__(e, a.score + 5, a.sheet_count, a.spread, a.criterion_means) for e, a in consensus.items()}
    assert judge_severity(ROUND, shifted)["A"].severity == pytest.approx(10 / 3 - 5)
    with pytest.raises(ValueError):
        judge_severity([*ROUND, s("A", "E9", 50)], consensus)


def test_icc1_balanced_hand_computed() -> None:
    # Entries (2 sheets each): E1 8, 10; E2 4, 6; E3 1, 3 → means 9, 5, 2; grand mean 16/3.
    # MSB = 2·Σ(ȳ_i − ȳ)² / 2 = 74/3; MSW = (2 + 2 + 2) / (6 − 3) = 2; n0 = 2.
    # ICC(1) = (74/3 − 2) / (74/3 + 2) = 68/80 = 0.85
    sheets = [
        s("a", "E1", 8),
        s("b", "E1", 10),
        s("a", "E2", 4),
        s("c", "E2", 6),
        s("b", "E3", 1),
        s("c", "E3", 3),
    ]
    assert agreement(sheets) == pytest.approx(0.85)


def test_icc1_unbalanced_hand_computed() -> None:
    # E1 8, 10, 12 (mean 10); E2 4, 6 (mean 5); E3 has one sheet and is left out. N = 5, a = 2, ȳ = 8.
    # MSB = (3·4 + 2·9) / 1 = 30; MSW = (4 + 0 + 4 + 1 + 1) / 3 = 10/3; n0 = 5 − 13/5 = 2.4.
    # ICC(1) = (30 − 10/3) / (30 + 1.4·10/3) = 80/104
    sheets = [s("a", "E1", 8), s("b", "E1", 10), s("c", "E1", 12), s("a", "E2", 4), s("b", "E2", 6)]
    sheets.append(s("a", "E3", 50))
    assert agreement(sheets) == pytest.approx(80 / 104)


def test_icc1_extremes() -> None:
    perfect = [s("a", "E1", 90), s("b", "E1", 90), s("a", "E2", 40), s("b", "E2", 40)]
    assert agreement(perfect) == pytest.approx(1.0)
    # Entries identical on average, judges disagree: MSB = 0, MSW = 50, n0 = 2 → −50/50
    contrary = [s("a", "E1", 0), s("b", "E1", 10), s("a", "E2", 0), s("b", "E2", 10)]
    assert agreement(contrary) == pytest.approx(-1.0)


def test_icc1_undefined() -> None:
    assert agreement([]) is None
    assert agreement([s("a", "E1", 50), s("b", "E1", 60), s("a", "E2", 70)]) is None  # one usable entry
    assert agreement([s(j, e, 0.1 * 700) for j in "abc" for e in ("E1", "E2")]) is None  # no variance


@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.sampled_from(["E1", "E2", "E3", "E4"]), st.integers(0, 100)),
        max_size=20,
    ),
    st.randoms(use_true_random=False),
    st.integers(-20, 20),
)
def test_icc1_properties(rows: list[tuple[str, str, int]], rnd: random.Random, shift: int) -> None:
    sheets = [s(j, e, float(x)) for j, e, x in rows]
    value = agreement(sheets)
    shuffled = list(sheets)
    rnd.shuffle(shuffled)
    assert agreement(shuffled) == value
    if value is None:
        return
    assert value <= 1.0 + 1e-9
    moved = agreement([s(x.judge_id, x.entry_id, float(x.score) + shift) for x in sheets])
    assert moved == pytest.approx(value, abs=1e-9)
