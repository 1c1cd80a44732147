"""Candidates in PostgreSQL. Each write is one statement: the service decides the new row before
writing it, the row's version guards against concurrent changes, and the unique partial indexes on
email, phone and document hash (migration 0001) refuse duplicates atomically."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from services.common.db import json_text
from services.common.errors import aborted, already_exists, not_found
from services.common.group_commit import REFUSED_FOR_A_ROW
from services.common.idempotency import STORED_KEY_COLUMNS, RequestKey, store_each_sql, store_sql, stored_values
from services.common.pagination import literal_limit
from services.common.sql import Connection, Executor, Where, uuid_param
from services.talent.domain.models import Candidate, CandidateFields, IdentityDocument
from services.talent.store.keys import KEY_JOIN, Outcome, Remember, StoredKey, key_args, stored_key

_COLUMN_NAMES = (
    "id", "kind", "display_name", "domain", "origin", "tier", "employer", "birth_year", "email", "phone",
    "document_last4", "leader", "members", "version", "create_time", "update_time", "delete_time", "anonymized",
)  # fmt: skip


def _columns(alias: str) -> str:
    # An empty members list is read as NULL: most candidates have none, and a NULL spares the
    # driver's JSON decoding of "[]" for every row of a page.
    return ", ".join(
        f"nullif({alias}members, '[]') AS members" if name == "members" else alias + name for name in _COLUMN_NAMES
    )


COLUMNS = _columns("")
C_COLUMNS = _columns("c.")

# order_by → (keyset column, descending)
ORDERINGS: dict[str, tuple[str, bool]] = {
    "create_time": ("create_time", False),
    "create_time desc": ("create_time", True),
    "display_name": ("display_name", False),
    "display_name desc": ("display_name", True),
}

# The columns a create writes, with their types (an INSERT … SELECT does not infer parameter types).
INSERTED = (
    ("id", "uuid"),
    ("kind", "text"),
    ("display_name", "text"),
    ("domain", "text"),
    ("origin", "text"),
    ("tier", "text"),
    ("employer", "text"),
    ("birth_year", "int"),
    ("email", "text"),
    ("phone", "text"),
    ("leader", "jsonb"),
    ("members", "jsonb"),
    ("document_hash", "bytea"),
    ("document_last4", "text"),
    ("version", "int"),
    ("create_time", "timestamptz"),
    ("update_time", "timestamptz"),
    ("encoded", "bytea"),
    ("encoded_masked", "bytea"),
    ("encoding", "smallint"),
)
# Tries of a create whose duplicate vanished between the refused insert and the look-up.
ATTEMPTS = 3
LIVE_KEYS = frozenset({"candidates_email_live_key", "candidates_phone_live_key", "candidates_document_live_key"})


@dataclass(frozen=True)
class Encodings:
    """The candidate's message as writers see it and as viewers do, each encoded as an item of a
    ListCandidatesResponse page (one record of its repeated field: a page is its items one after
    another), and the version of the codec that made them (migration 0005): written with every
    write of the row."""

    full: bytes
    masked: bytes
    version: int

    def values(self) -> list[Any]:
        return [self.full, self.masked, self.version]


def to_candidate(row: asyncpg.Record) -> Candidate:
    # One validation of the whole row, team members (JSON) included: a page maps 50 rows, and
    # handing the fields over one by one from Python cost twice as much. Extra columns of a
    # joined read (the request key's) are ignored.
    values = dict(row)
    values["id"] = str(values["id"])
    if values["members"] is None:  # read as NULL when empty (see _columns)
        values["members"] = ()
    return Candidate.model_validate(values)


def _field_values(fields: CandidateFields) -> list[Any]:
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


_INSERTED_COLUMNS = ", ".join(name for name, _ in INSERTED)
_INSERT = (
    f"INSERT INTO candidates ({_INSERTED_COLUMNS}) VALUES ({', '.join(f'${i}' for i in range(1, len(INSERTED) + 1))})"
)
# The candidate is inserted only when the request key was stored: a retry inserts nothing. Built
# once: the same text every call (a statement cache hit with a known hash, no per-call joins).
_INSERT_CLAIMED = (
    f"WITH claim AS ({store_sql(len(INSERTED) + 1, None)}) INSERT INTO candidates ({_INSERTED_COLUMNS})"
    f" SELECT {', '.join(f'${i}::{kind}' for i, (_, kind) in enumerate(INSERTED, start=1))} FROM claim"
)


def _insert_sql(remember: Remember | None) -> tuple[str, list[Any]]:
    if remember is None:
        return _INSERT, []
    _, args = remember.claim(len(INSERTED) + 1)  # its text is the one in _INSERT_CLAIMED
    return _INSERT_CLAIMED, args


def _inserted_values(candidate: Candidate, encodings: Encodings, document: IdentityDocument | None) -> list[Any]:
    """The values of ``INSERTED``, in its order."""
    return [
        candidate.id,  # made by the service, so canonical: asyncpg's codec parses the text (uuid_param)
        *_field_values(candidate),
        document.hash if document else None,
        document.last4 if document else None,
        candidate.version,
        candidate.create_time,
        candidate.update_time,
        *encodings.values(),
    ]


async def insert(
    executor: Executor,
    candidate: Candidate,
    encodings: Encodings,
    document: IdentityDocument | None,
    remember: Remember | None,
) -> bool:
    """Write a new candidate (and its request key) in one statement. False when the key was taken
    by an earlier call; ALREADY_EXISTS naming the live candidate with the same email, phone or
    identity document."""
    sql, claim_args = _insert_sql(remember)
    args = [*_inserted_values(candidate, encodings, document), *claim_args]
    for _ in range(ATTEMPTS):
        try:
            status: str = await executor.execute(sql, *args)
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name not in LIVE_KEYS:
                raise
            # The statement (request key included) rolled back as a whole; name who holds the value.
            await refuse_duplicate(executor, candidate, document, exclude=None)
            continue  # the holder was deleted in between: try again
        return status.endswith(" 1")
    raise aborted("CONCURRENT_CHANGE", "candidates with the same contact kept changing; retry")


@dataclass(frozen=True)
class NewCandidate:
    """A create's row as :func:`insert` takes it, for :func:`insert_many`."""

    candidate: Candidate
    encodings: Encodings
    document: IdentityDocument | None
    remember: Remember | None


# insert_many's rows: a candidate's columns, then its request key's (NULL without one).
_ROWS = INSERTED + tuple(("key_" + name, kind) for name, kind in STORED_KEY_COLUMNS)
_NO_KEY = (None,) * len(STORED_KEY_COLUMNS)
# JSON columns travel as text (a list of JSON lists would read as a two-dimensional array).
_UNNESTED = ", ".join(f"${i}::{'text' if kind == 'jsonb' else kind}[]" for i, (_, kind) in enumerate(_ROWS, start=1))
_SELECTED = ", ".join(f"{name}::jsonb" if kind == "jsonb" else name for name, kind in INSERTED)
_JSON_COLUMNS = frozenset(i for i, (_, kind) in enumerate(_ROWS) if kind == "jsonb")
# The keys first (taken ones are not stored), then the candidates whose key was stored or who have
# none: one statement, all or nothing, as _INSERT_CLAIMED is for one row.
_INSERT_MANY = (
    f"WITH r AS (SELECT * FROM unnest({_UNNESTED}) AS r({', '.join(name for name, _ in _ROWS)})),"
    f" claim AS ({store_each_sql('r', 'key_')})"
    f" INSERT INTO candidates ({_INSERTED_COLUMNS}) SELECT {_SELECTED} FROM r"
    " WHERE key_request_id IS NULL OR (key_scope, key_request_id) IN (SELECT scope, request_id FROM claim)"
    " RETURNING id"
)


async def insert_many(executor: Executor, rows: Sequence[NewCandidate]) -> set[int]:
    """Write new candidates (and their request keys) in one statement: the positions of the rows
    written. Left out: a row whose key was taken by an earlier call, and a row whose key another
    row of ``rows`` has (its caller, alone, replays the first's response). None is written when
    PostgreSQL refused the statement because of a row (see ``REFUSED_FOR_A_ROW``)."""
    if len(rows) == 1:
        # Alone, by insert's statement: PostgreSQL runs it for less than the group's (no unnest),
        # and most creates are alone but under load. Its refusal (a duplicate) is the row's own.
        row = rows[0]
        return {0} if await insert(executor, row.candidate, row.encodings, row.document, row.remember) else set()
    columns: list[list[Any]] = [[] for _ in _ROWS]
    sent: list[int] = []
    keys: set[tuple[str, str]] = set()
    for position, row in enumerate(rows):
        key = row.remember.key if row.remember else None
        if key is not None:
            if (key.scope, key.request_id) in keys:
                continue
            keys.add((key.scope, key.request_id))
        sent.append(position)
        remember = row.remember
        values = [
            *_inserted_values(row.candidate, row.encodings, row.document),
            *(stored_values(remember.key, remember.response, remember.resource) if remember else _NO_KEY),
        ]
        for index, value in enumerate(values):
            columns[index].append(json_text(value) if index in _JSON_COLUMNS and value is not None else value)
    try:
        written = await executor.fetch(_INSERT_MANY, *columns)
    except REFUSED_FOR_A_ROW:
        return set()
    ids = {str(record[0]) for record in written}
    return {position for position in sent if rows[position].candidate.id in ids}


async def refuse_duplicate(
    executor: Executor, fields: CandidateFields, document: IdentityDocument | None, *, exclude: str | None
) -> None:
    """ALREADY_EXISTS when another live candidate has the same email, phone or identity document."""
    existing = await executor.fetchval(
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


_ENCODED_COLUMN = {False: "encoded", True: "encoded_masked"}


async def get_encoded(executor: Executor, candidate_id: str, *, masked: bool, version: int) -> bytes | None:
    """A live candidate's stored item (masked: as viewers see it); None when it is not of codec
    ``version`` (read the columns instead). NOT_FOUND as :func:`get`."""
    key = uuid_param(candidate_id)
    row = None
    if key is not None:
        row = await executor.fetchrow(
            f"SELECT CASE WHEN encoding = $2 THEN {_ENCODED_COLUMN[masked]} END AS encoded,"
            " delete_time IS NOT NULL AS deleted FROM candidates WHERE id = $1",
            key,
            version,
        )
    if row is None or row["deleted"]:
        raise not_found("candidate", f"candidates/{candidate_id}")
    found: bytes | None = row["encoded"]
    return found


async def get_many(executor: Executor, candidate_ids: list[str]) -> dict[str, Candidate]:
    """The candidates of ``candidate_ids`` (deleted ones included) by id."""
    rows = await executor.fetch(
        f"SELECT {COLUMNS} FROM candidates WHERE id = ANY ($1::uuid[])", [uuid.UUID(i) for i in candidate_ids]
    )
    return {candidate.id: candidate for candidate in map(to_candidate, rows)}


async def stale_encodings(executor: Executor, version: int, limit: int) -> list[Candidate]:
    """Up to ``limit`` candidates whose stored bytes are missing or not of codec ``version``."""
    rows = await executor.fetch(
        f"SELECT {COLUMNS} FROM candidates WHERE encoding IS DISTINCT FROM $1 ORDER BY id LIMIT $2", version, limit
    )
    return [to_candidate(r) for r in rows]


async def store_encodings(executor: Executor, encoded: list[tuple[Candidate, Encodings]]) -> int:
    """Write each candidate's new encodings if its row is still at the version they were made from;
    the number written (a row changed meanwhile got its bytes from that write, or is stale again)."""
    if not encoded:
        return 0
    status: str = await executor.execute(
        "UPDATE candidates c SET encoded = u.encoded, encoded_masked = u.encoded_masked, encoding = u.encoding"
        " FROM unnest($1::uuid[], $2::int[], $3::bytea[], $4::bytea[], $5::smallint[])"
        "  AS u (id, version, encoded, encoded_masked, encoding)"
        " WHERE c.id = u.id AND c.version = u.version AND c.encoding IS DISTINCT FROM u.encoding",
        [uuid.UUID(c.id) for c, _ in encoded],
        [c.version for c, _ in encoded],
        [e.full for _, e in encoded],
        [e.masked for _, e in encoded],
        [e.version for _, e in encoded],
    )
    return int(status.rpartition(" ")[2])


async def get(executor: Executor, candidate_id: str, *, include_deleted: bool = False) -> Candidate:
    key = uuid_param(candidate_id)
    row = None
    if key is not None:
        row = await executor.fetchrow(f"SELECT {COLUMNS} FROM candidates WHERE id = $1", key)
    if row is None or (row["delete_time"] is not None and not include_deleted):
        raise not_found("candidate", f"candidates/{candidate_id}")
    return to_candidate(row)


async def get_with_key(
    executor: Executor, candidate_id: str, key: RequestKey | None
) -> tuple[Candidate | None, StoredKey]:
    """The candidate (deleted ones included; None when there is none) and the row of ``key``, in one query."""
    scope, request_id = key_args(key)
    row = await executor.fetchrow(
        f"SELECT {C_COLUMNS}, c.id IS NOT NULL AS found, k.request_hash, k.response FROM (SELECT) one"
        f" LEFT JOIN candidates c ON c.id = $1 {KEY_JOIN.format(scope='$2', request_id='$3')}",
        uuid_param(candidate_id),
        scope,
        request_id,
    )
    assert row is not None
    return (to_candidate(row) if row["found"] else None), stored_key(row)


async def update(
    executor: Executor,
    current: Candidate,
    changed: Candidate,
    encodings: Encodings,
    document: IdentityDocument | None,
    replace_document: bool,
) -> bool:
    """Write ``changed`` over ``current`` if the row is still at ``current``'s version and live.
    False when it moved on; ALREADY_EXISTS when the new contact belongs to another candidate."""
    try:
        status: str = await executor.execute(
            "UPDATE candidates SET kind = $3, display_name = $4, domain = $5, origin = $6, tier = $7,"
            " employer = $8, birth_year = $9, email = $10, phone = $11, leader = $12, members = $13,"
            " document_hash = CASE WHEN $14 THEN $15 ELSE document_hash END, document_last4 = $16,"
            " version = $17, update_time = $18, encoded = $19, encoded_masked = $20, encoding = $21"
            " WHERE id = $1 AND version = $2 AND delete_time IS NULL",
            uuid.UUID(current.id),
            current.version,
            *_field_values(changed),
            replace_document,
            document.hash if document else None,
            changed.document_last4,
            changed.version,
            changed.update_time,
            *encodings.values(),
        )
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name not in LIVE_KEYS:
            raise
        await refuse_duplicate(executor, changed, document if replace_document else None, exclude=current.id)
        return False  # the holder went away in between: read again
    return status.endswith(" 1")


async def soft_delete(
    executor: Executor, current: Candidate, deleted: Candidate, encodings: Encodings, remember: Remember | None
) -> Outcome:
    """Mark the candidate deleted (and store the request key) if it is still at ``current``'s version."""
    guard = "SELECT id FROM candidates WHERE id = $1 AND version = $2 AND delete_time IS NULL FOR UPDATE"
    change = (
        "UPDATE candidates SET delete_time = $3, version = $4, update_time = $5,"
        " encoded = $6, encoded_masked = $7, encoding = $8 WHERE id = $1"
    )
    args: list[Any] = [
        uuid.UUID(current.id),
        current.version,
        deleted.delete_time,
        deleted.version,
        deleted.update_time,
        *encodings.values(),
    ]
    if remember is None:
        status: str = await executor.execute(f"{change} AND version = $2 AND delete_time IS NULL", *args)
        return Outcome.WRITTEN if status.endswith(" 1") else Outcome.STALE
    claim, claim_args = remember.claim(len(args) + 1, source="guard")
    row = await executor.fetchrow(
        f"WITH guard AS ({guard}), claim AS ({claim}),"
        f" changed AS ({change} AND EXISTS (SELECT FROM claim) RETURNING id)"
        " SELECT EXISTS (SELECT FROM guard) AS guarded, EXISTS (SELECT FROM changed) AS changed",
        *args,
        *claim_args,
    )
    assert row is not None
    return _outcome(row)


def _outcome(row: asyncpg.Record) -> Outcome:
    if not row["guarded"]:
        return Outcome.STALE
    return Outcome.WRITTEN if row["changed"] else Outcome.KEY_TAKEN


async def lock_for_erasure(connection: Connection, candidate_id: str) -> Candidate:
    """The candidate (deleted or not), locked until the caller's transaction ends."""
    key = uuid_param(candidate_id)
    row = None
    if key is not None:
        row = await connection.fetchrow(f"SELECT {COLUMNS} FROM candidates WHERE id = $1 FOR UPDATE", key)
    if row is None:
        raise not_found("candidate", f"candidates/{candidate_id}")
    return to_candidate(row)


async def erase(connection: Connection, anonymized: Candidate, encodings: Encodings) -> None:
    """Write the anonymized candidate and blank the free-text notes of its stage history (staff
    write names and phone numbers there); stages, actors and times stay for reporting."""
    await connection.execute(
        "WITH notes AS (UPDATE application_events e SET note = '' FROM applications a"
        "  WHERE a.candidate_id = $1 AND e.application_id = a.id AND e.note <> '')"
        " UPDATE candidates SET display_name = $2, employer = $3, birth_year = NULL, email = NULL, phone = NULL,"
        " document_hash = NULL, document_last4 = NULL, leader = $4, members = '[]', anonymized = true,"
        " version = $5, update_time = $6, encoded = $7, encoded_masked = $8, encoding = $9 WHERE id = $1",
        uuid.UUID(anonymized.id),
        anonymized.display_name,
        anonymized.employer,
        anonymized.leader.model_dump() if anonymized.leader else None,
        anonymized.version,
        anonymized.update_time,
        *encodings.values(),
    )


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


# The two forms of a page's statement: its stored items aggregated into one row (list_page_encoded),
# or row by row (list_page_items).
PageForm = Literal["encoded", "items"]


# A page's statement depends on its filter, ordering, size and form and on whether it starts after
# a position, never on the position: the statement and its parameters before the position's (which
# come last) are built once per such shape and filter, and every call gets the same str, whose hash
# asyncpg's statement cache then has. The filters are those ListCandidates' checks passed (bounded
# text), so a kept statement is small.
@functools.lru_cache(maxsize=1024)
def _page_statement(
    form: PageForm, where_filter: CandidateFilter, order_by: str, paged: bool, limit: int, masked: bool, version: int
) -> tuple[str, tuple[Any, ...]]:
    """One page's SELECT in keyset order (``limit`` + 1 rows: the extra one says whether another
    page follows), and its parameters but the position's (see :func:`_page_args`)."""
    column, descending = ORDERINGS[order_by]
    where = Where()
    item = f"CASE WHEN c.encoding = {where.param(version)} THEN c.{_ENCODED_COLUMN[masked]} END AS item"
    if form == "encoded":
        select_list = f"c.id, c.{column} AS position, {item}, row_number() OVER (ORDER BY {_order(order_by)}) AS rn"
    else:
        select_list = f"c.id, c.{column}, {item}"
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
    if paged:
        n = len(where.args)
        comparison = "<" if descending else ">"
        where.conditions.append(f"(c.{column}, c.id) {comparison} (${n + 1}, ${n + 2}::uuid)")
    page = f"SELECT {select_list} FROM candidates c WHERE {where.sql()} ORDER BY {_order(order_by)} LIMIT {limit + 1}"
    if form == "items":
        return page, tuple(where.args)
    return _encoded_page(page, order_by, limit), tuple(where.args)


def _page_args(statement_args: tuple[Any, ...], order_by: str, after: list[Any] | None) -> tuple[Any, ...]:
    """A page statement's parameters: those of its filter, then the position it starts after."""
    if after is None:
        return statement_args
    column, _ = ORDERINGS[order_by]
    position: Any = datetime.fromisoformat(after[0]) if column == "create_time" else after[0]
    return (*statement_args, position, after[1])


def _position(order_by: str, value: Any, candidate_id: str) -> list[Any]:
    """The page token's position after a row: its keyset column's value (a time as ISO text) and id."""
    column, _ = ORDERINGS[order_by]
    return [value.isoformat() if column == "create_time" else value, candidate_id]


def _outer_order(order_by: str) -> str:
    """The page's order over the subquery's columns (``position``, ``id``): the order its rows come
    in, so that PostgreSQL (16 and later) aggregates them as they come. Ordered by ``rn`` instead,
    the same order, it sorted the page's items again before concatenating them."""
    _, descending = ORDERINGS[order_by]
    direction = "DESC" if descending else "ASC"
    return f"p.position {direction}, p.id {direction}"


def _order(order_by: str) -> str:
    column, descending = ORDERINGS[order_by]
    direction = "DESC" if descending else "ASC"
    return f"c.{column} {direction}, c.id {direction}"


def _encoded_page(page: str, order_by: str, size: int) -> str:
    """list_page_encoded's statement around ``page``: the page's items concatenated in its order,
    how many rows it found (``size`` + 1 means another page follows), and its ``size``-th row's
    position."""
    return (
        "SELECT count(*) AS n, count(*) FILTER (WHERE p.item IS NULL) AS stale,"
        f" string_agg(p.item, ''::bytea ORDER BY {_outer_order(order_by)}) FILTER (WHERE p.rn <= {size}) AS items,"
        f" (array_agg(p.position) FILTER (WHERE p.rn = {size}))[1] AS last_position,"
        f" (array_agg(p.id) FILTER (WHERE p.rn = {size}))[1] AS last_id"
        f" FROM ({page}) p"
    )


async def list_page_encoded(
    executor: Executor,
    where_filter: CandidateFilter,
    order_by: str,
    after: list[Any] | None,
    limit: int,
    *,
    masked: bool,
    version: int,
) -> tuple[bytes | None, list[Any] | None]:
    """One page in keyset order as it goes on the wire, in one statement returning one row: the
    ``candidates`` field of ListCandidatesResponse (the page's stored items, concatenated by
    PostgreSQL), and the position after the page's last row (None on the last page). None for the
    bytes when a row of the page has no item of codec ``version``: read it by :func:`list_page_items`."""
    size = literal_limit(limit)
    sql, args = _page_statement("encoded", where_filter, order_by, after is not None, size, masked, version)
    row = await executor.fetchrow(sql, *_page_args(args, order_by, after))
    assert row is not None
    if row["stale"]:
        return None, None
    items: bytes = row["items"] or b""
    if row["n"] <= limit:
        return items, None
    return items, _position(order_by, row["last_position"], str(row["last_id"]))


async def list_page_items(
    executor: Executor,
    where_filter: CandidateFilter,
    order_by: str,
    after: list[Any] | None,
    limit: int,
    *,
    masked: bool,
    version: int,
) -> tuple[list[tuple[str, bytes | None]], list[Any] | None]:
    """As :func:`list_page_encoded`, row by row: each row's id and stored item (None when it has no
    item of codec ``version``), for a page with stale rows."""
    size = literal_limit(limit)
    sql, args = _page_statement("items", where_filter, order_by, after is not None, size, masked, version)
    rows = await executor.fetch(sql, *_page_args(args, order_by, after))
    page = [(str(r[0]), r[2]) for r in rows[:limit]]
    if len(rows) <= limit:
        return page, None
    last = rows[limit - 1]
    return page, _position(order_by, last[1], str(last[0]))
