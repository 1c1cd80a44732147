"""Tamper-evident audit log: records are appended without a lock and later sealed into a hash chain,
whose head is published in signed checkpoints.

- A writer appends a record (time, actor, action, canonical JSON payload) in its own transaction;
  it gets an append id and nothing else, so writers never wait for each other.
- The sealer (one at a time) gives unsealed records, in append-id order, the next chain positions
  ``seq`` 1, 2, 3 … with no gap, and each a hash over the previous record's hash and its own
  content (:func:`chain_hash`). Editing, deleting or reordering a sealed record breaks every link
  after it, and the first broken link is where to look.
- A plain chain cannot see its head cut off: deleting the newest records leaves a valid, shorter
  chain. So the sealer signs checkpoints (seq, head hash, time) with an Ed25519 key the database
  does not hold. A checkpoint anyone kept (a client, Prometheus' history of the sealed sequence)
  exposes a truncated or rewritten log: the record it names is missing or hashes differently.

Payloads are stored as the exact canonical text that is hashed, so verification reads bytes and
never needs the JSON to parse; a payload that does not parse, or is not in canonical form, is
reported as a broken record, not as an error. Keep payload values to strings, integers, booleans,
null, lists and objects (a float such as 1e16 may not survive jsonb; store decimals as strings).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

GENESIS_HASH: Final = "0" * 64
CHECKPOINT_LABEL: Final = "competition.audit.checkpoint.v1"


# Built once: json.dumps with any non-default option builds a new encoder per call (one per write).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_payload(event: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8 as is; NaN and infinities are refused (not JSON)."""
    return _CANONICAL.encode(event).encode("utf-8")


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


class AuditRecord(BaseModel):
    """An appended record, before sealing: ``id`` is its append order, not a chain position."""

    model_config = ConfigDict(frozen=True)

    id: int
    occurred_at: str
    actor: str
    action: str
    payload: str


class AuditRow(BaseModel):
    """A sealed record: chain position ``seq``, the previous record's hash and its own."""

    model_config = ConfigDict(frozen=True)

    seq: int
    occurred_at: str
    actor: str
    action: str
    # The canonical JSON text, exactly as stored and hashed.
    payload: str
    previous_hash: str
    hash: str
    id: int = 0


def payload_text(payload: Mapping[str, Any]) -> str:
    return canonical_payload(payload).decode("utf-8")


def next_audit_row(
    previous: AuditRow | None, occurred_at: datetime, actor: str, action: str, payload: Mapping[str, Any]
) -> AuditRow:
    """The row to seal after ``previous`` (None for the first row of the log)."""
    head = None if previous is None else (previous.seq, previous.hash)
    record = AuditRecord(
        id=0, occurred_at=format_occurred_at(occurred_at), actor=actor, action=action, payload=payload_text(payload)
    )
    return seal(head, [record])[0]


def seal(head: tuple[int, str] | None, records: Iterable[AuditRecord]) -> list[AuditRow]:
    """Chain ``records`` (in the order given) after ``head`` (seq and hash of the last sealed row;
    None for an empty chain): consecutive positions, each hash covering the previous one."""
    seq, previous = head if head is not None else (0, GENESIS_HASH)
    rows: list[AuditRow] = []
    for record in records:
        seq += 1
        digest = chain_hash(
            previous, seq, record.occurred_at, record.actor, record.action, record.payload.encode("utf-8")
        )
        rows.append(
            AuditRow(
                seq=seq,
                occurred_at=record.occurred_at,
                actor=record.actor,
                action=record.action,
                payload=record.payload,
                previous_hash=previous,
                hash=digest,
                id=record.id,
            )
        )
        previous = digest
    return rows


# --- checkpoints ----------------------------------------------------------------------------------


def checkpoint_message(seq: int, head_hash: str, sealed_at_iso: str) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return json.dumps([CHECKPOINT_LABEL, seq, head_hash, sealed_at_iso], separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head_hash: str
    sealed_at: str
    signature: str  # hex


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, head_hash: str, sealed_at: datetime) -> Checkpoint:
    sealed_at_iso = format_occurred_at(sealed_at)
    signature = key.sign(checkpoint_message(seq, head_hash, sealed_at_iso)).hex()
    return Checkpoint(seq, head_hash, sealed_at_iso, signature)


def checkpoint_signed(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    try:
        signature = bytes.fromhex(checkpoint.signature)
        public_key.verify(signature, checkpoint_message(checkpoint.seq, checkpoint.head_hash, checkpoint.sealed_at))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def checkpoint_due(
    last: Checkpoint | None,
    head_seq: int,
    now: datetime,
    every_records: int,
    every_seconds: float,
) -> bool:
    """Whether the sealer signs a checkpoint of ``head_seq`` now: when the chain has a head no
    checkpoint covers yet, and ``every_records`` were sealed since the last one or ``every_seconds``
    have passed (so a quiet log is checkpointed at once, a busy one at most every so often)."""
    if head_seq == 0 or (last is not None and last.seq >= head_seq):
        return False
    if last is None:
        return True
    elapsed = (now - datetime.fromisoformat(last.sealed_at)).total_seconds()
    return head_seq - last.seq >= every_records or elapsed >= every_seconds


# --- verification ---------------------------------------------------------------------------------


class ChainVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    rows_checked: int
    first_broken_seq: int | None
    reason: str
    last_seq: int | None = None
    last_hash: str | None = None
    checkpoints_checked: int = 0


@dataclass(frozen=True)
class StoredRow:
    """A sealed row as read back, every field possibly damaged (NULL, wrong type, not JSON)."""

    seq: Any
    occurred_at: Any
    actor: Any
    action: Any
    payload: Any
    previous_hash: Any
    hash: Any


def _payload_problem(payload: Any) -> str | None:
    if not isinstance(payload, str):
        return "has no payload"
    try:
        parsed = json.loads(payload)
    except ValueError:
        return "has a payload that is not valid JSON"
    if not isinstance(parsed, dict):
        return "has a payload that is not a JSON object"
    try:
        if canonical_payload(parsed) != payload.encode("utf-8"):
            return "has a payload that is not in canonical JSON form"
    except (ValueError, TypeError):
        return "has a payload that is not canonical JSON"
    return None


def _recompute(row: AuditRow | StoredRow) -> str | None:
    try:
        occurred_at = row.occurred_at if isinstance(row.occurred_at, str) else format_occurred_at(row.occurred_at)
        return chain_hash(
            str(row.previous_hash), row.seq, occurred_at, str(row.actor), str(row.action), row.payload.encode("utf-8")
        )
    except (ValueError, TypeError, AttributeError):
        return None


def verify_chain(
    rows: Iterable[AuditRow | StoredRow],
    start_seq: int = 1,
    start_previous_hash: str = GENESIS_HASH,
    expected_head: tuple[int, str] | None = None,
    checkpoints: Sequence[tuple[Checkpoint, bool]] = (),
) -> ChainVerdict:
    """Recompute the chain in the order given (the store reads it ``ORDER BY seq``). Total: any
    damage is a verdict, never an exception.

    ``start_seq``/``start_previous_hash`` verify from a trusted point instead of the genesis row.
    ``checkpoints`` are the stored signed ones, each with whether its signature verified;
    ``expected_head`` is one kept by the caller (seq, hash). A checkpoint whose record is missing
    means the log was cut short; one whose record hashes differently means the chain was rewritten
    (and recomputed) after the last checkpoint that still matches, so the first broken record is
    reported as the one after it. ``rows_checked`` counts the rows that verified before the break.
    """
    expected_seq = start_seq
    expected_previous = start_previous_hash
    checked = 0
    last: tuple[int, str] | None = None
    # seq → the head hashes that checkpoints (stored and signed, or kept by the caller) record for it.
    targets: dict[int, list[str]] = {}
    for checkpoint, valid in checkpoints:
        if not valid:
            return ChainVerdict(
                ok=False,
                rows_checked=0,
                first_broken_seq=max(checkpoint.seq, 1),
                reason=f"the checkpoint of seq {checkpoint.seq} has an invalid signature (it was forged or altered)",
            )
        targets.setdefault(checkpoint.seq, []).append(checkpoint.head_hash)
    if expected_head is not None:
        targets.setdefault(expected_head[0], []).append(expected_head[1])
    matched_through = start_seq - 1
    compared = 0

    def broken(seq: int, reason: str) -> ChainVerdict:
        return ChainVerdict(
            ok=False,
            rows_checked=checked,
            first_broken_seq=seq,
            reason=reason,
            last_seq=last[0] if last else None,
            last_hash=last[1] if last else None,
            checkpoints_checked=compared,
        )

    for row in rows:
        seq = row.seq
        if not isinstance(seq, int) or seq != expected_seq:
            moved = isinstance(seq, int) and seq < expected_seq
            what = "was moved or duplicated" if moved else "is missing (deleted)"
            return broken(
                expected_seq, f"expected seq {expected_seq}, found {seq}: a row {what} or rows are out of order"
            )
        if row.previous_hash != expected_previous:
            return broken(seq, f"seq {seq} does not link to the previous row's hash")
        problem = _payload_problem(row.payload)
        if problem is not None:
            return broken(seq, f"seq {seq} {problem}")
        if _recompute(row) != row.hash:
            return broken(seq, f"seq {seq} content does not match its hash (the row was altered)")
        recorded = targets.get(seq, [])
        if recorded:
            compared += len(recorded)
            if any(head_hash != row.hash for head_hash in recorded):
                return broken(
                    matched_through + 1,
                    f"the chain was rewritten: seq {seq} no longer has the hash its checkpoint records, so a row "
                    f"after seq {matched_through} (the last one a checkpoint confirms) was altered",
                )
            matched_through = seq
        checked += 1
        last = (seq, row.hash)
        expected_seq += 1
        expected_previous = row.hash

    beyond = [s for s in targets if s > (last[0] if last else start_seq - 1)]
    if beyond:
        head = min(beyond)
        found = "no rows" if last is None else f"seq {last[0]}"
        return broken(
            (last[0] + 1) if last else start_seq,
            f"the log ends at {found}, but a checkpoint records seq {head}: rows were removed from the end",
        )
    return ChainVerdict(
        ok=True,
        rows_checked=checked,
        first_broken_seq=None,
        reason=f"{checked} rows verified" if checked else "empty log",
        last_seq=last[0] if last else None,
        last_hash=last[1] if last else None,
        checkpoints_checked=compared,
    )
