"""State machines of rounds and landings: each is one table, the only place a move is allowed."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from services.common.errors import failed_precondition, invalid_field
from services.competition.domain.landing import LandingStage

TRANSITION_NOT_ALLOWED: Final = "TRANSITION_NOT_ALLOWED"
ROUND_FINALIZED: Final = "ROUND_FINALIZED"
ROUND_NOT_OPEN: Final = "ROUND_NOT_OPEN"
CRITERIA_FROZEN: Final = "CRITERIA_FROZEN"
REASON_REQUIRED: Final = "REASON_REQUIRED"


class RoundState(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    FINALIZED = "FINALIZED"


# No way back: once judges have scored, reopening would let a round change under their feet, and a
# FINALIZED round is the frozen record that awards and advancement are built on.
ROUND_TRANSITIONS: Final[Mapping[RoundState, frozenset[RoundState]]] = {
    RoundState.DRAFT: frozenset({RoundState.OPEN}),
    RoundState.OPEN: frozenset({RoundState.CLOSED}),
    RoundState.CLOSED: frozenset({RoundState.FINALIZED}),
    RoundState.FINALIZED: frozenset(),
}

# Assignments change only in these states; a judge leaving a contest's panel loses theirs here
# (a CLOSED round keeps its sheets: they are what it will be finalized on).
ASSIGNABLE_STATES: Final = frozenset({RoundState.DRAFT, RoundState.OPEN})

# Stages are not skipped: the SIGNED step carries the agreement date that reports rely on.
# DROPPED is reachable from every stage that is not terminal, a landed company included (it may
# leave the district); OPERATING and DROPPED are the ends.
LANDING_TRANSITIONS: Final[Mapping[LandingStage, frozenset[LandingStage]]] = {
    LandingStage.INTENT: frozenset({LandingStage.SIGNED, LandingStage.DROPPED}),
    LandingStage.SIGNED: frozenset({LandingStage.REGISTERED, LandingStage.DROPPED}),
    LandingStage.REGISTERED: frozenset({LandingStage.OPERATING, LandingStage.DROPPED}),
    LandingStage.OPERATING: frozenset(),
    LandingStage.DROPPED: frozenset(),
}
# A landing record is born at INTENT.
LANDING_INITIAL_STAGES: Final = frozenset({LandingStage.INTENT})


def _names(states: frozenset[RoundState] | frozenset[LandingStage]) -> str:
    return ", ".join(sorted(state.value for state in states)) or "none (terminal)"


def check_round_transition(current: RoundState, target: RoundState) -> None:
    allowed = ROUND_TRANSITIONS[current]
    if target not in allowed:
        raise failed_precondition(
            TRANSITION_NOT_ALLOWED,
            f"a round cannot move from {current.value} to {target.value}; allowed: {_names(allowed)}",
            {"from": current.value, "to": target.value},
        )


def ensure_round_writable(state: RoundState) -> None:
    if state is RoundState.FINALIZED:
        raise failed_precondition(
            ROUND_FINALIZED, "the round is FINALIZED and can no longer change", {"state": state.value}
        )


def ensure_criteria_editable(state: RoundState) -> None:
    ensure_round_writable(state)
    if state is not RoundState.DRAFT:
        # Sheets already refer to the criteria; changing them would silently rescale scores.
        raise failed_precondition(
            CRITERIA_FROZEN,
            f"criteria are frozen once a round opens (the round is {state.value})",
            {"state": state.value},
        )


def ensure_round_open_for_scoring(state: RoundState) -> None:
    if state is not RoundState.OPEN:
        raise failed_precondition(
            ROUND_NOT_OPEN,
            f"score sheets are accepted only while the round is OPEN (it is {state.value})",
            {"state": state.value},
        )


def check_landing_transition(
    current: LandingStage | None,
    target: LandingStage,
    reason: str | None = None,
    reason_field: str = "reason",
) -> None:
    """``current`` is None when the landing record does not exist yet."""
    allowed = LANDING_INITIAL_STAGES if current is None else LANDING_TRANSITIONS[current]
    if target not in allowed:
        source = "NONE" if current is None else current.value
        raise failed_precondition(
            TRANSITION_NOT_ALLOWED,
            f"a landing cannot move from {source} to {target.value}; allowed: {_names(allowed)}",
            {"from": source, "to": target.value},
        )
    if target is LandingStage.DROPPED and not (reason or "").strip():
        raise invalid_field(reason_field, "a reason is required to drop a landing", REASON_REQUIRED)
