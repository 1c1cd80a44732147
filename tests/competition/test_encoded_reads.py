"""The pre-encoded read model (migration 0007): rounds and assignments keep their encoded message
next to their columns, GetRound and ListAssignments answer with those bytes. After every write that
changes a round or an assignment's page, the stored bytes and the answers must be exactly what the
model codec makes of the row as it is now; rows without current bytes (from before the migration,
another codec's, a round changed by an older writer) are served from their columns and re-encoded
by the backfill; the codec's output is pinned so that changing it without an ``encoding`` bump fails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.codec import timestamp
from services.common.server import RunningService
from services.competition.api import codec
from services.competition.app.read_model import backfill
from services.competition.domain.models import Advancement, Assignment, AwardTier, CriterionSpec, Round, RoundKind
from services.competition.domain.scoring import AggregationMethod
from services.competition.domain.stages import RoundState
from services.competition.store import assignments as assignment_store
from services.competition.store import rounds as round_store
from tests.competition.helpers import (
    admin,
    assigned_pairs,
    entry_message,
    judge_auth,
    make_contest,
    round_message,
    scores,
    viewer,
)
from tests.competition.test_write_path import LoggedPool

SERVICE = "/competition.v1.CompetitionService"


async def raw(channel: aio.Channel, method: str, request: Any, metadata: Any) -> bytes:
    """The response's bytes as the server sent them."""
    call = channel.unary_unary(
        f"{SERVICE}/{method}", request_serializer=type(request).SerializeToString, response_deserializer=None
    )
    answer: bytes = await call(request, metadata=metadata)
    return answer


async def check_round(service: RunningService, channel: aio.Channel, contest_id: str, round_id: str) -> pb.Round:
    """The round's stored message is the codec's of its row as it is, and GetRound answers it."""
    model = await round_store.get(service.pool, contest_id, round_id)
    fresh = codec.round_to_proto(model)
    stored = await service.pool.fetchrow(
        "SELECT encoding, encoded, encoded_version, version FROM rounds WHERE contest_id = $1 AND id = $2",
        contest_id,
        round_id,
    )
    assert stored is not None
    assert stored["encoding"] == codec.ROUND_ENCODING.version
    assert stored["encoded_version"] == stored["version"] == model.version
    assert stored["encoded"] == fresh.SerializeToString()
    name = codec.round_name(contest_id, round_id)
    for caller in (admin(), viewer()):
        assert await raw(channel, "GetRound", pb.GetRoundRequest(name=name), caller) == fresh.SerializeToString()
    return fresh


async def all_pages(channel: aio.Channel, round_name: str, metadata: Any, judge: str = "", size: int = 2) -> bytes:
    """Every page of ListAssignments, raw, concatenated (a repeated field's pages concatenate)."""
    pages = []
    token = ""
    while True:
        request = pb.ListAssignmentsRequest(round=round_name, judge=judge, page_size=size, page_token=token)
        page = await raw(channel, "ListAssignments", request, metadata)
        token = pb.ListAssignmentsResponse.FromString(page).next_page_token
        pages.append(pb.ListAssignmentsResponse(assignments=pb.ListAssignmentsResponse.FromString(page).assignments))
        # Byte for byte what the message codec serialises for the page the server meant.
        assert page == pb.ListAssignmentsResponse.FromString(page).SerializeToString()
        if not token:
            return b"".join(p.SerializeToString() for p in pages)


async def check_assignments(service: RunningService, channel: aio.Channel, contest_id: str, round_id: str) -> None:
    """Every assignment's stored messages are the codec's, and the pages (for an admin, and for each
    judge their own) are exactly the freshly built ones."""
    models = await assignment_store.for_round(service.pool, contest_id, round_id)
    rows = await service.pool.fetch(
        "SELECT entry_id, judge_id, encoding, encoded, encoded_submitted FROM assignments"
        " WHERE contest_id = $1 AND round_id = $2 ORDER BY entry_id, judge_id",
        contest_id,
        round_id,
    )
    assert [(r["entry_id"], r["judge_id"]) for r in rows] == [(a.entry_id, a.judge_id) for a in models]
    for row, model in zip(rows, models, strict=True):
        assert row["encoding"] == codec.ASSIGNMENT_ENCODING.version
        # Each stored item is a page of that one assignment.
        for column, submitted in (("encoded", False), ("encoded_submitted", True)):
            variant = codec.assignment_to_proto(model.model_copy(update={"submitted": submitted}))
            assert row[column] == pb.ListAssignmentsResponse(assignments=[variant]).SerializeToString()
    round_name = codec.round_name(contest_id, round_id)
    expected = pb.ListAssignmentsResponse(assignments=[codec.assignment_to_proto(a) for a in models])
    assert await all_pages(channel, round_name, admin()) == expected.SerializeToString()
    for judge_id in {a.judge_id for a in models}:
        own = pb.ListAssignmentsResponse(
            assignments=[codec.assignment_to_proto(a) for a in models if a.judge_id == judge_id]
        )
        got = await all_pages(channel, round_name, judge_auth(judge_id), judge=f"judges/{judge_id}")
        assert got == own.SerializeToString()


# --- the codec is pinned ------------------------------------------------------------------------

WHEN = datetime(2024, 6, 1, 8, 30, 15, 123456, tzinfo=UTC)
PINNED_ROUND = (
    "0a1b636f6e74657374732f63323032342f726f756e64732f66696e616c1206e586b3e8b59b18032003280332290a04746563"
    "681206e68a80e69caf19333333333333e33f29000000000000244031000000000000e03f380540024a09110000000000404f"
    "4052140a0546495253541209e4b880e7ad89e5a59618015a0b0897b8ebb206108094ef3a62036162636a046c617465720b08"
    "97b8ebb206108094ef3a7a0b0897b8ebb206108094ef3a8201092266696e616c2d3422"
)
# An assignment is stored as an item of a page (0a: ListAssignmentsResponse.assignments, then the length).
PINNED_ASSIGNMENT = (
    "0a{length}0a1b636f6e74657374732f63323032342f726f756e64732f66696e616c12096a75646765732f6a311a19636f6e74"
    "657374732f63323032342f656e74726965732f6531{submitted}2a0b0897b8ebb206108094ef3a"
)


def test_the_stored_encodings_are_pinned_to_their_version() -> None:
    """Changing what the codec makes of a round or an assignment changes these bytes: then bump
    ROUND_ENCODING / ASSIGNMENT_ENCODING (bytes stored by the old codec are then served from their
    columns and re-encoded by the backfill) and update the pins with it."""
    item = Round(
        contest_id="c2024",
        id="final",
        display_name="决赛",
        kind=RoundKind.FINAL,
        sequence=3,
        criteria=(CriterionSpec(key="tech", display_name="技术", weight=0.6, min_value=0, max_value=10, step=0.5),),
        judges_per_entry=5,
        aggregation=AggregationMethod.TRIMMED_MEAN,
        advancement=Advancement(min_score=62.5),
        award_tiers=(AwardTier(tier="FIRST", display_name="一等奖", count=1),),
        judging_deadline=WHEN,
        state=RoundState.CLOSED,
        leaderboard_digest="abc",
        force_close_reason="late",
        version=4,
        create_time=WHEN,
        update_time=WHEN,
    )
    assert (codec.ROUND_ENCODING.version, codec.ROUND_ENCODING.encode(item).hex()) == (1, PINNED_ROUND)
    assignment = Assignment(
        contest_id="c2024", round_id="final", entry_id="e1", judge_id="j1", submitted=False, create_time=WHEN
    )
    encoded = codec.ASSIGNMENT_ENCODING.encode
    assert (codec.ASSIGNMENT_ENCODING.version, encoded(assignment).hex()) == (
        1,
        PINNED_ASSIGNMENT.format(length="50", submitted=""),
    )
    submitted = assignment.model_copy(update={"submitted": True})
    assert encoded(submitted).hex() == PINNED_ASSIGNMENT.format(length="52", submitted="2001")


# --- every write keeps the stored messages exact -------------------------------------------------


async def test_every_round_write_stores_the_message_of_the_row_it_writes(
    competition_service: RunningService, competition_channel: aio.Channel, competition_stub: Any
) -> None:
    c = await make_contest(competition_stub, entries=2, judges=3)
    created = await check_round(competition_service, competition_channel, c.id, "prelim")
    assert created == c.round

    # Edits in DRAFT: names, criteria, the rule, a deadline (and clearing it again).
    edited = round_message(
        name=c.round.name,
        etag=c.round.etag,
        display_name="初赛（修订）",
        criteria=[*c.round.criteria[:3]],
        advancement=pb.Advancement(min_score=61.5),
        judging_deadline=timestamp(datetime(2031, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)),
    )
    paths = ["display_name", "criteria", "advancement", "judging_deadline"]
    updated = await competition_stub.UpdateRound(
        pb.UpdateRoundRequest(round=edited, update_mask=FieldMask(paths=paths)), metadata=admin()
    )
    assert await check_round(competition_service, competition_channel, c.id, "prelim") == updated
    assert updated.display_name == "初赛（修订）" and len(updated.criteria) == 3
    cleared = await competition_stub.UpdateRound(
        pb.UpdateRoundRequest(
            round=pb.Round(name=c.round.name, etag=updated.etag, criteria=c.round.criteria),
            update_mask=FieldMask(paths=["judging_deadline", "criteria"]),
        ),
        metadata=admin(),
    )
    assert not cleared.HasField("judging_deadline")
    assert await check_round(competition_service, competition_channel, c.id, "prelim") == cleared

    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    opened = await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    assert await check_round(competition_service, competition_channel, c.id, "prelim") == opened
    assert opened.state == pb.ROUND_STATE_OPEN

    judge_id, entry = (await assigned_pairs(competition_stub, c.round.name))[0]
    await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
    )
    closed = await competition_stub.CloseRound(
        pb.CloseRoundRequest(name=c.round.name, force=True, reason="评审超时"), metadata=admin()
    )
    assert closed.force_close_reason == "评审超时"
    assert await check_round(competition_service, competition_channel, c.id, "prelim") == closed

    finalized = await competition_stub.FinalizeRound(pb.FinalizeRoundRequest(name=c.round.name), metadata=admin())
    assert finalized.leaderboard_digest and finalized.state == pb.ROUND_STATE_FINALIZED
    assert await check_round(competition_service, competition_channel, c.id, "prelim") == finalized
    # Each write moved the version and the time on.
    assert codec.etag("prelim", 6) == finalized.etag
    assert finalized.update_time.ToDatetime() > closed.update_time.ToDatetime() > created.update_time.ToDatetime()


async def test_every_assignment_change_keeps_the_pages_exact(
    competition_service: RunningService, competition_channel: aio.Channel, competition_stub: Any
) -> None:
    c = await make_contest(competition_stub, entries=4, judges=4, round_=round_message(judges_per_entry=2))
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await check_assignments(competition_service, competition_channel, c.id, "prelim")

    pairs = await assigned_pairs(competition_stub, c.round.name)
    assigned = {(judge, entry) for judge, entry in pairs}
    spare = next(
        (j.name.removeprefix("judges/"), e.name)
        for e in c.entries
        for j in c.judges
        if (j.name.removeprefix("judges/"), e.name) not in assigned
    )
    created = await competition_stub.CreateAssignment(
        pb.CreateAssignmentRequest(round=c.round.name, judge=f"judges/{spare[0]}", entry=spare[1]), metadata=admin()
    )
    await check_assignments(competition_service, competition_channel, c.id, "prelim")
    listed = await competition_stub.ListAssignments(
        pb.ListAssignmentsRequest(round=c.round.name, judge=created.judge, entry=created.entry), metadata=admin()
    )
    assert list(listed.assignments) == [created]

    await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    # A sheet flips its assignment's variant; a second version of the sheet leaves it.
    judge_id, entry = pairs[0]
    for _ in range(2):
        await competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()),
            metadata=judge_auth(judge_id),
        )
        await check_assignments(competition_service, competition_channel, c.id, "prelim")
    page = await competition_stub.ListAssignments(
        pb.ListAssignmentsRequest(round=c.round.name, judge=f"judges/{judge_id}", entry=entry), metadata=admin()
    )
    assert [a.submitted for a in page.assignments] == [True]

    # Deleting an assignment (with its sheet) and a declared conflict (withdrawing the judge's).
    await competition_stub.DeleteAssignment(
        pb.DeleteAssignmentRequest(round=c.round.name, judge=f"judges/{judge_id}", entry=entry), metadata=admin()
    )
    await check_assignments(competition_service, competition_channel, c.id, "prelim")
    other_judge, other_entry = next((j, e) for j, e in pairs if (j, e) != (judge_id, entry))
    await competition_stub.DeclareConflict(
        pb.DeclareConflictRequest(entry=other_entry, judge=f"judges/{other_judge}", reason="former student"),
        metadata=admin(),
    )
    await check_assignments(competition_service, competition_channel, c.id, "prelim")
    remaining = {(j, e) for j, e in await assigned_pairs(competition_stub, c.round.name)}
    assert (other_judge, other_entry) not in remaining and (judge_id, entry) not in remaining


# --- rows without current bytes -----------------------------------------------------------------


async def test_rows_without_current_bytes_are_served_from_their_columns_then_backfilled(
    competition_service: RunningService, competition_channel: aio.Channel, competition_stub: Any
) -> None:
    c = await make_contest(competition_stub, entries=2, judges=2, round_=round_message(judges_per_entry=2))
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    judge_id, entry = (await assigned_pairs(competition_stub, c.round.name))[0]
    await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
    )
    pool = competition_service.pool
    # A writer from before the read model changes the round (it bumps version, not the bytes), and
    # rows from before the migration have none; one assignment has another codec's.
    await pool.execute(
        "UPDATE rounds SET display_name = 'renamed by an older replica', version = version + 1,"
        " update_time = clock_timestamp() WHERE contest_id = $1",
        c.id,
    )
    await pool.execute(
        "UPDATE assignments SET encoding = 0, encoded = NULL, encoded_submitted = NULL WHERE contest_id = $1"
        " AND judge_id = $2",
        c.id,
        judge_id,
    )
    await pool.execute(
        "UPDATE assignments SET encoding = -1, encoded = '\\x00', encoded_submitted = '\\x00'"
        " WHERE contest_id = $1 AND judge_id <> $2",
        c.id,
        judge_id,
    )
    got = pb.Round.FromString(
        await raw(competition_channel, "GetRound", pb.GetRoundRequest(name=c.round.name), admin())
    )
    assert got.display_name == "renamed by an older replica"
    assert got == codec.round_to_proto(await round_store.get(pool, c.id, "prelim"))
    models = await assignment_store.for_round(pool, c.id, "prelim")
    expected = pb.ListAssignmentsResponse(assignments=[codec.assignment_to_proto(a) for a in models])
    assert await all_pages(competition_channel, c.round.name, admin()) == expected.SerializeToString()
    assert sum(a.submitted for a in expected.assignments) == 1

    assert await backfill(pool, batch=1) >= 1 + len(models)
    await check_round(competition_service, competition_channel, c.id, "prelim")
    await check_assignments(competition_service, competition_channel, c.id, "prelim")
    assert await backfill(pool) == 0


# --- one statement per call ---------------------------------------------------------------------


async def test_the_reads_are_one_statement_each(competition_service: RunningService, competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=3, judges=3, round_=round_message(judges_per_entry=3))
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    logged = LoggedPool(competition_service.pool)
    version = codec.ASSIGNMENT_ENCODING.version
    async with logged.acquire() as connection:
        encoded = await round_store.get_encoded(connection, c.id, "prelim", codec.ROUND_ENCODING.version)
        items, last = await assignment_store.round_page_encoded(
            connection, c.id, "prelim", None, None, None, 4, version
        )
        rest, end = await assignment_store.round_page_encoded(connection, c.id, "prelim", None, None, last, 50, version)
    assert len(logged.statements) == 3
    assert encoded is not None and pb.Round.FromString(encoded).name == c.round.name
    models = await assignment_store.for_round(competition_service.pool, c.id, "prelim")
    first = pb.ListAssignmentsResponse(assignments=[codec.assignment_to_proto(a) for a in models[:4]])
    assert items == first.SerializeToString()
    assert last == [models[3].entry_id, models[3].judge_id]
    second = pb.ListAssignmentsResponse(assignments=[codec.assignment_to_proto(a) for a in models[4:]])
    assert (rest, end) == (second.SerializeToString(), None)
    assert len(models) == 9


async def test_long_names_are_framed_with_two_byte_lengths(
    competition_service: RunningService, competition_channel: aio.Channel, competition_stub: Any
) -> None:
    """An assignment's message over 127 bytes (long ids) is framed with a two-byte length."""
    c = await make_contest(competition_stub, entries=1, judges=1)
    long_id = "e-" + "x" * 61
    await competition_stub.CreateEntry(
        pb.CreateEntryRequest(parent=c.contest.name, entry=entry_message(), entry_id=long_id), metadata=admin()
    )
    await competition_stub.CreateAssignment(
        pb.CreateAssignmentRequest(
            round=c.round.name, judge=c.judges[0].name, entry=f"{c.contest.name}/entries/{long_id}"
        ),
        metadata=admin(),
    )
    models = await assignment_store.for_round(competition_service.pool, c.id, "prelim")
    assert max(len(codec.assignment_to_proto(m).SerializeToString()) for m in models) > 127
    await check_assignments(competition_service, competition_channel, c.id, "prelim")


async def test_a_page_statement_keeps_its_plan(competition_service: RunningService, competition_stub: Any) -> None:
    """The page's LIMIT is part of the statement: PostgreSQL caches a generic plan for it instead of
    planning every call anew (as it did with ``LIMIT $n``: custom plans only)."""
    c = await make_contest(competition_stub, entries=3, judges=3, round_=round_message(judges_per_entry=3))
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    version = codec.ASSIGNMENT_ENCODING.version
    async with competition_service.pool.acquire() as connection:
        for _ in range(12):
            await assignment_store.round_page_encoded(connection, c.id, "prelim", None, None, None, 7, version)
            await assignment_store.round_page(connection, c.id, "prelim", None, None, None, 7)
        # Pages of 7 (no other test asks for them), on this connection.
        plans = await connection.fetch(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%FROM assignments a LEFT JOIN score_sheets s%LIMIT 8) p%'"
            " AND statement NOT LIKE '%pg_prepared_statements%'"
        )
    assert len(plans) == 2
    assert all(p["generic_plans"] >= 6 and p["custom_plans"] <= 6 for p in plans), plans


async def test_replicas_read_each_others_writes(
    competition_service: RunningService, competition_channel: aio.Channel, competition_stub: Any
) -> None:
    """Nothing is kept in a replica: a write through one is what the next read through another answers."""
    from services.competition.service import DEFINITION
    from services.competition.settings import CompetitionSettings
    from tests.support import start

    url = competition_service.settings.database_url
    assert url is not None
    other = await start(CompetitionSettings, DEFINITION, url.get_secret_value())
    try:
        async with aio.insecure_channel(f"127.0.0.1:{other.grpc_port}") as channel:
            c = await make_contest(competition_stub, entries=2, judges=2, round_=round_message(judges_per_entry=2))
            await check_round(other, channel, c.id, "prelim")
            await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
            opened = await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
            assert await check_round(other, channel, c.id, "prelim") == opened
            judge_id, entry = (await assigned_pairs(competition_stub, c.round.name))[0]
            await check_assignments(other, channel, c.id, "prelim")
            await competition_stub.SubmitScoreSheet(
                pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()),
                metadata=judge_auth(judge_id),
            )
            await check_assignments(other, channel, c.id, "prelim")
            closed = await competition_stub.CloseRound(
                pb.CloseRoundRequest(name=c.round.name, force=True, reason="timeout"), metadata=admin()
            )
            assert await check_round(other, channel, c.id, "prelim") == closed
    finally:
        await other.stop(grace=0)


async def test_bytes_are_re_encoded_when_the_database_stored_another_row(
    competition_service: RunningService, competition_channel: aio.Channel, competition_stub: Any
) -> None:
    """The safety net of a round write: should the stored row differ from the model the bytes were
    encoded from, they are encoded again from the stored row."""
    c = await make_contest(competition_stub, entries=1, judges=1)
    pool = competition_service.pool
    row = await pool.fetchrow(f"SELECT {round_store.COLUMNS} FROM rounds WHERE contest_id = $1 AND id = 'prelim'", c.id)
    assert row is not None
    stored = round_store.to_round(row)
    imagined = stored.model_copy(update={"display_name": "not what was stored"})
    await pool.execute(
        "UPDATE rounds SET encoded = $2 WHERE contest_id = $1 AND id = 'prelim'",
        c.id,
        codec.ROUND_ENCODING.encode(imagined),
    )
    async with pool.acquire() as connection:
        assert await round_store._settled(connection, row, imagined, codec.ROUND_ENCODING) == stored
    await check_round(competition_service, competition_channel, c.id, "prelim")
