"""Automatic assignment of judges to entries."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import Code, DomainError
from services.competition.domain.assignment import (
    AssignmentPlan,
    EntryInfo,
    JudgeInfo,
    Pair,
    auto_assign,
)
from services.competition.domain.conflicts import affiliation_conflicts, normalise_organisation

DOMAINS = ["life_health", "new_energy", "digital"]


@dataclass
class Contest:
    entries: list[EntryInfo]
    judges: list[JudgeInfo]
    k: int
    conflicts: set[Pair]
    existing: set[Pair]

    def plan(self) -> AssignmentPlan:
        return auto_assign(self.entries, self.judges, self.k, self.conflicts, self.existing)

    def unconflicted(self, entry_id: str) -> int:
        return sum((judge.judge_id, entry_id) not in self.conflicts for judge in self.judges)


@st.composite
def contests(draw: st.DrawFn, max_entries: int = 10, max_judges: int = 7, with_existing: bool = False) -> Contest:
    n_entries = draw(st.integers(min_value=0, max_value=max_entries))
    n_judges = draw(st.integers(min_value=0, max_value=max_judges))
    k = draw(st.integers(min_value=1, max_value=4))
    entries = [
        EntryInfo(entry_id=f"e{i:02d}", domain=draw(st.sampled_from([*DOMAINS, None]))) for i in range(n_entries)
    ]
    judges = [
        JudgeInfo(judge_id=f"j{i:02d}", domains=frozenset(draw(st.sets(st.sampled_from(DOMAINS), max_size=2))))
        for i in range(n_judges)
    ]
    pairs = [(judge.judge_id, entry.entry_id) for entry in entries for judge in judges]
    conflict_rate = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6]))
    flags = draw(st.lists(st.floats(min_value=0, max_value=1), min_size=len(pairs), max_size=len(pairs)))
    conflicts = {pair for pair, flag in zip(pairs, flags, strict=True) if flag < conflict_rate}
    existing = (
        set(draw(st.sets(st.sampled_from(pairs), max_size=len(pairs) // 3))) if with_existing and pairs else set()
    )
    return Contest(entries, judges, k, conflicts, existing)


def _per_entry(plan: AssignmentPlan) -> Counter[str]:
    return Counter(entry_id for _, entry_id in plan.all_assignments)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(contests())
def test_no_conflicted_pair_is_ever_assigned(contest: Contest) -> None:
    plan = contest.plan()
    assert not set(plan.all_assignments) & contest.conflicts
    assert len(set(plan.all_assignments)) == len(plan.all_assignments)


@settings(max_examples=300, deadline=None)
@given(contests())
def test_every_entry_gets_k_when_feasible_and_shortfalls_say_why(contest: Contest) -> None:
    plan = contest.plan()
    per_entry = _per_entry(plan)
    short = {shortfall.entry_id: shortfall for shortfall in plan.shortfalls}
    for entry in contest.entries:
        available = contest.unconflicted(entry.entry_id)
        # Feasibility with unlimited judge capacity: k judges without a conflict.
        assert per_entry[entry.entry_id] == min(contest.k, available)
        if available >= contest.k:
            assert entry.entry_id not in short
        else:
            shortfall = short[entry.entry_id]
            assert (shortfall.assigned, shortfall.required) == (available, contest.k)
            assert str(available) in shortfall.reason or "no judges" in shortfall.reason
    assert set(short) <= {entry.entry_id for entry in contest.entries}


@settings(max_examples=300, deadline=None)
@given(contests())
def test_load_bound_holds_unless_reported_raised(contest: Contest) -> None:
    plan = contest.plan()
    loads = Counter(judge_id for judge_id, _ in plan.all_assignments)
    assert all(plan.loads[judge_id] == load for judge_id, load in loads.items())
    if contest.judges:
        assert plan.base_load_ceiling == _ceil_div(len(contest.entries) * contest.k, len(contest.judges))
    assert max(loads.values(), default=0) <= plan.load_ceiling
    if not plan.ceiling_raised:
        assert plan.load_ceiling == plan.base_load_ceiling
        assert plan.ceiling_note is None
    else:
        assert plan.load_ceiling > plan.base_load_ceiling
        assert plan.ceiling_note and str(plan.load_ceiling) in plan.ceiling_note


@settings(max_examples=200, deadline=None)
@given(contests(with_existing=True), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_input_order(contest: Contest, rng: random.Random) -> None:
    first = contest.plan()
    assert contest.plan() == first
    entries, judges = list(contest.entries), list(contest.judges)
    conflicts, existing = list(contest.conflicts), list(contest.existing)
    for items in (entries, judges, conflicts, existing):
        rng.shuffle(items)
    assert auto_assign(entries, judges, contest.k, conflicts, existing) == first


@settings(max_examples=300, deadline=None)
@given(contests(with_existing=True))
def test_existing_assignments_count_toward_k_and_load(contest: Contest) -> None:
    plan = contest.plan()
    kept = contest.existing - contest.conflicts
    assert set(plan.conflicted_existing) == contest.existing & contest.conflicts
    assert kept <= set(plan.all_assignments)
    assert not set(plan.assignments) & contest.existing
    assert set(plan.all_assignments) == kept | set(plan.assignments)
    per_entry = _per_entry(plan)
    for entry in contest.entries:
        have = sum(entry_id == entry.entry_id for _, entry_id in kept)
        assert per_entry[entry.entry_id] == max(have, min(contest.k, contest.unconflicted(entry.entry_id)))


@settings(max_examples=300, deadline=None)
@given(contests())
def test_no_single_swap_would_add_a_domain_match(contest: Contest) -> None:
    plan = contest.plan()
    chosen = set(plan.all_assignments)
    domains = {judge.judge_id: judge.domains for judge in contest.judges}
    for entry in contest.entries:
        if entry.domain is None:
            continue
        mismatched = [j for j, e in chosen if e == entry.entry_id and entry.domain not in domains[j]]
        if not mismatched:
            continue
        for judge in contest.judges:
            pair = (judge.judge_id, entry.entry_id)
            if entry.domain in judge.domains and pair not in chosen and pair not in contest.conflicts:
                # A free matching judge would lower the cost, so a min-cost plan leaves none.
                assert plan.loads[judge.judge_id] >= plan.load_ceiling


@settings(max_examples=300, deadline=None)
@given(contests(max_entries=3, max_judges=4))
def test_matches_brute_force_on_small_contests(contest: Contest) -> None:
    """The smallest sufficient ceiling and the fewest cross-domain pairs, checked exhaustively."""
    k = min(contest.k, 2)
    plan = auto_assign(contest.entries, contest.judges, k, contest.conflicts)
    options = []
    for entry in contest.entries:
        free = [j for j in contest.judges if (j.judge_id, entry.entry_id) not in contest.conflicts]
        options.append([(entry, combo) for combo in itertools.combinations(free, min(k, len(free)))])
    best: dict[int, int] = {}
    for choice in itertools.product(*options):
        loads = Counter(judge.judge_id for _, combo in choice for judge in combo)
        cost = sum(entry.domain not in judge.domains for entry, combo in choice for judge in combo)
        top = max(loads.values(), default=0)
        best[top] = min(best.get(top, cost), cost)
    base = plan.base_load_ceiling
    assert plan.load_ceiling == max(base, min(best))
    assert plan.cross_domain == min(cost for top, cost in best.items() if top <= plan.load_ceiling)


# -- examples -----------------------------------------------------------------------------------


def _judges(n: int, domains: frozenset[str] = frozenset()) -> list[JudgeInfo]:
    return [JudgeInfo(judge_id=f"j{i:02d}", domains=domains) for i in range(n)]


def _entries(n: int, domain: str | None = None) -> list[EntryInfo]:
    return [EntryInfo(entry_id=f"e{i:03d}", domain=domain) for i in range(n)]


def test_full_contest_is_balanced_exactly() -> None:
    plan = auto_assign(_entries(60), _judges(15), 5, set())
    assert len(plan.assignments) == 300
    assert set(plan.loads.values()) == {20}
    assert plan.load_ceiling == 20 and not plan.ceiling_raised and not plan.shortfalls


def test_domain_matches_are_preferred() -> None:
    judges = [
        JudgeInfo(judge_id="a1", domains=frozenset({"digital"})),
        JudgeInfo(judge_id="a2", domains=frozenset({"digital", "new_energy"})),
        JudgeInfo(judge_id="b1", domains=frozenset({"life_health"})),
        JudgeInfo(judge_id="b2", domains=frozenset({"life_health"})),
    ]
    entries = [EntryInfo(entry_id="x", domain="digital"), EntryInfo(entry_id="y", domain="life_health")]
    plan = auto_assign(entries, judges, 2, set())
    assert plan.assignments == [("a1", "x"), ("a2", "x"), ("b1", "y"), ("b2", "y")]
    assert plan.cross_domain == 0


def test_short_entries_are_named_with_the_reason() -> None:
    judges = _judges(8)
    conflicts = {(judge.judge_id, "e000") for judge in judges[:5]}
    plan = auto_assign(_entries(3), judges, 5, conflicts)
    assert [(s.entry_id, s.assigned, s.required) for s in plan.shortfalls] == [("e000", 3, 5)]
    assert "only 3 judges without a conflict of interest" in plan.shortfalls[0].reason
    assert {judge_id for judge_id, entry_id in plan.assignments if entry_id == "e000"} == {
        "j05",
        "j06",
        "j07",
    }


def test_too_few_judges_and_no_judges() -> None:
    plan = auto_assign(_entries(2), _judges(3), 5, set())
    assert all(s.assigned == 3 and "only 3 judges" in s.reason for s in plan.shortfalls)
    empty = auto_assign(_entries(2), [], 5, set())
    assert [s.reason for s in empty.shortfalls] == ["the round has no judges"] * 2
    assert auto_assign([], _judges(3), 5, set()).assignments == []


def test_ceiling_is_raised_minimally_and_reported() -> None:
    # j02 and j03 are conflicted with e000..e002, which leaves those three entries to j00 and j01.
    conflicts = {(judge, entry) for judge in ("j02", "j03") for entry in ("e000", "e001", "e002")}
    plan = auto_assign(_entries(4), _judges(4), 2, conflicts)
    assert plan.base_load_ceiling == 2
    assert plan.load_ceiling == 3 and plan.ceiling_raised
    assert plan.loads == {"j00": 3, "j01": 3, "j02": 1, "j03": 1}
    assert not plan.shortfalls


def test_existing_assignments_are_kept_and_conflicted_ones_reported() -> None:
    existing = {("j00", "e000"), ("j01", "e000"), ("j02", "e001")}
    plan = auto_assign(_entries(2), _judges(4), 2, {("j02", "e001")}, existing)
    assert plan.conflicted_existing == [("j02", "e001")]
    assert [pair for pair in plan.assignments if pair[1] == "e000"] == []
    assert len([pair for pair in plan.all_assignments if pair[1] == "e001"]) == 2
    assert ("j02", "e001") not in plan.all_assignments


def test_bad_input() -> None:
    with pytest.raises(DomainError) as caught:
        auto_assign(_entries(1), _judges(1), 0, set())
    assert caught.value.code is Code.INVALID_ARGUMENT
    with pytest.raises(ValueError, match="twice"):
        auto_assign(_entries(1) * 2, _judges(1), 1, set())
    with pytest.raises(ValueError, match="twice"):
        auto_assign(_entries(1), _judges(1) * 2, 1, set())


def test_large_contest() -> None:
    rng = random.Random(2024)
    entries = [EntryInfo(entry_id=f"e{i:04d}", domain=rng.choice(DOMAINS)) for i in range(1000)]
    judges = [
        JudgeInfo(judge_id=f"j{i:02d}", domains=frozenset(rng.sample(DOMAINS, rng.randint(1, 2)))) for i in range(50)
    ]
    conflicts = {(j.judge_id, e.entry_id) for e in entries for j in judges if rng.random() < 0.05}
    plan = auto_assign(entries, judges, 5, conflicts)
    assert len(plan.assignments) == 5000 and not plan.shortfalls
    assert max(plan.loads.values()) <= 100 and not plan.ceiling_raised
    assert not set(plan.assignments) & conflicts


# -- conflicts of interest by affiliation --------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("ACME Co., Ltd.", "acme"),
        ("Acme Technology Co. Ltd", "ACME TECHNOLOGY"),
        ("Acme, Inc.", "Acme Incorporated"),
        ("温州某某科技有限公司", "温州某某科技"),
        ("浙江某某股份有限公司", "浙江某某"),
        ("Ｗｅｎｚｈｏｕ　Ｍｅｄｉｃａｌ　Ｕｎｉｖｅｒｓｉｔｙ", "wenzhou medical university"),
        ("Wenzhou-Kean University", "Wenzhou Kean University"),
        ("Straße GmbH", "STRASSE"),
    ],
)
def test_names_that_are_the_same_organisation(left: str, right: str) -> None:
    assert normalise_organisation(left) == normalise_organisation(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Zhejiang University", "Zhejiang"),
        ("Zhejiang University", "Zhejiang University of Technology"),
        ("Zinc Labs", "Z Labs"),
        ("Acme Group", "Acme"),
    ],
)
def test_names_that_are_different_organisations(left: str, right: str) -> None:
    assert normalise_organisation(left) != normalise_organisation(right)


def test_a_bare_legal_form_is_not_emptied() -> None:
    assert normalise_organisation("Inc.") == "inc"
    assert normalise_organisation("有限公司") == "有限公司"
    assert normalise_organisation(" ,. ") == ""


def test_affiliation_conflicts_name_the_entry_organisations() -> None:
    judge = ["Wenzhou Medical University", "ACME Co., Ltd.", ""]
    entry = ["Acme Ltd", "Wenzhou Medical University", "Other Corp", "ACME Limited", ""]
    assert affiliation_conflicts(judge, entry) == ["Acme Ltd", "Wenzhou Medical University"]
    assert affiliation_conflicts(["Zhejiang University"], ["Zhejiang University of Technology"]) == []
    assert affiliation_conflicts([], entry) == []
