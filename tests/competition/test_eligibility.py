"""Who may score an entry (domain.eligibility), property-tested against an independent statement of
the rule, and the lock order of the unit of work."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import DomainError
from services.common.uow import LockOrderError, UnitOfWork
from services.competition.app.locks import Lock
from services.competition.domain.conflicts import normalise_organisation
from services.competition.domain.eligibility import (
    AssignmentFacts,
    ScoringFacts,
    assignment_refusal,
    may_score,
    on_panel,
    scoring_refusal,
)
from services.competition.domain.stages import RoundState

JUDGE = "j-1"
ORGANISATIONS = ["Wenzhou Medical University", "ACME Co., Ltd.", "温州某某科技有限公司", "Zhejiang University"]
# Spellings of the same organisations a judge might type.
VARIANTS = {
    "Wenzhou Medical University": ["wenzhou medical university", "Wenzhou  Medical University."],
    "ACME Co., Ltd.": ["ACME Ltd", "acme co ltd", "ＡＣＭＥ Co., Ltd."],
    "温州某某科技有限公司": ["温州某某科技", "温州某某科技股份有限公司"],
    "Zhejiang University": ["ZHEJIANG UNIVERSITY"],
}
OTHERS = ["Zhejiang University of Technology", "Ningbo Institute", "Other Org Ltd."]

organisation = st.sampled_from(ORGANISATIONS + OTHERS)
affiliation = st.one_of(
    st.sampled_from(ORGANISATIONS + OTHERS), st.sampled_from([v for vs in VARIANTS.values() for v in vs])
)
judge_ids = st.sampled_from([JUDGE, "j-2", "j-3"])


@st.composite
def scoring_facts(draw: st.DrawFn) -> ScoringFacts:
    return ScoringFacts(
        contest_id="c",
        round_id="r",
        entry_id="e",
        judge_id=JUDGE,
        round_state=draw(st.one_of(st.none(), st.sampled_from(list(RoundState)))),
        entry_organisations=draw(st.one_of(st.none(), st.lists(organisation, max_size=3).map(tuple))),
        judge_affiliations=draw(st.one_of(st.none(), st.lists(affiliation, max_size=3).map(tuple))),
        panel=tuple(draw(st.lists(judge_ids, max_size=3, unique=True))),
        declared_conflict=draw(st.booleans()),
        assigned=draw(st.booleans()),
    )


def shares_an_organisation(affiliations: tuple[str, ...] | None, organisations: tuple[str, ...]) -> bool:
    """The conflict rule said differently: some affiliation and some organisation have one key."""
    keys = {normalise_organisation(a) for a in affiliations or ()} - {""}
    return any(normalise_organisation(o) in keys for o in organisations)


@given(scoring_facts())
def test_a_judge_may_score_exactly_when_every_condition_holds(facts: ScoringFacts) -> None:
    expected = (
        facts.round_state is RoundState.OPEN
        and facts.entry_organisations is not None
        and not shares_an_organisation(facts.judge_affiliations, facts.entry_organisations)
        and not facts.declared_conflict
        and facts.assigned
        and (not facts.panel or facts.judge_id in facts.panel)
    )
    assert may_score(facts) is expected


@given(scoring_facts())
def test_the_refusal_names_the_first_failed_condition(facts: ScoringFacts) -> None:
    refusal = scoring_refusal(facts)
    if refusal is None:
        return
    assert isinstance(refusal, DomainError)
    if facts.round_state is None:
        expected = "ROUND_NOT_FOUND"
    elif facts.round_state is RoundState.FINALIZED:
        expected = "ROUND_FINALIZED"
    elif facts.round_state is not RoundState.OPEN:
        expected = "ROUND_NOT_OPEN"
    elif facts.entry_organisations is None:
        expected = "ENTRY_NOT_FOUND"
    elif facts.declared_conflict or shares_an_organisation(facts.judge_affiliations, facts.entry_organisations):
        expected = "CONFLICT_OF_INTEREST"
    elif not facts.assigned:
        expected = "NOT_ASSIGNED"
    else:
        expected = "JUDGE_NOT_ON_PANEL"
    assert refusal.reason == expected


@given(scoring_facts())
def test_an_empty_panel_means_every_judge(facts: ScoringFacts) -> None:
    everyone = ScoringFacts(**{**facts.__dict__, "panel": ()})
    with_the_judge = ScoringFacts(**{**facts.__dict__, "panel": (facts.judge_id, "j-9")})
    assert may_score(everyone) == may_score(with_the_judge)
    assert on_panel((), facts.judge_id) and on_panel((facts.judge_id,), facts.judge_id)
    assert not on_panel(("j-9",), facts.judge_id)


@given(st.sampled_from(sorted(VARIANTS)), st.data())
def test_any_spelling_of_a_shared_organisation_is_a_conflict(name: str, data: st.DataObject) -> None:
    spelling = data.draw(st.sampled_from(VARIANTS[name]))
    facts = ScoringFacts("c", "r", "e", JUDGE, RoundState.OPEN, (name,), (spelling,), (), False, True)
    refusal = scoring_refusal(facts)
    assert refusal is not None and refusal.reason == "CONFLICT_OF_INTEREST"
    assert name in refusal.message


def test_a_similar_but_different_organisation_is_no_conflict() -> None:
    facts = ScoringFacts(
        "c", "r", "e", JUDGE, RoundState.OPEN, ("Zhejiang University",), ("Zhejiang University of Technology",), (),
        False, True,
    )  # fmt: skip
    assert may_score(facts)


@given(
    st.sampled_from(list(RoundState)),
    st.lists(affiliation, max_size=3).map(tuple),
    st.lists(organisation, max_size=3).map(tuple),
    st.lists(judge_ids, max_size=3, unique=True).map(tuple),
    st.booleans(),
    st.booleans(),
)
def test_assignment_follows_the_same_conflict_and_panel_rules(
    state: RoundState,
    affiliations: tuple[str, ...],
    organisations: tuple[str, ...],
    panel: tuple[str, ...],
    in_round: bool,
    declared: bool,
) -> None:
    facts = AssignmentFacts("c", "r", "e", JUDGE, state, affiliations, organisations, panel, in_round, declared)
    allowed = (
        state in (RoundState.DRAFT, RoundState.OPEN)
        and on_panel(panel, JUDGE)
        and in_round
        and not declared
        and not shares_an_organisation(affiliations, organisations)
    )
    assert (assignment_refusal(facts) is None) is allowed
    # Whoever may be assigned in an OPEN round may then score (the same rule, written once).
    if allowed and state is RoundState.OPEN:
        scoring = ScoringFacts("c", "r", "e", JUDGE, state, organisations, affiliations, panel, declared, True)
        assert may_score(scoring)


# --- lock order -------------------------------------------------------------------------------------


def test_locks_in_the_documented_order_are_taken() -> None:
    uow = UnitOfWork(connection=object())  # type: ignore[arg-type]
    for level in (Lock.ASSIGNMENT_WRITERS, Lock.CONTEST, Lock.ROUNDS, Lock.ROUNDS, Lock.ASSIGNMENTS, Lock.SHEETS):
        uow.at(level)
    assert uow.locks_taken[-1] is Lock.SHEETS


@pytest.mark.parametrize(
    ("first", "then"),
    [(Lock.ROUNDS, Lock.CONTEST), (Lock.ASSIGNMENTS, Lock.ROUNDS), (Lock.EDITED, Lock.ASSIGNMENT_WRITERS)],
)
def test_a_lock_out_of_order_fails_loudly(first: Lock, then: Lock) -> None:
    uow = UnitOfWork(connection=object())  # type: ignore[arg-type]
    uow.at(first)
    with pytest.raises(LockOrderError, match=f"{then.name} requested after {first.name}"):
        uow.at(then)
