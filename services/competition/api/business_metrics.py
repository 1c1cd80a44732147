"""Competition business gauges for Prometheus, read at scrape time (see services.common.metrics).

Labels are bounded: the contest id, and the round id within a contest; never an entry, a judge or a
company. A gauge that is undefined is absent rather than 0: the landing ratio of an empty pool, the
deadline of a contest or round without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import asyncpg
from prometheus_client.core import Metric

from services.common.metrics import gauge
from services.competition.api.landing import district_today, end_of_district_day
from services.competition.domain.landing import LandingStage, landing_status
from services.competition.store import audit, reports


async def read_families(
    pool: asyncpg.Pool, probabilities: Mapping[LandingStage, float], unrecorded_probability: float
) -> list[Metric]:
    contests = await reports.landing_by_contest(pool)
    rounds = await reports.judging_by_round(pool)
    sealing = await audit.sealing_state(pool)
    now = datetime.now(UTC)
    today = district_today()
    statuses = [
        (
            contest,
            landing_status(
                contest.pool_size, contest.stage_counts, contest.targets, today, probabilities, unrecorded_probability
            ),
        )
        for contest in contests
    ]
    per_contest = ["contest"]
    per_round = ["contest", "round"]
    return [
        gauge(
            "competition_landing_pool_entries",
            "Entries in the contest's landing pool (awarded entries, or finalists).",
            per_contest,
            [([c.contest_id], s.pool_size) for c, s in statuses],
        ),
        gauge(
            "competition_landed_entries",
            "Pool entries whose landing reached REGISTERED or OPERATING.",
            per_contest,
            [([c.contest_id], s.landed) for c, s in statuses],
        ),
        gauge(
            "competition_landing_ratio",
            "Landed entries / landing pool entries (0-1); absent while the pool is empty.",
            per_contest,
            [([c.contest_id], s.rate) for c, s in statuses],
        ),
        gauge(
            "competition_landing_target_ratio",
            "The contest's minimum landing ratio (0-1).",
            per_contest,
            [([c.contest_id], c.targets.min_rate) for c, _ in statuses],
        ),
        gauge(
            "competition_landing_target_entries",
            "The contest's minimum number of landed entries.",
            per_contest,
            [([c.contest_id], c.targets.min_landed) for c, _ in statuses],
        ),
        gauge(
            "competition_landing_projected_entries",
            "Projected landed entries: landed + the per-stage probability of the rest of the pool.",
            per_contest,
            [([c.contest_id], s.projected_landed) for c, s in statuses],
        ),
        gauge(
            "competition_landing_deadline_timestamp_seconds",
            "End of the landing deadline day in the district (Asia/Shanghai), as a Unix time; absent without one.",
            per_contest,
            [
                ([c.contest_id], end_of_district_day(c.targets.deadline).timestamp() if c.targets.deadline else None)
                for c, _ in statuses
            ],
        ),
        gauge(
            "competition_judging_expected_sheets",
            "Score sheets the round's current assignments expect.",
            per_round,
            [([r.contest_id, r.round_id], r.expected_sheets) for r in rounds],
        ),
        gauge(
            "competition_judging_submitted_sheets",
            "Score sheets submitted for the round's current assignments.",
            per_round,
            [([r.contest_id, r.round_id], r.submitted_sheets) for r in rounds],
        ),
        gauge(
            "competition_round_open",
            "1 while the round is OPEN for score sheets, else 0.",
            per_round,
            [([r.contest_id, r.round_id], 1 if r.state == "OPEN" else 0) for r in rounds],
        ),
        gauge(
            "competition_round_deadline_timestamp_seconds",
            "The round's judging deadline as a Unix time; absent without one.",
            per_round,
            [
                ([r.contest_id, r.round_id], r.judging_deadline.timestamp() if r.judging_deadline else None)
                for r in rounds
            ],
        ),
        # The audit chain (app.audit): keep these series, and a drop of the sealed or checkpoint
        # sequence is a truncated log; a growing age of the oldest unsealed record is a stuck sealer.
        gauge(
            "competition_audit_sealed_sequence",
            "Sequence of the newest audit record sealed into the hash chain.",
            [],
            [([], sealing.sealed_seq)],
        ),
        gauge(
            "competition_audit_checkpoint_sequence",
            "Sequence covered by the newest signed audit checkpoint.",
            [],
            [([], sealing.checkpoint_seq)],
        ),
        gauge(
            "competition_audit_checkpoint_timestamp_seconds",
            "When the newest audit checkpoint was signed, as a Unix time; absent before the first.",
            [],
            [([], sealing.checkpoint_time.timestamp() if sealing.checkpoint_time else None)],
        ),
        gauge(
            "competition_audit_unsealed_records",
            "Audit records appended but not sealed into the chain yet.",
            [],
            [([], sealing.unsealed)],
        ),
        gauge(
            "competition_audit_oldest_unsealed_age_seconds",
            "Age of the oldest audit record not sealed yet, in seconds; 0 when every record is sealed.",
            [],
            [([], max(0.0, (now - sealing.oldest_unsealed).total_seconds()) if sealing.oldest_unsealed else 0.0)],
        ),
    ]
