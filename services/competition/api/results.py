"""Results RPCs: leaderboards, finalization (snapshot, outcomes, awards), judge diagnostics, awards
and the audit log.

A leaderboard before FINALIZED is for admins only (it shows scores: blind review); once FINALIZED
every role reads the frozen snapshot.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from grpc import aio
from prometheus_client.core import CounterMetricFamily, Metric

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import require_role
from services.common.errors import ViolationCollector, permission_denied
from services.common.idempotency import run_once
from services.common.pagination import page_size
from services.common.server import Platform
from services.common.singleflight import SingleFlight
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
    snapshot_rows,
)
from services.competition.domain.scoring import AggregationMethod, Criterion, GridScorer, Sheet
from services.competition.domain.stages import RoundState, check_round_transition, ensure_round_writable
from services.competition.store import audit
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import results as result_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store
from services.competition.store.results import Snapshot

BLIND_REVIEW = "BLIND_REVIEW"


def domain_sheets(
    sheets: list[ScoreSheet], criteria: Sequence[Criterion], entry_ids: set[str] | None = None
) -> list[Sheet]:
    """The stored sheets as exact domain sheets: values snapped onto their criteria's grids and scored
    exactly (the stored ``total`` is a float rendering and is not used)."""
    scorer = GridScorer(criteria)
    return [
        scorer.sheet(s.judge_id, s.entry_id, s.scores) for s in sheets if entry_ids is None or s.entry_id in entry_ids
    ]


# Live leaderboards kept per (round, round version, method, sheets, entries): paging through 1,000
# entries or polling an open round does not rerun the bootstrap while nothing changed, and concurrent
# identical requests share one computation. Frozen snapshots are kept the same way (they never change).
LEADERBOARD_CACHE_SIZE = 32
LiveKey = tuple[str, str, int, str, str, str]


@dataclass(frozen=True)
class ComputedBoard:
    lines: list[LeaderboardLine]


class ResultsMethods(ServicerBase):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.live_boards: SingleFlight[LiveKey, ComputedBoard] = SingleFlight(LEADERBOARD_CACHE_SIZE)
        self.frozen_boards: SingleFlight[tuple[str, str], Snapshot] = SingleFlight(LEADERBOARD_CACHE_SIZE)

    def _compute_live(
        self, raw: list[tuple[str, str, str]], entry_ids: list[str], current: Round, method: AggregationMethod
    ) -> ComputedBoard:
        """In a worker thread: decode and score the sheets exactly, rank, run the bootstrap."""
        criteria = current.domain_criteria()
        scorer = GridScorer(criteria)
        sheets = [scorer.sheet(judge_id, entry_id, json.loads(values)) for entry_id, judge_id, values in raw]
        lines = compute_leaderboard(
            sheets,
            criteria,
            method,
            cut_rule(current.advancement, current.award_tiers),
            self.settings.bootstrap_resamples,
            DEFAULT_SEED,
            entry_ids=entry_ids,
        )
        return ComputedBoard(lines)

    async def _live_lines(self, current: Round, method: AggregationMethod) -> list[LeaderboardLine]:
        """The live leaderboard of the round. A cache hit costs two small queries; a miss reads the
        sheets and computes in a worker thread, once for every concurrent identical request."""
        sheets_key = await sheet_store.fingerprint(self.pool, current.contest_id, current.id)
        entries_key = await round_store.entries_fingerprint(self.pool, current)
        key: LiveKey = (current.contest_id, current.id, current.version, method.value, sheets_key, entries_key)

        async def compute() -> ComputedBoard:
            entry_ids = await round_store.entry_ids(self.pool, current)
            raw = await sheet_store.raw_values(self.pool, current.contest_id, current.id)
            return await asyncio.to_thread(self._compute_live, raw, entry_ids, current, method)

        return (await self.live_boards.run(key, compute)).lines

    async def _frozen(self, contest_id: str, round_id: str) -> Snapshot:
        async def read() -> Snapshot:
            snapshot = await result_store.snapshot(self.pool, contest_id, round_id)
            assert snapshot is not None, "a FINALIZED round always has its snapshot"
            return snapshot

        return await self.frozen_boards.run((contest_id, round_id), read)

    def flight_families(self) -> list[Metric]:
        """Counters of the live-leaderboard computations, for the metrics endpoint (no labels: the
        business metrics carry only contest and round labels)."""
        stats = self.live_boards.stats
        return [
            CounterMetricFamily(
                "competition_live_leaderboard_computations",
                "Live leaderboards computed (sheets read, scored and bootstrapped) since start.",
                value=stats.computed,
            ),
            CounterMetricFamily(
                "competition_live_leaderboard_shared",
                "Live-leaderboard reads answered without computing: by a computation already running for an "
                "identical request, or from the cache.",
                value=stats.joined + stats.cached,
            ),
        ]

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
        # Rows are a ranked list: the position is the offset into it.
        offset = int(after[0]) if after else 0
        if frozen:
            snapshot = await self._frozen(contest_id, round_id)
            total = len(snapshot.rows)
            rows: list[dict[str, Any]] = [dict(r) for r in snapshot.rows[offset : offset + limit]]
            method = AggregationMethod(snapshot.method)
            digest = snapshot.digest
            resamples = snapshot.bootstrap_resamples
        else:
            method = requested or current.aggregation
            lines = await self._live_lines(current, method)
            total = len(lines)
            page_lines = lines[offset : offset + limit]
            titles = await entry_store.titles(self.pool, contest_id, [line.entry_id for line in page_lines])
            rows = [dict(row) for row in snapshot_rows(page_lines, titles, [])]
            digest = ""
            resamples = self.settings.bootstrap_resamples
        more = offset + limit < total
        return pb.Leaderboard(
            round=codec.round_name(contest_id, round_id),
            method=codec.method_to_proto(method),
            frozen=frozen,
            digest=digest,
            bootstrap_resamples=resamples,
            rows=[codec.leaderboard_row_to_proto(contest_id, row) for row in rows],
            next_page_token=self.tokens.encode([offset + limit], request) if more else "",
            total_entries=total,
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
            sheets = domain_sheets(
                await sheet_store.for_round(connection, contest_id, round_id), current.domain_criteria(), set(entry_ids)
            )
            lines = await asyncio.to_thread(
                compute_leaderboard,
                sheets,
                current.domain_criteria(),
                current.aggregation,
                cut_rule(current.advancement, current.award_tiers),
                self.settings.bootstrap_resamples,
                DEFAULT_SEED,
                entry_ids,
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
        current = await round_store.get(self.pool, contest_id, round_id)
        raw = await sheet_store.raw_values(self.pool, contest_id, round_id)
        scorer = GridScorer(current.domain_criteria())

        def diagnose() -> tuple[list[pb.JudgeSeverity], float | None]:
            # Decoding and scoring the sheets too run here, off the event loop.
            sheets = [scorer.sheet(judge_id, entry_id, json.loads(values)) for entry_id, judge_id, values in raw]
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
