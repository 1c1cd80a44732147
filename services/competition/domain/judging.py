"""Conflicts of interest over a whole contest, and judging progress of a round. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.competition.domain.conflicts import normalise_organisation
from services.competition.domain.models import Assignment, Conflict, ConflictSource, Entry, Judge

Pair = tuple[str, str]
"""(judge_id, entry_id), as in domain.assignment."""


def affiliation_conflicts(judges: Iterable[Judge], entries: Iterable[Entry]) -> dict[Pair, list[str]]:
    """Every (judge, entry) pair where one of the judge's affiliations is an organisation of the
    entry's team, with the matching organisations as written on the entry. Same matching as
    :func:`~.conflicts.affiliation_conflicts`, with each name normalised once instead of per pair."""
    judge_keys = {
        judge.id: keys
        for judge in judges
        if (keys := {k for k in map(normalise_organisation, judge.affiliations) if k})
    }
    found: dict[Pair, list[str]] = {}
    for entry in entries:
        organisations = [(normalise_organisation(o), o) for o in entry.organisations]
        for judge_id, keys in judge_keys.items():
            matched: list[str] = []
            seen: set[str] = set()
            for key, organisation in organisations:
                if key and key in keys and key not in seen:
                    seen.add(key)
                    matched.append(organisation)
            if matched:
                found[(judge_id, entry.id)] = matched
    return found


def contest_conflicts(
    contest_id: str, judges: Iterable[Judge], entries: Iterable[Entry], declared: Iterable[Conflict]
) -> list[Conflict]:
    """Derived and declared conflicts, sorted by (entry, judge, source)."""
    derived = [
        Conflict(
            contest_id=contest_id,
            entry_id=entry_id,
            judge_id=judge_id,
            source=ConflictSource.AFFILIATION,
            reason="affiliated with " + ", ".join(organisations),
        )
        for (judge_id, entry_id), organisations in affiliation_conflicts(judges, entries).items()
    ]
    return sorted([*derived, *declared], key=lambda c: (c.entry_id, c.judge_id, c.source.value))


@dataclass(frozen=True)
class Tally:
    key: str
    expected: int
    submitted: int
    coverage_shortfall: int = 0

    @property
    def missing(self) -> int:
        return self.expected - self.submitted


@dataclass(frozen=True)
class Progress:
    expected: int
    submitted: int
    judges: list[Tally]
    entries: list[Tally]

    @property
    def ratio(self) -> float:
        """submitted / expected; 1 when nothing is expected (nothing is outstanding)."""
        return self.submitted / self.expected if self.expected else 1.0


def judging_progress(entry_ids: Sequence[str], assignments: Iterable[Assignment], judges_per_entry: int) -> Progress:
    """Per judge and per entry of the round: sheets expected (assignments), submitted, missing, and
    how many judges each entry lacks against the round's k (e.g. after a conflict withdrew one)."""
    per_judge: dict[str, list[int]] = {}
    per_entry: dict[str, list[int]] = {entry_id: [0, 0] for entry_id in entry_ids}
    for assignment in assignments:
        judge = per_judge.setdefault(assignment.judge_id, [0, 0])
        entry = per_entry.setdefault(assignment.entry_id, [0, 0])
        for tally in (judge, entry):
            tally[0] += 1
            tally[1] += int(assignment.submitted)
    judges = [Tally(key, e, s) for key, (e, s) in sorted(per_judge.items())]
    entries = [Tally(key, e, s, max(0, judges_per_entry - e)) for key, (e, s) in sorted(per_entry.items())]
    return Progress(
        expected=sum(t.expected for t in judges),
        submitted=sum(t.submitted for t in judges),
        judges=judges,
        entries=entries,
    )


def organisation_key(name: str) -> str:
    """:func:`~.conflicts.normalise_organisation` (memoised there: the same names come back on every
    page of every listing, and normalising, NFKC, case folding and legal forms, costs ~10 µs a name)."""
    return normalise_organisation(name)


def judge_keys(judges: Iterable[Judge]) -> dict[str, frozenset[str]]:
    """Each judge's affiliation keys (judges without any are left out: they conflict with nobody)."""
    return {
        judge.id: keys
        for judge in judges
        if (keys := frozenset(k for k in map(organisation_key, judge.affiliations) if k))
    }


def affiliation_conflicts_of(
    contest_id: str, keys: Mapping[str, frozenset[str]], entries: Iterable[tuple[str, Sequence[str]]]
) -> list[Conflict]:
    """The affiliation conflicts between the judges of ``keys`` and ``entries`` ((entry_id,
    organisations) pairs), sorted by (entry, judge): the same conflicts and reasons as
    :func:`contest_conflicts` derives, for just these judges and entries."""
    found: list[Conflict] = []
    for entry_id, organisations in entries:
        named = [(organisation_key(o), o) for o in organisations]
        for judge_id in sorted(keys):
            judge = keys[judge_id]
            matched: list[str] = []
            seen: set[str] = set()
            for key, organisation in named:
                if key and key in judge and key not in seen:
                    seen.add(key)
                    matched.append(organisation)
            if matched:
                found.append(
                    Conflict(
                        contest_id=contest_id,
                        entry_id=entry_id,
                        judge_id=judge_id,
                        source=ConflictSource.AFFILIATION,
                        reason="affiliated with " + ", ".join(matched),
                    )
                )
    found.sort(key=lambda c: (c.entry_id, c.judge_id))
    return found
