"""Upgrading a database with request keys stored by the previous version (migration 0003)."""

from __future__ import annotations

import hashlib
import uuid

import asyncpg

from protos.talent.v1 import talent_pb2 as pb
from services.common.db import PLATFORM_MIGRATIONS, migrate, migrations_in
from services.talent.store.catalogue import Validator, validated_targets_with_counts
from tests.support import create_database
from tests.talent.helpers import individual

UPGRADE = "0003_target_counts_and_request_keys"
COUNTS = "0004_application_stage_counts"
VALIDATOR = "0006_target_progress_validator"


def versions_from(version: str) -> list[str]:
    """Every talent migration from ``version`` on: what an upgrade from before it applies."""
    return [m.version for m in migrations_in("services.talent.migrations", "") if m.version >= version]


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

        assert await migrate(connection, "talent", "services.talent.migrations") == versions_from(UPGRADE)

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

        assert await migrate(connection, "talent", "services.talent.migrations") == versions_from(COUNTS)

        rows = await connection.fetch("SELECT year, programme_id, stage, n FROM talent.application_stage_counts")
        assert [tuple(r) for r in rows] == [(2024, "ouyue", "APPLIED", 1)]
    finally:
        await connection.close()


async def test_upgrade_versions_the_counts_so_that_no_two_states_share_a_validator(postgres_url: str) -> None:
    """Migration 0006 on a database with counts: every later change to a year's counts or to the
    targets gives a validator never seen before and greater than the last, including the changes a
    plain sum of versions would miss (a row deleted and another created in its place, a row moved
    to another year, an update that sets the version itself)."""
    connection = await asyncpg.connect(await create_database(postgres_url))
    try:
        await _schema_before(connection, VALIDATOR)
        candidate = uuid.uuid4()
        await connection.execute(
            "INSERT INTO candidates (id, kind, display_name, domain, origin) VALUES"
            " ($1, 'INDIVIDUAL', 'a', 'OTHER', 'DOMESTIC')",
            candidate,
        )
        application = uuid.uuid4()
        await connection.execute(
            "INSERT INTO applications (id, candidate_id, programme_id, year, stage)"
            " VALUES ($1, $2, 'ouyue', 2024, 'APPLIED')",
            application,
            candidate,
        )

        assert await migrate(connection, "talent", "services.talent.migrations") == versions_from(VALIDATOR)
        assert [
            tuple(r)
            for r in await connection.fetch("SELECT programme_id, stage, n, version FROM application_stage_counts")
        ] == [("ouyue", "APPLIED", 1, 1)]

        seen: list[Validator] = []

        async def changed(step: str) -> None:
            validator, targets = await validated_targets_with_counts(connection, 2024, seen[-1] if seen else None)
            assert targets is not None, step
            assert validator not in seen and (not seen or validator > seen[-1]), (step, validator, seen)
            seen.append(validator)
            # Read again with that validator: the answer is kept, the targets are not read.
            assert await validated_targets_with_counts(connection, 2024, validator) == (validator, None), step

        await changed("upgraded")
        await connection.execute("UPDATE applications SET stage = 'UNDER_REVIEW' WHERE id = $1", application)
        await changed("moved (two count rows)")
        await connection.execute(
            "INSERT INTO applications (id, candidate_id, programme_id, year, stage)"
            " VALUES ($1, $2, 'city-team', 2024, 'SCOUTED')",
            uuid.uuid4(),
            candidate,
        )
        await changed("a new count row")
        await connection.execute("UPDATE candidates SET delete_time = now() WHERE id = $1", candidate)
        await changed("soft delete")
        await connection.execute("UPDATE candidates SET delete_time = NULL WHERE id = $1", candidate)
        await changed("restore")
        # One row deleted and another, of the same version, created: the same count of rows and
        # the same sum of versions, a different state.
        await connection.execute(
            "DELETE FROM application_stage_counts WHERE year = 2024 AND programme_id = 'city-team';"
            " INSERT INTO application_stage_counts (year, programme_id, stage, n, version)"
            " VALUES (2024, 'national-leading', 'SCOUTED', 1, 1)"
        )
        await changed("deleted and re-created")
        await connection.execute(
            "UPDATE application_stage_counts SET n = n + 1, version = 1 WHERE year = 2024 AND stage = 'UNDER_REVIEW'"
        )
        await changed("an update that sets the version")
        await connection.execute(
            "UPDATE application_stage_counts SET year = 2025 WHERE year = 2024 AND programme_id = 'national-leading'"
        )
        await changed("a row moved to another year")
        await connection.execute(
            "INSERT INTO application_stage_counts (year, programme_id, stage, n)"
            " VALUES (2024, 'provincial-leading', 'SCOUTED', 1)"
        )
        await changed("a row created in its place")
        await connection.execute("UPDATE targets SET required = 9 WHERE id = '2024-ouyue'")
        await changed("a target changed")
        await connection.execute("TRUNCATE application_stage_counts")
        await changed("truncated")
        await connection.execute(
            "INSERT INTO application_stage_counts (year, programme_id, stage, n)"
            " VALUES (2024, 'ouyue', 'UNDER_REVIEW', 1)"
        )
        await changed("rebuilt")
        # A change to another year leaves this year's validator as it was.
        await connection.execute(
            "INSERT INTO application_stage_counts (year, programme_id, stage, n) VALUES (2026, 'ouyue', 'SCOUTED', 1)"
        )
        assert await validated_targets_with_counts(connection, 2024, seen[-1]) == (seen[-1], None)
    finally:
        await connection.close()
