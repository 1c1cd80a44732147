"""Rules for what an administrator may set up: ids, contests, rounds, entries and judges.

Each ``validate_*`` adds every problem to a :class:`ViolationCollector` under the request path it
came from (``round.criteria[1].weight``, ``requests[3].entry.title``), so a client hears about all
of them at once and the servicer raises once.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Collection, Sequence
from typing import Final

from services.common.errors import DomainError, ViolationCollector, failed_precondition
from services.common.text import check_text
from services.competition.domain.models import (
    AwardTier,
    ContestFields,
    EntryFields,
    JudgeFields,
    Round,
    RoundFields,
    RoundKind,
)
from services.competition.domain.scoring import validate_criteria
from services.competition.domain.stages import RoundState

ID_PATTERN: Final = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
COUNTRY_PATTERN: Final = re.compile(r"^[A-Z]{2}$")
TIER_PATTERN: Final = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
MAX_NAME = 200
MAX_SUMMARY = 5000
MAX_REASON = 2000
MAX_LIST = 50
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_JUDGES_PER_ENTRY = 50
MAX_PANEL = 500
MAX_CRITERIA = 20
JUDGE_NOT_ON_PANEL: Final = "JUDGE_NOT_ON_PANEL"
SEQUENCE_BEFORE_STARTED_ROUND: Final = "SEQUENCE_BEFORE_STARTED_ROUND"
PREVIOUS_ROUND_NOT_FINALIZED: Final = "PREVIOUS_ROUND_NOT_FINALIZED"


def generate_id(kind_letter: str) -> str:
    """A server-chosen id that matches :data:`ID_PATTERN`: a letter naming the kind, then 15 hex digits."""
    return kind_letter + uuid.uuid4().hex[:15]


def check_id(value: str, path: str, violations: ViolationCollector) -> None:
    """A client-chosen id; empty means "let the server choose" and is fine."""
    if value and not ID_PATTERN.match(value):
        violations.add(path, "must match ^[a-z][a-z0-9-]{0,62}$ (lower-case letter first)")


def check_names(values: Sequence[str], path: str, violations: ViolationCollector) -> None:
    """A list of free-text names (organisations, affiliations): bounded, each non-empty."""
    if len(values) > MAX_LIST:
        violations.add(path, f"at most {MAX_LIST} items")
    for i, value in enumerate(values):
        check_text(value, f"{path}[{i}]", violations, required=True, limit=MAX_NAME)


def validate_contest(fields: ContestFields, violations: ViolationCollector, prefix: str = "contest") -> None:
    check_text(fields.display_name, f"{prefix}.display_name", violations, required=True, limit=MAX_NAME)
    violations.check(
        MIN_YEAR <= fields.year <= MAX_YEAR, f"{prefix}.year", f"must be between {MIN_YEAR} and {MAX_YEAR}"
    )
    violations.check(fields.min_landed_entries >= 0, f"{prefix}.min_landed_entries", "must not be negative")
    violations.check(
        math.isfinite(fields.min_landing_ratio) and 0 <= fields.min_landing_ratio <= 1,
        f"{prefix}.min_landing_ratio",
        "must be between 0 and 1",
    )
    check_panel(fields.judge_ids, f"{prefix}.judges", violations)


def check_panel(judge_ids: Sequence[str], path: str, violations: ViolationCollector) -> None:
    """A judge panel: bounded, each judge named once. (Malformed names are reported by the codec.)"""
    if len(judge_ids) > MAX_PANEL:
        violations.add(path, f"at most {MAX_PANEL} judges")
    first: dict[str, int] = {}
    for i, judge_id in enumerate(judge_ids):
        if judge_id and judge_id in first:
            violations.add(f"{path}[{i}]", f"duplicates {path}[{first[judge_id]}]")
        elif judge_id:
            first[judge_id] = i


def check_panel_known(
    judge_ids: Sequence[str], known: Collection[str], path: str, violations: ViolationCollector
) -> None:
    """Every judge of a panel must exist."""
    for i, judge_id in enumerate(judge_ids):
        if judge_id and judge_id not in known:
            violations.add(f"{path}[{i}]", f"no such judge: judges/{judge_id}")


def ensure_on_panel(judge_ids: Collection[str], judge_id: str, contest_id: str) -> None:
    """A contest with a panel takes its judges only from it; an empty panel means every judge."""
    if judge_ids and judge_id not in judge_ids:
        raise failed_precondition(
            JUDGE_NOT_ON_PANEL,
            f"judges/{judge_id} is not on the judge panel of contests/{contest_id}; add them to the panel first",
            {"judge": f"judges/{judge_id}", "contest": f"contests/{contest_id}"},
        )


def _check_award_tiers(
    tiers: Sequence[AwardTier], kind: RoundKind, prefix: str, violations: ViolationCollector
) -> None:
    if tiers and kind is not RoundKind.FINAL:
        violations.add(f"{prefix}.award_tiers", "only a FINAL round records awards")
        return
    seen: set[str] = set()
    for i, tier in enumerate(tiers):
        path = f"{prefix}.award_tiers[{i}]"
        if not TIER_PATTERN.match(tier.tier):
            violations.add(f"{path}.tier", "must be an upper-case key such as FIRST or EXCELLENCE")
        elif tier.tier in seen:
            violations.add(f"{path}.tier", "is listed twice")
        seen.add(tier.tier)
        check_text(tier.display_name, f"{path}.display_name", violations, required=False, limit=MAX_NAME)
        violations.check(1 <= tier.count <= 10_000, f"{path}.count", "must be between 1 and 10000")


def check_sequence_after_started(
    sequence: int, started: int | None, violations: ViolationCollector, path: str = "round.sequence"
) -> None:
    """A new round may not come before a round that has left DRAFT (``started`` is the highest such
    sequence, None when there is none): that round's entries were taken from the round before it,
    and slipping a round in between would change them under its feet."""
    if started is not None and sequence < started:
        violations.add(path, f"must be greater than {started}, the sequence of a round that has already opened")


def ensure_previous_finalized(contest_id: str, before: Round | None, action: str) -> None:
    """A round is opened, closed, assigned or finalized only once the round before it is FINALIZED:
    it decides which entries take part."""
    if before is not None and before.state is not RoundState.FINALIZED:
        name = f"contests/{contest_id}/rounds/{before.id}"
        raise failed_precondition(
            PREVIOUS_ROUND_NOT_FINALIZED,
            f"{name} must be finalized before this round is {action}: it decides who takes part",
            {"previous_round": name},
        )


def validate_round(fields: RoundFields, violations: ViolationCollector, prefix: str = "round") -> None:
    check_text(fields.display_name, f"{prefix}.display_name", violations, required=True, limit=MAX_NAME)
    violations.check(fields.sequence >= 1, f"{prefix}.sequence", "must be at least 1")
    violations.check(
        1 <= fields.judges_per_entry <= MAX_JUDGES_PER_ENTRY,
        f"{prefix}.judges_per_entry",
        f"must be between 1 and {MAX_JUDGES_PER_ENTRY}",
    )
    if len(fields.criteria) > MAX_CRITERIA:
        violations.add(f"{prefix}.criteria", f"at most {MAX_CRITERIA} criteria")
    try:
        validate_criteria(fields.domain_criteria(), f"{prefix}.criteria")
    except DomainError as error:
        # Reported with the round's other problems, under the same request paths.
        for violation in error.violations:
            violations.add(violation.field.replace(".name", ".key"), violation.description)
    for i, spec in enumerate(fields.criteria):
        check_text(
            spec.display_name, f"{prefix}.criteria[{i}].display_name", violations, required=False, limit=MAX_NAME
        )
        if spec.key and not ID_PATTERN.match(spec.key.replace("_", "-")):
            violations.add(f"{prefix}.criteria[{i}].key", "must be a lower-case key such as technology")
    advancement = fields.advancement
    if advancement is None:
        # The final round's cut is its awards; every other round must say who goes on.
        violations.check(
            fields.kind is RoundKind.FINAL and bool(fields.award_tiers),
            f"{prefix}.advancement",
            "set top_n or min_score (only a FINAL round with award tiers may leave it empty)",
        )
    elif advancement.top_n is not None:
        violations.check(advancement.top_n >= 1, f"{prefix}.advancement.top_n", "must be at least 1")
    elif advancement.min_score is not None:
        violations.check(
            math.isfinite(advancement.min_score) and 0 <= advancement.min_score <= 100,
            f"{prefix}.advancement.min_score",
            "must be between 0 and 100",
        )
    _check_award_tiers(fields.award_tiers, fields.kind, prefix, violations)


def validate_entry(fields: EntryFields, violations: ViolationCollector, prefix: str = "entry") -> None:
    check_text(fields.title, f"{prefix}.title", violations, required=True, limit=MAX_NAME)
    if fields.leader is not None:
        check_text(
            fields.leader.display_name, f"{prefix}.team.leader.display_name", violations, required=True, limit=MAX_NAME
        )
        check_text(fields.leader.role, f"{prefix}.team.leader.role", violations, required=False, limit=MAX_NAME)
    if len(fields.members) > MAX_LIST:
        violations.add(f"{prefix}.team.members", f"at most {MAX_LIST} members")
    for i, member in enumerate(fields.members):
        check_text(
            member.display_name, f"{prefix}.team.members[{i}].display_name", violations, required=True, limit=MAX_NAME
        )
        check_text(member.role, f"{prefix}.team.members[{i}].role", violations, required=False, limit=MAX_NAME)
    check_names(fields.organisations, f"{prefix}.team.organisations", violations)
    violations.check(
        not fields.origin_country or bool(COUNTRY_PATTERN.match(fields.origin_country)),
        f"{prefix}.origin_country",
        "must be an ISO 3166-1 alpha-2 code such as CN or DE",
    )
    check_text(fields.summary, f"{prefix}.summary", violations, limit=MAX_SUMMARY, multiline=True)


def validate_judge(fields: JudgeFields, violations: ViolationCollector, prefix: str = "judge") -> None:
    check_text(fields.display_name, f"{prefix}.display_name", violations, required=True, limit=MAX_NAME)
    check_names(fields.affiliations, f"{prefix}.affiliations", violations)
    violations.check(len(set(fields.domains)) == len(fields.domains), f"{prefix}.domains", "lists a domain twice")
