"""Candidate commands and reads."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg

from services.common.errors import ViolationCollector, not_found
from services.common.idempotency import RequestKey, replay, replayed, rewrite_responses, run_once
from services.common.updates import check_etag, etag, etag_mismatch
from services.talent.app.replies import ATTEMPTS, R, Reply, contention, now
from services.talent.domain import candidates as rules
from services.talent.domain.models import Candidate, CandidateFields, IdentityDocument
from services.talent.store import candidates as store
from services.talent.store.keys import Outcome, Remember


def resource(candidate_id: str) -> str:
    """What stored responses about a candidate are filed under, so that erasure finds them all."""
    return f"candidates/{candidate_id}"


async def check_new_candidate(pool: asyncpg.Pool, fields: CandidateFields, document: IdentityDocument | None) -> None:
    """What a create would refuse after its field checks: ALREADY_EXISTS for a duplicate."""
    await store.refuse_duplicate(pool, fields, document, exclude=None)


async def create_candidate(
    pool: asyncpg.Pool,
    fields: CandidateFields,
    document: IdentityDocument | None,
    key: RequestKey | None,
    reply: Reply[Candidate, R],
) -> R:
    """One statement: the request key (with the response) and the candidate, or neither."""
    candidate = rules.new_candidate(str(uuid.uuid4()), fields, document, now())
    response = reply.encode(candidate)
    remember = Remember(key, response, resource(candidate.id)) if key else None
    for _ in range(ATTEMPTS):
        if await store.insert(pool, candidate, document, remember):
            return response
        earlier = await replay(pool, key, reply.type)
        if earlier is not None:
            return earlier
        # The earlier call's key expired between our insert and our look-up: insert again.
    raise contention("request key")


async def get_candidate(pool: asyncpg.Pool, candidate_id: str) -> Candidate:
    return await store.get(pool, candidate_id)


async def list_candidates(
    pool: asyncpg.Pool, query: store.CandidateFilter, order_by: str, after: list[Any] | None, limit: int
) -> tuple[list[Candidate], list[Any] | None]:
    return await store.list_page(pool, query, order_by, after, limit)


async def update_candidate(
    pool: asyncpg.Pool,
    candidate_id: str,
    given_etag: str,
    patch: Mapping[str, Any],
    replace_document: bool,
    document: IdentityDocument | None,
) -> Candidate:
    """Read, check the etag, merge the masked fields (``patch``), validate the result, write it
    guarded by the version read (two statements, no transaction). ``replace_document``: the mask
    names identity_document (``document`` None then removes it)."""
    for _ in range(ATTEMPTS):
        current = await store.get(pool, candidate_id)
        check_etag(given_etag, etag(current.id, current.version), "candidate")
        fields = rules.merged(current, patch)
        violations = ViolationCollector()
        rules.validate_candidate(fields, violations)
        violations.raise_if_any()
        changed = rules.updated(current, fields, document, replace_document, now())
        if await store.update(pool, current, changed, document, replace_document):
            return changed
    raise contention("candidate")


async def delete_candidate(
    pool: asyncpg.Pool, candidate_id: str, given_etag: str, key: RequestKey | None, reply: Reply[Candidate, R]
) -> R:
    """Soft delete (AIP-164): one read (the candidate and the request key), one guarded write."""
    for _ in range(ATTEMPTS):
        current, stored = await store.get_with_key(pool, candidate_id, key)
        earlier = replayed(key, stored.request_hash, stored.response, reply.type) if key else None
        if earlier is not None:
            return earlier
        if current is None or current.delete_time is not None:
            raise not_found("candidate", resource(candidate_id))
        current_etag = etag(current.id, current.version)
        if given_etag and given_etag != current_etag:
            raise etag_mismatch(current_etag, "candidate")
        deleted = rules.deleted(current, now())
        response = reply.encode(deleted)
        remember = Remember(key, response, resource(current.id)) if key else None
        outcome = await store.soft_delete(pool, current, deleted, remember)
        if outcome is Outcome.WRITTEN:
            return response
        if outcome is Outcome.KEY_TAKEN and (earlier := await replay(pool, key, reply.type)) is not None:
            return earlier
    raise contention("candidate")


async def anonymize_candidate(
    pool: asyncpg.Pool, candidate_id: str, key: RequestKey | None, reply: Reply[Candidate, R]
) -> R:
    """Erase the person's data everywhere the service keeps it, in one transaction: the candidate
    row, the notes of its stage history, and every stored response of a request about it (a retry
    of the original create then answers the anonymized candidate)."""
    try:
        candidate_id = str(uuid.UUID(candidate_id))  # the form resources are filed under
    except ValueError:
        raise not_found("candidate", resource(candidate_id)) from None

    async def erase(connection: asyncpg.Connection) -> R:
        current = await store.lock_for_erasure(connection, candidate_id)
        anonymized = rules.anonymized(current, now())
        await store.erase(connection, anonymized)
        response = reply.encode(anonymized)
        await rewrite_responses(connection, resource(candidate_id), response)
        return response

    return await run_once(pool, key, reply.type, erase, resource=lambda _: resource(candidate_id))
