"""Who may score an entry, and who may be assigned to one: the whole answer, in one place. Pure.

A judge may score an entry in a round when, in this order of refusal:

1. the round exists and is OPEN (FINALIZED: ROUND_FINALIZED; DRAFT or CLOSED: ROUND_NOT_OPEN);
2. the entry exists in the round's contest;
3. the judge has no conflict of interest with it: no affiliation of the judge is an organisation of
   the entry's team (compared by normalised name, domain.conflicts), and no conflict was declared
   for the pair (CONFLICT_OF_INTEREST);
4. the judge is assigned to the entry in this round (NOT_ASSIGNED);
5. the judge is on the contest's panel — an empty panel means every judge (JUDGE_NOT_ON_PANEL).
   Leaving the panel withdraws a judge's assignments in rounds still being judged, so a judge off
   the panel is normally refused at 4 already; 5 keeps the rule true on its own.

Who may be assigned (CreateAssignment) uses the same conflict and panel rules: the round is DRAFT or
OPEN, the judge is on the panel, the entry takes part in the round, and there is no conflict.

The use case gathers these facts in one read (store.sheets.scoring_facts) and re-checks, as guards
in its one write, the facts that another writer could change in between (the round's state and
version, the assignment row, the sheet's version); everything that removes an assignment — a
declared conflict, a new affiliation or organisation, a panel change — deletes the assignment row,
so the guard on that row covers all of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from services.common.errors import DomainError, failed_precondition, not_found
from services.competition.domain.conflicts import affiliation_conflicts
from services.competition.domain.stages import (
    ASSIGNABLE_STATES,
    ROUND_FINALIZED,
    ROUND_NOT_OPEN,
    RoundState,
)

CONFLICT_OF_INTEREST: Final = "CONFLICT_OF_INTEREST"
NOT_ASSIGNED: Final = "NOT_ASSIGNED"
JUDGE_NOT_ON_PANEL: Final = "JUDGE_NOT_ON_PANEL"
ENTRY_NOT_IN_ROUND: Final = "ENTRY_NOT_IN_ROUND"
ROUND_NOT_ASSIGNABLE: Final = "ROUND_NOT_ASSIGNABLE"


def on_panel(panel: Collection[str], judge_id: str) -> bool:
    """Whether a contest with this judge panel takes the judge. An empty panel means every judge:
    the one place that rule is written."""
    return not panel or judge_id in panel


def conflict_of_interest(
    judge_affiliations: Iterable[str], entry_organisations: Iterable[str], declared: bool
) -> str | None:
    """Why the judge may not judge the entry ("affiliated with …", "declared"), or None."""
    shared = affiliation_conflicts(judge_affiliations, entry_organisations)
    if shared:
        return "affiliated with " + ", ".join(shared)
    if declared:
        return "declared"
    return None


def _names(contest_id: str, judge_id: str, entry_id: str) -> tuple[str, str]:
    return f"judges/{judge_id}", f"contests/{contest_id}/entries/{entry_id}"


def conflict_error(contest_id: str, judge_id: str, entry_id: str, why: str) -> DomainError:
    judge, entry = _names(contest_id, judge_id, entry_id)
    return failed_precondition(
        CONFLICT_OF_INTEREST,
        f"{judge} has a conflict of interest with {entry}: {why}",
        {"judge": judge, "entry": entry},
    )


def panel_error(contest_id: str, judge_id: str) -> DomainError:
    return failed_precondition(
        JUDGE_NOT_ON_PANEL,
        f"judges/{judge_id} is not on the judge panel of contests/{contest_id}; add them to the panel first",
        {"judge": f"judges/{judge_id}", "contest": f"contests/{contest_id}"},
    )


@dataclass(frozen=True)
class ScoringFacts:
    """Everything the decision needs about one (round, entry, judge). ``None`` means "no such row"."""

    contest_id: str
    round_id: str
    entry_id: str
    judge_id: str
    round_state: RoundState | None
    entry_organisations: tuple[str, ...] | None
    # None when the caller has no judge record (then they have no assignment either).
    judge_affiliations: tuple[str, ...] | None
    panel: tuple[str, ...]
    declared_conflict: bool
    assigned: bool


def scoring_refusal(facts: ScoringFacts) -> DomainError | None:
    """The error that refuses the sheet, or None when the judge may score the entry."""
    if facts.round_state is None:
        return not_found("round", f"contests/{facts.contest_id}/rounds/{facts.round_id}")
    if facts.round_state is RoundState.FINALIZED:
        return failed_precondition(
            ROUND_FINALIZED, "the round is FINALIZED and can no longer change", {"state": facts.round_state.value}
        )
    if facts.round_state is not RoundState.OPEN:
        return failed_precondition(
            ROUND_NOT_OPEN,
            f"score sheets are accepted only while the round is OPEN (it is {facts.round_state.value})",
            {"state": facts.round_state.value},
        )
    if facts.entry_organisations is None:
        return not_found("entry", f"contests/{facts.contest_id}/entries/{facts.entry_id}")
    why = conflict_of_interest(facts.judge_affiliations or (), facts.entry_organisations, facts.declared_conflict)
    if why is not None:
        return conflict_error(facts.contest_id, facts.judge_id, facts.entry_id, why)
    if not facts.assigned:
        judge, entry = _names(facts.contest_id, facts.judge_id, facts.entry_id)
        return failed_precondition(
            NOT_ASSIGNED, f"{judge} is not assigned to {entry} in this round", {"judge": judge, "entry": entry}
        )
    if not on_panel(facts.panel, facts.judge_id):
        return panel_error(facts.contest_id, facts.judge_id)
    return None


def may_score(facts: ScoringFacts) -> bool:
    return scoring_refusal(facts) is None


@dataclass(frozen=True)
class AssignmentFacts:
    contest_id: str
    round_id: str
    entry_id: str
    judge_id: str
    round_state: RoundState
    judge_affiliations: tuple[str, ...]
    entry_organisations: tuple[str, ...]
    panel: tuple[str, ...]
    entry_in_round: bool
    declared_conflict: bool


def assignable_refusal(state: RoundState) -> DomainError | None:
    """Assignments change only while the round is DRAFT or OPEN."""
    if state is RoundState.FINALIZED:
        return failed_precondition(
            ROUND_FINALIZED, "the round is FINALIZED and can no longer change", {"state": state.value}
        )
    if state not in ASSIGNABLE_STATES:
        return failed_precondition(
            ROUND_NOT_ASSIGNABLE,
            f"assignments change only while the round is DRAFT or OPEN (it is {state.value})",
            {"state": state.value},
        )
    return None


def assignment_refusal(facts: AssignmentFacts) -> DomainError | None:
    """The error that refuses assigning the judge to the entry, or None. (A missing round, entry or
    judge is NOT_FOUND before these facts exist.)"""
    refusal = assignable_refusal(facts.round_state)
    if refusal is not None:
        return refusal
    if not on_panel(facts.panel, facts.judge_id):
        return panel_error(facts.contest_id, facts.judge_id)
    if not facts.entry_in_round:
        _, entry = _names(facts.contest_id, facts.judge_id, facts.entry_id)
        return failed_precondition(ENTRY_NOT_IN_ROUND, f"{entry} does not take part in this round", {"entry": entry})
    why = conflict_of_interest(facts.judge_affiliations, facts.entry_organisations, facts.declared_conflict)
    if why is not None:
        return conflict_error(facts.contest_id, facts.judge_id, facts.entry_id, why)
    return None
