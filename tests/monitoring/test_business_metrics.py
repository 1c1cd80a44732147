"""The business gauges on the real /metrics endpoints: the contract of issue 4 is exported, values follow
data driven through the API, labels stay bounded, the reads are a fixed handful of queries, and a
collector that cannot reach PostgreSQL reports `competition_business_metrics_up 0` while the gRPC and
process metrics keep being served.

Scrapes go through `asyncio.to_thread`: the collector hands its database read to the service's event
loop, which is this test's loop, so a scrape from this thread would deadlock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg
import pytest
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from services.common.embedded_pg import EmbeddedPostgres
from services.common.server import RunningService
from services.competition.api.business_metrics import read_families
from services.competition.api.landing import district_today, end_of_district_day
from services.competition.domain.landing import (
    DEFAULT_STAGE_PROBABILITIES,
    DEFAULT_UNRECORDED_PROBABILITY,
    LandingStage,
)
from services.competition.service import DEFINITION
from services.competition.settings import CompetitionSettings
from tests.competition.landing_seed import seed_contest, seed_open_round
from tests.competition.test_landing_api import TENCENT, land, move
from tests.support import auth, start

from .metric_names import CONTRACT_METRICS, scrape

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
S = pb.LandingStage
VIEWER = auth("metrics-viewer", "competition.viewer")


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


LANDING_GAUGES = {
    "pool_entries": "competition_landing_pool_entries",
    "landed_entries": "competition_landed_entries",
    "ratio": "competition_landing_ratio",
    "target_ratio": "competition_landing_target_ratio",
    "target_entries": "competition_landing_target_entries",
    "projected_entries": "competition_landing_projected_entries",
    "deadline_timestamp_seconds": "competition_landing_deadline_timestamp_seconds",
}


def landing_values(samples: Samples, contest: str) -> dict[str, float | None]:
    return {key: value(samples, name, contest=contest) for key, name in LANDING_GAUGES.items()}


async def test_the_contract_metrics_are_exported(exported_metric_names: frozenset[str]) -> None:
    missing = CONTRACT_METRICS - exported_metric_names
    assert not missing, f"metrics of the contract the services do not export: {sorted(missing)}"


async def test_landing_gauges_follow_the_landing_api(
    competition_service: RunningService, competition_stub: Any
) -> None:
    deadline = district_today() + timedelta(days=10)
    contest = await seed_contest(competition_service.pool, awarded=5, deadline=deadline, min_landed=4, min_ratio=0.7)
    port = competition_service.metrics_port

    before = landing_values(await asyncio.to_thread(scrape, port), contest.id)
    assert before == {
        "pool_entries": 5,
        "landed_entries": 0,
        "ratio": 0,
        "target_ratio": pytest.approx(0.7),
        "target_entries": 4,
        "projected_entries": pytest.approx(5 * DEFAULT_UNRECORDED_PROBABILITY),
        "deadline_timestamp_seconds": end_of_district_day(deadline).timestamp(),
    }
    # The end of the deadline day in the district (UTC+8): 16:00 UTC that day.
    assert datetime.fromtimestamp(before["deadline_timestamp_seconds"] or 0, UTC) == datetime(
        deadline.year, deadline.month, deadline.day, 16, tzinfo=UTC
    )

    await land(competition_stub, contest.awarded[0])
    await land(competition_stub, contest.awarded[1], TENCENT)
    await move(competition_stub, contest.awarded[2], S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    await move(competition_stub, contest.awarded[3], S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    await move(competition_stub, contest.awarded[3], S.LANDING_STAGE_INTENT, S.LANDING_STAGE_DROPPED, drop_reason="x")
    after = landing_values(await asyncio.to_thread(scrape, port), contest.id)
    expected_projection = 2 + DEFAULT_STAGE_PROBABILITIES[LandingStage.INTENT] + DEFAULT_UNRECORDED_PROBABILITY
    assert after["landed_entries"] == 2 and after["pool_entries"] == 5
    assert after["ratio"] == pytest.approx(0.4)
    assert after["projected_entries"] == pytest.approx(expected_projection)

    # The gauges and GetLandingStatus tell the same story.
    status = await competition_stub.GetLandingStatus(pb.GetLandingStatusRequest(contest=contest.name), metadata=VIEWER)
    assert (status.pool_size, status.landed) == (after["pool_entries"], after["landed_entries"])
    assert status.landing_ratio == pytest.approx(after["ratio"])
    assert status.projected_landed == pytest.approx(after["projected_entries"])


async def test_undefined_gauges_are_absent(competition_service: RunningService) -> None:
    # No final round yet: the pool is empty, so there is no ratio; no deadline, so no deadline gauge.
    contest = await seed_contest(competition_service.pool, final_round=False)
    values = landing_values(await asyncio.to_thread(scrape, competition_service.metrics_port), contest.id)
    assert values["pool_entries"] == 0 and values["landed_entries"] == 0 and values["projected_entries"] == 0
    assert values["target_ratio"] == pytest.approx(0.6) and values["target_entries"] == 5
    assert values["ratio"] is None, "an empty pool has no ratio: absent, not 0 or NaN"
    assert values["deadline_timestamp_seconds"] is None


async def test_judging_gauges_per_round(competition_service: RunningService) -> None:
    contest = await seed_contest(competition_service.pool)
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=20)
    await seed_open_round(competition_service.pool, contest.id, judges=3, entries=4, submitted=5, deadline=deadline)
    samples = await asyncio.to_thread(scrape, competition_service.metrics_port)
    semi = {"contest": contest.id, "round": "semi"}
    assert value(samples, "competition_judging_expected_sheets", **semi) == 12
    assert value(samples, "competition_judging_submitted_sheets", **semi) == 5
    assert value(samples, "competition_round_open", **semi) == 1
    assert value(samples, "competition_round_deadline_timestamp_seconds", **semi) == deadline.timestamp()
    final = {"contest": contest.id, "round": "final"}
    assert value(samples, "competition_round_open", **final) == 0
    assert value(samples, "competition_judging_expected_sheets", **final) == 0
    assert value(samples, "competition_round_deadline_timestamp_seconds", **final) is None

    # A withdrawn assignment (a conflict declared after assignment) takes its sheet out of both counts.
    await competition_service.pool.execute(
        "DELETE FROM score_sheets WHERE contest_id = $1 AND round_id = 'semi' AND entry_id = 'e001'", contest.id
    )
    await competition_service.pool.execute(
        "DELETE FROM assignments WHERE contest_id = $1 AND round_id = 'semi' AND entry_id = 'e001'", contest.id
    )
    samples = await asyncio.to_thread(scrape, competition_service.metrics_port)
    assert value(samples, "competition_judging_expected_sheets", **semi) == 9
    assert value(samples, "competition_judging_submitted_sheets", **semi) == 2


async def test_business_labels_are_bounded(
    exported_metric_names: frozenset[str], competition_service: RunningService, talent_service: RunningService
) -> None:
    allowed = {"competition_": {"contest", "round"}, "talent_": {"year", "target", "level", "stage"}}
    for service in (competition_service, talent_service):
        samples = await asyncio.to_thread(scrape, service.metrics_port)
        for name, labels in samples:
            for prefix, keys in allowed.items():
                if name.startswith(prefix):
                    assert {key for key, _ in labels} <= keys, (name, labels)


class CountingPool:
    """Counts the queries a reader sends (the collector must not issue one per contest or round)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.queries = 0

    async def fetch(self, *args: Any) -> list[asyncpg.Record]:
        self.queries += 1
        rows: list[asyncpg.Record] = await self.pool.fetch(*args)
        return rows

    async def fetchrow(self, *args: Any) -> asyncpg.Record | None:
        self.queries += 1
        return await self.pool.fetchrow(*args)


async def test_the_reader_sends_a_fixed_number_of_queries(competition_service: RunningService) -> None:
    counting = CountingPool(competition_service.pool)
    await read_families(cast(asyncpg.Pool, counting), DEFAULT_STAGE_PROBABILITIES, DEFAULT_UNRECORDED_PROBABILITY)
    first = counting.queries
    for _ in range(3):
        contest = await seed_contest(competition_service.pool)
        await seed_open_round(competition_service.pool, contest.id)
    counting.queries = 0
    await read_families(cast(asyncpg.Pool, counting), DEFAULT_STAGE_PROBABILITIES, DEFAULT_UNRECORDED_PROBABILITY)
    # Landing, judging, and the audit chain's sealing state.
    assert counting.queries == first == 3


async def test_a_collector_without_its_database_reports_up_0_and_keeps_serving(tmp_path: Path) -> None:
    database = EmbeddedPostgres(tmp_path / "pg")
    await asyncio.to_thread(database.start)
    running = await start(CompetitionSettings, DEFINITION, database.url)
    try:
        contest = await seed_contest(running.pool, deadline=district_today())
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = competition_pb2_grpc.CompetitionServiceStub(channel)
            await stub.GetLandingStatus(pb.GetLandingStatusRequest(contest=contest.name), metadata=VIEWER)
        up = await asyncio.to_thread(scrape, running.metrics_port)
        assert value(up, "competition_business_metrics_up") == 1
        assert value(up, "competition_landing_pool_entries", contest=contest.id) == 5

        await asyncio.to_thread(database.stop)
        down = await asyncio.to_thread(scrape, running.metrics_port)
        assert value(down, "competition_business_metrics_up") == 0
        names = {name for name, _ in down}
        assert not {name for name in names if name.startswith(("competition_landing", "competition_judging"))}
        handled = {labels: v for (name, labels), v in down.items() if name == "grpc_server_handled_total"}
        assert any(("grpc_method", "GetLandingStatus") in labels and v >= 1 for labels, v in handled.items())
        assert {"grpc_server_started_total", "process_cpu_seconds_total", "python_info"} <= names

        await asyncio.to_thread(database.start)
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            back = await asyncio.to_thread(scrape, running.metrics_port)
            if value(back, "competition_business_metrics_up") == 1:
                break
            assert asyncio.get_running_loop().time() < deadline, "the collector did not recover"
            await asyncio.sleep(0.2)
        assert value(back, "competition_landing_pool_entries", contest=contest.id) == 5
    finally:
        await running.stop(0)
        await asyncio.to_thread(database.stop, "immediate")
