"""Request-id idempotency folded into the write: keyed digests, retries sequential and racing,
stored responses that can be rewritten, all over real gRPC calls and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import grpc
import pytest
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from services.common.auth import Caller, current_caller
from services.common.idempotency import RequestKeys, replay, rewrite_responses, store_statement
from services.common.server import RunningService
from tests.support import PAGE_TOKEN_SECRET, auth
from tests.talent.helpers import individual

EDITOR = auth("editor-idem", "talent.editor")


def _key_for(request: pb.CreateCandidateRequest, subject: str = "editor-idem") -> Any:
    token = current_caller.set(Caller(subject, frozenset({"talent.editor"})))
    try:
        return RequestKeys(PAGE_TOKEN_SECRET.encode()).key(request)
    finally:
        current_caller.reset(token)


def test_digest_is_keyed_and_ignores_only_the_request_id() -> None:
    request = pb.CreateCandidateRequest(candidate=individual(), request_id="r-1")
    key = _key_for(request)
    without_id = pb.CreateCandidateRequest()
    without_id.CopyFrom(request)
    without_id.ClearField("request_id")
    # An unkeyed hash of the request could be brute-forced from what else is stored; this is an HMAC.
    assert key.digest != hashlib.sha256(without_id.SerializeToString(deterministic=True)).digest()
    other_secret = RequestKeys(b"another-secret-0123456789abcdef")
    token = current_caller.set(Caller("editor-idem", frozenset()))
    try:
        assert other_secret.key(request).digest != key.digest  # type: ignore[union-attr]
    finally:
        current_caller.reset(token)
    retried = pb.CreateCandidateRequest()
    retried.CopyFrom(request)
    retried.request_id = "r-2"
    assert _key_for(retried).digest == key.digest
    assert _key_for(pb.CreateCandidateRequest(candidate=individual())) is None


def test_redact_edits_a_copy() -> None:
    request = pb.CreateCandidateRequest(candidate=individual(), request_id="r-1")
    request.candidate.identity_document = "330302199001011234"

    def drop_document(message: Any) -> None:
        message.candidate.identity_document = ""

    token = current_caller.set(Caller("editor-idem", frozenset()))
    try:
        keys = RequestKeys(PAGE_TOKEN_SECRET.encode())
        redacted = keys.key(request, redact=drop_document)
        plain = keys.key(request)
    finally:
        current_caller.reset(token)
    assert request.candidate.identity_document == "330302199001011234"
    assert redacted is not None and plain is not None and redacted.digest != plain.digest


async def test_stored_digest_is_not_a_plain_hash(talent_stub: Any, talent_service: RunningService) -> None:
    # Without an identity document: talent digests a document's keyed hash instead of the document
    # (its redact hook, tests/talent/test_privacy.py), so the plain key() would not match.
    request = pb.CreateCandidateRequest(
        candidate=individual(identity_document=""), request_id=f"plain-{uuid.uuid4().hex}"
    )
    await talent_stub.CreateCandidate(request, metadata=EDITOR)
    stored = await talent_service.pool.fetchval(
        "SELECT request_hash FROM idempotency_keys WHERE request_id = $1", request.request_id
    )
    without_id = pb.CreateCandidateRequest()
    without_id.CopyFrom(request)
    without_id.ClearField("request_id")
    assert bytes(stored) != hashlib.sha256(without_id.SerializeToString(deterministic=True)).digest()
    assert bytes(stored) == _key_for(request).digest


async def test_racing_retries_write_once_and_answer_alike(talent_stub: Any, talent_service: RunningService) -> None:
    request = pb.CreateCandidateRequest(candidate=individual(), request_id=f"race-{uuid.uuid4().hex}")
    results = await asyncio.gather(*(talent_stub.CreateCandidate(request, metadata=EDITOR) for _ in range(8)))
    assert len({r.name for r in results}) == 1
    assert {r.SerializeToString(deterministic=True) for r in results} == {
        results[0].SerializeToString(deterministic=True)
    }
    email = request.candidate.contact.email
    assert await talent_service.pool.fetchval("SELECT count(*) FROM candidates WHERE email = $1", email) == 1


async def test_sequential_retry_replays_without_writing(talent_stub: Any, talent_service: RunningService) -> None:
    request = pb.CreateCandidateRequest(candidate=individual(), request_id=f"seq-{uuid.uuid4().hex}")
    first = await talent_stub.CreateCandidate(request, metadata=EDITOR)
    versions_before = await talent_service.pool.fetchval("SELECT count(*) FROM candidates")
    again = await talent_stub.CreateCandidate(request, metadata=EDITOR)
    assert again == first
    assert await talent_service.pool.fetchval("SELECT count(*) FROM candidates") == versions_before
    reused = pb.CreateCandidateRequest(candidate=individual(), request_id=request.request_id)
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(reused, metadata=EDITOR)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in raised.value.details()


async def test_rewrite_responses_replaces_what_a_retry_returns(talent_service: RunningService) -> None:
    key = _key_for(pb.CreateCandidateRequest(candidate=individual(), request_id=f"rw-{uuid.uuid4().hex}"))
    resource = f"candidates/{uuid.uuid4()}"
    original = pb.Candidate(name=resource, display_name="张三", contact=pb.Contact(email="zhang@example.com"))
    async with talent_service.pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO idempotency_keys (scope, request_id, request_hash, response, resource)"
            " VALUES ($1, $2, $3, $4, $5)",
            key.scope,
            key.request_id,
            key.digest,
            original.SerializeToString(),
            resource,
        )
        erased = pb.Candidate(name=resource, display_name="已匿名")
        assert await rewrite_responses(connection, resource, erased) == 1
    assert await replay(talent_service.pool, key, pb.Candidate) == erased
    leftover = await talent_service.pool.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE position($1::bytea IN response) > 0", b"zhang@example.com"
    )
    assert leftover == 0


def test_digest_does_not_depend_on_how_the_client_serialised_the_request() -> None:
    """Why the digest is taken over the service's own deterministic encoding, not the received body:
    a retry whose bytes differ (another client library emitting fields in another order, say) is the
    same request and must be replayed, not refused as REQUEST_ID_REUSED."""
    request = pb.CreateCandidateRequest(candidate=individual(), request_id="r-order")
    canonical = request.SerializeToString(deterministic=True)
    # The same fields, request_id (field 2) first and the candidate (field 1) after: valid protobuf.
    candidate = request.candidate.SerializeToString(deterministic=True)
    request_id = request.request_id.encode()
    reordered = b"\x12" + bytes([len(request_id)]) + request_id + b"\x0a" + _varint(len(candidate)) + candidate
    assert reordered != canonical
    again = pb.CreateCandidateRequest.FromString(reordered)
    assert _key_for(again).digest == _key_for(request).digest
    # …while a different request under the same id still differs.
    other = pb.CreateCandidateRequest()
    other.CopyFrom(request)
    other.candidate.display_name += " 2"
    assert _key_for(other).digest != _key_for(request).digest


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def test_store_statement_text_is_built_once_per_shape() -> None:
    """The write's statement text is one cached string per shape (not rebuilt per call), so that the
    texts built on it are module constants and asyncpg's statement cache hashes nothing per call."""
    request = pb.CreateCandidateRequest(candidate=individual(), request_id="r-sql")
    key = _key_for(request)
    first, _ = store_statement(key, request, "candidates/1", first_param=3, source="guard")
    second, args = store_statement(key, request, "candidates/2", first_param=3, source="guard")
    assert first is second
    assert args[4] == "candidates/2"
    assert store_statement(key, request, first_param=1)[0] != first
    assert "$3::text, $4::text, $5::bytea, $6::bytea, $7::text FROM guard" in first
