from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.sql import Connection, Executor, Where
from services.talent.domain.models import Candidate, CandidateFields, TeamMember

COLUMNS = (
    "id, kind, display_name, domain, origin, tier, employer, birth_year, email, phone, document_last4,"
    " leader, members, version, create_time, update_time, delete_time, anonymized"
)

# order_by → (keyset column, descending)
ORDERINGS: dict[str, tuple[str, bool]] = {
    "create_time": ("create_time", False),
    "create_time desc": ("create_time", True),
    "display_name": ("display_name", False),
    "display_name desc": ("display_name", True),
}


def _member(value: Any) -> TeamMember:
    return TeamMember(display_name=value["display_name"], role=value.get("role", ""))


def to_candidate(row: asyncpg.Record) -> Candidate:
    return Candidate(
        id=str(row["id"]),
        kind=row["kind"],
        display_name=row["display_name"],
        domain=row["domain"],
        origin=row["origin"],
        tier=row["tier"],
        employer=row["employer"],
        birth_year=row["birth_year"],
        email=row["email"],
        phone=row["phone"],
        document_last4=row["document_last4"],
        leader=_member(row["leader"]) if row["leader"] else None,
        members=tuple(_member(m) for m in row["members"]),
        version=row["version"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        delete_time=row["delete_time"],
        anonymized=row["anonymized"],
    )


@dataclass(frozen=True)
class Document:
    hash: bytes
    last4: str


async def _refuse_duplicates(
    connection: Connection, fields: CandidateFields, document: Document | None, exclude: str | None
) -> None:
    existing = await connection.fetchval(
        "SELECT id FROM candidates WHERE delete_time IS NULL AND id IS DISTINCT FROM $4::uuid"
        " AND (email = $1 OR phone = $2 OR document_hash = $3) LIMIT 1",
        fields.email,
        fields.phone,
        document.hash if document else None,
        exclude,
    )
    if existing is not None:
        raise already_exists(
            "DUPLICATE_CANDIDATE",
            "a candidate with the same email, phone or identity document already exists",
            {"existing_candidate": f"candidates/{existing}"},
        )


def _values(fields: CandidateFields) -> list[Any]:
    return [
        fields.kind.value,
        fields.display_name,
        fields.domain.value,
        fields.origin.value,
        fields.tier.value if fields.tier else None,
        fields.employer,
        fields.birth_year,
        fields.email,
        fields.phone,
        fields.leader.model_dump() if fields.leader else None,
        [m.model_dump() for m in fields.members],
    ]


async def insert(connection: asyncpg.Connection, fields: CandidateFields, document: Document | None) -> Candidate:
    await _refuse_duplicates(connection, fields, document, None)
    # ON CONFLICT: a concurrent create may win the race between the check and the insert; the
    # transaction must stay usable to name the winner.
    row = await connection.fetchrow(
        "INSERT INTO candidates (id, kind, display_name, domain, origin, tier, employer, birth_year,"
        " email, phone, leader, members, document_hash, document_last4)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        f" ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
        uuid.uuid4(),
        *_values(fields),
        document.hash if document else None,
        document.last4 if document else None,
    )
    if row is None:
        await _refuse_duplicates(connection, fields, document, None)
        raise already_exists("DUPLICATE_CANDIDATE", "a candidate with the same contact already exists")
    return to_candidate(row)


def _uuid(candidate_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(candidate_id)
    except ValueError:
        return None


async def get(
    connection: Executor,
    candidate_id: str,
    *,
    for_update: bool = False,
    include_deleted: bool = False,
) -> Candidate:
    key = _uuid(candidate_id)
    row = None
    if key is not None:
        lock = " FOR UPDATE" if for_update else ""
        row = await connection.fetchrow(f"SELECT {COLUMNS} FROM candidates WHERE id = $1{lock}", key)
    if row is None or (row["delete_time"] is not None and not include_deleted):
        raise not_found("candidate", f"candidates/{candidate_id}")
    return to_candidate(row)


async def update(
    connection: Connection,
    current: Candidate,
    fields: CandidateFields,
    document: Document | None,
    replace_document: bool,
) -> Candidate:
    await _refuse_duplicates(connection, fields, document, current.id)
    try:
        # A savepoint: if a concurrent write takes the same contact between our check and our
        # update, the transaction stays usable to name the winner.
        async with connection.transaction():
            row = await _update_row(connection, current, fields, document, replace_document)
    except asyncpg.UniqueViolationError:
        await _refuse_duplicates(connection, fields, document, current.id)
        raise already_exists("DUPLICATE_CANDIDATE", "a candidate with the same contact already exists") from None
    return to_candidate(row)


async def _update_row(
    connection: Connection,
    current: Candidate,
    fields: CandidateFields,
    document: Document | None,
    replace_document: bool,
) -> asyncpg.Record:
    row = await connection.fetchrow(
        "UPDATE candidates SET kind = $2, display_name = $3, domain = $4, origin = $5, tier = $6,"
        " employer = $7, birth_year = $8, email = $9, phone = $10, leader = $11, members = $12,"
        " document_hash = CASE WHEN $13 THEN $14 ELSE document_hash END,"
        " document_last4 = CASE WHEN $13 THEN $15 ELSE document_last4 END,"
        f" version = version + 1, update_time = clock_timestamp() WHERE id = $1 RETURNING {COLUMNS}",
        uuid.UUID(current.id),
        *_values(fields),
        replace_document,
        document.hash if document else None,
        document.last4 if document else None,
    )
    assert row is not None, "the row was read under a lock"
    return row


async def soft_delete(connection: asyncpg.Connection, candidate_id: str) -> Candidate:
    row = await connection.fetchrow(
        "UPDATE candidates SET delete_time = clock_timestamp(), version = version + 1,"
        f" update_time = clock_timestamp() WHERE id = $1 RETURNING {COLUMNS}",
        uuid.UUID(candidate_id),
    )
    assert row is not None, "the row was read under a lock"
    return to_candidate(row)


async def anonymize(connection: asyncpg.Connection, candidate_id: str) -> Candidate:
    """Erase personal data; applications and their stage history stay for reporting."""
    row = await connection.fetchrow(
        "UPDATE candidates SET display_name = 'anonymized-' || left(id::text, 8), employer = '',"
        " birth_year = NULL, email = NULL, phone = NULL, document_hash = NULL, document_last4 = NULL,"
        ' leader = CASE WHEN kind = \'TEAM\' THEN \'{"display_name": "anonymized", "role": ""}\'::jsonb END,'
        " members = '[]', anonymized = true, version = version + 1, update_time = clock_timestamp()"
        f" WHERE id = $1 RETURNING {COLUMNS}",
        uuid.UUID(candidate_id),
    )
    assert row is not None, "the row was read under a lock"
    return to_candidate(row)


@dataclass(frozen=True)
class CandidateFilter:
    domain: str | None = None
    origin: str | None = None
    tier: str | None = None
    kind: str | None = None
    programme_id: str | None = None
    stage: str | None = None
    year: int | None = None
    name_contains: str | None = None
    show_deleted: bool = False


async def list_page(
    pool: asyncpg.Pool, where_filter: CandidateFilter, order_by: str, after: list[Any] | None, limit: int
) -> tuple[list[Candidate], list[Any] | None]:
    """One page in keyset order, and the position after its last row (None on the last page)."""
    column, descending = ORDERINGS[order_by]
    where = Where()
    f = where_filter
    if not f.show_deleted:
        where.add("c.delete_time IS NULL")
    for name in ("domain", "origin", "tier", "kind"):
        value = getattr(f, name)
        if value is not None:
            where.add(f"c.{name} = {{}}", value)
    if f.name_contains:
        pattern = "%" + f.name_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.add("lower(c.display_name) LIKE {}", pattern)
    if f.programme_id is not None or f.stage is not None or f.year is not None:
        inner = ["a.candidate_id = c.id"]
        if f.programme_id is not None:
            inner.append(f"a.programme_id = {where.param(f.programme_id)}")
        if f.stage is not None:
            inner.append(f"a.stage = {where.param(f.stage)}")
        if f.year is not None:
            inner.append(f"a.year = {where.param(f.year)}")
        where.conditions.append(f"EXISTS (SELECT 1 FROM applications a WHERE {' AND '.join(inner)})")
    if after is not None:
        position: Any = datetime.fromisoformat(after[0]) if column == "create_time" else after[0]
        comparison = "<" if descending else ">"
        where.add(f"(c.{column}, c.id) {comparison} ({{}}, {{}}::uuid)", position, after[1])
    direction = "DESC" if descending else "ASC"
    rows = await pool.fetch(
        f"SELECT {', '.join('c.' + c.strip() for c in COLUMNS.split(','))} FROM candidates c"
        f" WHERE {where.sql()} ORDER BY c.{column} {direction}, c.id {direction}"
        f" LIMIT {where.param(limit + 1)}",
        *where.args,
    )
    candidates = [to_candidate(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return candidates, None
    last = candidates[-1]
    key = last.create_time.isoformat() if column == "create_time" else last.display_name
    return candidates, [key, last.id]
