"""Judging RPCs: conflicts of interest, assignments, score sheets and judging progress.

Blind review: before a round is FINALIZED a judge sees only their own assignments and sheets, a
viewer sees no sheet at all (PERMISSION_DENIED, reason BLIND_REVIEW), an admin sees everything.
A judge is always the token subject, never a request field.
"""

from __future__ import annotations

from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller, require_role
from services.common.errors import ViolationCollector, permission_denied
from services.common.pagination import page_size
from services.common.text import check_text
from services.competition.api import codec
from services.competition.api.base import ADMIN, JUDGE, READERS, ServicerBase
from services.competition.api.names import contest_ref, entry_ref, judge_ref, round_ref, same_contest
from services.competition.app import judging
from services.competition.domain import setup as rules
from services.competition.domain.judging import contest_conflicts, judging_progress
from services.competition.domain.models import ConflictSource, Round
from services.competition.domain.stages import (
    RoundState,
)
from services.competition.store import assignments as assignment_store
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store

BLIND_REVIEW = "BLIND_REVIEW"
MAX_COMMENT = 4000


def is_admin(caller: Caller) -> bool:
    return caller.has_any([ADMIN])


def own_judge(caller: Caller, requested: str, path: str) -> str | None:
    """The judge a non-admin caller may look at: themselves. None for an admin (anyone)."""
    if is_admin(caller):
        return requested or None
    if requested and requested != caller.subject:
        raise permission_denied(BLIND_REVIEW, f"a judge sees only their own {path}")
    return caller.subject


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
        key = self.request_keys.key(request)
        return await judging.declare_conflict(self.app, caller, contest_id, entry_id, judge_id, source, reason, key)

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
        return await judging.auto_assign(self.app, caller, contest_id, round_id, self.request_keys.key(request))

    def _assignment_key(self, round_name: str, judge: str, entry: str) -> judging.AssignmentKey:
        violations = ViolationCollector()
        contest_id, round_id = round_ref(round_name, "round", violations)
        judge_id = judge_ref(judge, "judge", violations)
        entry_contest, entry_id = entry_ref(entry, "entry", violations)
        same_contest(contest_id, entry_contest, "entry", violations)
        violations.raise_if_any()
        return judging.AssignmentKey(contest_id, round_id, judge_id, entry_id)

    async def CreateAssignment(
        self, request: pb.CreateAssignmentRequest, context: aio.ServicerContext
    ) -> pb.Assignment:
        caller = require_role(ADMIN)
        target = self._assignment_key(request.round, request.judge, request.entry)
        return await judging.create_assignment(self.app, caller, target, self.request_keys.key(request))

    async def DeleteAssignment(
        self, request: pb.DeleteAssignmentRequest, context: aio.ServicerContext
    ) -> pb.DeleteAssignmentResponse:
        caller = require_role(ADMIN)
        target = self._assignment_key(request.round, request.judge, request.entry)
        key = self.request_keys.key(request)
        return await judging.delete_assignment(self.app, caller, target, request.round, key)

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
        submission = judging.SheetSubmission(contest_id, round_id, entry_id, values, comment)
        return await judging.submit_score_sheet(self.app, caller, submission, self.request_keys.key(request))

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
