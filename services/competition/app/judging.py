"""Judging commands: conflicts of interest, assignments and score sheets."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller
from services.common.db import acquire
from services.common.errors import DomainError, aborted, not_found
from services.common.idempotency import RequestKey, replayed
from services.common.uow import UnitOfWork
from services.competition.api import codec
from services.competition.app.context import App, run
from services.competition.app.locks import Lock
from services.competition.domain import assignment as planner
from services.competition.domain import setup as rules
from services.competition.domain.assignment import EntryInfo, JudgeInfo
from services.competition.domain.eligibility import (
    AssignmentFacts,
    assignable_refusal,
    assignment_refusal,
    scoring_refusal,
)
from services.competition.domain.judging import affiliation_conflicts
from services.competition.domain.models import ConflictSource, CriterionSpec, ScoreSheet
from services.competition.domain.scoring import Criterion, GridScorer, validate_sheet_values
from services.competition.store import assignments as assignment_store
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store

# A sheet's write finds what it read changed (a concurrent submit of the same sheet, a round or
# assignment change) at most this often before the client is told to retry (ABORTED). Every failed
# attempt means another write committed (progress is guaranteed), so n concurrent submits of one
# sheet need at most n attempts; the bound only stops a pathological flood of them.
MAX_SHEET_ATTEMPTS = 16


# --- conflicts ------------------------------------------------------------------------------------


async def declare_conflict(
    app: App,
    caller: Caller,
    contest_id: str,
    entry_id: str,
    judge_id: str,
    source: ConflictSource,
    reason: str,
    key: RequestKey | None,
) -> pb.Conflict:
    async def work(uow: UnitOfWork) -> pb.Conflict:
        # A concurrent CreateAssignment/AutoAssign either sees this conflict or has committed its
        # assignment, which the withdrawal below then removes.
        await assignment_store.lock_contest_assignments(uow.at(Lock.ASSIGNMENT_WRITERS), contest_id)
        await entry_store.get(uow.connection, contest_id, entry_id)
        await judge_store.get(uow.connection, judge_id)
        await assignment_store.lock_open_rounds(uow.at(Lock.ROUNDS), contest_id)
        conflict = await assignment_store.insert_declared(
            uow.connection, contest_id, entry_id, judge_id, source, reason, caller.subject
        )
        withdrawn = await assignment_store.withdraw(uow.at(Lock.ASSIGNMENTS), contest_id, [(judge_id, entry_id)])
        uow.audit(
            caller.subject,
            "conflict.declared",
            {
                "contest": contest_id,
                "entry": entry_id,
                "judge": judge_id,
                "source": source.value,
                "reason": reason,
                "withdrawn": [{"round": w.round_id, "had_sheet": w.had_sheet} for w in withdrawn],
            },
        )
        return codec.conflict_to_proto(conflict)

    return await run(app, key, pb.Conflict, work)


# --- assignments ----------------------------------------------------------------------------------


async def auto_assign(
    app: App, caller: Caller, contest_id: str, round_id: str, key: RequestKey | None
) -> pb.AutoAssignResponse:
    async def work(uow: UnitOfWork) -> pb.AutoAssignResponse:
        # No conflict or panel change can commit between the reads below and the inserts.
        await assignment_store.lock_contest_assignments(uow.at(Lock.ASSIGNMENT_WRITERS), contest_id)
        current = await round_store.lock_for_state_change(uow.at(Lock.ROUNDS), contest_id, round_id)
        refusal = assignable_refusal(current.state)
        if refusal is not None:
            raise refusal
        connection = uow.connection
        rules.ensure_previous_finalized(contest_id, await round_store.previous(connection, current), "assigned")
        entry_ids = await round_store.entry_ids(connection, current)
        entries = await entry_store.get_many(connection, contest_id, entry_ids)
        contest = await contest_store.get(connection, contest_id)
        judges = await judge_store.on_panel(connection, contest.judge_ids)
        declared = await assignment_store.declared(connection, contest_id)
        existing = await assignment_store.for_round(connection, contest_id, round_id)
        await assignment_store.lock_open_rounds(uow.at(Lock.ROUNDS), contest_id)
        conflicts = set(affiliation_conflicts(judges, entries.values())) | {(c.judge_id, c.entry_id) for c in declared}
        plan = await asyncio.to_thread(
            planner.auto_assign,
            [EntryInfo(entry_id=e.id, domain=e.domain.value) for e in entries.values()],
            [JudgeInfo(judge_id=j.id, domains=frozenset(d.value for d in j.domains)) for j in judges],
            current.judges_per_entry,
            conflicts,
            {(a.judge_id, a.entry_id) for a in existing},
        )
        withdrawn = await assignment_store.withdraw(uow.at(Lock.ASSIGNMENTS), contest_id, plan.conflicted_existing)
        await assignment_store.insert_many(
            connection, contest_id, round_id, plan.assignments, codec.ASSIGNMENT_ENCODING
        )
        uow.audit(
            caller.subject,
            "round.auto_assigned",
            {
                "contest": contest_id,
                "round": round_id,
                "added": [f"{judge}/{entry}" for judge, entry in plan.assignments],
                "withdrawn": [f"{w.judge_id}/{w.entry_id}@{w.round_id}" for w in withdrawn],
                "load_ceiling": plan.load_ceiling,
                "short": [s.entry_id for s in plan.shortfalls],
            },
        )
        return pb.AutoAssignResponse(
            assignments_added=len(plan.assignments),
            assignments_total=len(plan.all_assignments),
            load_ceiling=plan.load_ceiling,
            ceiling_raised=plan.ceiling_raised,
            shortfalls=[
                pb.Shortfall(
                    entry=codec.entry_name(contest_id, s.entry_id),
                    assigned=s.assigned,
                    required=s.required,
                    reason=s.reason,
                )
                for s in plan.shortfalls
            ],
            assignments_withdrawn=len(withdrawn),
        )

    return await run(app, key, pb.AutoAssignResponse, work)


@dataclass(frozen=True)
class AssignmentKey:
    contest_id: str
    round_id: str
    judge_id: str
    entry_id: str


async def create_assignment(app: App, caller: Caller, target: AssignmentKey, key: RequestKey | None) -> pb.Assignment:
    c, r, j, e = target.contest_id, target.round_id, target.judge_id, target.entry_id

    async def work(uow: UnitOfWork) -> pb.Assignment:
        # No conflict or panel change can commit between the checks below and the insert.
        await assignment_store.lock_contest_assignments(uow.at(Lock.ASSIGNMENT_WRITERS), c)
        current = await round_store.hold_for_writing(uow.at(Lock.ROUNDS), c, r)
        refusal = assignable_refusal(current.state)
        if refusal is not None:
            raise refusal
        connection = uow.connection
        entry = await entry_store.get(connection, c, e)
        judge = await judge_store.get(connection, j)
        contest = await contest_store.get(connection, c)
        facts = AssignmentFacts(
            contest_id=c,
            round_id=r,
            entry_id=e,
            judge_id=j,
            round_state=current.state,
            judge_affiliations=judge.affiliations,
            entry_organisations=entry.organisations,
            panel=contest.judge_ids,
            entry_in_round=e in await round_store.entry_ids(connection, current),
            declared_conflict=bool(await assignment_store.declared(connection, c, judge_id=j, entry_id=e)),
        )
        refusal = assignment_refusal(facts)
        if refusal is not None:
            raise refusal
        assignment = await assignment_store.insert_one(connection, c, r, j, e, codec.ASSIGNMENT_ENCODING)
        uow.audit(caller.subject, "assignment.created", {"contest": c, "round": r, "judge": j, "entry": e})
        return codec.assignment_to_proto(assignment)

    return await run(app, key, pb.Assignment, work)


async def delete_assignment(
    app: App, caller: Caller, target: AssignmentKey, round_name: str, key: RequestKey | None
) -> pb.DeleteAssignmentResponse:
    c, r, j, e = target.contest_id, target.round_id, target.judge_id, target.entry_id

    async def work(uow: UnitOfWork) -> pb.DeleteAssignmentResponse:
        current = await round_store.hold_for_writing(uow.at(Lock.ROUNDS), c, r)
        refusal = assignable_refusal(current.state)
        if refusal is not None:
            raise refusal
        if not await assignment_store.delete_one(uow.at(Lock.ASSIGNMENTS), c, r, j, e):
            raise not_found("assignment", f"{round_name}: judges/{j} × entry {e}")
        uow.audit(caller.subject, "assignment.deleted", {"contest": c, "round": r, "judge": j, "entry": e})
        return pb.DeleteAssignmentResponse()

    return await run(app, key, pb.DeleteAssignmentResponse, work)


# --- score sheets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundScoring:
    """What scoring a sheet of a round needs from its criteria."""

    criteria: tuple[Criterion, ...]
    keys: tuple[str, ...]
    scorer: GridScorer


@functools.lru_cache(maxsize=256)
def round_scoring(specs: tuple[CriterionSpec, ...]) -> RoundScoring:
    """Memoised by the criteria (immutable, hashable): building the exact scorer of a round costs
    more than the rest of a submission, and every sheet of the round would build the same one."""
    criteria = tuple(spec.criterion() for spec in specs)
    return RoundScoring(criteria, tuple(spec.key for spec in specs), GridScorer(criteria))


@dataclass(frozen=True)
class SheetSubmission:
    contest_id: str
    round_id: str
    entry_id: str
    values: dict[str, float]
    comment: str


async def submit_score_sheet(
    app: App, caller: Caller, submission: SheetSubmission, key: RequestKey | None
) -> pb.ScoreSheet:
    """Two statements, no BEGIN/COMMIT: one read of everything the decision needs, then one write
    that re-checks, as guards, what may have changed in between (store.sheets.write_submitted). A
    failed guard writes nothing; the command then reads again and the domain decides on fresh data
    (typically: the round closed → ROUND_NOT_OPEN, the assignment was withdrawn → NOT_ASSIGNED).

    A judge's first sheet in a round this replica has seen OPEN is one statement, shared with other
    judges' first sheets: the write alone, its guards confirming what the read would have found
    (see ``first_sheet``)."""
    s = submission
    written = await first_sheet(app, caller, s, key)
    if written is not None:
        return written
    async with acquire(app.pool) as connection:
        for _ in range(MAX_SHEET_ATTEMPTS):
            context = await sheet_store.scoring_facts(
                connection, s.contest_id, s.round_id, s.entry_id, caller.subject, key
            )
            if key is not None:
                earlier = replayed(key, context.stored_hash, context.stored_response, pb.ScoreSheet)
                if earlier is not None:
                    return earlier
            refusal = scoring_refusal(context.facts)
            if refusal is not None:
                raise refusal
            app.open_rounds.saw_open(s.contest_id, s.round_id, context.round_version, context.criteria)
            scoring = round_scoring(context.criteria)
            validate_sheet_values(scoring.criteria, s.values, "scores")
            sheet, response, payload = decided_sheet(caller, s, scoring, context.last_version)
            try:
                written_now = await sheet_store.write_submitted(
                    connection,
                    sheet,
                    round_version=context.round_version,
                    current_version=context.current_version,
                    actor=caller.subject,
                    audit_payload=payload,
                    key=key,
                    response=response,
                )
            except asyncpg.UniqueViolationError:
                written_now = False  # the version is taken: the read was stale (a concurrent submit of the pair)
            if written_now:
                app.open_rounds.saw_scored(s.contest_id, s.round_id, s.entry_id, caller.subject)
                return response
    raise aborted(
        "CONCURRENT_SUBMISSIONS",
        "the sheet kept changing while it was written (concurrent submissions); retry",
        {"entry": codec.entry_name(s.contest_id, s.entry_id)},
    )


async def first_sheet(app: App, caller: Caller, s: SheetSubmission, key: RequestKey | None) -> pb.ScoreSheet | None:
    """The sheet written as the judge's first of the pair, without reading first, or None (nothing
    written) when that cannot be confirmed: the caller then reads and decides.

    It is written only where the read would have let the domain accept it. The round is remembered
    OPEN at a version (so its criteria are known and the values valid), and the write's guards
    confirm that it still is, that the request id is new and that the assignment exists; the
    history's primary key refuses version 1 if the pair was ever scored. An existing assignment
    stands for the rest of
    ``may_score``: every change that would refuse the judge (a declared conflict, new affiliations
    or organisations, leaving the panel) withdraws the assignment in its own transaction, which
    waits for this write's FOR KEY SHARE of it, and its foreign keys keep the entry and the judge.

    The write goes with the first sheets of other judges that arrive meanwhile, in one statement
    (store.sheets.write_new_many). No connection is held while it waits. A sheet the group did not
    write goes the long way, which answers it as if it had been alone: a replay, a correction, a
    refusal, or the sheet written."""
    remembered = app.open_rounds.shortcut(s.contest_id, s.round_id, s.entry_id, caller.subject)
    if remembered is None:
        return None
    scoring = round_scoring(remembered.criteria)
    try:
        validate_sheet_values(scoring.criteria, s.values, "scores")
    except DomainError:
        return None  # refused, if at all, after the read: a closed round is reported before bad values
    sheet, response, payload = decided_sheet(caller, s, scoring, None)
    new = sheet_store.NewSheet(sheet, remembered.version, caller.subject, payload, key, response)
    if not await app.sheet_writes.write(new):
        app.open_rounds.forget(s.contest_id, s.round_id)
        return None
    app.open_rounds.saw_scored(s.contest_id, s.round_id, s.entry_id, caller.subject)
    return response


def decided_sheet(
    caller: Caller, s: SheetSubmission, scoring: RoundScoring, last_version: int | None
) -> tuple[ScoreSheet, pb.ScoreSheet, dict[str, Any]]:
    """The sheet of values already validated against the round's criteria, scored, as the pair's
    next version; with its response (built before the write, which stores it with the request id)
    and its audit payload."""
    total = float(scoring.scorer.score(s.values))  # sheet_score, with the round's scorer
    sheet = ScoreSheet(
        contest_id=s.contest_id,
        round_id=s.round_id,
        entry_id=s.entry_id,
        judge_id=caller.subject,
        scores=dict(s.values),
        comment=s.comment,
        total=total,
        version=(last_version or 0) + 1,
        submit_time=datetime.now(UTC),
    )
    payload = {
        "contest": s.contest_id,
        "round": s.round_id,
        "entry": s.entry_id,
        "judge": caller.subject,
        "version": sheet.version,
        # Floats as text: the audit payload must hash the same after a round trip.
        "scores": {name: repr(value) for name, value in sorted(s.values.items())},
        "total": repr(total),
    }
    return sheet, codec.sheet_to_proto(sheet, scoring.keys), payload
