"""Judging RPCs: conflicts of interest, assignments, score sheets and judging progress.

Blind review: before a round is FINALIZED a judge sees only their own assignments and sheets, a
viewer sees no sheet at all (PERMISSION_DENIED, reason BLIND_REVIEW), an admin sees everything.
A judge is always the token subject, never a request field.
"""

from __future__ import annotations

import asyncio

import asyncpg
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller, require_role
from services.common.errors import ViolationCollector, failed_precondition, not_found, permission_denied
from services.common.idempotency import run_once
from services.common.pagination import page_size
from services.common.text import check_text
from services.competition.api import codec
from services.competition.api.base import ADMIN, JUDGE, READERS, ServicerBase
from services.competition.api.names import contest_ref, entry_ref, judge_ref, round_ref, same_contest
from services.competition.domain import setup as rules
from services.competition.domain.assignment import EntryInfo, JudgeInfo, auto_assign
from services.competition.domain.conflicts import affiliation_conflicts as pair_conflict
from services.competition.domain.judging import affiliation_conflicts, contest_conflicts, judging_progress
from services.competition.domain.models import ConflictSource, Entry, Round
from services.competition.domain.scoring import sheet_score, validate_sheet_values
from services.competition.domain.stages import (
    ASSIGNABLE_STATES,
    RoundState,
    ensure_round_open_for_scoring,
    ensure_round_writable,
)
from services.competition.store import assignments as assignment_store
from services.competition.store import audit
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store

CONFLICT_OF_INTEREST = "CONFLICT_OF_INTEREST"
NOT_ASSIGNED = "NOT_ASSIGNED"
BLIND_REVIEW = "BLIND_REVIEW"
MAX_COMMENT = 4000
ASSIGNABLE = ASSIGNABLE_STATES


def is_admin(caller: Caller) -> bool:
    return caller.has_any([ADMIN])


def own_judge(caller: Caller, requested: str, path: str) -> str | None:
    """The judge a non-admin caller may look at: themselves. None for an admin (anyone)."""
    if is_admin(caller):
        return requested or None
    if requested and requested != caller.subject:
        raise permission_denied(BLIND_REVIEW, f"a judge sees only their own {path}")
    return caller.subject


def ensure_assignable(current: Round) -> None:
    ensure_round_writable(current.state)
    if current.state not in ASSIGNABLE:
        raise failed_precondition(
            "ROUND_NOT_ASSIGNABLE",
            f"assignments change only while the round is DRAFT or OPEN (it is {current.state.value})",
            {"state": current.state.value},
        )


def conflict_error(judge_id: str, entry_name: str, why: str) -> Exception:
    return failed_precondition(
        CONFLICT_OF_INTEREST,
        f"judges/{judge_id} has a conflict of interest with {entry_name}: {why}",
        {"judge": f"judges/{judge_id}", "entry": entry_name},
    )


class JudgingMethods(ServicerBase):
    # --- conflicts --------------------------------------------------------------------------

    async def DeclareConflict(self, request: pb.DeclareConflictRequest, context: aio.ServicerContext) -> pb.Conflict:
        caller = require_role(ADMIN, JUDGE)
        violations = ViolationCollector()
        contest_id, entry_id = entry_ref(request.entry, "entry", violations)
        judge_id = judge_ref(request.judge, "judge", violations) if request.judge else ""
        reason = request.reason.strip()
        check_text(reason, "reason", violations, required=True, limit=rules.MAX_REASON, multiline=True)
        if is_admin(caller):
            violations.check(bool(request.judge), "judge", "an admin names the judge")
            source = ConflictSource.DECLARED_BY_ADMIN
        else:
            if judge_id and judge_id != caller.subject:
                raise permission_denied("NOT_YOUR_CONFLICT", "a judge declares only their own conflicts")
            judge_id = caller.subject
            source = ConflictSource.DECLARED_BY_JUDGE
        violations.raise_if_any()

        async def declare(connection: asyncpg.Connection) -> pb.Conflict:
            # First: a concurrent CreateAssignment/AutoAssign either sees this conflict or has
            # committed its assignment, which the withdrawal below then removes.
            await assignment_store.lock_contest_assignments(connection, contest_id)
            await entry_store.get(connection, contest_id, entry_id)
            await judge_store.get(connection, judge_id)
            await assignment_store.lock_open_rounds(connection, contest_id)
            conflict = await assignment_store.insert_declared(
                connection, contest_id, entry_id, judge_id, source, reason, caller.subject
            )
            withdrawn = await assignment_store.withdraw(connection, contest_id, [(judge_id, entry_id)])
            await audit.append(
                connection,
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

        return await run_once(self.pool, self.request_keys.key(request), pb.Conflict, declare)

    async def ListConflicts(
        self, request: pb.ListConflictsRequest, context: aio.ServicerContext
    ) -> pb.ListConflictsResponse:
        caller = require_role(ADMIN, JUDGE)
        limit = page_size(request.page_size)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        requested_judge = judge_ref(request.judge, "judge", violations) if request.judge else ""
        entry_id = ""
        if request.entry:
            entry_contest, entry_id = entry_ref(request.entry, "entry", violations)
            same_contest(contest_id, entry_contest, "entry", violations)
        violations.raise_if_any()
        judge_id = own_judge(caller, requested_judge, "conflicts")
        after = self.tokens.decode(request.page_token, request)
        contest = await contest_store.get(self.pool, contest_id)
        judges = (
            list((await judge_store.get_many(self.pool, [judge_id])).values())
            if judge_id
            else await judge_store.on_panel(self.pool, contest.judge_ids)
        )
        entries = (
            list((await entry_store.get_many(self.pool, contest_id, [entry_id])).values())
            if entry_id
            else await entry_store.all_in_contest(self.pool, contest_id)
        )
        declared = await assignment_store.declared(
            self.pool, contest_id, judge_id=judge_id or None, entry_id=entry_id or None
        )
        conflicts = contest_conflicts(contest_id, judges, entries, declared)
        if after is not None:
            position = tuple(after)
            conflicts = [c for c in conflicts if (c.entry_id, c.judge_id, c.source.value) > position]
        page = conflicts[:limit]
        last = page[-1] if len(conflicts) > limit else None
        return pb.ListConflictsResponse(
            conflicts=[codec.conflict_to_proto(c) for c in page],
            next_page_token=self.tokens.encode([last.entry_id, last.judge_id, last.source.value], request)
            if last
            else "",
        )

    # --- assignments ------------------------------------------------------------------------

    async def AutoAssign(self, request: pb.AutoAssignRequest, context: aio.ServicerContext) -> pb.AutoAssignResponse:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        violations.raise_if_any()

        async def assign(connection: asyncpg.Connection) -> pb.AutoAssignResponse:
            # First: no conflict or panel change can commit between the reads below and the inserts.
            await assignment_store.lock_contest_assignments(connection, contest_id)
            current = await round_store.get(connection, contest_id, round_id, lock="FOR UPDATE")
            ensure_assignable(current)
            rules.ensure_previous_finalized(contest_id, await round_store.previous(connection, current), "assigned")
            entry_ids = await round_store.entry_ids(connection, current)
            entries = await entry_store.get_many(connection, contest_id, entry_ids)
            contest = await contest_store.get(connection, contest_id)
            judges = await judge_store.on_panel(connection, contest.judge_ids)
            declared = await assignment_store.declared(connection, contest_id)
            existing = await assignment_store.for_round(connection, contest_id, round_id)
            await assignment_store.lock_open_rounds(connection, contest_id)
            conflicts = set(affiliation_conflicts(judges, entries.values())) | {
                (c.judge_id, c.entry_id) for c in declared
            }
            plan = await asyncio.to_thread(
                auto_assign,
                [EntryInfo(entry_id=e.id, domain=e.domain.value) for e in entries.values()],
                [JudgeInfo(judge_id=j.id, domains=frozenset(d.value for d in j.domains)) for j in judges],
                current.judges_per_entry,
                conflicts,
                {(a.judge_id, a.entry_id) for a in existing},
            )
            withdrawn = await assignment_store.withdraw(connection, contest_id, plan.conflicted_existing)
            await assignment_store.insert_many(connection, contest_id, round_id, plan.assignments)
            await audit.append(
                connection,
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

        return await run_once(self.pool, self.request_keys.key(request), pb.AutoAssignResponse, assign)

    def _assignment_key(self, round_name: str, judge: str, entry: str) -> tuple[str, str, str, str]:
        violations = ViolationCollector()
        contest_id, round_id = round_ref(round_name, "round", violations)
        judge_id = judge_ref(judge, "judge", violations)
        entry_contest, entry_id = entry_ref(entry, "entry", violations)
        same_contest(contest_id, entry_contest, "entry", violations)
        violations.raise_if_any()
        return contest_id, round_id, judge_id, entry_id

    async def CreateAssignment(
        self, request: pb.CreateAssignmentRequest, context: aio.ServicerContext
    ) -> pb.Assignment:
        caller = require_role(ADMIN)
        contest_id, round_id, judge_id, entry_id = self._assignment_key(request.round, request.judge, request.entry)

        async def create(connection: asyncpg.Connection) -> pb.Assignment:
            # First: no conflict or panel change can commit between the checks below and the insert.
            await assignment_store.lock_contest_assignments(connection, contest_id)
            current = await round_store.get(connection, contest_id, round_id, lock="FOR SHARE")
            ensure_assignable(current)
            entry = await entry_store.get(connection, contest_id, entry_id)
            judge = await judge_store.get(connection, judge_id)
            contest = await contest_store.get(connection, contest_id)
            rules.ensure_on_panel(contest.judge_ids, judge_id, contest_id)
            if entry_id not in await round_store.entry_ids(connection, current):
                raise failed_precondition(
                    "ENTRY_NOT_IN_ROUND",
                    f"{codec.entry_name(contest_id, entry_id)} does not take part in this round",
                    {"entry": codec.entry_name(contest_id, entry_id)},
                )
            await self._refuse_conflict(connection, contest_id, judge.id, judge.affiliations, entry_id, entry)
            assignment = await assignment_store.insert_one(connection, contest_id, round_id, judge_id, entry_id)
            await audit.append(
                connection,
                caller.subject,
                "assignment.created",
                {"contest": contest_id, "round": round_id, "judge": judge_id, "entry": entry_id},
            )
            return codec.assignment_to_proto(assignment)

        return await run_once(self.pool, self.request_keys.key(request), pb.Assignment, create)

    @staticmethod
    async def _refuse_conflict(
        connection: asyncpg.Connection,
        contest_id: str,
        judge_id: str,
        affiliations: tuple[str, ...],
        entry_id: str,
        entry: Entry,
    ) -> None:
        name = codec.entry_name(contest_id, entry_id)
        shared = pair_conflict(affiliations, entry.organisations)
        if shared:
            raise conflict_error(judge_id, name, "affiliated with " + ", ".join(shared))
        if await assignment_store.declared(connection, contest_id, judge_id=judge_id, entry_id=entry_id):
            raise conflict_error(judge_id, name, "declared")

    async def DeleteAssignment(
        self, request: pb.DeleteAssignmentRequest, context: aio.ServicerContext
    ) -> pb.DeleteAssignmentResponse:
        caller = require_role(ADMIN)
        contest_id, round_id, judge_id, entry_id = self._assignment_key(request.round, request.judge, request.entry)

        async def delete(connection: asyncpg.Connection) -> pb.DeleteAssignmentResponse:
            current = await round_store.get(connection, contest_id, round_id, lock="FOR SHARE")
            ensure_assignable(current)
            if not await assignment_store.delete_one(connection, contest_id, round_id, judge_id, entry_id):
                raise not_found("assignment", f"{request.round}: judges/{judge_id} × entry {entry_id}")
            await audit.append(
                connection,
                caller.subject,
                "assignment.deleted",
                {"contest": contest_id, "round": round_id, "judge": judge_id, "entry": entry_id},
            )
            return pb.DeleteAssignmentResponse()

        return await run_once(self.pool, self.request_keys.key(request), pb.DeleteAssignmentResponse, delete)

    async def ListAssignments(
        self, request: pb.ListAssignmentsRequest, context: aio.ServicerContext
    ) -> pb.ListAssignmentsResponse:
        caller = require_role(ADMIN, JUDGE)
        limit = page_size(request.page_size)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        requested_judge = judge_ref(request.judge, "judge", violations) if request.judge else ""
        entry_id = ""
        if request.entry:
            entry_contest, entry_id = entry_ref(request.entry, "entry", violations)
            same_contest(contest_id, entry_contest, "entry", violations)
        violations.raise_if_any()
        judge_id = own_judge(caller, requested_judge, "assignments")
        after = self.tokens.decode(request.page_token, request)
        await round_store.get(self.pool, contest_id, round_id)
        page, last = await assignment_store.list_page(
            self.pool, contest_id, round_id, judge_id, entry_id or None, after, limit
        )
        return pb.ListAssignmentsResponse(
            assignments=[codec.assignment_to_proto(a) for a in page],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    # --- score sheets -----------------------------------------------------------------------

    async def SubmitScoreSheet(
        self, request: pb.SubmitScoreSheetRequest, context: aio.ServicerContext
    ) -> pb.ScoreSheet:
        caller = require_role(JUDGE)
        judge_id = caller.subject
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        entry_contest, entry_id = entry_ref(request.entry, "entry", violations)
        same_contest(contest_id, entry_contest, "entry", violations)
        values: dict[str, float] = {}
        for score in request.scores:
            if score.criterion in values:
                violations.add(f"scores[{score.criterion}]", "is given twice")
            values[score.criterion] = score.value
        comment = request.comment.strip()
        check_text(comment, "comment", violations, limit=MAX_COMMENT, multiline=True)
        violations.raise_if_any()

        async def submit(connection: asyncpg.Connection) -> pb.ScoreSheet:
            # FOR SHARE: CloseRound (FOR UPDATE) waits for this sheet to commit, never the reverse.
            current = await round_store.get(connection, contest_id, round_id, lock="FOR SHARE")
            ensure_round_writable(current.state)
            ensure_round_open_for_scoring(current.state)
            entry = await entry_store.get(connection, contest_id, entry_id)
            judges = await judge_store.get_many(connection, [judge_id])
            name = codec.entry_name(contest_id, entry_id)
            if judge_id in judges:
                await self._refuse_conflict(
                    connection, contest_id, judge_id, judges[judge_id].affiliations, entry_id, entry
                )
            assignment = await assignment_store.get(
                connection, contest_id, round_id, judge_id, entry_id, lock="FOR KEY SHARE"
            )
            if assignment is None:
                raise failed_precondition(
                    NOT_ASSIGNED,
                    f"judges/{judge_id} is not assigned to {name} in this round",
                    {"judge": f"judges/{judge_id}", "entry": name},
                )
            criteria = current.domain_criteria()
            validate_sheet_values(criteria, values, "scores")
            total = sheet_score(criteria, values)
            sheet = await sheet_store.submit(
                connection, contest_id, round_id, entry_id, judge_id, values, comment, total
            )
            await audit.append(
                connection,
                caller.subject,
                "sheet.submitted",
                {
                    "contest": contest_id,
                    "round": round_id,
                    "entry": entry_id,
                    "judge": judge_id,
                    "version": sheet.version,
                    # Floats as text: the audit payload must hash the same after a round trip.
                    "scores": {key: repr(value) for key, value in sorted(values.items())},
                    "total": repr(total),
                },
            )
            return codec.sheet_to_proto(sheet, [c.key for c in current.criteria])

        return await run_once(self.pool, self.request_keys.key(request), pb.ScoreSheet, submit)

    def _visible_judge(self, caller: Caller, current: Round, requested: str) -> str | None:
        """Whose sheets the caller may read in the round: anyone's once FINALIZED or for an admin;
        else a judge only their own, and a viewer nobody's."""
        if is_admin(caller) or current.state is RoundState.FINALIZED:
            return requested or None
        if not caller.has_any([JUDGE]):
            raise permission_denied(BLIND_REVIEW, "score sheets stay hidden until the round is FINALIZED")
        return own_judge(caller, requested, "score sheets")

    async def ListScoreSheets(
        self, request: pb.ListScoreSheetsRequest, context: aio.ServicerContext
    ) -> pb.ListScoreSheetsResponse:
        caller = require_role(*READERS)
        limit = page_size(request.page_size)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        requested_judge = judge_ref(request.judge, "judge", violations) if request.judge else ""
        entry_id = ""
        if request.entry:
            entry_contest, entry_id = entry_ref(request.entry, "entry", violations)
            same_contest(contest_id, entry_contest, "entry", violations)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        current = await round_store.get(self.pool, contest_id, round_id)
        judge_id = self._visible_judge(caller, current, requested_judge)
        page, last = await sheet_store.list_page(
            self.pool, contest_id, round_id, entry_id or None, judge_id, after, limit
        )
        order = [c.key for c in current.criteria]
        return pb.ListScoreSheetsResponse(
            score_sheets=[codec.sheet_to_proto(s, order) for s in page],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    async def GetScoreSheetHistory(
        self, request: pb.GetScoreSheetHistoryRequest, context: aio.ServicerContext
    ) -> pb.GetScoreSheetHistoryResponse:
        caller = require_role(*READERS)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        entry_contest, entry_id = entry_ref(request.entry, "entry", violations)
        same_contest(contest_id, entry_contest, "entry", violations)
        requested_judge = judge_ref(request.judge, "judge", violations) if request.judge else ""
        if not requested_judge and not caller.has_any([JUDGE]):
            violations.add("judge", "is required")
        violations.raise_if_any()
        current = await round_store.get(self.pool, contest_id, round_id)
        judge_id = self._visible_judge(caller, current, requested_judge) or caller.subject
        versions = await sheet_store.history(self.pool, contest_id, round_id, entry_id, judge_id)
        order = [c.key for c in current.criteria]
        return pb.GetScoreSheetHistoryResponse(versions=[codec.sheet_to_proto(s, order) for s in versions])

    # --- progress ---------------------------------------------------------------------------

    async def GetJudgingProgress(
        self, request: pb.GetJudgingProgressRequest, context: aio.ServicerContext
    ) -> pb.JudgingProgress:
        """Admins and viewers see every judge and entry (counts only, no scores); a judge sees their
        own row and the totals of their own assignments."""
        caller = require_role(*READERS)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        violations.raise_if_any()
        current = await round_store.get(self.pool, contest_id, round_id)
        assignments = await assignment_store.for_round(self.pool, contest_id, round_id)
        only_own = not caller.has_any([ADMIN, "competition.viewer"])
        if only_own:
            mine = [a for a in assignments if a.judge_id == caller.subject]
            progress = judging_progress([], mine, current.judges_per_entry)
        else:
            entry_ids = await round_store.entry_ids(self.pool, current)
            progress = judging_progress(entry_ids, assignments, current.judges_per_entry)
        return pb.JudgingProgress(
            round=codec.round_name(contest_id, round_id),
            expected=progress.expected,
            submitted=progress.submitted,
            ratio=progress.ratio,
            judges=[
                pb.JudgeProgress(
                    judge=codec.judge_name(t.key), expected=t.expected, submitted=t.submitted, missing=t.missing
                )
                for t in progress.judges
            ],
            entries=[]
            if only_own
            else [
                pb.EntryProgress(
                    entry=codec.entry_name(contest_id, t.key),
                    expected=t.expected,
                    submitted=t.submitted,
                    missing=t.missing,
                    coverage_shortfall=t.coverage_shortfall,
                )
                for t in progress.entries
            ],
        )
