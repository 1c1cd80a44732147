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
from services.common.idempotency import run_once
from services.common.pagination import page_size
from services.common.server import Platform
from services.competition.api import codec
from services.competition.api.base import ADMIN, READERS, ServicerBase
from services.competition.api.names import contest_ref, round_ref
from services.competition.domain import setup as rules
from services.competition.domain.audit import verify_chain
from services.competition.domain.diagnostics import agreement, judge_severity
from services.competition.domain.models import Round, ScoreSheet
from services.competition.domain.ranking import DEFAULT_SEED, leaderboard_digest
from services.competition.domain.results import (
    LeaderboardLine,
    compute_leaderboard,
    cut_rule,
    freeze_row,
    round_results,
    sheets_fingerprint,
    snapshot_rows,
)
from services.competition.domain.scoring import AggregationMethod, Sheet
from services.competition.domain.stages import RoundState, check_round_transition, ensure_round_writable
from services.competition.store import audit
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

        async def finalize(connection: asyncpg.Connection) -> pb.Round:
            current = await round_store.get(connection, contest_id, round_id, lock="FOR UPDATE")
            ensure_round_writable(current.state)
            check_round_transition(current.state, RoundState.FINALIZED)
            before = await round_store.previous(connection, current)
            rules.ensure_previous_finalized(contest_id, before, "finalized")
            entry_ids = await round_store.entry_ids(connection, current)
            sheets = domain_sheets(await sheet_store.for_round(connection, contest_id, round_id), set(entry_ids))
            lines = await asyncio.to_thread(
                compute_leaderboard,
                sheets,
                current.domain_criteria(),
                current.aggregation,
                cut_rule(current.advancement, current.award_tiers),
                self.settings.bootstrap_resamples,
                DEFAULT_SEED,
            )
            results = round_results(lines, entry_ids, current.award_tiers)
            titles = await entry_store.titles(connection, contest_id, entry_ids)
            rows = [freeze_row(row) for row in snapshot_rows(lines, titles, results)]
            digest = leaderboard_digest(rows)
            await result_store.save(
                connection,
                contest_id,
                round_id,
                current.aggregation.value,
                rows,
                digest,
                results,
                self.settings.bootstrap_resamples,
            )
            finalized = await round_store.set_state(
                connection, current, RoundState.FINALIZED, leaderboard_digest=digest
            )
            await audit.append(
                connection,
                caller.subject,
                "round.finalized",
                {
                    "contest": contest_id,
                    "round": round_id,
                    "digest": digest,
                    "advanced": sorted(r.entry_id for r in results if r.outcome.value == "ADVANCED"),
                    "awards": [
                        {"entry": r.entry_id, "tier": r.award_tier, "rank": r.rank} for r in results if r.award_tier
                    ],
                },
            )
            return codec.round_to_proto(finalized)

        return await run_once(self.pool, self.request_keys.key(request), pb.Round, finalize)

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
        rows = await audit.list_page(self.pool, int(after[0]) if after else 0, limit + 1)
        page = rows[:limit]
        return pb.ListAuditEventsResponse(
            events=[codec.audit_to_proto(r) for r in page],
            next_page_token=self.tokens.encode([page[-1].seq], request) if len(rows) > limit else "",
        )

    async def VerifyAuditLog(
        self, request: pb.VerifyAuditLogRequest, context: aio.ServicerContext
    ) -> pb.VerifyAuditLogResponse:
        require_role(ADMIN)
        rows = await audit.read_all(self.pool)
        verdict = await asyncio.to_thread(verify_chain, rows)
        return pb.VerifyAuditLogResponse(
            intact=verdict.ok,
            events_checked=len(rows) if verdict.ok else verdict.rows_checked,
            first_broken_sequence=verdict.first_broken_seq or 0,
            reason=verdict.reason,
        )
