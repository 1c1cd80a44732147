"""Candidate commands and reads."""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg
from google.protobuf.message import Message

from services.common.errors import ViolationCollector, not_found
from services.common.group_commit import GroupWriter
from services.common.idempotency import RequestKey, replay, replayed, rewrite_responses, run_once
from services.common.updates import check_etag, etag, etag_mismatch
from services.common.wire import unframed
from services.talent.app.replies import ATTEMPTS, CandidateCodec, contention, now
from services.talent.domain import candidates as rules
from services.talent.domain.models import CandidateFields, IdentityDocument
from services.talent.store import candidates as store
from services.talent.store.keys import Outcome, Remember

log = logging.getLogger(__name__)
RETRY_SECONDS = 30.0

# What a use case answers: its candidate in the writers' encoding, or a replayed earlier response.
Answer = bytes | Message


def resource(candidate_id: str) -> str:
    """What stored responses about a candidate are filed under, so that erasure finds them all."""
    return f"candidates/{candidate_id}"


async def check_new_candidate(pool: asyncpg.Pool, fields: CandidateFields, document: IdentityDocument | None) -> None:
    """What a create would refuse after its field checks: ALREADY_EXISTS for a duplicate."""
    await store.refuse_duplicate(pool, fields, document, exclude=None)


CandidateWrites = GroupWriter[store.NewCandidate]


def candidate_writes(pool: asyncpg.Pool) -> CandidateWrites:
    """Where creates write their rows: concurrent creates share a statement (group commit)."""
    return GroupWriter(functools.partial(store.insert_many, pool))


async def create_candidate(
    pool: asyncpg.Pool,
    writes: CandidateWrites,
    fields: CandidateFields,
    document: IdentityDocument | None,
    key: RequestKey | None,
    codec: CandidateCodec,
) -> Answer:
    """One statement, shared with concurrent creates: the request key (with the response) and the
    candidate, or neither. A row the group did not write is written alone, as if there were no
    group: that statement answers a duplicate, and a taken key replays the earlier response."""
    candidate = rules.new_candidate(str(uuid.uuid4()), fields, document, now())
    encodings = codec.encode(candidate)
    response = unframed(encodings.full)
    remember = Remember(key, response, resource(candidate.id)) if key else None
    if await writes.write(store.NewCandidate(candidate, encodings, document, remember)):
        return response
    # Not written with the group: the key was taken by an earlier call (whose response is replayed),
    # or the group's statement was refused because of some row (this one is written alone, and its
    # own statement answers a duplicate).
    for _ in range(ATTEMPTS):
        earlier = await replay(pool, key, codec.type)
        if earlier is not None:
            return earlier
        if await store.insert(pool, candidate, encodings, document, remember):
            return response
        # The key was taken between our look-up and our insert: look again.
    raise contention("request key")


async def get_candidate(
    pool: asyncpg.Pool, candidate_id: str, codec: CandidateCodec, *, masked: bool
) -> tuple[bytes, bool]:
    """The candidate's stored encoding (masked: as viewers see it), one statement, and whether it
    was stale: then it is built from the columns (one more statement) and re-encoding is due."""
    stored = await store.get_encoded(pool, candidate_id, masked=masked, version=codec.version)
    if stored is not None:
        return unframed(stored), False
    encodings = codec.encode(await store.get(pool, candidate_id))
    return unframed(encodings.masked if masked else encodings.full), True


async def list_candidates(
    pool: asyncpg.Pool,
    query: store.CandidateFilter,
    order_by: str,
    after: list[Any] | None,
    limit: int,
    codec: CandidateCodec,
    *,
    masked: bool,
) -> tuple[bytes, list[Any] | None, bool]:
    """A page's ``candidates`` field as it goes on the wire (its stored items, concatenated), the
    position after it, and whether some rows were stale: those are built from their columns, the
    page read again row by row (two more statements)."""
    items, last = await store.list_page_encoded(
        pool, query, order_by, after, limit, masked=masked, version=codec.version
    )
    if items is not None:
        return items, last, False
    page, last = await store.list_page_items(pool, query, order_by, after, limit, masked=masked, version=codec.version)
    stale = [candidate_id for candidate_id, item in page if item is None]
    built: dict[str, bytes] = {}
    for candidate_id, candidate in (await store.get_many(pool, stale)).items():
        encodings = codec.encode(candidate)
        built[candidate_id] = encodings.masked if masked else encodings.full
    encoded_page = []
    for candidate_id, item in page:
        item = item if item is not None else built.get(candidate_id)
        if item is not None:  # None: removed between the two reads, as from a later read of the page
            encoded_page.append(item)
    return b"".join(encoded_page), last, True


class Reencoder:
    """Keeps the stored encodings current: re-encodes the stale ones at start-up, and again
    whenever a read met one (a row written by older code during a rollout, say)."""

    def __init__(self, pool: asyncpg.Pool, codec: CandidateCodec) -> None:
        self.pool = pool
        self.codec = codec
        self._due = asyncio.Event()
        self._due.set()

    def met_stale(self) -> None:
        self._due.set()

    async def run(self) -> None:
        while True:
            await self._due.wait()
            self._due.clear()
            try:
                done = await reencode_stale(self.pool, self.codec)
            except Exception:
                # Reads stay correct meanwhile (they build stale rows from the columns): try later.
                log.exception("re-encoding candidates failed")
                await asyncio.sleep(RETRY_SECONDS)
                self._due.set()
                continue
            if done:
                log.info("candidates re-encoded", extra={"fields": {"candidates": done}})


async def reencode_stale(pool: asyncpg.Pool, codec: CandidateCodec, batch: int = 500) -> int:
    """Encode every candidate whose stored bytes are missing or of another codec version (after
    the migration, an upgrade of the codec, or an update that did not write them); the number
    re-encoded."""
    done = 0
    while True:
        candidates = await store.stale_encodings(pool, codec.version, batch)
        done += await store.store_encodings(pool, [(c, codec.encode(c)) for c in candidates])
        if len(candidates) < batch:
            return done


async def update_candidate(
    pool: asyncpg.Pool,
    candidate_id: str,
    given_etag: str,
    patch: Mapping[str, Any],
    replace_document: bool,
    document: IdentityDocument | None,
    codec: CandidateCodec,
) -> bytes:
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
        encodings = codec.encode(changed)
        if await store.update(pool, current, changed, encodings, document, replace_document):
            return unframed(encodings.full)
    raise contention("candidate")


async def delete_candidate(
    pool: asyncpg.Pool, candidate_id: str, given_etag: str, key: RequestKey | None, codec: CandidateCodec
) -> Answer:
    """Soft delete (AIP-164): one read (the candidate and the request key), one guarded write."""
    for _ in range(ATTEMPTS):
        current, stored = await store.get_with_key(pool, candidate_id, key)
        earlier = replayed(key, stored.request_hash, stored.response, codec.type) if key else None
        if earlier is not None:
            return earlier
        if current is None or current.delete_time is not None:
            raise not_found("candidate", resource(candidate_id))
        current_etag = etag(current.id, current.version)
        if given_etag and given_etag != current_etag:
            raise etag_mismatch(current_etag, "candidate")
        deleted = rules.deleted(current, now())
        encodings = codec.encode(deleted)
        response = unframed(encodings.full)
        remember = Remember(key, response, resource(current.id)) if key else None
        outcome = await store.soft_delete(pool, current, deleted, encodings, remember)
        if outcome is Outcome.WRITTEN:
            return response
        if outcome is Outcome.KEY_TAKEN and (earlier := await replay(pool, key, codec.type)) is not None:
            return earlier
    raise contention("candidate")


async def anonymize_candidate(
    pool: asyncpg.Pool, candidate_id: str, key: RequestKey | None, codec: CandidateCodec
) -> Message:
    """Erase the person's data everywhere the service keeps it, in one transaction: the candidate
    row, the notes of its stage history, and every stored response of a request about it (a retry
    of the original create then answers the anonymized candidate)."""
    try:
        candidate_id = str(uuid.UUID(candidate_id))  # the form resources are filed under
    except ValueError:
        raise not_found("candidate", resource(candidate_id)) from None

    async def erase(connection: asyncpg.Connection) -> Message:
        current = await store.lock_for_erasure(connection, candidate_id)
        anonymized = rules.anonymized(current, now())
        encodings = codec.encode(anonymized)
        await store.erase(connection, anonymized, encodings)
        response = codec.type.FromString(unframed(encodings.full))
        await rewrite_responses(connection, resource(candidate_id), response)
        return response

    return await run_once(pool, key, codec.type, erase, resource=lambda _: resource(candidate_id))
