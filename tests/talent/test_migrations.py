"""Upgrading a database with request keys stored by the previous version (migration 0003)."""

from __future__ import annotations

import hashlib
import uuid

import asyncpg

from protos.talent.v1 import talent_pb2 as pb
from services.common.db import PLATFORM_MIGRATIONS, migrate, migrations_in
from tests.support import create_database
from tests.talent.helpers import individual

UPGRADE = "0003_target_counts_and_request_keys"
COUNTS = "0004_application_stage_counts"


async def _schema_before(connection: asyncpg.Connection, version: str) -> None:
    """The schema as an older version left it: every migration before ``version``."""
    await connection.execute(
        "CREATE SCHEMA talent; SET search_path TO talent;"
        " CREATE TABLE schema_migrations (version text PRIMARY KEY,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    talent = [m for m in migrations_in("services.talent.migrations", "") if m.version < version]
    for migration in migrations_in(PLATFORM_MIGRATIONS, "platform/") + talent:
        await connection.execute(migration.sql)
        await connection.execute("INSERT INTO schema_migrations (version) VALUES ($1)", migration.version)


def from_version(version: str) -> list[str]:
    """What an upgrade from before ``version`` applies: it and every later migration."""
    return [m.version for m in migrations_in("services.talent.migrations", "") if m.version >= version]


async def test_upgrade_files_old_responses_and_drops_plain_digests(postgres_url: str) -> None:
    connection = await asyncpg.connect(await create_database(postgres_url))
    try:
        await _schema_before(connection, UPGRADE)
        candidate = f"candidates/{uuid.uuid4()}"
        request = pb.CreateCandidateRequest(candidate=individual())
        plain = hashlib.sha256(request.SerializeToString(deterministic=True)).digest()
        response = pb.Candidate(name=candidate, contact=pb.Contact(email="old@example.com"))
        await connection.execute(
            "INSERT INTO idempotency_keys (scope, request_id, request_hash, response) VALUES"
            " ('hr-portal:talent.v1.CreateCandidateRequest', 'old-1', $1, $2),"
            " ('hr-portal:talent.v1.TransitionApplicationRequest', 'old-2', $1, $3)",
            plain,
            response.SerializeToString(deterministic=True),
            pb.Application(name="applications/x", stage=pb.STAGE_RESERVED).SerializeToString(deterministic=True),
        )

        assert await migrate(connection, "talent", "services.talent.migrations") == from_version(UPGRADE)

        rows = {
            r["request_id"]: r
            for r in await connection.fetch("SELECT request_id, request_hash, resource FROM talent.idempotency_keys")
        }
        assert rows["old-1"]["resource"] == candidate
        assert bytes(rows["old-1"]["request_hash"]) == b""
        assert rows["old-2"]["resource"] == "applications/x"
        assert bytes(rows["old-2"]["request_hash"]) == plain  # no identity document in it: kept
        indexes = await connection.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'applications'")
        assert "applications_year_programme_stage_idx" in {r["indexname"] for r in indexes}
    finally:
        await connection.close()


async def test_upgrade_counts_the_applications_of_live_candidates(postgres_url: str) -> None:
    connection = await asyncpg.connect(await create_database(postgres_url))
    try:
        await _schema_before(connection, COUNTS)
        live, deleted = uuid.uuid4(), uuid.uuid4()
        await connection.execute(
            "INSERT INTO candidates (id, kind, display_name, domain, origin, delete_time) VALUES"
            " ($1, 'INDIVIDUAL', 'a', 'OTHER', 'DOMESTIC', NULL), ($2, 'INDIVIDUAL', 'b', 'OTHER', 'DOMESTIC', now())",
            live,
            deleted,
        )
        await connection.execute(
            "INSERT INTO applications (id, candidate_id, programme_id, year, stage) VALUES"
            " ($1, $3, 'ouyue', 2024, 'APPLIED'), ($2, $4, 'ouyue', 2024, 'APPLIED')",
            uuid.uuid4(),
            uuid.uuid4(),
            live,
            deleted,
        )

        assert await migrate(connection, "talent", "services.talent.migrations") == from_version(COUNTS)

        rows = await connection.fetch("SELECT year, programme_id, stage, n FROM talent.application_stage_counts")
        assert [tuple(r) for r in rows] == [(2024, "ouyue", "APPLIED", 1)]
    finally:
        await connection.close()
