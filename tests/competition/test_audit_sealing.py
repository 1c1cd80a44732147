"""The audit log's sealer and checkpoints over a real PostgreSQL and gRPC: records appended by writes
are sealed into the chain, a crashed sealer is caught up, one sealer works at a time, and a
truncated or rewritten log is found against a kept (or stored, signed) checkpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from services.competition.api.business_metrics import read_families
from services.competition.app.audit import AuditSealer
from services.competition.domain.audit import (
    AuditRecord,
    Checkpoint,
    chain_hash,
    checkpoint_message,
    checkpoint_signed,
    seal,
)
from services.competition.domain.landing import DEFAULT_STAGE_PROBABILITIES, DEFAULT_UNRECORDED_PROBABILITY
from services.competition.settings import CompetitionSettings
from services.competition.store import audit as audit_store
from tests.competition.helpers import admin, expect_error, fresh_service, judge_message, seal_audit, slug

# The sealer runs only when a test calls it: each test decides what is sealed when.
MANUAL = {"audit_sealer_enabled": False, "audit_checkpoint_every_seconds": 3600, "audit_checkpoint_every_records": 5}


@pytest.fixture
async def log(postgres_url: str) -> AsyncIterator[tuple[Any, RunningService]]:
    async with fresh_service(postgres_url, **MANUAL) as running:
        yield running


async def write(stub: Any, n: int) -> None:
    """``n`` audited writes (judges created through the API)."""
    for _ in range(n):
        await stub.CreateJudge(pb.CreateJudgeRequest(judge=judge_message(), judge_id=slug("j")), metadata=admin())


def sealer(service: RunningService) -> AuditSealer:
    assert isinstance(service.settings, CompetitionSettings)
    return AuditSealer(service.pool, service.settings)


async def verify(stub: Any, kept: pb.AuditCheckpoint | None = None) -> pb.VerifyAuditLogResponse:
    request = pb.VerifyAuditLogRequest(checkpoint=kept) if kept is not None else pb.VerifyAuditLogRequest()
    response: pb.VerifyAuditLogResponse = await stub.VerifyAuditLog(request, metadata=admin())
    return response


async def raw(service: RunningService) -> asyncpg.Connection:
    url = service.settings.database_url
    assert url is not None
    return await asyncpg.connect(url.get_secret_value(), server_settings={"search_path": "competition"})


async def test_writes_are_appended_unsealed_and_sealed_in_order(log: tuple[Any, RunningService]) -> None:
    stub, service = log
    await write(stub, 3)
    assert await service.pool.fetchval("SELECT count(*) FROM audit_log WHERE seq IS NULL") == 3
    assert (await verify(stub)).unsealed_events == 3
    assert await sealer(service).seal_once() == 3
    rows = await service.pool.fetch("SELECT id, seq FROM audit_log ORDER BY id")
    assert [r["seq"] for r in rows] == [1, 2, 3]
    verdict = await verify(stub)
    assert (verdict.intact, verdict.events_checked, verdict.last_sequence, verdict.unsealed_events) == (True, 3, 3, 0)
    events = await stub.ListAuditEvents(pb.ListAuditEventsRequest(), metadata=admin())
    assert [e.action for e in events.events] == ["judge.created"] * 3
    assert events.events[2].hash == verdict.last_hash


async def test_a_sealer_that_dies_mid_pass_is_caught_up_by_the_next(log: tuple[Any, RunningService]) -> None:
    stub, service = log
    await write(stub, 4)
    await sealer(service).seal_once()
    await write(stub, 6)
    crashed = await raw(service)
    try:
        transaction = crashed.transaction()
        await transaction.start()
        assert await audit_store.lead_sealing(crashed)
        head = await audit_store.chain_head(crashed)
        records = await audit_store.unsealed(crashed, 3)
        await audit_store.seal(crashed, seal(head, records))
        # While it holds the sealer lock, another replica's pass skips instead of sealing twice.
        assert await sealer(service).seal_once() == 0
        pid = crashed.get_server_pid()
        await service.pool.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        crashed.terminate()
    # Nothing of the dead pass was committed; the next pass seals everything, gap-free.
    sealed = 0
    for _ in range(100):
        sealed += await sealer(service).seal_once()
        if sealed == 6:
            break
        await asyncio.sleep(0.05)
    assert sealed == 6
    assert [r["seq"] for r in await service.pool.fetch("SELECT seq FROM audit_log ORDER BY id")] == list(range(1, 11))
    assert (await verify(stub)).intact


async def test_concurrent_sealers_never_seal_a_record_twice(log: tuple[Any, RunningService]) -> None:
    stub, service = log
    await write(stub, 8)
    counts = await asyncio.gather(*(sealer(service).seal_once() for _ in range(4)))
    await seal_audit(service)
    assert sum(counts) <= 8
    assert [r["seq"] for r in await service.pool.fetch("SELECT seq FROM audit_log ORDER BY seq")] == list(range(1, 9))
    assert (await verify(stub)).intact


async def test_checkpoints_are_signed_and_published(log: tuple[Any, RunningService]) -> None:
    stub, service = log
    await expect_error(
        stub.GetAuditCheckpoint(pb.GetAuditCheckpointRequest(), metadata=admin()), grpc.StatusCode.NOT_FOUND
    )
    await write(stub, 2)
    await sealer(service).seal_once()
    checkpoint = await stub.GetAuditCheckpoint(pb.GetAuditCheckpointRequest(), metadata=admin())
    assert checkpoint.sequence == 2 and checkpoint.unsealed_events == 0
    # A client verifies the signature with the published (pinned) key alone.
    public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint.public_key))
    sealed_at = await service.pool.fetchval("SELECT sealed_at FROM audit_checkpoints WHERE seq = 2")
    public_key.verify(bytes.fromhex(checkpoint.signature), checkpoint_message(2, checkpoint.head_hash, sealed_at))
    assert checkpoint.seal_time.seconds > 0
    # The next checkpoint waits for 5 more records (or an hour, in this test's settings).
    await write(stub, 4)
    await sealer(service).seal_once()
    assert (await stub.GetAuditCheckpoint(pb.GetAuditCheckpointRequest(), metadata=admin())).sequence == 2
    await write(stub, 1)
    await sealer(service).seal_once()
    assert (await stub.GetAuditCheckpoint(pb.GetAuditCheckpointRequest(), metadata=admin())).sequence == 7
    families = {
        f.name: f
        for f in await read_families(service.pool, DEFAULT_STAGE_PROBABILITIES, DEFAULT_UNRECORDED_PROBABILITY)
    }
    assert families["competition_audit_sealed_sequence"].samples[0].value == 7
    assert families["competition_audit_checkpoint_sequence"].samples[0].value == 7
    assert families["competition_audit_unsealed_records"].samples[0].value == 0


async def test_deleting_the_newest_records_is_found_against_a_kept_checkpoint(log: tuple[Any, RunningService]) -> None:
    stub, service = log
    await write(stub, 6)
    await sealer(service).seal_once()
    kept = await stub.GetAuditCheckpoint(pb.GetAuditCheckpointRequest(), metadata=admin())
    assert kept.sequence == 6
    # Someone with database access removes the last two records and every checkpoint that names them.
    await service.pool.execute("DELETE FROM audit_log WHERE seq > 4")
    # The stored checkpoint alone already exposes the cut.
    verdict = await verify(stub)
    assert (verdict.intact, verdict.first_broken_sequence) == (False, 5), verdict.reason
    await service.pool.execute("DELETE FROM audit_checkpoints WHERE seq > 4")
    # A plain chain cannot see its head cut off...
    assert (await verify(stub)).intact
    # ...the checkpoint the client kept can.
    verdict = await verify(stub, kept)
    assert (verdict.intact, verdict.first_broken_sequence, verdict.events_checked) == (False, 5, 4)
    assert "removed" in verdict.reason


async def test_history_rewritten_with_recomputed_hashes_is_found(log: tuple[Any, RunningService]) -> None:
    stub, service = log
    await write(stub, 5)
    await sealer(service).seal_once()  # checkpoint of seq 5
    await write(stub, 5)
    await sealer(service).seal_once()  # checkpoint of seq 10
    kept = await stub.GetAuditCheckpoint(pb.GetAuditCheckpointRequest(), metadata=admin())
    assert kept.sequence == 10
    # Rewrite record 7 and re-chain everything after it, as a careful forger would.
    rows = await service.pool.fetch(
        "SELECT id, seq, occurred_at, actor, action, payload, previous_hash FROM audit_log WHERE seq >= 7 ORDER BY seq"
    )
    previous = rows[0]["previous_hash"]
    for row in rows:
        payload = row["payload"].replace("j-", "x-") if row["seq"] == 7 else row["payload"]
        occurred = row["occurred_at"].isoformat(timespec="microseconds")
        digest = chain_hash(previous, row["seq"], occurred, row["actor"], row["action"], payload.encode())
        await service.pool.execute(
            "UPDATE audit_log SET payload = $2, previous_hash = $3, hash = $4 WHERE id = $1",
            row["id"],
            payload,
            previous,
            digest,
        )
        previous = digest
    # The chain is consistent again, but the signed checkpoint of seq 10 no longer matches while
    # that of seq 5 does: the first broken record is after 5.
    verdict = await verify(stub)
    assert (verdict.intact, verdict.first_broken_sequence, verdict.events_checked) == (False, 6, 9), verdict.reason
    verdict = await verify(stub, kept)
    assert (verdict.intact, verdict.first_broken_sequence) == (False, 6)
    assert "rewritten" in verdict.reason
    # Forging the checkpoint to match instead breaks its signature.
    await service.pool.execute(
        "UPDATE audit_checkpoints SET head_hash = $1 WHERE seq = (SELECT max(seq) FROM audit_checkpoints)", previous
    )
    verdict = await verify(stub)
    assert not verdict.intact and "signature" in verdict.reason


async def test_a_payload_that_is_not_json_is_the_first_broken_record(log: tuple[Any, RunningService]) -> None:
    """Issue 9: VerifyAuditLog answered INTERNAL for a stored payload that is not valid JSON."""
    stub, service = log
    await write(stub, 4)
    await sealer(service).seal_once()
    await service.pool.execute("UPDATE audit_log SET payload = 'not json {' WHERE seq = 3")
    verdict = await verify(stub)
    assert (verdict.intact, verdict.first_broken_sequence, verdict.events_checked) == (False, 3, 2)
    assert "not valid JSON" in verdict.reason
    # Listing still works, showing the stored text as it is.
    events = await stub.ListAuditEvents(pb.ListAuditEventsRequest(), metadata=admin())
    assert events.events[2].payload_json == "not json {"


@pytest.mark.parametrize(
    ("damage", "broken", "why"),
    [
        ('UPDATE audit_log SET payload = \'{"b": 1, "a": 2}\' WHERE seq = 2', 2, "canonical"),
        ("UPDATE audit_log SET payload = '[1,2]' WHERE seq = 2", 2, "not a JSON object"),
        ("UPDATE audit_log SET actor = 'someone' WHERE seq = 2", 2, "altered"),
        ("UPDATE audit_log SET occurred_at = occurred_at + interval '1 second' WHERE seq = 3", 3, "altered"),
        ("UPDATE audit_log SET seq = 9 WHERE seq = 2", 2, "missing"),
        ("DELETE FROM audit_log WHERE seq = 1", 1, "missing"),
        ("UPDATE audit_log SET hash = 'zz' WHERE seq = 3", 3, "altered"),
    ],
)
async def test_any_damage_is_reported_never_internal(
    log: tuple[Any, RunningService], damage: str, broken: int, why: str
) -> None:
    stub, service = log
    await write(stub, 4)
    await sealer(service).seal_once()
    await service.pool.execute("ALTER TABLE audit_log DROP CONSTRAINT audit_log_sealed_whole")
    await service.pool.execute(damage)
    verdict = await verify(stub)
    assert (verdict.intact, verdict.first_broken_sequence) == (False, broken), verdict.reason
    assert why in verdict.reason


def test_checkpoint_signatures_detect_any_change() -> None:
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from services.competition.domain.audit import sign_checkpoint

    key = Ed25519PrivateKey.generate()
    checkpoint = sign_checkpoint(key, 7, "a" * 64, datetime(2024, 6, 1, tzinfo=UTC))
    assert checkpoint_signed(key.public_key(), checkpoint)
    for changed in (
        Checkpoint(8, checkpoint.head_hash, checkpoint.sealed_at, checkpoint.signature),
        Checkpoint(7, "b" * 64, checkpoint.sealed_at, checkpoint.signature),
        Checkpoint(7, checkpoint.head_hash, "2024-06-02T00:00:00.000000+00:00", checkpoint.signature),
        Checkpoint(7, checkpoint.head_hash, checkpoint.sealed_at, "00" * 64),
        Checkpoint(7, checkpoint.head_hash, checkpoint.sealed_at, "not hex"),
    ):
        assert not checkpoint_signed(key.public_key(), changed)
    assert not checkpoint_signed(Ed25519PrivateKey.generate().public_key(), checkpoint)
    assert seal(None, [AuditRecord(id=1, occurred_at="t", actor="a", action="b", payload="{}")])[0].seq == 1
