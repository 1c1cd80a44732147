"""AIP-158 pagination over the candidate collection: no gaps or repeats under concurrent inserts,
tamper-proof tokens, filters pinned between pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.support import auth, create_database, start, status_details
from tests.talent.helpers import EDITOR, VIEWER, individual

COLLECTION = 1000
# Every candidate these tests created, so that a walk can tell ours from strangers.
CREATED: set[str] = set()


@pytest.fixture(scope="module")
async def stub(postgres_url: str) -> AsyncIterator[Any]:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url), db_pool_max_size=20)
    async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
        yield talent_pb2_grpc.TalentServiceStub(channel)
    await running.stop(grace=0)


async def create_many(stub: Any, count: int, domain: int = pb.DOMAIN_DIGITAL_ECONOMY) -> list[str]:
    names: list[str] = []
    for start_at in range(0, count, 100):
        batch = await asyncio.gather(
            *(
                stub.CreateCandidate(
                    pb.CreateCandidateRequest(candidate=individual(domain=domain)), metadata=auth(*EDITOR)
                )
                for _ in range(min(100, count - start_at))
            )
        )
        names.extend(c.name for c in batch)
    CREATED.update(names)
    return names


@pytest.fixture(scope="module")
async def collection(stub: Any) -> list[str]:
    return await create_many(stub, COLLECTION)


@pytest.mark.parametrize("order_by", ["create_time", "display_name desc"])
async def test_walk_without_gaps_or_repeats_while_rows_are_inserted(
    stub: Any, collection: list[str], order_by: str
) -> None:
    seen: list[str] = []
    inserted: list[str] = []
    request = pb.ListCandidatesRequest(page_size=37, domain=pb.DOMAIN_DIGITAL_ECONOMY, order_by=order_by)
    pages = 0
    while True:
        response, new = await asyncio.gather(stub.ListCandidates(request, metadata=auth(*VIEWER)), create_many(stub, 5))
        inserted.extend(new)
        seen.extend(c.name for c in response.candidates)
        pages += 1
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    assert len(seen) == len(set(seen)), "a candidate was returned twice"
    assert set(collection) <= set(seen), "a candidate that existed before the walk was skipped"
    assert set(seen) <= CREATED
    assert inserted, "rows were inserted during the walk"
    assert pages >= COLLECTION // 37


async def test_default_and_maximum_page_sizes(stub: Any, collection: list[str]) -> None:
    default = await stub.ListCandidates(pb.ListCandidatesRequest(), metadata=auth(*VIEWER))
    assert len(default.candidates) == 50
    capped = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=10_000), metadata=auth(*VIEWER))
    assert len(capped.candidates) == 500


async def test_negative_page_size_is_invalid(stub: Any) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await stub.ListCandidates(pb.ListCandidatesRequest(page_size=-1), metadata=auth(*VIEWER))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[2][0][0] == "page_size"


async def test_forged_or_foreign_page_token_is_invalid(stub: Any, collection: list[str]) -> None:
    first = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=5), metadata=auth(*VIEWER))
    token = first.next_page_token
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for bad in [forged, "garbage", token + "x"]:
        with pytest.raises(aio.AioRpcError) as raised:
            await stub.ListCandidates(pb.ListCandidatesRequest(page_size=5, page_token=bad), metadata=auth(*VIEWER))
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert status_details(raised.value)[2][0][0] == "page_token"
    with pytest.raises(aio.AioRpcError) as raised:
        await stub.ListCandidates(
            pb.ListCandidatesRequest(page_size=5, page_token=token, domain=pb.DOMAIN_LIFE_HEALTH),
            metadata=auth(*VIEWER),
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "different filters" in status_details(raised.value)[2][0][1]
    # A different page size keeps the filter: allowed (AIP-158).
    await stub.ListCandidates(pb.ListCandidatesRequest(page_size=7, page_token=token), metadata=auth(*VIEWER))


async def test_bad_order_by_is_invalid(stub: Any) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await stub.ListCandidates(pb.ListCandidatesRequest(order_by="email"), metadata=auth(*VIEWER))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[2][0][0] == "order_by"


async def test_a_page_token_of_another_collection_is_refused(stub: Any, collection: list[str]) -> None:
    programmes = await stub.ListProgrammes(pb.ListProgrammesRequest(page_size=1), metadata=auth(*VIEWER))
    for call, request in [
        (stub.ListCandidates, pb.ListCandidatesRequest(page_token=programmes.next_page_token)),
        (stub.ListApplications, pb.ListApplicationsRequest(page_token=programmes.next_page_token)),
    ]:
        with pytest.raises(aio.AioRpcError) as raised:
            await call(request, metadata=auth(*VIEWER))
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert status_details(raised.value)[2][0][0] == "page_token"
