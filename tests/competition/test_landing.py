"""Landing status against the targets (≥ 5 landed, rate ≥ 60 %)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.common.errors import Code, DomainError
from services.competition.domain.landing import (
    LandingStage,
    LandingTargets,
    LandingTargetStatus,
    is_landed,
    landing_status,
)

TODAY = date(2024, 10, 1)
TARGETS = LandingTargets(min_landed=5, min_rate=0.60, deadline=date(2024, 12, 31))
S = LandingStage


def test_is_landed() -> None:
    assert [stage for stage in LandingStage if is_landed(stage)] == [S.REGISTERED, S.OPERATING]
    assert not is_landed(None)


def test_defaults() -> None:
    targets = LandingTargets()
    assert (targets.min_landed, targets.min_rate, targets.deadline) == (5, 0.60, None)


def test_met_with_exactly_the_targets() -> None:
    status = landing_status(8, {S.REGISTERED: 3, S.OPERATING: 2, S.DROPPED: 3}, TARGETS, TODAY)
    assert status.landed == 5
    assert status.rate == pytest.approx(0.625)
    assert status.count_target_met and status.rate_target_met
    assert status.status is LandingTargetStatus.MET


def test_met_stays_met_after_the_deadline() -> None:
    status = landing_status(5, {S.OPERATING: 5}, TARGETS, date(2025, 3, 1))
    assert status.days_left == -60
    assert status.status is LandingTargetStatus.MET


def test_rate_of_exactly_sixty_percent_meets_it() -> None:
    status = landing_status(10, {S.REGISTERED: 6}, TARGETS, TODAY)
    assert status.rate == 0.6
    assert status.rate_target_met


def test_on_track_by_projection() -> None:
    # 4 landed + 2 signed · 0.6 = 5.2 ≥ 5 and 5.2 / 8 = 0.65 ≥ 0.6
    status = landing_status(8, {S.REGISTERED: 4, S.SIGNED: 2, S.DROPPED: 2}, TARGETS, TODAY)
    assert status.projected_landed == pytest.approx(5.2)
    assert not status.count_target_met
    assert status.status is LandingTargetStatus.ON_TRACK


def test_at_risk_when_the_projection_falls_short_of_the_rate() -> None:
    # 5 landed meets the count, but 5 of 10 is 50 %; projection 5 + 5 · 0.05 = 5.25 → 52.5 %
    status = landing_status(10, {S.REGISTERED: 5}, TARGETS, TODAY)
    assert status.count_target_met and not status.rate_target_met
    assert status.unrecorded == 5
    assert status.projected_landed == pytest.approx(5.25)
    assert status.status is LandingTargetStatus.AT_RISK


def test_missed_after_the_deadline() -> None:
    status = landing_status(8, {S.REGISTERED: 4, S.SIGNED: 4}, TARGETS, date(2025, 1, 1))
    assert status.days_left == -1
    assert status.status is LandingTargetStatus.MISSED


def test_deadline_today_is_not_missed_yet() -> None:
    status = landing_status(8, {S.REGISTERED: 4, S.SIGNED: 4}, TARGETS, date(2024, 12, 31))
    assert status.days_left == 0
    assert status.status is LandingTargetStatus.ON_TRACK


def test_no_deadline_is_never_missed() -> None:
    targets = LandingTargets()
    status = landing_status(10, {S.DROPPED: 10}, targets, date(2099, 1, 1))
    assert status.days_left is None
    assert status.status is LandingTargetStatus.AT_RISK


def test_empty_pool_has_no_rate() -> None:
    status = landing_status(0, {}, TARGETS, TODAY)
    assert status.rate is None
    assert not status.rate_target_met and not status.count_target_met
    assert status.projected_landed == 0
    assert status.status is LandingTargetStatus.AT_RISK
    assert json.loads(status.model_dump_json())["rate"] is None
    assert landing_status(0, {}, TARGETS, date(2025, 1, 1)).status is LandingTargetStatus.MISSED


def test_dropped_entries_count_against_the_rate() -> None:
    before = landing_status(8, {S.REGISTERED: 5, S.SIGNED: 3}, TARGETS, TODAY)
    after = landing_status(8, {S.REGISTERED: 5, S.SIGNED: 1, S.DROPPED: 2}, TARGETS, TODAY)
    assert before.rate == after.rate == pytest.approx(0.625)
    assert after.stage_counts[S.DROPPED] == 2
    assert after.projected_landed == pytest.approx(5.6)
    assert before.projected_landed > after.projected_landed


def test_landed_then_dropped_no_longer_counts() -> None:
    status = landing_status(6, {S.REGISTERED: 4, S.DROPPED: 2}, TARGETS, TODAY)
    assert status.landed == 4
    assert status.status is LandingTargetStatus.AT_RISK


def test_pool_shrinking_raises_the_rate() -> None:
    wide = landing_status(12, {S.REGISTERED: 6, S.INTENT: 2}, TARGETS, TODAY)
    narrow = landing_status(9, {S.REGISTERED: 6, S.INTENT: 1}, TARGETS, TODAY)
    assert wide.rate == pytest.approx(0.5) and not wide.rate_target_met
    assert narrow.rate == pytest.approx(6 / 9) and narrow.status is LandingTargetStatus.MET


def test_every_stage_is_reported_and_unrecorded_entries_are_projected() -> None:
    status = landing_status(10, {S.INTENT: 2, S.SIGNED: 1}, TARGETS, TODAY)
    assert set(status.stage_counts) == set(LandingStage)
    assert status.stage_counts[S.OPERATING] == 0
    assert status.unrecorded == 7
    assert status.projected_landed == pytest.approx(7 * 0.05 + 2 * 0.2 + 0.6)


def test_probabilities_are_configurable_and_landed_or_dropped_ones_ignored() -> None:
    status = landing_status(
        4,
        {S.INTENT: 1, S.SIGNED: 1, S.REGISTERED: 1, S.DROPPED: 1},
        TARGETS,
        TODAY,
        stage_probabilities={S.INTENT: 0.5, S.REGISTERED: 0.0, S.DROPPED: 1.0},
    )
    assert status.projected_landed == pytest.approx(1 + 0.5 + 0.6)


def test_probability_out_of_range_is_rejected() -> None:
    with pytest.raises(DomainError) as caught:
        landing_status(1, {}, TARGETS, TODAY, {S.SIGNED: 1.5}, unrecorded_probability=-0.1)
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == [
        "stage_probabilities[SIGNED]",
        "stage_probabilities[NONE]",
    ]


def test_counts_larger_than_the_pool_are_a_bug() -> None:
    with pytest.raises(ValueError):
        landing_status(2, {S.REGISTERED: 3}, TARGETS, TODAY)
