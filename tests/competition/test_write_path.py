"""The score sheet write path: two statements, no global lock, and a held-open write that blocks
only the one sheet it writes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import grpc
import pytest

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller, current_caller
from services.common.errors import DomainError
from services.common.idempotency import RequestKeys
from services.common.server import RunningService
from services.competition.app import judging, setup
from services.competition.app.context import App
from services.competition.domain.models import JudgeFields, ScoreSheet
from services.competition.settings import CompetitionSettings
from services.competition.store import sheets as sheet_store
from tests.competition.helpers import (
    Contest,
    admin,
    fresh_service,
    judge_auth,
    judge_message,
    open_round,
    scores,
    slug,
)

# What every competition write took before the audit log was sealed off the write path.
OLD_GLOBAL_AUDIT_LOCK = "SELECT pg_advisory_xact_lock(hashtext('competition.audit_log'))"
# Liveness bound for calls that must not wait for the held transaction (not a performance check).
NOT_BLOCKED_SECONDS = 30


def introspection(query: str) -> bool:
    """asyncpg's own look-up of the types of a statement it prepares on a connection for the first
    time (array types, here): once per connection, not the use case's."""
    return "pg_catalog.pg_type" in query or "set_config('jit'" in query


class LoggedPool:
    """The service's pool, recording every statement its connections run while lent out (the
    connection's reset on release, which asyncpg sends after the block, is not the use case's, nor is
    asyncpg's introspection of types)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements: list[str] = []
        # The error each statement failed with (None: it succeeded), in the same order.
        self.errors: list[BaseException | None] = []

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        async with self.pool.acquire() as connection:

            def log(query: Any) -> None:
                if not introspection(query.query):
                    self.statements.append(query.query)
                    self.errors.append(query.exception)

            connection.add_query_logger(log)
            try:
                yield connection
            finally:
                connection.remove_query_logger(log)

    # As asyncpg.Pool's (what the sheets' group commit runs its statements with).
    async def fetch(self, query: str, *args: Any) -> list[Any]:
        async with self.acquire() as connection:
            return list(await connection.fetch(query, *args))

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.acquire() as connection:
            return await connection.fetchval(query, *args)


def submit(stub: Any, c: Contest, judge_id: str, entry: str, **values: float) -> Any:
    return stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(**values)),
        metadata=judge_auth(judge_id),
    )


async def test_a_score_sheet_costs_two_statements_and_no_transaction_block(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c, pairs = await open_round(competition_stub, judges=1, entries=2)
    (judge_id, entry), (_, other_entry) = pairs
    settings = competition_service.settings
    assert isinstance(settings, CompetitionSettings)
    logged = LoggedPool(competition_service.pool)
    app = App(logged, settings)  # type: ignore[arg-type]
    caller = Caller(judge_id, frozenset({"competition.judge"}))
    values = {"technology": 8.0, "industrialisation": 7.0, "team": 6.0, "landing": 5.0}
    submission = judging.SheetSubmission(c.id, "prelim", entry.rsplit("/", 1)[1], values, "")
    sheet = await judging.submit_score_sheet(app, caller, submission, None)
    assert sheet.version == 1
    assert len(logged.statements) == 2, logged.statements
    assert not any(s.strip().upper().startswith(("BEGIN", "COMMIT", "START")) for s in logged.statements)
    # A first sheet in a round this replica has read OPEN is the write alone.
    logged.statements.clear()
    other = judging.SheetSubmission(c.id, "prelim", other_entry.rsplit("/", 1)[1], values, "")
    assert (await judging.submit_score_sheet(app, caller, other, None)).version == 1
    assert len(logged.statements) == 1, logged.statements
    # A correction (the upsert path) costs two: this replica knows the pair is scored.
    logged.statements.clear()
    corrected = await judging.submit_score_sheet(app, caller, submission, None)
    assert corrected.version == 2 and len(logged.statements) == 2
    # The stored sheet is the one answered: no read-back was needed.
    versions = await sheet_store.history(competition_service.pool, c.id, "prelim", submission.entry_id, judge_id)
    assert [v.version for v in versions] == [1, 2]
    assert versions[-1].submit_time == corrected.submit_time.ToDatetime(tzinfo=UTC)
    # With a request id: still two (the key is stored by the write); its retry is one read.
    request = pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(), request_id="two-statements")
    token = current_caller.set(caller)
    try:
        key = RequestKeys(b"statement-count-test-secret").key(request)
    finally:
        current_caller.reset(token)
    logged.statements.clear()
    keyed = await judging.submit_score_sheet(app, caller, submission, key)
    assert keyed.version == 3 and len(logged.statements) == 2
    logged.statements.clear()
    assert await judging.submit_score_sheet(app, caller, submission, key) == keyed
    assert len(logged.statements) == 1


async def test_an_admin_write_costs_its_own_statements_plus_one(
    competition_service: RunningService, competition_stub: Any
) -> None:
    """A unit of work adds BEGIN, COMMIT and one last statement (audit record + request id) to the
    command's own SQL: no claim up front, no lock, no read of the audit chain."""
    settings = competition_service.settings
    assert isinstance(settings, CompetitionSettings)
    logged = LoggedPool(competition_service.pool)
    app = App(logged, settings)  # type: ignore[arg-type]
    admin_caller = Caller("admin-1", frozenset({"competition.admin"}))
    request = pb.CreateJudgeRequest(judge=judge_message(), judge_id=slug("j"), request_id=slug("r"))
    token = current_caller.set(admin_caller)
    try:
        key = RequestKeys(b"statement-count-test-secret").key(request)
    finally:
        current_caller.reset(token)
    fields = JudgeFields(display_name="陈教授", domains=(), affiliations=("Wenzhou University",))
    await setup.create_judge(app, admin_caller, request.judge_id, fields, key, validate_only=False)
    kinds = [s.split()[0].upper() for s in logged.statements]
    assert kinds == ["BEGIN", "INSERT", "WITH", "COMMIT"] or kinds == ["BEGIN;", "INSERT", "WITH", "COMMIT;"], kinds


@contextlib.asynccontextmanager
async def held_sheet_write(running: RunningService, c: Contest, judge_id: str, entry_id: str) -> AsyncIterator[None]:
    """A sheet of ``c`` written in a transaction held open (what an in-flight SubmitScoreSheet holds:
    the round FOR SHARE, the assignment FOR KEY SHARE, the sheet row, an audit record), which also
    holds the old code's global audit lock. Rolled back at the end of the block."""
    url = running.settings.database_url
    assert url is not None
    connection = await asyncpg.connect(url.get_secret_value(), server_settings={"search_path": "competition"})
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute(OLD_GLOBAL_AUDIT_LOCK)
        version = await connection.fetchval("SELECT version FROM rounds WHERE contest_id = $1 AND id = 'prelim'", c.id)
        sheet = ScoreSheet(
            contest_id=c.id,
            round_id="prelim",
            entry_id=entry_id,
            judge_id=judge_id,
            scores={"technology": 1, "industrialisation": 1, "team": 1, "landing": 1},
            comment="held",
            total=10.0,
            version=1,
            submit_time=datetime.now(UTC),
        )
        written = await sheet_store.write_submitted(
            connection,
            sheet,
            round_version=version,
            current_version=None,
            actor=judge_id,
            audit_payload={"held": True},
            key=None,
            response=pb.ScoreSheet(),
        )
        assert written
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await connection.close()


async def waiting_for_locks(running: RunningService) -> int:
    value: int = await running.pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    return value


async def test_sheets_commit_while_another_write_is_held_open(postgres_url: str) -> None:
    """No global serialisation: with a sheet of contest A held open (and the old global audit lock
    held with it), sheets of contest B and the other sheets of contest A commit; only the held sheet
    itself waits, and then gets the next version."""
    async with fresh_service(postgres_url) as (stub, running):
        a, a_pairs = await open_round(stub)
        b, b_pairs = await open_round(stub)
        held_judge, held_entry = a_pairs[0]
        async with held_sheet_write(running, a, held_judge, held_entry.rsplit("/", 1)[1]):
            others = [p for p in a_pairs if p != (held_judge, held_entry)]
            done = await asyncio.wait_for(
                asyncio.gather(
                    *(submit(stub, b, j, e) for j, e in b_pairs), *(submit(stub, a, j, e) for j, e in others)
                ),
                NOT_BLOCKED_SECONDS,
            )
            assert [s.version for s in done] == [1] * (len(b_pairs) + len(others))
            same = asyncio.ensure_future(submit(stub, a, held_judge, held_entry, technology=9))
            for _ in range(400):
                if await waiting_for_locks(running) >= 1:
                    break
                await asyncio.sleep(0.025)
            else:
                raise AssertionError("the sheet held open did not make its own resubmission wait")
            assert not same.done()
        sheet = await asyncio.wait_for(same, NOT_BLOCKED_SECONDS)
        assert sheet.version == 1 and sheet.scores[0].value == 9


async def test_a_sheet_racing_the_same_sheet_gets_the_next_version(postgres_url: str) -> None:
    async with fresh_service(postgres_url) as (stub, _):
        c, pairs = await open_round(stub, judges=1, entries=1)
        judge_id, entry = pairs[0]
        results = await asyncio.gather(*(submit(stub, c, judge_id, entry, team=t) for t in range(1, 7)))
        assert sorted(s.version for s in results) == list(range(1, 7))
        history = await stub.GetScoreSheetHistory(
            pb.GetScoreSheetHistoryRequest(round=c.round.name, entry=entry), metadata=judge_auth(judge_id)
        )
        assert [v.version for v in history.versions] == list(range(1, 7))


async def test_a_round_closing_between_read_and_write_refuses_the_sheet(postgres_url: str) -> None:
    """CloseRound (FOR UPDATE) commits while a sheet's write waits: the sheet's guard no longer
    holds, the command reads again and the domain answers ROUND_NOT_OPEN; nothing is written."""
    async with fresh_service(postgres_url) as (stub, running):
        c, pairs = await open_round(stub, judges=1, entries=1)
        judge_id, entry = pairs[0]
        url = running.settings.database_url
        assert url is not None
        closer = await asyncpg.connect(url.get_secret_value(), server_settings={"search_path": "competition"})
        try:
            transaction = closer.transaction()
            await transaction.start()
            await closer.execute(
                "UPDATE rounds SET state = 'CLOSED', version = version + 1 WHERE contest_id = $1 AND id = 'prelim'",
                c.id,
            )
            pending = asyncio.ensure_future(submit(stub, c, judge_id, entry))
            for _ in range(400):
                if await waiting_for_locks(running) >= 1:
                    break
                await asyncio.sleep(0.025)
            else:
                raise AssertionError("the sheet did not wait for the round's state change")
            await transaction.commit()
        finally:
            await closer.close()
        with pytest.raises(Exception) as raised:
            await pending
        assert "ROUND_NOT_OPEN" in str(raised.value) or "OPEN" in str(raised.value)
        assert await running.pool.fetchval("SELECT count(*) FROM score_sheets WHERE contest_id = $1", c.id) == 0
        assert (
            await running.pool.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = 'sheet.submitted' AND payload LIKE $1", f'%"{c.id}"%'
            )
            == 0
        )


# --- a first sheet without a read: the shortcut and its way back -----------------------------------


VALUES = {"technology": 8.0, "industrialisation": 7.0, "team": 6.0, "landing": 5.0}


def replica(running: RunningService) -> tuple[App, LoggedPool]:
    """A use-case context of its own: what one more replica of the service would remember."""
    settings = running.settings
    assert isinstance(settings, CompetitionSettings)
    logged = LoggedPool(running.pool)
    return App(logged, settings), logged  # type: ignore[arg-type]


def sheet_of(c: Contest, entry: str, values: dict[str, float] | None = None) -> judging.SheetSubmission:
    return judging.SheetSubmission(c.id, "prelim", entry.rsplit("/", 1)[1], dict(values or VALUES), "")


def judge(judge_id: str) -> Caller:
    return Caller(judge_id, frozenset({"competition.judge"}))


async def sheets_of(running: RunningService, c: Contest) -> int:
    value: int = await running.pool.fetchval("SELECT count(*) FROM score_sheets WHERE contest_id = $1", c.id)
    return value


async def test_a_declared_conflict_refuses_a_first_sheet_the_replica_would_shortcut(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c, pairs = await open_round(competition_stub, judges=2, entries=2)
    app, logged = replica(competition_service)
    (first_judge, first_entry), *rest = pairs
    await judging.submit_score_sheet(app, judge(first_judge), sheet_of(c, first_entry), None)
    assert app.open_rounds.shortcut(c.id, "prelim", "any", "one") is not None  # the round is remembered
    judge_id, entry = next((j, e) for j, e in rest if j != first_judge)
    await competition_stub.DeclareConflict(
        pb.DeclareConflictRequest(entry=entry, reason="曾任该团队顾问"), metadata=judge_auth(judge_id)
    )
    logged.statements.clear()
    with pytest.raises(DomainError) as refused:
        await judging.submit_score_sheet(app, judge(judge_id), sheet_of(c, entry), None)
    assert refused.value.reason == "CONFLICT_OF_INTEREST"
    # The shortcut's write found no assignment, then the read let the domain decide.
    assert len(logged.statements) == 2
    assert await sheets_of(competition_service, c) == 1


async def test_a_round_closed_by_another_replica_refuses_the_shortcut_and_bad_values_say_so_second(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c, pairs = await open_round(competition_stub, judges=1, entries=3)
    app, _ = replica(competition_service)
    judge_id = pairs[0][0]
    await judging.submit_score_sheet(app, judge(judge_id), sheet_of(c, pairs[0][1]), None)
    # Another replica closes the round: this one still remembers it OPEN.
    await competition_stub.CloseRound(
        pb.CloseRoundRequest(name=c.round.name, force=True, reason="测试"), metadata=admin()
    )
    with pytest.raises(DomainError) as refused:
        await judging.submit_score_sheet(app, judge(judge_id), sheet_of(c, pairs[1][1]), None)
    assert refused.value.reason == "ROUND_NOT_OPEN"
    assert app.open_rounds.shortcut(c.id, "prelim", pairs[2][1], judge_id) is None  # forgotten
    # Values the remembered criteria refuse are not refused before the round's state is known.
    app.open_rounds.saw_open(c.id, "prelim", 1, await criteria_of(competition_service, c))
    with pytest.raises(DomainError) as refused:
        await judging.submit_score_sheet(app, judge(judge_id), sheet_of(c, pairs[2][1], {"technology": 99}), None)
    assert refused.value.reason == "ROUND_NOT_OPEN"
    assert await sheets_of(competition_service, c) == 1


async def criteria_of(running: RunningService, c: Contest) -> tuple[Any, ...]:
    text = await running.pool.fetchval(
        "SELECT criteria::text FROM rounds WHERE contest_id = $1 AND id = 'prelim'", c.id
    )
    return sheet_store.criteria_of(text)


async def test_a_pair_scored_through_another_replica_gets_the_next_version(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c, pairs = await open_round(competition_stub, judges=1, entries=2)
    here, logged = replica(competition_service)
    there, _ = replica(competition_service)
    judge_id = pairs[0][0]
    await judging.submit_score_sheet(here, judge(judge_id), sheet_of(c, pairs[0][1]), None)
    # The pair is scored through the other replica, which this one does not know.
    await judging.submit_score_sheet(there, judge(judge_id), sheet_of(c, pairs[1][1]), None)
    logged.statements.clear()
    corrected = await judging.submit_score_sheet(here, judge(judge_id), sheet_of(c, pairs[1][1]), None)
    assert corrected.version == 2
    assert len(logged.statements) == 3  # the shortcut's write found the pair scored: read, write
    versions = await sheet_store.history(
        competition_service.pool, c.id, "prelim", pairs[1][1].rsplit("/", 1)[1], judge_id
    )
    assert [v.version for v in versions] == [1, 2]


async def test_a_pair_withdrawn_and_assigned_again_goes_on_with_its_history_through_the_shortcut(
    competition_service: RunningService, competition_stub: Any
) -> None:
    """The withdrawal deleted the current sheet and kept its history. A replica that never saw the pair
    scored writes it as version 1; the history's primary key refuses that version, nothing is written,
    and the read that follows gives the next version."""
    c, pairs = await open_round(competition_stub, judges=1, entries=2)
    here, logged = replica(competition_service)
    there, _ = replica(competition_service)
    judge_id = pairs[0][0]
    await judging.submit_score_sheet(here, judge(judge_id), sheet_of(c, pairs[0][1]), None)  # learns the round
    await judging.submit_score_sheet(there, judge(judge_id), sheet_of(c, pairs[1][1]), None)
    assignment = {"round": c.round.name, "judge": f"judges/{judge_id}", "entry": pairs[1][1]}
    await competition_stub.DeleteAssignment(pb.DeleteAssignmentRequest(**assignment), metadata=admin())
    await competition_stub.CreateAssignment(pb.CreateAssignmentRequest(**assignment), metadata=admin())
    logged.statements.clear()
    logged.errors.clear()
    again = await judging.submit_score_sheet(here, judge(judge_id), sheet_of(c, pairs[1][1]), None)
    assert again.version == 2
    assert len(logged.statements) == 3  # the shortcut's write (refused whole), the read, the write
    assert [type(error) for error in logged.errors] == [asyncpg.UniqueViolationError, type(None), type(None)]
    versions = await sheet_store.history(
        competition_service.pool, c.id, "prelim", pairs[1][1].rsplit("/", 1)[1], judge_id
    )
    assert [v.version for v in versions] == [1, 2]
    assert await sheets_of(competition_service, c) == 2


async def test_a_request_id_used_before_replays_instead_of_taking_the_shortcut(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c, pairs = await open_round(competition_stub, judges=1, entries=2)
    judge_id, entry = pairs[0]
    first = await submit_keyed(competition_stub, c, judge_id, entry, "shortcut-replay")
    again = await submit_keyed(competition_stub, c, judge_id, entry, "shortcut-replay")
    assert again == first and first.version == 1
    # The same request id on another pair is the same request id: refused, nothing written.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await submit_keyed(competition_stub, c, judge_id, pairs[1][1], "shortcut-replay")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await sheets_of(competition_service, c) == 1


def submit_keyed(stub: Any, c: Contest, judge_id: str, entry: str, request_id: str) -> Any:
    return stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(), request_id=request_id),
        metadata=judge_auth(judge_id),
    )


PLACEHOLDERS: dict[str, Any] = {
    "text": "x",
    "int4": 1,
    "float8": 1.0,
    "jsonb": {"team": 1},
    "bytea": b"x",
    "timestamptz": datetime.now(UTC),
}


def seq_scanned(plan: dict[str, Any]) -> set[str]:
    """The relations a plan (EXPLAIN's JSON node) reads by sequential scan, in any of its subplans."""
    found = {plan["Relation Name"]} if plan.get("Node Type") == "Seq Scan" else set()
    for child in plan.get("Plans", ()):
        found |= seq_scanned(child)
    return found


async def test_the_sheet_write_plan_made_on_empty_tables_scans_none_of_the_sheets(postgres_url: str) -> None:
    """A connection caches the write's generic plan after a few sheets and keeps it. Made while the
    sheet tables are still empty (and analysed so), that plan must not scan the sheets or their
    history: each sheet would then read every sheet written before it."""
    async with fresh_service(postgres_url) as (stub, running):
        await open_round(stub)
        async with running.pool.acquire() as connection:
            await connection.execute("ANALYZE score_sheets; ANALYZE score_sheet_versions")
            await connection.execute("SET plan_cache_mode = force_generic_plan")
            try:
                for keyed, sql in (("without", sheet_store._WRITE), ("with", sheet_store._WRITE_KEYED)):
                    statement = await connection.prepare(f"EXPLAIN (FORMAT JSON) {sql}")
                    # EXPLAIN plans the INSERTs without running them: the values only have to fit the types.
                    values = [PLACEHOLDERS[t.name] for t in statement.get_parameters()]
                    plan = json.loads(await statement.fetchval(*values))[0]["Plan"]
                    scanned = seq_scanned(plan)
                    assert not scanned & {"score_sheets", "score_sheet_versions"}, (keyed, scanned)
            finally:
                await connection.execute("RESET plan_cache_mode")
