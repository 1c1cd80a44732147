"""SubmitScoreSheet's group commit (store.sheets.write_new_many): judges' first sheets that arrive
while a first sheet's statement is in flight share the next statement, and each judge still gets the
answer the sheet would have got alone. The first statement is held in flight by a lock on
``score_sheets`` (tests.held_statement)."""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from typing import Any

import grpc
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from services.common.auth import Caller
from services.common.server import RunningService
from services.competition.app import judging
from services.competition.app.context import App
from services.competition.service import DEFINITION
from services.competition.settings import CompetitionSettings
from tests import held_statement
from tests.competition.helpers import Contest, admin, judge_auth, open_round, scores
from tests.held_statement import group_counters
from tests.support import start

Sheet = tuple[str, str]  # (judge_id, entry name)


async def metrics(service: RunningService) -> dict[str, float]:
    return await group_counters(service, "SubmitScoreSheet", "competition_sheet")


def later(stub: Any, c: Contest, sheet: Sheet, **options: Any) -> held_statement.Call:
    """A submit of ``sheet`` (with ``submit``'s options), to start when queued."""
    return functools.partial(submit, stub, c, sheet, **options)


def submit(
    stub: Any, c: Contest, sheet: Sheet, technology: float = 8, request_id: str = "", timeout: float | None = None
) -> Any:
    judge_id, entry = sheet
    request = pb.SubmitScoreSheetRequest(
        round=c.round.name, entry=entry, scores=scores(technology=technology), request_id=request_id
    )
    return asyncio.ensure_future(stub.SubmitScoreSheet(request, metadata=judge_auth(judge_id), timeout=timeout))


async def scoring_round(stub: Any, judges: int = 4, entries: int = 4) -> tuple[Contest, list[Sheet]]:
    """An OPEN round the service has read (one sheet went the long way, so that the service
    remembers the round OPEN), and the pairs still to score."""
    c, pairs = await open_round(stub, judges=judges, entries=entries)
    first, *rest = pairs
    await submit(stub, c, first)
    return c, rest


async def queued_behind_a_held_statement(
    service: RunningService, stub: Any, c: Contest, first: Sheet, queued: list[Any], held_after: float = 0.1
) -> tuple[Any, list[Any]]:
    """The first sheet (its statement held), and the calls ``queued`` (functions that start one)."""
    return await held_statement.queued_behind_a_held_statement(
        service, "score_sheets", lambda: metrics(service), lambda: submit(stub, c, first), queued, held_after
    )


async def history(service: RunningService, c: Contest, sheet: Sheet) -> list[tuple[int, float]]:
    """(version, total) of every version of the pair's sheet, in order."""
    judge_id, entry = sheet
    rows = await service.pool.fetch(
        "SELECT version, total FROM score_sheet_versions WHERE contest_id = $1 AND round_id = 'prelim'"
        " AND entry_id = $2 AND judge_id = $3 ORDER BY version",
        c.id,
        entry.rsplit("/", 1)[1],
        judge_id,
    )
    return [(r["version"], r["total"]) for r in rows]


async def audited(service: RunningService, c: Contest) -> list[dict[str, Any]]:
    """The payloads of the contest's sheet.submitted audit records."""
    rows = await service.pool.fetch(
        "SELECT actor, payload FROM audit_log WHERE action = 'sheet.submitted' AND payload::jsonb ->> 'contest' = $1",
        c.id,
    )
    return [{"actor": r["actor"], **json.loads(r["payload"])} for r in rows]


async def test_first_sheets_that_wait_behind_a_statement_go_together_in_the_next(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c, (first, *queued) = await scoring_round(competition_stub)
    assert len(queued) >= 10
    before = await metrics(competition_service)
    held, calls = await queued_behind_a_held_statement(
        competition_service, competition_stub, c, first, [later(competition_stub, c, s) for s in queued]
    )
    sheets = [await held, *await asyncio.gather(*calls)]
    after = await metrics(competition_service)
    assert after["rows"] - before["rows"] == 1 + len(queued)
    assert after["statements"] - before["statements"] == 2  # the held one alone, then the rest together
    assert [s.version for s in sheets] == [1] * len(sheets)
    for sheet, answered in zip([first, *queued], sheets, strict=True):
        assert answered.judge == f"judges/{sheet[0]}" and answered.entry == sheet[1]
        assert await history(competition_service, c, sheet) == [(1, answered.total)]
    # One audit record per sheet, each naming its judge as the actor (and the long-way first sheet's).
    records = await audited(competition_service, c)
    assert len(records) == 2 + len(queued)
    assert all(r["actor"] == r["judge"] and r["version"] == 1 for r in records)
    listed = await competition_stub.ListScoreSheets(
        pb.ListScoreSheetsRequest(round=c.round.name, page_size=100), metadata=admin()
    )
    assert len(listed.score_sheets) == 2 + len(queued)


async def test_a_pair_twice_and_a_request_id_twice_in_a_group_are_answered_as_one_after_the_other(
    competition_service: RunningService, competition_stub: Any
) -> None:
    """The group writes the first of each; the second goes the long way: a second sheet of the pair
    is its correction (version 2), a second call with the request id replays the first's response."""
    c, (first, twice, retried, *others) = await scoring_round(competition_stub)
    request_id = f"group-{uuid.uuid4().hex}"
    before = await metrics(competition_service)
    queued = [
        later(competition_stub, c, twice, technology=4),
        later(competition_stub, c, twice, technology=6),
        later(competition_stub, c, retried, request_id=request_id),
        later(competition_stub, c, retried, request_id=request_id),
        *(later(competition_stub, c, s) for s in others),
    ]
    held, calls = await queued_behind_a_held_statement(competition_service, competition_stub, c, first, queued)
    await held
    one, two, once, again, *rest = await asyncio.gather(*calls)
    after = await metrics(competition_service)
    assert after["statements"] - before["statements"] == 2
    assert {one.version, two.version} == {1, 2}
    assert await history(competition_service, c, twice) == sorted([(one.version, one.total), (two.version, two.total)])
    assert once == again
    assert await history(competition_service, c, retried) == [(1, once.total)]
    assert [s.version for s in rest] == [1] * len(others)


async def test_a_group_refused_for_one_sheet_answers_every_sheet_as_alone(
    competition_service: RunningService, competition_stub: Any
) -> None:
    """A pair scored before, withdrawn and assigned again (by way of another replica, so this one
    does not know): its version 1 is taken in the history, PostgreSQL refuses the group's statement,
    and every sheet goes the long way — the pair's sheet becomes its version 2, the rest version 1."""
    c, (first, rescored, *others) = await scoring_round(competition_stub)
    settings = competition_service.settings
    assert isinstance(settings, CompetitionSettings)
    judge_id, entry = rescored
    other_replica = App(competition_service.pool, settings)
    values = {"technology": 1.0, "industrialisation": 1.0, "team": 1.0, "landing": 1.0}
    submission = judging.SheetSubmission(c.id, "prelim", entry.rsplit("/", 1)[1], values, "")
    caller = Caller(judge_id, frozenset({"competition.judge"}))
    assert (await judging.submit_score_sheet(other_replica, caller, submission, None)).version == 1
    pair = {"round": c.round.name, "judge": f"judges/{judge_id}", "entry": entry}
    await competition_stub.DeleteAssignment(pb.DeleteAssignmentRequest(**pair), metadata=admin())
    await competition_stub.CreateAssignment(pb.CreateAssignmentRequest(**pair), metadata=admin())
    before = await metrics(competition_service)
    queued = [later(competition_stub, c, rescored), *(later(competition_stub, c, s) for s in others)]
    held, calls = await queued_behind_a_held_statement(competition_service, competition_stub, c, first, queued)
    await held
    again, *rest = await asyncio.gather(*calls)
    after = await metrics(competition_service)
    assert after["statements"] - before["statements"] == 2  # the refused statement counts: it was sent
    assert again.version == 2
    assert [v for v, _ in await history(competition_service, c, rescored)] == [1, 2]
    assert [s.version for s in rest] == [1] * len(others)
    for sheet in others:
        assert len(await history(competition_service, c, sheet)) == 1


async def test_a_judge_who_gives_up_while_queued_leaves_the_others_written(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c, (first, stays, gone, stays_too, *_) = await scoring_round(competition_stub)
    queued = [
        later(competition_stub, c, stays),
        later(competition_stub, c, gone, timeout=0.3),
        later(competition_stub, c, stays_too),
    ]
    held, calls = await queued_behind_a_held_statement(
        competition_service, competition_stub, c, first, queued, held_after=0.8
    )
    await held
    kept, gave_up, kept_too = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(gave_up, aio.AioRpcError) and gave_up.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert isinstance(kept, pb.ScoreSheet) and isinstance(kept_too, pb.ScoreSheet)
    # Its sheet was not taken into a statement: the call ended before the group's statement began.
    assert await history(competition_service, c, gone) == []
    for sheet in (stays, stays_too):
        assert len(await history(competition_service, c, sheet)) == 1


async def test_judges_scoring_through_two_replicas_while_conflicts_withdraw_pairs_leave_every_sheet_accounted_for(
    competition_service: RunningService, competition_stub: Any
) -> None:
    """Many first sheets at once through two replicas on one database (so groups form in both, and
    meet in PostgreSQL), some pairs scored twice (once through each replica), while judges declare
    conflicts that withdraw some pairs. Nothing deadlocks or is refused but the withdrawn pairs,
    and the database accounts for every answer: each pair's versions run 1..n, each answered sheet
    is its version in the history, each history row has its audit record, and the current sheets
    are exactly the scored pairs still assigned."""
    url = competition_service.settings.database_url
    assert url is not None
    other = await start(CompetitionSettings, DEFINITION, url.get_secret_value())
    try:
        async with aio.insecure_channel(f"127.0.0.1:{other.grpc_port}") as channel:
            other_stub = competition_pb2_grpc.CompetitionServiceStub(channel)
            c, pairs = await open_round(competition_stub, judges=6, entries=8)
            for stub, sheet in ((competition_stub, pairs[0]), (other_stub, pairs[1])):
                await submit(stub, c, sheet)  # each replica reads the round OPEN once
            rest = pairs[2:]
            twice = set(rest[::7])
            conflicted = set(rest[3::11]) - twice
            stubs = (competition_stub, other_stub)
            sheets = [(stubs[i % 2], s) for i, s in enumerate(rest)]
            sheets += [(stubs[(i + 1) % 2], s) for i, s in enumerate(rest) if s in twice]
            # The declarations start among the sheets, so that withdrawals meet groups in flight.
            declarations = iter(sorted(conflicted))
            sheet_calls: list[Any] = []
            conflicts: list[Any] = []
            for i, (stub, sheet) in enumerate(sheets):
                sheet_calls.append(submit(stub, c, sheet, technology=1 + i % 10))
                if i % 12 == 6 and (declared := next(declarations, None)) is not None:
                    judge_id, entry = declared
                    request = pb.DeclareConflictRequest(entry=entry, reason="曾任该团队顾问")
                    conflicts.append(
                        asyncio.ensure_future(stub.DeclareConflict(request, metadata=judge_auth(judge_id)))
                    )
            assert len(conflicts) == len(conflicted)
            answers = await asyncio.gather(*sheet_calls, return_exceptions=True)
            await asyncio.gather(*conflicts)  # a declaration never fails (no deadlock with a group)
    finally:
        await other.stop(grace=0)

    answered: dict[Sheet, list[pb.ScoreSheet]] = {}
    for (_, sheet), answer in zip(sheets, answers, strict=True):
        if isinstance(answer, pb.ScoreSheet):
            answered.setdefault(sheet, []).append(answer)
        else:
            assert isinstance(answer, aio.AioRpcError), answer
            assert sheet in conflicted, (sheet, answer.code(), answer.details())
    for sheet in set(rest) - conflicted:
        assert len(answered[sheet]) == (2 if sheet in twice else 1), sheet
    for sheet in rest:
        # The history holds the pair's versions 1..n, and they are exactly the sheets answered (a
        # withdrawn pair's refused sheet wrote nothing).
        versions = await history(competition_service, c, sheet)
        assert [v for v, _ in versions] == list(range(1, len(versions) + 1)), sheet
        assert sorted((s.version, s.total) for s in answered.get(sheet, [])) == versions, sheet
    rows = await competition_service.pool.fetchval(
        "SELECT count(*) FROM score_sheet_versions WHERE contest_id = $1", c.id
    )
    assert len(await audited(competition_service, c)) == rows
    current = {
        (r["judge_id"], f"{c.contest.name}/entries/{r['entry_id']}")
        for r in await competition_service.pool.fetch(
            "SELECT judge_id, entry_id FROM score_sheets WHERE contest_id = $1", c.id
        )
    }
    assert current == set(pairs) - conflicted
