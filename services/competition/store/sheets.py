"""Score sheets: the current sheet of each (round, entry, judge) and every version of it."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.common.db import json_text
from services.common.group_commit import REFUSED_FOR_A_ROW
from services.common.idempotency import (
    STORED_KEY_COLUMNS,
    RequestKey,
    store_each_sql,
    store_sql,
    store_statement,
    stored_values,
)
from services.common.pagination import literal_limit
from services.common.sql import Connection, Executor, Where
from services.competition.domain.audit import payload_text
from services.competition.domain.eligibility import ScoringFacts
from services.competition.domain.models import CriterionSpec, ScoreSheet
from services.competition.domain.stages import RoundState

COLUMNS = "contest_id, round_id, entry_id, judge_id, scores, comment, total, version, submit_time"


def to_sheet(row: asyncpg.Record) -> ScoreSheet:
    values: dict[str, Any] = dict(row)
    values["scores"] = {key: float(value) for key, value in row["scores"].items()}
    return ScoreSheet(**values)


@dataclass(frozen=True)
class SheetContext:
    """What SubmitScoreSheet reads before deciding, in one query (see ``scoring_facts``)."""

    facts: ScoringFacts
    round_version: int
    criteria: tuple[CriterionSpec, ...]
    # The current sheet's version (None: no current sheet) and the highest version ever written for
    # the pair (None: never scored); a new sheet is always the highest + 1, so versions never repeat.
    current_version: int | None
    last_version: int | None
    # The request id's row, when the caller sent one and it was already used.
    stored_hash: bytes | None
    stored_response: bytes | None


SCORING_FACTS = """
SELECT r.state, r.version AS round_version, r.criteria::text AS criteria, c.judge_ids AS panel, e.organisations,
       j.affiliations,
       EXISTS (SELECT 1 FROM declared_conflicts d
                WHERE d.contest_id = $1 AND d.entry_id = $3 AND d.judge_id = $4) AS declared,
       EXISTS (SELECT 1 FROM assignments a
                WHERE a.contest_id = $1 AND a.round_id = $2 AND a.entry_id = $3 AND a.judge_id = $4) AS assigned,
       (SELECT s.version FROM score_sheets s
         WHERE s.contest_id = $1 AND s.round_id = $2 AND s.entry_id = $3 AND s.judge_id = $4) AS current_version,
       (SELECT max(v.version) FROM score_sheet_versions v
         WHERE v.contest_id = $1 AND v.round_id = $2 AND v.entry_id = $3 AND v.judge_id = $4) AS last_version,
       k.request_hash, k.response
  FROM (SELECT) one
  LEFT JOIN rounds r ON r.contest_id = $1 AND r.id = $2
  LEFT JOIN contests c ON c.id = $1
  LEFT JOIN entries e ON e.contest_id = $1 AND e.id = $3
  LEFT JOIN judges j ON j.id = $4
  LEFT JOIN idempotency_keys k ON k.scope = $5 AND k.request_id = $6
"""


@functools.lru_cache(maxsize=256)
def criteria_of(text: str) -> tuple[CriterionSpec, ...]:
    """A round's criteria column (its JSON text) as specs. Memoised by the text: every sheet of a
    round reads the same criteria, and the same (immutable) tuple lets the caller memoise what it
    derives from them."""
    return tuple(CriterionSpec(**c) for c in json.loads(text))


async def scoring_facts(
    connection: Connection, contest_id: str, round_id: str, entry_id: str, judge_id: str, key: RequestKey | None
) -> SheetContext:
    """Everything the eligibility rule, the sheet's validation and the request-id replay need, in
    one query of primary-key lookups; no lock (the write re-checks what may change meanwhile)."""
    row = await connection.fetchrow(
        SCORING_FACTS,
        contest_id,
        round_id,
        entry_id,
        judge_id,
        key.scope if key else None,
        key.request_id if key else None,
    )
    assert row is not None
    state = RoundState(row["state"]) if row["state"] is not None else None
    facts = ScoringFacts(
        contest_id=contest_id,
        round_id=round_id,
        entry_id=entry_id,
        judge_id=judge_id,
        round_state=state,
        entry_organisations=tuple(row["organisations"]) if row["organisations"] is not None else None,
        judge_affiliations=tuple(row["affiliations"]) if row["affiliations"] is not None else None,
        panel=tuple(row["panel"] or ()),
        declared_conflict=row["declared"],
        assigned=row["assigned"],
    )
    return SheetContext(
        facts=facts,
        round_version=row["round_version"] or 0,
        criteria=criteria_of(row["criteria"]) if row["criteria"] is not None else (),
        current_version=row["current_version"],
        last_version=row["last_version"],
        stored_hash=row["request_hash"],
        stored_response=row["response"],
    )


def _write_sql(stored: str, source: str) -> str:
    return (
        "WITH guard AS (SELECT 1 FROM rounds r JOIN assignments a ON a.contest_id = r.contest_id"
        " AND a.round_id = r.id AND a.entry_id = $3 AND a.judge_id = $4"
        " WHERE r.contest_id = $1 AND r.id = $2 AND r.state = 'OPEN' AND r.version = $5"
        " FOR SHARE OF r FOR KEY SHARE OF a),"
        f"{stored}"
        " sheet AS (INSERT INTO score_sheets (contest_id, round_id, entry_id, judge_id, scores, comment, total,"
        " version, submit_time) SELECT $1, $2, $3, $4, $6::jsonb, $7::text, $8::float8, $9::int, $10::timestamptz"
        f" FROM {source}"
        " ON CONFLICT (contest_id, round_id, entry_id, judge_id) DO UPDATE SET scores = excluded.scores,"
        " comment = excluded.comment, total = excluded.total, version = excluded.version,"
        " submit_time = excluded.submit_time WHERE score_sheets.version = $11::int RETURNING 1),"
        " history AS (INSERT INTO score_sheet_versions (contest_id, round_id, entry_id, judge_id, version, scores,"
        " comment, total, submitted_by, submit_time)"
        " SELECT $1, $2, $3, $4, $9::int, $6::jsonb, $7::text, $8::float8, $4, $10::timestamptz FROM sheet"
        " RETURNING 1),"
        " audit AS (INSERT INTO audit_log (occurred_at, actor, action, payload)"
        " SELECT $10::timestamptz, $12::text, 'sheet.submitted', $13::text FROM history RETURNING 1)"
        " SELECT count(*) FROM audit"
    )


# write_submitted's 13 parameters, then (with a request id) the key's five. Both texts are built
# once: the same string every call, so the statement cache finds it without rehashing 1.5 kB.
_KEY_PARAM = 14
_WRITE = _write_sql("", "guard")
_WRITE_KEYED = _write_sql(f" stored AS ({store_sql(_KEY_PARAM, 'guard')}),", "stored")


async def write_submitted(
    connection: Executor,
    sheet: ScoreSheet,
    *,
    round_version: int,
    current_version: int | None,
    actor: str,
    audit_payload: Mapping[str, Any],
    key: RequestKey | None,
    response: Any,
) -> bool:
    """Write a decided sheet in one statement, or nothing and False when what the decision read
    has changed meanwhile (the caller reads again and decides again):

    - the round is still OPEN at the version read — FOR SHARE, so CloseRound's FOR UPDATE waits for
      this sheet and a sheet never lands in a closed round;
    - the assignment still exists — FOR KEY SHARE, so a withdrawal (a conflict, a new affiliation, a
      panel change, DeleteAssignment: each deletes the row) waits for this sheet and deletes it too;
    - the request id is not taken (stored with the response, ON CONFLICT DO NOTHING);
    - the current sheet is still at the version read (ON CONFLICT … WHERE version = read);
    then the history row and the audit record. Each step selects from the one before, so a failed
    guard writes nothing at all.

    That the sheet's version (the highest read + 1) is the pair's next one is the history's primary
    key to enforce, not a guard: versions of a pair are never deleted and each is the highest + 1,
    so a stale read's version is taken already, and the whole statement fails (UniqueViolationError)
    without writing anything. A guard reading the history's highest version cost every sheet a
    subquery whose plan, cached by a connection while the table was still empty, was a sequential
    scan, so sheets grew slower with every sheet written (in the bench.ab run that found it, the
    sheets of the process planned first read 4,000 to 6,000 history rows each once the history held
    6,000 to 12,000 versions, and cost PostgreSQL 0.7–0.9 ms of CPU against 0.3 ms)."""
    args: list[Any] = [
        sheet.contest_id,
        sheet.round_id,
        sheet.entry_id,
        sheet.judge_id,
        round_version,
        dict(sheet.scores),
        sheet.comment,
        sheet.total,
        sheet.version,
        sheet.submit_time,
        current_version,
        actor,
        payload_text(audit_payload),
    ]
    if key is not None:
        assert len(args) == _KEY_PARAM - 1
        _, values = store_statement(key, response, None, first_param=_KEY_PARAM, source="guard")
        args += values
    row = await connection.fetchval(_WRITE_KEYED if key is not None else _WRITE, *args)
    return bool(row)


@dataclass(frozen=True)
class NewSheet:
    """A pair's first sheet, decided on the round as remembered OPEN at ``round_version``, as
    :func:`write_new_many` takes it: ``write_submitted``'s arguments with no current sheet."""

    sheet: ScoreSheet
    round_version: int
    actor: str
    audit_payload: Mapping[str, Any]
    key: RequestKey | None
    response: Any


Pair = tuple[str, str, str, str]  # (contest, round, entry, judge): whose sheet it is

# write_new_many's rows: a sheet's write_submitted parameters, then its request key's (NULL without
# one). Scores travel as JSON text (a list of JSON objects would not bind to one jsonb[] column).
_NEW_ROWS = (
    ("contest_id", "text"),
    ("round_id", "text"),
    ("entry_id", "text"),
    ("judge_id", "text"),
    ("round_version", "int"),
    ("scores", "text"),
    ("comment", "text"),
    ("total", "float8"),
    ("version", "int"),
    ("submit_time", "timestamptz"),
    ("actor", "text"),
    ("payload", "text"),
    *(("key_" + name, kind) for name, kind in STORED_KEY_COLUMNS),
)
_NO_KEY = (None,) * len(STORED_KEY_COLUMNS)
_PAIR = "contest_id, round_id, entry_id, judge_id"
# write_submitted's statement for many first sheets: the guards row by row, locked in the order a
# withdrawal locks assignments (round, entry, judge), so that a group and a withdrawal of several of
# its assignments wait for each other, never deadlock; the keys stored, the sheets of the rows that
# passed inserted (a pair already scored is not), then their history rows and audit records.
_WRITE_NEW_MANY = (
    "WITH r AS (SELECT * FROM unnest("
    + ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(_NEW_ROWS, start=1))
    + f") AS r({', '.join(name for name, _ in _NEW_ROWS)})),"
    " guard AS (SELECT r.* FROM r JOIN rounds o ON o.contest_id = r.contest_id AND o.id = r.round_id"
    " AND o.state = 'OPEN' AND o.version = r.round_version"
    " JOIN assignments a ON a.contest_id = r.contest_id AND a.round_id = r.round_id"
    " AND a.entry_id = r.entry_id AND a.judge_id = r.judge_id"
    " ORDER BY r.contest_id, r.round_id, r.entry_id, r.judge_id FOR SHARE OF o FOR KEY SHARE OF a),"
    f" claim AS ({store_each_sql('guard', 'key_')}),"
    " passed AS (SELECT * FROM guard"
    " WHERE key_request_id IS NULL OR (key_scope, key_request_id) IN (SELECT scope, request_id FROM claim)),"
    f" sheet AS (INSERT INTO score_sheets ({_PAIR}, scores, comment, total, version, submit_time)"
    f" SELECT {_PAIR}, scores::jsonb, comment, total, version, submit_time FROM passed"
    f" ON CONFLICT ({_PAIR}) DO NOTHING RETURNING {_PAIR}),"
    " written AS (SELECT passed.* FROM passed JOIN sheet USING (contest_id, round_id, entry_id, judge_id)),"
    f" history AS (INSERT INTO score_sheet_versions ({_PAIR}, version, scores, comment, total, submitted_by,"
    f" submit_time) SELECT {_PAIR}, version, scores::jsonb, comment, total, judge_id, submit_time FROM written),"
    " audit AS (INSERT INTO audit_log (occurred_at, actor, action, payload)"
    " SELECT submit_time, actor, 'sheet.submitted', payload FROM written)"
    f" SELECT {_PAIR} FROM written"
)


async def write_new_many(executor: Executor, sheets: Sequence[NewSheet]) -> set[int]:
    """Write first sheets in one statement, each as :func:`write_submitted` would alone: the
    positions of those written. Left out: a sheet whose guard failed or whose key was taken (as
    alone), a pair already scored, and a sheet whose pair or key another of ``sheets`` has (alone,
    after the first, it would be a correction or a replay). None is written when PostgreSQL refused
    the statement because of one sheet (``REFUSED_FOR_A_ROW``: say the pair's version 1 is taken in
    its history), and every caller then goes its own way."""
    if len(sheets) == 1:
        # Alone, by write_submitted's statement: PostgreSQL plans and runs it for less than the
        # group's (no unnest, no sort, no joins to it), and most sheets are alone but under load.
        return await _write_one(executor, sheets[0])
    columns: list[list[Any]] = [[] for _ in _NEW_ROWS]
    sent: dict[Pair, int] = {}
    keys: set[tuple[str, str]] = set()
    for position, new in enumerate(sheets):
        sheet = new.sheet
        pair = (sheet.contest_id, sheet.round_id, sheet.entry_id, sheet.judge_id)
        key = new.key
        if pair in sent or (key is not None and (key.scope, key.request_id) in keys):
            continue
        sent[pair] = position
        if key is not None:
            keys.add((key.scope, key.request_id))
        values = (
            *pair,
            new.round_version,
            json_text(dict(sheet.scores)),
            sheet.comment,
            sheet.total,
            sheet.version,
            sheet.submit_time,
            new.actor,
            payload_text(new.audit_payload),
            *(stored_values(key, new.response, None) if key is not None else _NO_KEY),
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    try:
        written = await executor.fetch(_WRITE_NEW_MANY, *columns)
    except REFUSED_FOR_A_ROW:
        return set()
    return {sent[(r["contest_id"], r["round_id"], r["entry_id"], r["judge_id"])] for r in written}


async def _write_one(executor: Executor, new: NewSheet) -> set[int]:
    try:
        written = await write_submitted(
            executor,
            new.sheet,
            round_version=new.round_version,
            current_version=None,
            actor=new.actor,
            audit_payload=new.audit_payload,
            key=new.key,
            response=new.response,
        )
    except REFUSED_FOR_A_ROW:
        return set()
    return {0} if written else set()


async def for_round(executor: Executor, contest_id: str, round_id: str) -> list[ScoreSheet]:
    """Every current sheet of the round, in one query."""
    rows = await executor.fetch(
        f"SELECT {COLUMNS} FROM score_sheets WHERE contest_id = $1 AND round_id = $2", contest_id, round_id
    )
    return [to_sheet(r) for r in rows]


async def list_page(
    pool: Executor,
    contest_id: str,
    round_id: str,
    entry_id: str | None,
    judge_id: str | None,
    after: list[str] | None,
    limit: int,
) -> tuple[list[ScoreSheet], list[str] | None]:
    where = Where()
    where.add("contest_id = {}", contest_id)
    where.add("round_id = {}", round_id)
    if entry_id is not None:
        where.add("entry_id = {}", entry_id)
    if judge_id is not None:
        where.add("judge_id = {}", judge_id)
    if after is not None:
        where.add("(entry_id, judge_id) > ({}, {})", after[0], after[1])
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM score_sheets WHERE {where.sql()} ORDER BY entry_id, judge_id"
        f" LIMIT {literal_limit(limit) + 1}",
        *where.args,
    )
    sheets = [to_sheet(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return sheets, None
    return sheets, [sheets[-1].entry_id, sheets[-1].judge_id]


async def history(executor: Executor, contest_id: str, round_id: str, entry_id: str, judge_id: str) -> list[ScoreSheet]:
    rows = await executor.fetch(
        "SELECT contest_id, round_id, entry_id, judge_id, scores, comment, total, version, submit_time"
        " FROM score_sheet_versions WHERE contest_id = $1 AND round_id = $2 AND entry_id = $3 AND judge_id = $4"
        " ORDER BY version",
        contest_id,
        round_id,
        entry_id,
        judge_id,
    )
    return [to_sheet(r) for r in rows]


async def missing_count(executor: Executor, contest_id: str, round_id: str) -> int:
    value: int = await executor.fetchval(
        "SELECT count(*) FROM assignments a WHERE a.contest_id = $1 AND a.round_id = $2 AND NOT EXISTS"
        " (SELECT 1 FROM score_sheets s WHERE s.contest_id = a.contest_id AND s.round_id = a.round_id"
        " AND s.entry_id = a.entry_id AND s.judge_id = a.judge_id)",
        contest_id,
        round_id,
    )
    return value


async def fingerprint(executor: Executor, contest_id: str, round_id: str) -> str:
    """Identifies the round's current sheets without reading them: each (entry, judge) with its
    version. A version is never reused for a pair (a resubmission or a sheet written after a
    withdrawal takes max + 1 of its history), so equal fingerprints mean equal sheets. Hashed in
    PostgreSQL (the primary key index gives the order), so a cache hit costs the loop one small row."""
    value: str = await executor.fetchval(
        "SELECT count(*) || ':' || coalesce(md5(string_agg(entry_id || '/' || judge_id || '/' || version, ','"
        " ORDER BY entry_id, judge_id)), '') FROM score_sheets WHERE contest_id = $1 AND round_id = $2",
        contest_id,
        round_id,
    )
    return value


async def raw_values(executor: Executor, contest_id: str, round_id: str) -> list[tuple[str, str, str]]:
    """(entry_id, judge_id, scores as JSON text) of every current sheet of the round: the JSON is left
    undecoded so that a worker thread, not the event loop, parses thousands of sheets."""
    rows = await executor.fetch(
        "SELECT entry_id, judge_id, scores::text AS scores FROM score_sheets WHERE contest_id = $1 AND round_id = $2",
        contest_id,
        round_id,
    )
    return [(r["entry_id"], r["judge_id"], r["scores"]) for r in rows]
