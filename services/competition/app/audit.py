"""The audit log off the write path: the sealer, the signed checkpoints and verification.

Writers only append (store.audit.append_statement, in their own last statement). Every replica runs
:class:`AuditSealer`; each pass tries a transaction-level advisory lock without waiting, so one
replica seals at a time and the others skip the pass. A pass takes the oldest unsealed records in
append order, chains them after the current head (domain.audit.seal) and, when due, signs a
checkpoint of the new head. The pass is one transaction: a sealer that dies mid-pass leaves nothing
half-sealed, and the next pass (on any replica) starts again from the committed head.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import UTC, datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from protos.competition.v1 import competition_pb2 as pb
from services.common.codec import timestamp
from services.common.db import acquire, transaction
from services.common.errors import not_found
from services.competition.domain.audit import (
    ChainVerdict,
    Checkpoint,
    StoredRow,
    checkpoint_due,
    checkpoint_signed,
    seal,
    sign_checkpoint,
    verify_chain,
)
from services.competition.settings import CompetitionSettings
from services.competition.store import audit as audit_store

log = logging.getLogger(__name__)

_DERIVED_KEY_LABEL = b"competition audit checkpoint signing key v1"
# Sealing more rows than this per pass moves the hashing off the event loop.
_THREAD_THRESHOLD = 200


def signing_key(settings: CompetitionSettings) -> Ed25519PrivateKey:
    """The checkpoint key: ``COMPETITION_AUDIT_SIGNING_KEY`` (64 hex characters, an Ed25519 seed),
    or else one derived from the page-token secret, which every replica already shares (so all
    replicas sign with one key and a restart keeps it)."""
    if settings.audit_signing_key is not None:
        seed = bytes.fromhex(settings.audit_signing_key.get_secret_value())
    else:
        secret = settings.page_token_secret.get_secret_value().encode()
        seed = hmac.new(secret, _DERIVED_KEY_LABEL, hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


class AuditSealer:
    def __init__(self, pool: asyncpg.Pool, settings: CompetitionSettings) -> None:
        self.pool = pool
        self.settings = settings
        self.key = signing_key(settings)
        self.public_key = self.key.public_key()
        self.public_hex = public_hex(self.public_key)

    async def seal_once(self) -> int:
        """One pass; the number of records sealed (0 when another replica holds the sealer lock)."""
        settings = self.settings
        if not await audit_store.sealing_due(self.pool):
            return 0
        async with transaction(self.pool) as connection:
            if not await audit_store.lead_sealing(connection):
                return 0
            head = await audit_store.chain_head(connection)
            records = await audit_store.unsealed(connection, settings.audit_seal_batch)
            if len(records) > _THREAD_THRESHOLD:
                rows = await asyncio.to_thread(seal, head, records)
            else:
                rows = seal(head, records)
            if rows:
                await audit_store.seal(connection, rows)
                head = (rows[-1].seq, rows[-1].hash)
            if head is not None:
                last = await audit_store.latest_checkpoint(connection)
                now = datetime.now(UTC)
                due = checkpoint_due(
                    last,
                    head[0],
                    now,
                    settings.audit_checkpoint_every_records,
                    settings.audit_checkpoint_every_seconds,
                )
                if due:
                    checkpoint = sign_checkpoint(self.key, head[0], head[1], now)
                    await audit_store.insert_checkpoint(connection, checkpoint, self.public_hex)
            return len(rows)

    async def run(self) -> None:
        """Seal until cancelled; a full batch is followed by the next pass at once."""
        while True:
            sealed = 0
            try:
                sealed = await self.seal_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be away; the records wait in the table, nothing is lost.
                log.warning("audit sealing pass failed", exc_info=True)
            if sealed < self.settings.audit_seal_batch:
                await asyncio.sleep(self.settings.audit_seal_interval_seconds)


async def checkpoint(pool: asyncpg.Pool, public_key: str) -> pb.AuditCheckpoint:
    async with acquire(pool) as connection:
        latest = await audit_store.latest_checkpoint(connection)
        state = await audit_store.sealing_state(connection)
    if latest is None:
        raise not_found("audit checkpoint", "of the audit log (nothing sealed yet)")
    message = pb.AuditCheckpoint(
        sequence=latest.seq,
        head_hash=latest.head_hash,
        signature=latest.signature,
        public_key=public_key,
        unsealed_events=state.unsealed,
    )
    with contextlib.suppress(ValueError):
        if (sealed_at := timestamp(datetime.fromisoformat(latest.sealed_at))) is not None:
            message.seal_time.CopyFrom(sealed_at)
    return message


def _verify(
    rows: list[StoredRow], checkpoints: list[Checkpoint], public_key: Ed25519PublicKey, kept: tuple[int, str] | None
) -> ChainVerdict:
    signed = [(c, checkpoint_signed(public_key, c)) for c in checkpoints]
    return verify_chain(rows, checkpoints=signed, expected_head=kept)


async def verify(
    pool: asyncpg.Pool, public_key: Ed25519PublicKey, kept: tuple[int, str] | None
) -> pb.VerifyAuditLogResponse:
    """The chain, the stored checkpoints and the unsealed count read in one snapshot (a checkpoint
    written after the rows were read would otherwise look like a cut log); verified off the loop."""
    async with transaction(pool, isolation="repeatable_read", readonly=True) as connection:
        rows = await audit_store.read_sealed(connection)
        checkpoints = await audit_store.checkpoints(connection)
        state = await audit_store.sealing_state(connection)
    verdict = await asyncio.to_thread(_verify, rows, checkpoints, public_key, kept)
    return pb.VerifyAuditLogResponse(
        intact=verdict.ok,
        events_checked=verdict.rows_checked,
        first_broken_sequence=verdict.first_broken_seq or 0,
        reason=verdict.reason,
        last_sequence=verdict.last_seq or 0,
        last_hash=verdict.last_hash or "",
        checkpoints_checked=verdict.checkpoints_checked,
        unsealed_events=state.unsealed,
    )
