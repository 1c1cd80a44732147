"""Concurrent writers over real gRPC: assignment creators against conflict introducers, and lock
order between a judge's new affiliations and sheets being submitted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from tests.competition.helpers import (
    Contest,
    admin,
    assigned_pairs,
    fresh_service,
    judge_auth,
    make_contest,
    round_message,
    scores,
    slug,
)

# Every write appends its audit record with its last statement; a table lock that refuses inserts
# stops each writer there, after its checks and with its locks held (there is no global audit lock
# any more to hold instead). The services of these tests run without the background sealer, whose
# updates of the table would wait too and be counted as a waiter.
AUDIT_APPENDS_HELD = "LOCK TABLE competition.audit_log IN EXCLUSIVE MODE"
NO_SEALER = {"audit_sealer_enabled": False}


@asynccontextmanager
async def audit_lock_held(running: RunningService) -> AsyncIterator[None]:
    """Refuse audit appends from another connection, so every writer stops at its last statement
    (or earlier, at a lock it waits for) until the block ends: the writers started inside overlap."""
    url = running.settings.database_url
    assert url is not None
    connection = await asyncpg.connect(url.get_secret_value())
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute(AUDIT_APPENDS_HELD)
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await connection.close()


async def wait_for_lock_waiters(running: RunningService, n: int) -> None:
    for _ in range(400):
        waiting = await running.pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if waiting >= n:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"expected {n} sessions waiting for a lock")


async def conflicted_assignments(running: RunningService, contest_id: str) -> list[tuple[str, str, str]]:
    """(round, judge, entry) of assignments that have a declared conflict."""
    rows = await running.pool.fetch(
        "SELECT a.round_id, a.judge_id, a.entry_id FROM assignments a JOIN declared_conflicts d"
        " ON d.contest_id = a.contest_id AND d.judge_id = a.judge_id AND d.entry_id = a.entry_id"
        " WHERE a.contest_id = $1",
        contest_id,
    )
    return [(r["round_id"], r["judge_id"], r["entry_id"]) for r in rows]


def create_assignment(stub: Any, c: Contest, judge_id: str, entry: str) -> Any:
    return stub.CreateAssignment(
        pb.CreateAssignmentRequest(round=c.round.name, judge=f"judges/{judge_id}", entry=entry), metadata=admin()
    )


def declare_conflict(stub: Any, judge_id: str, entry: str) -> Any:
    return stub.DeclareConflict(
        pb.DeclareConflictRequest(entry=entry, reason="曾任该团队顾问"), metadata=judge_auth(judge_id)
    )


async def affiliate(stub: Any, judge_id: str, organisation: str) -> pb.Judge:
    judge = await stub.GetJudge(pb.GetJudgeRequest(name=f"judges/{judge_id}"), metadata=admin())
    updated: pb.Judge = await stub.UpdateJudge(
        pb.UpdateJudgeRequest(
            judge=pb.Judge(name=judge.name, etag=judge.etag, affiliations=[organisation]),
            update_mask=FieldMask(paths=["affiliations"]),
        ),
        metadata=admin(),
    )
    return updated


def outcome(result: object) -> str:
    if isinstance(result, aio.AioRpcError):
        name: str = result.code().name
        return name
    assert not isinstance(result, BaseException), result
    return "OK"


async def test_create_assignment_racing_declare_conflict_never_keeps_both(postgres_url: str) -> None:
    async with fresh_service(postgres_url, **NO_SEALER) as (stub, running):
        c = await make_contest(stub, entries=10, judges=1, round_=round_message(judges_per_entry=1))
        judge_id = c.judge_id(0)
        for entry in c.entries:
            results = await asyncio.gather(
                create_assignment(stub, c, judge_id, entry.name),
                declare_conflict(stub, judge_id, entry.name),
                return_exceptions=True,
            )
            # Whichever commits first, the other sees it: the conflict is refused, or withdraws it.
            assert outcome(results[1]) == "OK"
            assert outcome(results[0]) in {"OK", "FAILED_PRECONDITION"}
        assert await conflicted_assignments(running, c.id) == []
        assert await assigned_pairs(stub, c.round.name) == []


async def test_create_assignment_overlapping_declare_conflict_is_refused(postgres_url: str) -> None:
    """Forced overlap: the assignment's checks pass, then the conflict is declared before it commits."""
    async with fresh_service(postgres_url, **NO_SEALER) as (stub, running):
        c = await make_contest(stub, entries=2, judges=2, round_=round_message(judges_per_entry=1))
        judge_id, entry = c.judge_id(0), c.entries[0].name
        async with audit_lock_held(running):
            create = asyncio.ensure_future(create_assignment(stub, c, judge_id, entry))
            await wait_for_lock_waiters(running, 1)
            declare = asyncio.ensure_future(declare_conflict(stub, judge_id, entry))
            await wait_for_lock_waiters(running, 2)
        results = await asyncio.gather(create, declare, return_exceptions=True)
        assert [outcome(r) for r in results] == ["OK", "OK"]
        # The declaration waited for the assignment and withdrew it.
        assert await conflicted_assignments(running, c.id) == []
        assert await assigned_pairs(stub, c.round.name) == []


async def test_auto_assign_overlapping_a_new_affiliation_keeps_no_conflicted_pair(postgres_url: str) -> None:
    async with fresh_service(postgres_url, **NO_SEALER) as (stub, running):
        c = await make_contest(stub, entries=2, judges=3, round_=round_message(judges_per_entry=3))
        judge_id, entry = c.judge_id(0), c.entries[0]
        async with audit_lock_held(running):
            auto = asyncio.ensure_future(stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin()))
            await wait_for_lock_waiters(running, 1)
            update = asyncio.ensure_future(affiliate(stub, judge_id, entry.team.organisations[0]))
            await wait_for_lock_waiters(running, 2)
        results = await asyncio.gather(auto, update, return_exceptions=True)
        assert [outcome(r) for r in results] == ["OK", "OK"]
        assert (judge_id, entry.name) not in await assigned_pairs(stub, c.round.name)


async def test_new_affiliation_overlapping_auto_assign_keeps_no_conflicted_pair(postgres_url: str) -> None:
    async with fresh_service(postgres_url, **NO_SEALER) as (stub, running):
        c = await make_contest(stub, entries=2, judges=3, round_=round_message(judges_per_entry=3))
        judge_id, entry = c.judge_id(0), c.entries[0]
        async with audit_lock_held(running):
            update = asyncio.ensure_future(affiliate(stub, judge_id, entry.team.organisations[0]))
            await wait_for_lock_waiters(running, 1)
            auto = asyncio.ensure_future(stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin()))
            await wait_for_lock_waiters(running, 2)
        results = await asyncio.gather(update, auto, return_exceptions=True)
        assert [outcome(r) for r in results] == ["OK", "OK"]
        pairs = await assigned_pairs(stub, c.round.name)
        assert (judge_id, entry.name) not in pairs
        assert (judge_id, c.entries[1].name) in pairs


async def test_new_affiliation_across_contests_does_not_deadlock_with_a_sheet(postgres_url: str) -> None:
    """UpdateJudge withdraws in two contests while a sheet of the second is submitted: every
    withdrawal comes before the first audit append, so neither waits on the other in a cycle."""
    async with fresh_service(postgres_url, **NO_SEALER) as (stub, running):
        a = await make_contest(stub, entries=1, judges=1, round_=round_message(judges_per_entry=1))
        judge_id = a.judge_id(0)
        organisation = a.entries[0].team.organisations[0]
        b = await stub.CreateContest(
            pb.CreateContestRequest(
                contest_id=slug("c"), contest=pb.Contest(display_name="B", year=2024, judges=[f"judges/{judge_id}"])
            ),
            metadata=admin(),
        )
        b_round = await stub.CreateRound(
            pb.CreateRoundRequest(parent=b.name, round_id="prelim", round=round_message(judges_per_entry=1)),
            metadata=admin(),
        )
        b_entry = await stub.CreateEntry(
            pb.CreateEntryRequest(
                parent=b.name,
                entry_id="e0",
                entry=pb.Entry(
                    title="x", domain=pb.DOMAIN_NEW_ENERGY_MATERIALS, team=pb.Team(organisations=[organisation])
                ),
            ),
            metadata=admin(),
        )
        for name in (a.round.name, b_round.name):
            await stub.AutoAssign(pb.AutoAssignRequest(round=name), metadata=admin())
            await stub.OpenRound(pb.OpenRoundRequest(name=name), metadata=admin())
        # Withdrawals run in contest-id order: submit into the contest withdrawn last.
        _, round_name, entry_name = max(
            (a.id, a.round.name, a.entries[0].name), (b.name.removeprefix("contests/"), b_round.name, b_entry.name)
        )
        async with audit_lock_held(running):
            update = asyncio.ensure_future(affiliate(stub, judge_id, organisation))
            await wait_for_lock_waiters(running, 1)
            submit = asyncio.ensure_future(
                stub.SubmitScoreSheet(
                    pb.SubmitScoreSheetRequest(round=round_name, entry=entry_name, scores=scores()),
                    metadata=judge_auth(judge_id),
                )
            )
            await wait_for_lock_waiters(running, 2)
        updated: object
        submitted: object
        updated, submitted = await asyncio.gather(update, submit, return_exceptions=True)
        assert outcome(updated) == "OK"
        # The withdrawal committed first: the sheet finds no assignment (or no longer may be scored).
        assert isinstance(submitted, aio.AioRpcError)
        assert submitted.code() == grpc.StatusCode.FAILED_PRECONDITION, submitted.details()
        for name in (a.round.name, b_round.name):
            assert await assigned_pairs(stub, name) == []
