"""Judging RPCs: conflicts of interest, assignments, score sheets and judging progress.

Blind review: before a round is FINALIZED a judge sees only their own assignments and sheets, a
viewer sees no sheet at all (PERMISSION_DENIED, reason BLIND_REVIEW), an admin sees everything.
A judge is always the token subject, never a request field.
"""

from __future__ import annotations

import asyncio
from typing import Any

from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller, require_role
from services.common.errors import ViolationCollector, permission_denied
from services.common.pagination import FilterDecisions, page_size
from services.common.text import check_text
from services.common.wire import Encoded
from services.competition.api import codec, pages
from services.competition.api.base import ADMIN, JUDGE, READERS, ServicerBase
from services.competition.api.names import contest_ref, entry_ref, judge_ref, round_ref, same_contest
from services.competition.api.pages import bounded_page_size
from services.competition.app import judging
from services.competition.domain import setup as rules
from services.competition.domain.judging import affiliation_conflicts_of, judge_keys
from services.competition.domain.models import Conflict, ConflictSource, Judge, Round
from services.competition.domain.stages import (
    RoundState,
)
from services.competition.store import assignments as assignment_store
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import judges as judge_store
from services.competition.store import progress as progress_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store

BLIND_REVIEW = "BLIND_REVIEW"
MAX_COMMENT = 4000
CONFLICT_CHUNK = 1000
"""Entries matched against the judges per step of ListConflicts."""


def is_admin(caller: Caller) -> bool:
    return caller.has_any([ADMIN])


def own_judge(caller: Caller, requested: str, path: str) -> str | None:
    """The judge a non-admin caller may look at: themselves. None for an admin (anyone)."""
    if is_admin(caller):
        return requested or None
    if requested and requested != caller.subject:
        raise permission_denied(BLIND_REVIEW, f"a judge sees only their own {path}")
    return caller.subject


def _judge_and_entry(
    request: pb.ListConflictsRequest | pb.ListAssignmentsRequest | pb.ListScoreSheetsRequest,
    contest_id: str,
    violations: ViolationCollector,
) -> tuple[str, str | None]:
    """A judging list's judge asked for ("" for any) and entry, which must be of ``contest_id``
    (None for any)."""
    requested_judge = judge_ref(request.judge, "judge", violations) if request.judge else ""
    if not request.entry:
        return requested_judge, None
    entry_contest, entry_id = entry_ref(request.entry, "entry", violations)
    same_contest(contest_id, entry_contest, "entry", violations)
    return requested_judge, entry_id or None


def _round_filter(request: pb.ListAssignmentsRequest | pb.ListScoreSheetsRequest) -> tuple[str, str, str, str | None]:
    """The filter of a list within a round (assignments, score sheets) checked: the round's contest
    and id, the judge asked for and the entry (see :func:`_judge_and_entry`)."""
    violations = ViolationCollector()
    contest_id, round_id = round_ref(request.round, "round", violations)
    requested_judge, entry_id = _judge_and_entry(request, contest_id, violations)
    violations.raise_if_any()
    return contest_id, round_id, requested_judge, entry_id


_assignment_filters = FilterDecisions(pb.ListAssignmentsRequest, _round_filter)
_sheet_filters = FilterDecisions(pb.ListScoreSheetsRequest, _round_filter)


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
        limit = bounded_page_size(request.page_size, pages.CONFLICTS_MAX)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        requested_judge, entry_id = _judge_and_entry(request, contest_id, violations)
        violations.raise_if_any()
        judge_id = own_judge(caller, requested_judge, "conflicts")
        after = self.tokens.decode(request.page_token, request)
        contest = await contest_store.get(self.pool, contest_id)
        judges = (
            list((await judge_store.get_many(self.pool, [judge_id])).values())
            if judge_id
            else await judge_store.on_panel(self.pool, contest.judge_ids)
        )
        position = tuple(after) if after is not None else None
        declared = sorted(
            (
                c
                for c in await assignment_store.declared(
                    self.pool, contest_id, judge_id=judge_id or None, entry_id=entry_id
                )
                if position is None or (c.entry_id, c.judge_id, c.source.value) > position
            ),
            key=lambda c: (c.entry_id, c.judge_id, c.source.value),
        )
        page = await self._conflicts_page(contest_id, judges, entry_id, declared, position, limit + 1)
        last = page[limit - 1] if len(page) > limit else None
        return pb.ListConflictsResponse(
            conflicts=[codec.conflict_to_proto(c) for c in page[:limit]],
            next_page_token=self.tokens.encode([last.entry_id, last.judge_id, last.source.value], request)
            if last
            else "",
        )

    async def _conflicts_page(
        self,
        contest_id: str,
        judges: list[Judge],
        entry_id: str | None,
        declared: list[Conflict],
        position: tuple[Any, ...] | None,
        wanted: int,
    ) -> list[Conflict]:
        """The first ``wanted`` conflicts after ``position`` in (entry, judge, source) order: derived
        ones for ``judges`` over the contest's entries a chunk at a time (matched in a worker thread,
        stopping as soon as the page is full), merged with the ``declared`` ones."""
        keys = await asyncio.to_thread(judge_keys, judges)
        found: list[Conflict] = []
        start = str(position[0]) if position else None
        inclusive = True
        while len(found) < wanted:
            chunk = (
                await entry_store.organisations_from(
                    self.pool, contest_id, start, CONFLICT_CHUNK, inclusive=inclusive, only=entry_id
                )
                if keys
                else []
            )
            derived = await asyncio.to_thread(affiliation_conflicts_of, contest_id, keys, chunk) if chunk else []
            done = len(chunk) < CONFLICT_CHUNK
            # Declared conflicts up to the chunk's last entry (all of the rest after the last chunk).
            upto = chunk[-1][0] if chunk and not done else None
            taken = [c for c in declared if upto is None or c.entry_id <= upto]
            declared = declared[len(taken) :]
            merged = sorted([*derived, *taken], key=lambda c: (c.entry_id, c.judge_id, c.source.value))
            found += [c for c in merged if position is None or (c.entry_id, c.judge_id, c.source.value) > position]
            if done:
                break
            start, inclusive = chunk[-1][0], False
        return found[:wanted]

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
    ) -> pb.ListAssignmentsResponse | Encoded:
        caller = require_role(ADMIN, JUDGE)
        limit = page_size(request.page_size)
        contest_id, round_id, requested_judge, entry_id = _assignment_filters(request)
        judge_id = own_judge(caller, requested_judge, "assignments")
        after = self.tokens.decode(request.page_token, request)
        query = (contest_id, round_id, judge_id, entry_id, after, limit)
        items, last = await assignment_store.round_page_encoded(self.pool, *query, codec.ASSIGNMENT_ENCODING.version)
        if items is not None:
            return codec.assignments_page_encoded(items, self.tokens.encode(last, request) if last else "")
        # An assignment of the page has no current stored message (written before the read model).
        page, last = await assignment_store.round_page(self.pool, *query)
        return codec.assignments_page_to_proto(
            contest_id, round_id, page, self.tokens.encode(last, request) if last else ""
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
        limit = bounded_page_size(request.page_size, pages.SCORE_SHEETS_MAX)
        contest_id, round_id, requested_judge, entry_id = _sheet_filters(request)
        after = self.tokens.decode(request.page_token, request)
        current = await round_store.get(self.pool, contest_id, round_id)
        judge_id = self._visible_judge(caller, current, requested_judge)
        page, last = await sheet_store.list_page(self.pool, contest_id, round_id, entry_id, judge_id, after, limit)
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
        own row and the totals of their own assignments. Counted in SQL, both lists paged together."""
        caller = require_role(*READERS)
        limit = pages.progress_page_size(request.page_size)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        judge_after, entry_after, judges_done, entries_done = after if after else (None, None, False, False)
        current = await round_store.get(self.pool, contest_id, round_id)
        only_own = not caller.has_any([ADMIN, "competition.viewer"])
        own = caller.subject if only_own else None
        total = await progress_store.totals(self.pool, contest_id, round_id, own)
        judges: list[progress_store.Count] = []
        if not judges_done:
            judges = await progress_store.judges_page(self.pool, contest_id, round_id, judge_after, limit + 1, own)
        entries: list[progress_store.Count] = []
        if not entries_done and not only_own:
            entries = await progress_store.entries_page(self.pool, current, entry_after, limit + 1)
        more_judges, more_entries = len(judges) > limit, len(entries) > limit
        judges, entries = judges[:limit], entries[:limit]
        token = ""
        if more_judges or more_entries:
            position = [
                judges[-1].key if judges else judge_after,
                entries[-1].key if entries else entry_after,
                not more_judges,
                not more_entries,
            ]
            token = self.tokens.encode(position, request)
        k = current.judges_per_entry
        return pb.JudgingProgress(
            round=codec.round_name(contest_id, round_id),
            expected=total.expected,
            submitted=total.submitted,
            ratio=total.submitted / total.expected if total.expected else 1.0,
            judges=[
                pb.JudgeProgress(
                    judge=codec.judge_name(t.key),
                    expected=t.expected,
                    submitted=t.submitted,
                    missing=t.expected - t.submitted,
                )
                for t in judges
            ],
            entries=[
                pb.EntryProgress(
                    entry=codec.entry_name(contest_id, t.key),
                    expected=t.expected,
                    submitted=t.submitted,
                    missing=t.expected - t.submitted,
                    coverage_shortfall=max(0, k - t.expected),
                )
                for t in entries
            ],
            next_page_token=token,
        )
