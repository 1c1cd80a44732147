"""Results RPCs: leaderboards, finalization (snapshot, outcomes, awards), judge diagnostics, awards
and the audit log.

A leaderboard before FINALIZED is for admins only (it shows scores: blind review); once FINALIZED
every role reads the frozen snapshot.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from grpc import aio
from prometheus_client.core import CounterMetricFamily, Metric

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import require_role
from services.common.errors import ViolationCollector, permission_denied
from services.common.pagination import page_size
from services.common.server import Platform
from services.common.singleflight import SingleFlight
from services.competition.api import codec
from services.competition.api.base import ADMIN, READERS, ServicerBase
from services.competition.api.names import contest_ref, round_ref
from services.competition.app import audit, results
from services.competition.domain.diagnostics import agreement, judge_severity
from services.competition.domain.models import Round
from services.competition.domain.ranking import DEFAULT_SEED
from services.competition.domain.results import (
    LeaderboardLine,
    compute_leaderboard,
    cut_rule,
    snapshot_rows,
)
from services.competition.domain.scoring import AggregationMethod, GridScorer
from services.competition.domain.stages import RoundState
from services.competition.store import audit as audit_store
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import results as result_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store
from services.competition.store.results import Snapshot

BLIND_REVIEW = "BLIND_REVIEW"


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
        self._audit_public_key = audit.signing_key(self.settings).public_key()
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
        return await results.finalize_round(self.app, caller, contest_id, round_id, self.request_keys.key(request))

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
