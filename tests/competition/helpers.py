"""Builders and shortcuts for the competition API tests."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from services.common.server import RunningService
from services.competition.app.audit import AuditSealer
from services.competition.service import DEFINITION
from services.competition.settings import CompetitionSettings
from tests.support import auth, create_database, start, status_details

ADMIN = ("admin-1", "competition.admin")
VIEWER = ("viewer-1", "competition.viewer")
JUDGE_ROLE = "competition.judge"

_counter = itertools.count(1)


def judge_auth(judge_id: str) -> tuple[tuple[str, str], ...]:
    return auth(judge_id, JUDGE_ROLE)


def admin() -> tuple[tuple[str, str], ...]:
    return auth(*ADMIN)


def viewer() -> tuple[tuple[str, str], ...]:
    return auth(*VIEWER)


def slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


CRITERIA = [
    pb.Criterion(key="technology", display_name="技术", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="industrialisation", display_name="产业化", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="team", display_name="团队", weight=20, min_value=0, max_value=10, step=1),
    pb.Criterion(key="landing", display_name="落地意向", weight=20, min_value=0, max_value=10, step=1),
]


def contest_message(**overrides: Any) -> pb.Contest:
    fields: dict[str, Any] = {"display_name": "2024 全球精英创新创业大赛", "year": 2024}
    fields.update(overrides)
    return pb.Contest(**fields)


def round_message(**overrides: Any) -> pb.Round:
    fields: dict[str, Any] = {
        "display_name": "初赛",
        "kind": pb.ROUND_KIND_PRELIMINARY,
        "criteria": CRITERIA,
        "judges_per_entry": 3,
        "aggregation": pb.AGGREGATION_METHOD_MEAN,
        "advancement": pb.Advancement(top_n=2),
    }
    fields.update(overrides)
    return pb.Round(**fields)


def entry_message(**overrides: Any) -> pb.Entry:
    n = next(_counter)
    fields: dict[str, Any] = {
        "title": f"钙钛矿叠层电池 {n}",
        "team": pb.Team(
            leader=pb.TeamMember(display_name="李娜", role="首席科学家"),
            members=[pb.TeamMember(display_name="王强", role="工程师")],
            organisations=[f"Org {n} Ltd."],
        ),
        "domain": pb.DOMAIN_NEW_ENERGY_MATERIALS,
        "origin_country": "DE",
        "summary": "高效率叠层电池",
    }
    fields.update(overrides)
    return pb.Entry(**fields)


def judge_message(**overrides: Any) -> pb.Judge:
    fields: dict[str, Any] = {
        "display_name": "陈教授",
        "domains": [pb.DOMAIN_NEW_ENERGY_MATERIALS],
        "affiliations": ["Wenzhou University"],
    }
    fields.update(overrides)
    return pb.Judge(**fields)


def scores(technology: float = 8, industrialisation: float = 7, team: float = 6, landing: float = 5) -> list[Any]:
    return [
        pb.CriterionScore(criterion="technology", value=technology),
        pb.CriterionScore(criterion="industrialisation", value=industrialisation),
        pb.CriterionScore(criterion="team", value=team),
        pb.CriterionScore(criterion="landing", value=landing),
    ]


async def expect_error(call: Any, code: grpc.StatusCode) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """Await ``call`` (a coroutine), assert it fails with ``code``; return its error details."""
    with pytest.raises(aio.AioRpcError) as raised:
        await call
    assert raised.value.code() == code, raised.value.details()
    return status_details(raised.value)


async def count(service: RunningService, table: str, where: str = "true", *args: Any) -> int:
    value: int = await service.pool.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)
    return value


class Contest:
    """A contest set up through the API: one round, entries and judges, with handy names."""

    def __init__(self, contest: pb.Contest, round_: pb.Round, entries: list[pb.Entry], judges: list[pb.Judge]) -> None:
        self.contest = contest
        self.round = round_
        self.entries = entries
        self.judges = judges

    @property
    def id(self) -> str:
        return self.contest.name.removeprefix("contests/")

    def judge_id(self, i: int) -> str:
        return self.judges[i].name.removeprefix("judges/")


async def make_contest(
    stub: Any,
    *,
    entries: int = 4,
    judges: int = 3,
    round_: pb.Round | None = None,
    judge_affiliations: list[list[str]] | None = None,
    panel: bool = True,
) -> Contest:
    """A contest with one round, its entries and its judges — on the contest's panel unless
    ``panel`` is false (then AutoAssign draws from every judge of the database)."""
    created_judges = []
    for i in range(judges):
        affiliations = judge_affiliations[i] if judge_affiliations else [f"University {uuid.uuid4().hex[:6]}"]
        created_judges.append(
            await stub.CreateJudge(
                pb.CreateJudgeRequest(judge=judge_message(affiliations=affiliations), judge_id=slug("j")),
                metadata=admin(),
            )
        )
    message = contest_message(judges=[j.name for j in created_judges] if panel else [])
    contest = await stub.CreateContest(pb.CreateContestRequest(contest=message, contest_id=slug("c")), metadata=admin())
    created_round = await stub.CreateRound(
        pb.CreateRoundRequest(parent=contest.name, round=round_ or round_message(), round_id="prelim"),
        metadata=admin(),
    )
    batch = await stub.BatchCreateEntries(
        pb.BatchCreateEntriesRequest(
            parent=contest.name,
            requests=[pb.CreateEntryRequest(entry=entry_message(), entry_id=f"e{i}") for i in range(entries)],
        ),
        metadata=admin(),
    )
    return Contest(contest, created_round, list(batch.entries), created_judges)


async def assigned_pairs(stub: Any, round_name: str) -> list[tuple[str, str]]:
    """(judge_id, entry_name) of every assignment of the round."""
    pairs: list[tuple[str, str]] = []
    token = ""
    while True:
        page = await stub.ListAssignments(
            pb.ListAssignmentsRequest(round=round_name, page_size=500, page_token=token), metadata=admin()
        )
        pairs += [(a.judge.removeprefix("judges/"), a.entry) for a in page.assignments]
        token = page.next_page_token
        if not token:
            return pairs


async def open_round(stub: Any, judges: int = 3, entries: int = 3) -> tuple[Contest, list[tuple[str, str]]]:
    """A contest whose round is OPEN, every judge assigned to every entry; its (judge_id, entry) pairs."""
    c = await make_contest(stub, entries=entries, judges=judges, round_=round_message(judges_per_entry=judges))
    await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    return c, await assigned_pairs(stub, c.round.name)


@asynccontextmanager
async def fresh_service(postgres_url: str, **overrides: object) -> AsyncIterator[tuple[Any, RunningService]]:
    """A competition server on a database of its own (judges are global, so counts that depend on
    which judges exist need one), and a stub on it."""
    running = await start(CompetitionSettings, DEFINITION, await create_database(postgres_url), **overrides)
    try:
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            yield competition_pb2_grpc.CompetitionServiceStub(channel), running
    finally:
        await running.stop(grace=0)


def digest_row(row: pb.LeaderboardRow) -> dict[str, Any]:
    """A returned leaderboard row as the flat mapping the frozen snapshot's digest covers."""
    return {
        "rank": row.rank,
        "entry_id": row.entry.rsplit("/", 1)[1],
        "title": row.title,
        "score": row.score,
        "display_score": row.display_score,
        "sheet_count": row.sheet_count,
        "spread": row.spread,
        "robustness": row.robustness,
        "method_sensitive": row.method_sensitive,
        "within_cut": row.within_cut,
        "outcome": pb.Outcome.Name(row.outcome).removeprefix("OUTCOME_") if row.outcome else "",
        "award_tier": row.award_tier,
    }


async def seal_audit(service: RunningService) -> int:
    """Seal every committed audit record now (as the background sealer would within a second),
    so that a test reads the chain without waiting; returns the records sealed."""
    assert isinstance(service.settings, CompetitionSettings)
    sealer = AuditSealer(service.pool, service.settings)
    total = 0
    while True:
        sealed = await sealer.seal_once()
        total += sealed
        unsealed = await service.pool.fetchval("SELECT count(*) FROM audit_log WHERE seq IS NULL")
        if not unsealed:
            return total
        if not sealed:  # another sealer holds the lock for a moment
            await asyncio.sleep(0.02)
