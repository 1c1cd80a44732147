"""PostgreSQL going away under a write load: no call answers INTERNAL, and every call answered OK is
in the database (acknowledged writes are never lost). And the one transaction helper never fails a
call whose COMMIT succeeded."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.db import transaction
from services.common.embedded_pg import EmbeddedPostgres
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.support import auth, create_database, start
from tests.talent.helpers import individual


async def test_postgres_stopped_fast_under_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    database = EmbeddedPostgres(tmp_path / "pg")
    await asyncio.to_thread(database.start)
    running = await start(TalentSettings, DEFINITION, database.url, access_log_sample_rate=0.0)
    outcomes: Counter[str] = Counter()
    acknowledged: list[str] = []
    editor = auth("editor-1", "talent.editor")
    try:
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = talent_pb2_grpc.TalentServiceStub(channel)
            writing = asyncio.Event()
            writing.set()

            async def writer() -> None:
                while writing.is_set():
                    request = pb.CreateCandidateRequest(candidate=individual(), request_id=uuid.uuid4().hex)
                    try:
                        created = await stub.CreateCandidate(request, metadata=editor, timeout=30)
                    except aio.AioRpcError as error:
                        outcomes[error.code().name] += 1
                        await asyncio.sleep(0.05)
                        continue
                    outcomes["OK"] += 1
                    acknowledged.append(created.name.removeprefix("candidates/"))

            writers = [asyncio.create_task(writer()) for _ in range(30)]
            # Several outages, each hitting the writes at a different moment of their transactions.
            for _ in range(3):
                await asyncio.sleep(1.0)
                await asyncio.to_thread(database.stop, "fast")
                await asyncio.sleep(0.5)
                await asyncio.to_thread(database.start)
            await asyncio.sleep(0.5)
            writing.clear()
            await asyncio.gather(*writers)
        stored = {str(row["id"]) for row in await running.pool.fetch("SELECT id FROM candidates")}
    finally:
        await running.stop(0)
        await asyncio.to_thread(database.stop, "immediate")
    assert outcomes["OK"] > 0 and outcomes["UNAVAILABLE"] > 0, outcomes
    assert set(outcomes) <= {"OK", "UNAVAILABLE"}, outcomes  # never INTERNAL
    assert not set(acknowledged) - stored, f"{len(set(acknowledged) - stored)} acknowledged writes lost"


@pytest.fixture
async def table(postgres_url: str) -> str:
    url = await create_database(postgres_url)
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("CREATE TABLE writes (id int PRIMARY KEY)")
    finally:
        await connection.close()
    return url


async def test_a_committed_transaction_survives_a_failed_release(table: str) -> None:
    async def reset_fails(connection: Any) -> None:
        # What a connection's reset meets when the server went away right after COMMIT.
        raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")

    pool = await asyncpg.create_pool(table, min_size=1, max_size=1, reset=reset_fails)
    try:
        async with transaction(pool) as connection:
            await connection.execute("INSERT INTO writes VALUES (1)")
        # The dropped connection went back to the pool as a free slot: the next block gets a new one.
        async with transaction(pool) as connection:
            await connection.execute("INSERT INTO writes VALUES (2)")
    finally:
        pool.terminate()
    reader = await asyncpg.connect(table)
    try:
        assert await reader.fetchval("SELECT count(*) FROM writes") == 2
    finally:
        await reader.close()


async def test_a_failed_block_rolls_back_and_keeps_its_error(table: str) -> None:
    pool = await asyncpg.create_pool(table, min_size=1, max_size=1)
    try:
        with pytest.raises(LookupError):
            async with transaction(pool) as connection:
                await connection.execute("INSERT INTO writes VALUES (3)")
                raise LookupError("the block's own error")
        assert await pool.fetchval("SELECT count(*) FROM writes WHERE id = 3") == 0
        with pytest.raises(asyncpg.exceptions.SerializationError):
            async with transaction(pool, isolation="serializable") as connection:
                assert await connection.fetchval("SHOW transaction_isolation") == "serializable"
                raise asyncpg.exceptions.SerializationError("a lost race")
    finally:
        await pool.close()
