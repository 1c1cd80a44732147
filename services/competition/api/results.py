"""Results RPCs: leaderboards, finalization (snapshot, outcomes, awards), judge diagnostics, awards
and the audit log.

A leaderboard before FINALIZED is for admins only (it shows scores: blind review); once FINALIZED
every role reads the frozen snapshot.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

import asyncpg
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import require_role
from services.common.errors import ViolationCollector, permission_denied
from services.common.pagination import page_size
from services.common.server import Platform
from services.competition.api import codec
from services.competition.api.base import ADMIN, READERS, ServicerBase
from services.competition.api.names import contest_ref, round_ref
from services.competition.app import audit, results
from services.competition.domain.diagnostics import agreement, judge_severity
from services.competition.domain.models import Round, ScoreSheet
from services.competition.domain.ranking import DEFAULT_SEED
from services.competition.domain.results import (
    LeaderboardLine,
    compute_leaderboard,
    cut_rule,
    sheets_fingerprint,
    snapshot_rows,
)
from services.competition.domain.scoring import AggregationMethod, Sheet
from services.competition.domain.stages import RoundState
from services.competition.store import audit as audit_store
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import results as result_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store

BLIND_REVIEW = "BLIND_REVIEW"


def domain_sheets(sheets: list[ScoreSheet], entry_ids: set[str] | None = None) -> list[Sheet]:
    return [
        Sheet(judge_id=s.judge_id, entry_id=s.entry_id, score=s.total, criterion_scores=s.scores)
        for s in sheets
        if entry_ids is None or s.entry_id in entry_ids
    ]


# Live leaderboards kept per (round, round version, method, sheets): paging through 1,000 entries or
# polling an open round does not rerun the bootstrap while no sheet changed.
LEADERBOARD_CACHE_SIZE = 32


class ResultsMethods(ServicerBase):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self._audit_public_key = audit.signing_key(self.settings).public_key()
        self._leaderboards: OrderedDict[tuple[str, str, int, str, str], list[LeaderboardLine]] = OrderedDict()

    def _compute(self, sheets: list[Sheet], current: Round, method: AggregationMethod) -> list[LeaderboardLine]:
        return compute_leaderboard(
            sheets,
            current.domain_criteria(),
            method,
            cut_rule(current.advancement, current.award_tiers),
            self.settings.bootstrap_resamples,
            DEFAULT_SEED,
        )

    def _prepare(
        self, stored: list[ScoreSheet], current: Round, method: AggregationMethod, cached: frozenset[str]
    ) -> tuple[list[Sheet], str, list[LeaderboardLine] | None]:
        """In a worker thread: the sheets, their fingerprint, and the leaderboard unless the
        fingerprint is among ``cached`` (then None: the caller takes it from the cache)."""
        sheets = domain_sheets(stored)
        fingerprint = sheets_fingerprint(sheets)
        return sheets, fingerprint, None if fingerprint in cached else self._compute(sheets, current, method)

    async def _live_rows(
        self, executor: asyncpg.Connection | asyncpg.Pool, current: Round, method: AggregationMethod
    ) -> list[dict[str, Any]]:
        """The leaderboard computed from the current sheets. Converting and fingerprinting the sheets
        and the bootstrap run in one worker-thread call so the event loop keeps serving other calls;
        the cache itself is read and written only here, on the loop."""
        stored = await sheet_store.for_round(executor, current.contest_id, current.id)
        prefix = (current.contest_id, current.id, current.version, method.value)
        cached = frozenset(key[4] for key in self._leaderboards if key[:4] == prefix)
        sheets, fingerprint, lines = await asyncio.to_thread(self._prepare, stored, current, method, cached)
        key = (*prefix, fingerprint)
        if lines is None:
            lines = self._leaderboards.get(key)
        if lines is None:
            # Evicted while the fingerprint was being computed.
            lines = await asyncio.to_thread(self._compute, sheets, current, method)
        self._leaderboards[key] = lines
        self._leaderboards.move_to_end(key)
        while len(self._leaderboards) > LEADERBOARD_CACHE_SIZE:
            self._leaderboards.popitem(last=False)
        titles = await entry_store.titles(executor, current.contest_id, [line.entry_id for line in lines])
        return [dict(row) for row in snapshot_rows(lines, titles, [])]

    async def GetLeaderboard(self, request: pb.GetLeaderboardRequest, context: aio.ServicerContext) -> pb.Leaderboard:
        caller = require_role(*READERS)
        limit = page_size(request.page_size)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        requested = codec.method_from_proto(request.method, "method", violations)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        current = await round_store.get(self.pool, contest_id, round_id)
        frozen = current.state is RoundState.FINALIZED
        if not frozen and not caller.has_any([ADMIN]):
            raise permission_denied(BLIND_REVIEW, "the leaderboard is published when the round is FINALIZED")
        if frozen:
            snapshot = await result_store.snapshot(self.pool, contest_id, round_id)
            assert snapshot is not None, "a FINALIZED round always has its snapshot"
            rows: list[dict[str, Any]] = [dict(r) for r in snapshot.rows]
            method = AggregationMethod(snapshot.method)
            digest = snapshot.digest
            resamples = snapshot.bootstrap_resamples
        else:
            method = requested or current.aggregation
            rows = await self._live_rows(self.pool, current, method)
            digest = ""
            resamples = self.settings.bootstrap_resamples
        # Rows are a ranked list: the position is the offset into it.
        offset = int(after[0]) if after else 0
        page = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        return pb.Leaderboard(
            round=codec.round_name(contest_id, round_id),
            method=codec.method_to_proto(method),
            frozen=frozen,
            digest=digest,
            bootstrap_resamples=resamples,
            rows=[codec.leaderboard_row_to_proto(contest_id, row) for row in page],
            next_page_token=self.tokens.encode([offset + limit], request) if more else "",
            total_entries=len(rows),
        )

    async def FinalizeRound(self, request: pb.FinalizeRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.name, "name", violations)
        violations.raise_if_any()
        return await results.finalize_round(self.app, caller, contest_id, round_id, self.request_keys.key(request))

    async def GetJudgeDiagnostics(
        self, request: pb.GetJudgeDiagnosticsRequest, context: aio.ServicerContext
    ) -> pb.JudgeDiagnostics:
        require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        violations.raise_if_any()
        await round_store.get(self.pool, contest_id, round_id)
        sheets = domain_sheets(await sheet_store.for_round(self.pool, contest_id, round_id))

        def diagnose() -> tuple[list[pb.JudgeSeverity], float | None]:
            severities = judge_severity(sheets)
            rows = [
                pb.JudgeSeverity(
                    judge=codec.judge_name(s.judge_id),
                    severity=s.severity,
                    mean_absolute_deviation=s.mean_absolute_deviation,
                    sheet_count=s.sheet_count,
                )
                for _, s in sorted(severities.items())
            ]
            return rows, agreement(sheets)

        rows, icc = await asyncio.to_thread(diagnose)
        message = pb.JudgeDiagnostics(round=codec.round_name(contest_id, round_id), judges=rows)
        if icc is not None:
            message.agreement = icc
        return message

    async def ListAwards(self, request: pb.ListAwardsRequest, context: aio.ServicerContext) -> pb.ListAwardsResponse:
        require_role(*READERS)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        violations.raise_if_any()
        await contest_store.get(self.pool, contest_id)
        awards = await result_store.awards(self.pool, contest_id)
        return pb.ListAwardsResponse(awards=[codec.award_to_proto(a) for a in awards])

    # --- audit ------------------------------------------------------------------------------

    async def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: aio.ServicerContext
    ) -> pb.ListAuditEventsResponse:
        require_role(ADMIN)
        limit = page_size(request.page_size)
        after = self.tokens.decode(request.page_token, request)
        rows = await audit_store.list_page(self.pool, int(after[0]) if after else 0, limit + 1)
        page = rows[:limit]
        return pb.ListAuditEventsResponse(
            events=[codec.audit_to_proto(r) for r in page],
            next_page_token=self.tokens.encode([page[-1].seq], request) if len(rows) > limit else "",
        )

    async def VerifyAuditLog(
        self, request: pb.VerifyAuditLogRequest, context: aio.ServicerContext
    ) -> pb.VerifyAuditLogResponse:
        """Never INTERNAL for a damaged log: whatever was altered, removed, reordered or cannot be
        decoded is reported as the first broken record."""
        require_role(ADMIN)
        kept = None
        if request.HasField("checkpoint"):
            violations = ViolationCollector()
            sequence, head_hash = request.checkpoint.sequence, request.checkpoint.head_hash
            violations.check(sequence > 0, "checkpoint.sequence", "must be the positive sequence of a checkpoint")
            violations.check(
                len(head_hash) == 64 and all(c in "0123456789abcdef" for c in head_hash),
                "checkpoint.head_hash",
                "must be the 64 lower-case hex characters of the checkpoint's head hash",
            )
            violations.raise_if_any()
            kept = (sequence, head_hash)
        return await audit.verify(self.pool, self._audit_public_key, kept)

    async def GetAuditCheckpoint(
        self, request: pb.GetAuditCheckpointRequest, context: aio.ServicerContext
    ) -> pb.AuditCheckpoint:
        require_role(ADMIN)
        return await audit.checkpoint(self.pool, audit.public_hex(self._audit_public_key))
