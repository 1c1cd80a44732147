"""Judge invitations (identity, expiry, revocation; never the link's secret)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.common.errors import not_found
from services.common.pagination import literal_limit
from services.common.sql import Connection, Executor, Where
from services.competition.domain.invitations import Invitation

COLUMNS = "contest_id, round_id, id, judge_id, created_by, create_time, expire_time, revoke_time, revoked_by"


def to_invitation(row: asyncpg.Record) -> Invitation:
    return Invitation(**dict(row))


async def active_for_round(executor: Executor, contest_id: str, round_id: str) -> dict[str, Invitation]:
    """judge id → the judge's latest active invitation of the round."""
    rows = await executor.fetch(
        f"SELECT DISTINCT ON (judge_id) {COLUMNS} FROM judge_invitations"
        " WHERE contest_id = $1 AND round_id = $2 AND revoke_time IS NULL AND expire_time > clock_timestamp()"
        " ORDER BY judge_id, create_time DESC",
        contest_id,
        round_id,
    )
    return {r["judge_id"]: to_invitation(r) for r in rows}


async def insert_many(
    connection: Connection,
    contest_id: str,
    round_id: str,
    rows: Sequence[tuple[str, str]],
    created_by: str,
    expire_time: datetime,
) -> list[Invitation]:
    """Insert one invitation per (invitation id, judge id), in one statement."""
    if not rows:
        return []
    records = await connection.fetch(
        "INSERT INTO judge_invitations (contest_id, round_id, id, judge_id, created_by, expire_time)"
        " SELECT $1, $2, i.id, i.judge_id, $5, $6 FROM unnest($3::text[], $4::text[]) AS i(id, judge_id)"
        f" RETURNING {COLUMNS}",
        contest_id,
        round_id,
        [invitation_id for invitation_id, _ in rows],
        [judge_id for _, judge_id in rows],
        created_by,
        expire_time,
    )
    return [to_invitation(r) for r in records]


async def get(executor: Executor, contest_id: str, round_id: str, invitation_id: str, *, lock: str = "") -> Invitation:
    row = await executor.fetchrow(
        f"SELECT {COLUMNS} FROM judge_invitations WHERE contest_id = $1 AND round_id = $2 AND id = $3 {lock}",
        contest_id,
        round_id,
        invitation_id,
    )
    if row is None:
        raise not_found("invitation", f"contests/{contest_id}/rounds/{round_id}/invitations/{invitation_id}")
    return to_invitation(row)


async def find(executor: Executor, invitation_id: str) -> Invitation | None:
    """By id alone (the unique index judge_invitations_id_idx): what redeeming a code looks up."""
    row = await executor.fetchrow(f"SELECT {COLUMNS} FROM judge_invitations WHERE id = $1", invitation_id)
    return to_invitation(row) if row is not None else None


async def revoke(connection: Connection, current: Invitation, revoked_by: str) -> Invitation:
    row = await connection.fetchrow(
        "UPDATE judge_invitations SET revoke_time = coalesce(revoke_time, clock_timestamp()),"
        " revoked_by = CASE WHEN revoke_time IS NULL THEN $4 ELSE revoked_by END"
        f" WHERE contest_id = $1 AND round_id = $2 AND id = $3 RETURNING {COLUMNS}",
        current.contest_id,
        current.round_id,
        current.id,
        revoked_by,
    )
    assert row is not None  # the caller holds the row FOR UPDATE
    return to_invitation(row)


async def list_page(
    executor: Executor,
    contest_id: str,
    round_id: str,
    judge_id: str | None,
    show_inactive: bool,
    after: tuple[str, str] | None,
    limit: int,
) -> tuple[list[Invitation], list[str] | None]:
    """Ordered by (judge, invitation id), keyset-paged on the same pair."""
    where = Where()
    where.add("contest_id = {}", contest_id)
    where.add("round_id = {}", round_id)
    if judge_id is not None:
        where.add("judge_id = {}", judge_id)
    if not show_inactive:
        where.add("revoke_time IS NULL AND expire_time > clock_timestamp()")
    if after is not None:
        where.add("(judge_id, id) > ({}, {})", after[0], after[1])
    rows = await executor.fetch(
        f"SELECT {COLUMNS} FROM judge_invitations WHERE {where.sql()} ORDER BY judge_id, id"
        f" LIMIT {literal_limit(limit) + 1}",
        *where.args,
    )
    page = [to_invitation(r) for r in rows[:limit]]
    last = [page[-1].judge_id, page[-1].id] if len(rows) > limit else None
    return page, last
