"""Tamper-evident audit log: each row's hash covers the previous row's hash, so editing, deleting
or reordering any row breaks every link after it, and the first broken link is where to look.

The chain proves integrity, not completeness at the tail: deleting the newest rows leaves a valid
shorter chain. Callers that need that compare the head (``last_seq``/``last_hash``) with a copy
kept elsewhere (``verify_chain(..., expected_head=...)``).

Payloads must survive a round trip through the store unchanged when re-serialised canonically:
keep them to strings, integers, booleans, null, lists and objects (a float such as 1e16 may come
back from jsonb as an integer and then hash differently; store decimals as strings).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

GENESIS_HASH: Final = "0" * 64


def canonical_payload(event: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8 as is; NaN and infinities are refused (not JSON)."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def format_occurred_at(moment: datetime) -> str:
    """The one timestamp spelling that is hashed: UTC, microseconds (PostgreSQL's precision), so a
    value read back from a timestamptz column formats to the same string."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def chain_hash(
    previous_hash: str, seq: int, occurred_at_iso: str, actor: str, action: str, payload_bytes: bytes
) -> str:
    # The header is a JSON array, which cannot contain a raw newline, so header + "\n" + payload
    # has exactly one split: no two different rows hash the same bytes.
    header = json.dumps(
        [previous_hash, seq, occurred_at_iso, actor, action], separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    return hashlib.sha256(header + b"\n" + payload_bytes).hexdigest()


class AuditRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    occurred_at: str
    actor: str
    action: str
    payload: dict[str, Any]
    previous_hash: str
    hash: str


def next_audit_row(
    previous: AuditRow | None, occurred_at: datetime, actor: str, action: str, payload: Mapping[str, Any]
) -> AuditRow:
    """The row to append after ``previous`` (None for the first row of the log)."""
    seq = 1 if previous is None else previous.seq + 1
    previous_hash = GENESIS_HASH if previous is None else previous.hash
    occurred_at_iso = format_occurred_at(occurred_at)
    digest = chain_hash(previous_hash, seq, occurred_at_iso, actor, action, canonical_payload(payload))
    return AuditRow(
        seq=seq,
        occurred_at=occurred_at_iso,
        actor=actor,
        action=action,
        payload=dict(payload),
        previous_hash=previous_hash,
        hash=digest,
    )


class ChainVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    rows_checked: int
    first_broken_seq: int | None
    reason: str
    last_seq: int | None = None
    last_hash: str | None = None


def verify_chain(
    rows: Iterable[AuditRow],
    start_seq: int = 1,
    start_previous_hash: str = GENESIS_HASH,
    expected_head: tuple[int, str] | None = None,
) -> ChainVerdict:
    """Recompute the chain in the order given (the store reads it ``ORDER BY seq``).

    ``start_seq``/``start_previous_hash`` let a caller verify from a trusted checkpoint instead of
    the genesis row. ``rows_checked`` counts the rows that verified before the first break.
    """
    expected_seq = start_seq
    expected_previous = start_previous_hash
    checked = 0
    last: AuditRow | None = None

    def broken(seq: int, reason: str) -> ChainVerdict:
        return ChainVerdict(
            ok=False,
            rows_checked=checked,
            first_broken_seq=seq,
            reason=reason,
            last_seq=last.seq if last else None,
            last_hash=last.hash if last else None,
        )

    for row in rows:
        if row.seq != expected_seq:
            what = "is missing (deleted)" if row.seq > expected_seq else "was moved or duplicated"
            return broken(
                expected_seq,
                f"expected seq {expected_seq}, found {row.seq}: a row {what} or rows are out of order",
            )
        if row.previous_hash != expected_previous:
            return broken(row.seq, f"seq {row.seq} does not link to the previous row's hash")
        try:
            payload_bytes = canonical_payload(row.payload)
        except ValueError:
            return broken(row.seq, f"seq {row.seq} has a payload that is not canonical JSON")
        recomputed = chain_hash(row.previous_hash, row.seq, row.occurred_at, row.actor, row.action, payload_bytes)
        if recomputed != row.hash:
            return broken(row.seq, f"seq {row.seq} content does not match its hash (the row was altered)")
        checked += 1
        last = row
        expected_seq += 1
        expected_previous = row.hash

    if expected_head is not None:
        head_seq, head_hash = expected_head
        if last is None or last.seq != head_seq or last.hash != head_hash:
            found = "no rows" if last is None else f"seq {last.seq}"
            return broken(
                (last.seq + 1) if last else start_seq,
                f"the log ends at {found}, but the recorded head is seq {head_seq}: rows were removed "
                "or the head does not match",
            )
    return ChainVerdict(
        ok=True,
        rows_checked=checked,
        first_broken_seq=None,
        reason=f"{checked} rows verified" if checked else "empty log",
        last_seq=last.seq if last else None,
        last_hash=last.hash if last else None,
    )
