"""Round and landing state machines."""

from __future__ import annotations

import itertools

import pytest

from services.common.errors import Code, DomainError
from services.competition.domain.landing import LandingStage
from services.competition.domain.stages import (
    LANDING_TRANSITIONS,
    ROUND_TRANSITIONS,
    RoundState,
    check_landing_transition,
    check_round_transition,
    ensure_criteria_editable,
    ensure_round_open_for_scoring,
    ensure_round_writable,
)

R = RoundState
L = LandingStage

ROUND_ALLOWED = {(R.DRAFT, R.OPEN), (R.OPEN, R.CLOSED), (R.CLOSED, R.FINALIZED)}
LANDING_ALLOWED = {
    (L.INTENT, L.SIGNED),
    (L.SIGNED, L.REGISTERED),
    (L.REGISTERED, L.OPERATING),
    (L.INTENT, L.DROPPED),
    (L.SIGNED, L.DROPPED),
    (L.REGISTERED, L.DROPPED),
}


def _precondition(reason: str, call: object, *args: object) -> DomainError:
    assert callable(call)
    with pytest.raises(DomainError) as caught:
        call(*args)
    assert caught.value.code is Code.FAILED_PRECONDITION
    assert caught.value.reason == reason
    return caught.value


def test_tables_cover_every_state() -> None:
    assert set(ROUND_TRANSITIONS) == set(RoundState)
    assert set(LANDING_TRANSITIONS) == set(LandingStage)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(RoundState, RoundState)))
def test_round_transitions(current: RoundState, target: RoundState) -> None:
    if (current, target) in ROUND_ALLOWED:
        check_round_transition(current, target)
    else:
        error = _precondition("TRANSITION_NOT_ALLOWED", check_round_transition, current, target)
        assert error.metadata == {"from": current.value, "to": target.value}


def test_finalized_round_is_read_only() -> None:
    _precondition("ROUND_FINALIZED", ensure_round_writable, R.FINALIZED)
    for state in (R.DRAFT, R.OPEN, R.CLOSED):
        ensure_round_writable(state)


def test_criteria_are_frozen_once_open() -> None:
    ensure_criteria_editable(R.DRAFT)
    _precondition("CRITERIA_FROZEN", ensure_criteria_editable, R.OPEN)
    _precondition("CRITERIA_FROZEN", ensure_criteria_editable, R.CLOSED)
    _precondition("ROUND_FINALIZED", ensure_criteria_editable, R.FINALIZED)


def test_scoring_only_while_open() -> None:
    ensure_round_open_for_scoring(R.OPEN)
    for state in (R.DRAFT, R.CLOSED, R.FINALIZED):
        error = _precondition("ROUND_NOT_OPEN", ensure_round_open_for_scoring, state)
        assert error.metadata == {"state": state.value}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(LandingStage, LandingStage)))
def test_landing_transitions(current: LandingStage, target: LandingStage) -> None:
    if (current, target) in LANDING_ALLOWED:
        check_landing_transition(current, target, reason="company moved to another district")
    else:
        error = _precondition("TRANSITION_NOT_ALLOWED", check_landing_transition, current, target, "a reason")
        assert error.metadata == {"from": current.value, "to": target.value}


def test_a_landing_record_starts_at_intent() -> None:
    check_landing_transition(None, L.INTENT)
    error = _precondition("TRANSITION_NOT_ALLOWED", check_landing_transition, None, L.REGISTERED)
    assert error.metadata == {"from": "NONE", "to": "REGISTERED"}


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_dropping_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(DomainError) as caught:
        check_landing_transition(L.SIGNED, L.DROPPED, reason, reason_field="note")
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert caught.value.reason == "REASON_REQUIRED"
    assert [v.field for v in caught.value.violations] == ["note"]


def test_enums_are_strings() -> None:
    assert R.OPEN == "OPEN"
    assert L.OPERATING == "OPERATING"
