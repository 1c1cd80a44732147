"""competition.v1 messages ↔ domain models, and resource names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from protos.competition.v1 import competition_pb2 as pb
from services.common.codec import enum_from_proto, enum_to_proto, resource_id, set_timestamp, timestamp
from services.common.errors import ViolationCollector
from services.common.updates import etag as etag
from services.common.wire import Encoded, Encoding, length_delimited
from services.competition.domain.audit import AuditRow
from services.competition.domain.models import (
    Advancement,
    Assignment,
    Award,
    AwardTier,
    Conflict,
    ConflictSource,
    Contest,
    ContestFields,
    CriterionSpec,
    Domain,
    Entry,
    EntryFields,
    Judge,
    JudgeFields,
    LandingPool,
    Outcome,
    Round,
    RoundFields,
    RoundKind,
    ScoreSheet,
    TeamMember,
)
from services.competition.domain.results import NO_SHEETS_NOTE
from services.competition.domain.scoring import AggregationMethod
from services.competition.store.landing import Landing

DEFAULT_JUDGES_PER_ENTRY = 5


def contest_name(contest_id: str) -> str:
    return f"contests/{contest_id}"


def round_name(contest_id: str, round_id: str) -> str:
    return f"contests/{contest_id}/rounds/{round_id}"


def entry_name(contest_id: str, entry_id: str) -> str:
    return f"contests/{contest_id}/entries/{entry_id}"


def judge_name(judge_id: str) -> str:
    return f"judges/{judge_id}"


# --- enums --------------------------------------------------------------------------------------


def domain_from_proto(value: int, path: str, violations: ViolationCollector, *, required: bool = True) -> Domain | None:
    return enum_from_proto(pb.Domain, value, Domain, "DOMAIN_", path, violations, required=required)


def method_from_proto(value: int, path: str, violations: ViolationCollector) -> AggregationMethod | None:
    return enum_from_proto(
        pb.AggregationMethod, value, AggregationMethod, "AGGREGATION_METHOD_", path, violations, required=False
    )


def method_to_proto(method: AggregationMethod | str) -> Any:
    return enum_to_proto(pb.AggregationMethod, AggregationMethod(method), "AGGREGATION_METHOD_")


def outcome_to_proto(outcome: str | None) -> Any:
    return enum_to_proto(pb.Outcome, Outcome(outcome) if outcome else None, "OUTCOME_")


# --- contests -----------------------------------------------------------------------------------


def _date(value: str, path: str, violations: ViolationCollector) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        violations.add(path, "must be an ISO 8601 date such as 2024-12-31")
        return None


def contest_fields(message: pb.Contest, violations: ViolationCollector, prefix: str = "contest") -> ContestFields:
    """Zero means "not given" for the landing targets, which then take their defaults (5, 0.60). The
    panel's names become judge ids, in the order given."""
    pool = enum_from_proto(
        pb.LandingPool,
        message.landing_pool,
        LandingPool,
        "LANDING_POOL_",
        f"{prefix}.landing_pool",
        violations,
        required=False,
    )
    defaults = ContestFields(display_name="", year=0)
    return ContestFields(
        display_name=message.display_name.strip(),
        year=message.year,
        min_landed_entries=message.min_landed_entries or defaults.min_landed_entries,
        min_landing_ratio=message.min_landing_ratio or defaults.min_landing_ratio,
        landing_deadline=_date(message.landing_deadline, f"{prefix}.landing_deadline", violations),
        landing_pool=pool or LandingPool.AWARDED,
        judge_ids=tuple(
            resource_id(name, "judges", f"{prefix}.judges[{i}]", violations) for i, name in enumerate(message.judges)
        ),
    )


def contest_to_proto(contest: Contest) -> pb.Contest:
    return pb.Contest(
        name=contest_name(contest.id),
        display_name=contest.display_name,
        year=contest.year,
        min_landed_entries=contest.min_landed_entries,
        min_landing_ratio=contest.min_landing_ratio,
        landing_deadline=contest.landing_deadline.isoformat() if contest.landing_deadline else "",
        landing_pool=enum_to_proto(pb.LandingPool, contest.landing_pool, "LANDING_POOL_"),
        create_time=timestamp(contest.create_time),
        update_time=timestamp(contest.update_time),
        etag=etag(contest.id, contest.version),
        judges=[judge_name(j) for j in contest.judge_ids],
    )


# --- rounds -------------------------------------------------------------------------------------


# What a Timestamp may hold (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z); outside it a
# datetime cannot represent the value.
MIN_TIMESTAMP_SECONDS = -62_135_596_800
MAX_TIMESTAMP_SECONDS = 253_402_300_799


def datetime_from_proto(message: Message, field: str, path: str, violations: ViolationCollector) -> datetime | None:
    """The Timestamp ``field`` of ``message`` as an aware datetime; None when unset or out of range
    (a violation at ``path``)."""
    if not message.HasField(field):
        return None
    value: Timestamp = getattr(message, field)
    if not (MIN_TIMESTAMP_SECONDS <= value.seconds <= MAX_TIMESTAMP_SECONDS and 0 <= value.nanos <= 999_999_999):
        violations.add(path, "must be a time between the years 1 and 9999")
        return None
    return value.ToDatetime(tzinfo=UTC)


def round_fields(message: pb.Round, violations: ViolationCollector, prefix: str = "round") -> RoundFields:
    """Unset numbers take their defaults: judges_per_entry 5, aggregation MEAN; sequence 0 stays 0 for
    the servicer to fill in."""
    kind = enum_from_proto(pb.RoundKind, message.kind, RoundKind, "ROUND_KIND_", f"{prefix}.kind", violations)
    method = method_from_proto(message.aggregation, f"{prefix}.aggregation", violations)
    advancement: Advancement | None = None
    rule = message.advancement.WhichOneof("rule") if message.HasField("advancement") else None
    if rule == "top_n":
        advancement = Advancement(top_n=message.advancement.top_n)
    elif rule == "min_score":
        advancement = Advancement(min_score=message.advancement.min_score)
    return RoundFields(
        display_name=message.display_name.strip(),
        kind=kind or RoundKind.OTHER,
        sequence=message.sequence,
        criteria=tuple(
            CriterionSpec(
                key=c.key.strip(),
                display_name=c.display_name.strip(),
                weight=c.weight,
                min_value=c.min_value,
                max_value=c.max_value,
                step=c.step,
            )
            for c in message.criteria
        ),
        judges_per_entry=message.judges_per_entry or DEFAULT_JUDGES_PER_ENTRY,
        aggregation=method or AggregationMethod.MEAN,
        advancement=advancement,
        award_tiers=tuple(
            AwardTier(tier=t.tier.strip(), display_name=t.display_name.strip(), count=t.count)
            for t in message.award_tiers
        ),
        judging_deadline=datetime_from_proto(message, "judging_deadline", f"{prefix}.judging_deadline", violations),
    )


def round_to_proto(item: Round) -> pb.Round:
    message = pb.Round(
        name=round_name(item.contest_id, item.id),
        display_name=item.display_name,
        kind=enum_to_proto(pb.RoundKind, item.kind, "ROUND_KIND_"),
        sequence=item.sequence,
        state=enum_to_proto(pb.RoundState, item.state, "ROUND_STATE_"),
        criteria=[
            pb.Criterion(
                key=c.key,
                display_name=c.display_name,
                weight=c.weight,
                min_value=c.min_value,
                max_value=c.max_value,
                step=c.step,
            )
            for c in item.criteria
        ],
        judges_per_entry=item.judges_per_entry,
        aggregation=method_to_proto(item.aggregation),
        award_tiers=[pb.AwardTier(tier=t.tier, display_name=t.display_name, count=t.count) for t in item.award_tiers],
        judging_deadline=timestamp(item.judging_deadline),
        leaderboard_digest=item.leaderboard_digest,
        force_close_reason=item.force_close_reason,
        create_time=timestamp(item.create_time),
        update_time=timestamp(item.update_time),
        etag=etag(item.id, item.version),
    )
    if item.advancement is not None and item.advancement.top_n is not None:
        message.advancement.top_n = item.advancement.top_n
    elif item.advancement is not None and item.advancement.min_score is not None:
        message.advancement.min_score = item.advancement.min_score
    return message


def _encode_round(item: Round) -> bytes:
    return round_to_proto(item).SerializeToString(deterministic=True)


ROUND_ENCODING = Encoding[Round](version=1, encode=_encode_round)
"""The rounds' stored messages (store.rounds): bump ``version`` whenever what ``round_to_proto``
makes of a round changes (tests/competition/test_encoded_reads.py pins the bytes)."""


def round_record_to_proto(row: asyncpg.Record) -> pb.Round:
    """A ``rounds`` row (store.rounds.COLUMNS) as the message, exactly as ``round_to_proto`` of its
    model, without building the model: GetRound's hot path, where the pydantic model (criteria,
    tiers, advancement) cost more than the rest of the call. Columns the database constrains (kind,
    state, aggregation, the JSON shapes written from validated models) are trusted as they are."""
    message = pb.Round(
        name=round_name(row["contest_id"], row["id"]),
        display_name=row["display_name"],
        kind=enum_to_proto(pb.RoundKind, row["kind"], "ROUND_KIND_"),
        sequence=row["sequence"],
        state=enum_to_proto(pb.RoundState, row["state"], "ROUND_STATE_"),
        criteria=[
            pb.Criterion(
                key=c["key"],
                display_name=c["display_name"],
                weight=c["weight"],
                min_value=c["min_value"],
                max_value=c["max_value"],
                step=c["step"],
            )
            for c in row["criteria"]
        ],
        judges_per_entry=row["judges_per_entry"],
        aggregation=enum_to_proto(pb.AggregationMethod, row["aggregation"], "AGGREGATION_METHOD_"),
        award_tiers=[
            pb.AwardTier(tier=t["tier"], display_name=t["display_name"], count=t["count"]) for t in row["award_tiers"]
        ],
        leaderboard_digest=row["leaderboard_digest"],
        force_close_reason=row["force_close_reason"],
        etag=etag(row["id"], row["version"]),
    )
    set_timestamp(message.create_time, row["create_time"])
    set_timestamp(message.update_time, row["update_time"])
    if row["judging_deadline"] is not None:
        set_timestamp(message.judging_deadline, row["judging_deadline"])
    # Exactly one rule or none: {} | {"top_n": N} | {"min_score": x} (store.rounds writes exclude_none).
    advancement = row["advancement"] or {}
    if advancement.get("top_n") is not None:
        message.advancement.top_n = advancement["top_n"]
    elif advancement.get("min_score") is not None:
        message.advancement.min_score = advancement["min_score"]
    return message


# --- entries and judges -------------------------------------------------------------------------


def _member(message: pb.TeamMember) -> TeamMember:
    return TeamMember(display_name=message.display_name.strip(), role=message.role.strip())


def entry_fields(message: pb.Entry, violations: ViolationCollector, prefix: str = "entry") -> EntryFields:
    domain = domain_from_proto(message.domain, f"{prefix}.domain", violations)
    team = message.team
    return EntryFields(
        title=message.title.strip(),
        leader=_member(team.leader) if team.HasField("leader") else None,
        members=tuple(_member(m) for m in team.members),
        organisations=tuple(o.strip() for o in team.organisations),
        domain=domain or Domain.OTHER,
        origin_country=message.origin_country.strip().upper(),
        summary=message.summary.strip(),
    )


def entry_to_proto(entry: Entry) -> pb.Entry:
    team = pb.Team(
        members=[pb.TeamMember(display_name=m.display_name, role=m.role) for m in entry.members],
        organisations=list(entry.organisations),
    )
    if entry.leader is not None:
        team.leader.CopyFrom(pb.TeamMember(display_name=entry.leader.display_name, role=entry.leader.role))
    return pb.Entry(
        name=entry_name(entry.contest_id, entry.id),
        title=entry.title,
        team=team,
        domain=enum_to_proto(pb.Domain, entry.domain, "DOMAIN_"),
        origin_country=entry.origin_country,
        summary=entry.summary,
        last_round=round_name(entry.contest_id, entry.last_round) if entry.last_round else "",
        last_outcome=entry.last_outcome.value if entry.last_outcome else "",
        create_time=timestamp(entry.create_time),
        update_time=timestamp(entry.update_time),
        etag=etag(entry.id, entry.version),
    )


def judge_fields(message: pb.Judge, violations: ViolationCollector, prefix: str = "judge") -> JudgeFields:
    domains = [domain_from_proto(d, f"{prefix}.domains[{i}]", violations) for i, d in enumerate(message.domains)]
    return JudgeFields(
        display_name=message.display_name.strip(),
        domains=tuple(d for d in domains if d is not None),
        affiliations=tuple(a.strip() for a in message.affiliations),
    )


def judge_to_proto(judge: Judge) -> pb.Judge:
    return pb.Judge(
        name=judge_name(judge.id),
        display_name=judge.display_name,
        domains=[enum_to_proto(pb.Domain, d, "DOMAIN_") for d in judge.domains],
        affiliations=list(judge.affiliations),
        create_time=timestamp(judge.create_time),
        etag=etag(judge.id, judge.version),
    )


# --- judging ------------------------------------------------------------------------------------


def conflict_to_proto(conflict: Conflict) -> pb.Conflict:
    return pb.Conflict(
        judge=judge_name(conflict.judge_id),
        entry=entry_name(conflict.contest_id, conflict.entry_id),
        source=enum_to_proto(pb.ConflictSource, ConflictSource(conflict.source), "CONFLICT_SOURCE_"),
        reason=conflict.reason,
        declared_by=conflict.declared_by,
        create_time=timestamp(conflict.create_time),
    )


def assignment_to_proto(assignment: Assignment) -> pb.Assignment:
    return pb.Assignment(
        round=round_name(assignment.contest_id, assignment.round_id),
        judge=judge_name(assignment.judge_id),
        entry=entry_name(assignment.contest_id, assignment.entry_id),
        submitted=assignment.submitted,
        create_time=timestamp(assignment.create_time),
    )


def assignments_page_to_proto(
    contest_id: str, round_id: str, rows: Iterable[asyncpg.Record], next_page_token: str
) -> pb.ListAssignmentsResponse:
    """Rows of store.assignments.round_page as the page, each exactly as ``assignment_to_proto`` of
    its model: a page of them is ListAssignments' hot path, where a model per row cost more than the
    SQL. Each message is built in place (``add``): a list given to the constructor is copied."""
    page = pb.ListAssignmentsResponse(next_page_token=next_page_token)
    add = page.assignments.add
    round_ = round_name(contest_id, round_id)
    entries = f"contests/{contest_id}/entries/"
    for row in rows:
        message = add(
            round=round_, judge=f"judges/{row['judge_id']}", entry=entries + row["entry_id"], submitted=row["submitted"]
        )
        set_timestamp(message.create_time, row["create_time"])
    return page


_PAGE_ITEMS = pb.ListAssignmentsResponse.DESCRIPTOR.fields_by_name["assignments"].number
_PAGE_TOKEN = pb.ListAssignmentsResponse.DESCRIPTOR.fields_by_name["next_page_token"].number


def _encode_assignment(item: Assignment) -> bytes:
    """The assignment as one item of a page: its message framed as a record of the page's repeated
    ``assignments`` field (tag, length, message), so that a page is its items' concatenation."""
    return length_delimited(_PAGE_ITEMS, assignment_to_proto(item).SerializeToString(deterministic=True))


ASSIGNMENT_ENCODING = Encoding[Assignment](version=1, encode=_encode_assignment)
"""The assignments' stored page items (store.assignments): bump ``version`` whenever what
``assignment_to_proto`` makes of an assignment, or its framing, changes (the golden test pins the
bytes)."""


def assignments_page_encoded(items: bytes, next_page_token: str) -> Encoded:
    """The page from store.assignments.round_page_encoded's ``assignments`` field, byte for byte what
    ``assignments_page_to_proto`` of the same rows serialises."""
    if next_page_token:
        return Encoded(items + length_delimited(_PAGE_TOKEN, next_page_token.encode()))
    return Encoded(items)


def sheet_to_proto(sheet: ScoreSheet, criteria_order: Sequence[str] = ()) -> pb.ScoreSheet:
    """The sheet, its scores in the round's criteria order (then any others by key). Field by field,
    as ``candidate_to_proto`` in talent: a constructor with keywords, a list of CriterionScore
    messages and a Timestamp copied in cost twice as much, on every sheet submitted or listed."""
    message = pb.ScoreSheet()
    message.round = round_name(sheet.contest_id, sheet.round_id)
    message.entry = entry_name(sheet.contest_id, sheet.entry_id)
    message.judge = judge_name(sheet.judge_id)
    scores = sheet.scores
    add = message.scores.add
    for key in criteria_order:
        if key in scores:
            add(criterion=key, value=scores[key])
    for key in sorted(scores):
        if key not in criteria_order:
            add(criterion=key, value=scores[key])
    message.comment = sheet.comment
    message.total = sheet.total
    message.version = sheet.version
    set_timestamp(message.submit_time, sheet.submit_time)
    return message


def award_to_proto(award: Award) -> pb.Award:
    return pb.Award(
        entry=entry_name(award.contest_id, award.entry_id),
        title=award.title,
        tier=award.tier,
        rank=award.rank,
        round=round_name(award.contest_id, award.round_id),
    )


def audit_to_proto(row: AuditRow) -> pb.AuditEvent:
    return pb.AuditEvent(
        sequence=row.seq,
        time=timestamp(datetime.fromisoformat(row.occurred_at)),
        actor=row.actor,
        action=row.action,
        payload_json=row.payload,
        hash=row.hash,
        previous_hash=row.previous_hash,
    )


def leaderboard_row_to_proto(contest_id: str, row: dict[str, Any]) -> pb.LeaderboardRow:
    """A snapshot row (see domain.results) as the message; every digested column maps one to one."""
    return pb.LeaderboardRow(
        rank=int(row["rank"]),
        entry=entry_name(contest_id, str(row["entry_id"])),
        title=str(row["title"]),
        score=float(row["score"]),
        display_score=str(row["display_score"]),
        sheet_count=int(row["sheet_count"]),
        spread=float(row["spread"]),
        robustness=float(row["robustness"]),
        method_sensitive=bool(row["method_sensitive"]),
        within_cut=bool(row["within_cut"]),
        outcome=outcome_to_proto(str(row["outcome"]) or None),
        award_tier=str(row["award_tier"]),
        note=NO_SHEETS_NOTE if int(row["sheet_count"]) == 0 else "",
    )


# --- landing ------------------------------------------------------------------------------------


def landing_to_proto(landing: Landing) -> pb.Landing:
    message = pb.Landing(
        entry=f"contests/{landing.contest_id}/entries/{landing.entry_id}",
        stage=enum_to_proto(pb.LandingStage, landing.stage, "LANDING_STAGE_"),
        agreement_date=landing.agreement_date.isoformat() if landing.agreement_date else "",
        drop_reason=landing.drop_reason,
    )
    if landing.company is not None:
        message.company.CopyFrom(
            pb.Company(
                display_name=landing.company.display_name,
                credit_code=landing.company.credit_code,
                registration_date=landing.company.registration_date.isoformat(),
                registered_capital_wan_cny=landing.company.registered_capital_wan_cny,
            )
        )
    if (update_time := timestamp(landing.update_time)) is not None:
        message.update_time.CopyFrom(update_time)
    return message
