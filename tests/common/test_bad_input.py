"""Bad input at the platform: an undecodable body, an error with thousands of violations, values the
database refuses. Each answers a client-error code with a safe message, is counted, and none of them
can produce a code that the error-ratio alert counts (deploy/k8s/monitoring/rules.yaml)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.errors import FieldViolation, invalid_argument
from services.common.metrics import ReadFamilies
from services.common.server import Platform, RunningService, ServiceDefinition
from services.talent.api.servicer import TalentServicer
from services.talent.settings import TalentSettings
from tests.common.test_platform import handled, scrape
from tests.support import auth, create_database, start, status_details

RULES = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "monitoring" / "rules.yaml"
VIEWER = auth("viewer-1", "talent.viewer")


def server_fault_codes() -> set[str]:
    """The grpc_code values GrpcServerErrorRatioHigh counts, read from the rules themselves."""
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            if rule.get("record") == "job:grpc_server_handled_server_errors:rate5m":
                found = re.search(r'grpc_code=~"([^"]+)"', rule["expr"])
                assert found is not None
                return set(found.group(1).split("|"))
    raise AssertionError("no server-error recording rule in rules.yaml")


class BadDayServicer(TalentServicer):
    async def ListCandidates(self, request: pb.ListCandidatesRequest, context: aio.ServicerContext) -> Any:
        # As a service would if it checked every item of a 10,000-item repeated field.
        raise invalid_argument(
            [FieldViolation(f"scores[{i}].value", f"must be between 0 and 10 (got {i})") for i in range(10_000)]
        )

    async def ListApplications(self, request: pb.ListApplicationsRequest, context: aio.ServicerContext) -> Any:
        # An int beyond int4: asyncpg refuses to encode it (its own DataError, an InterfaceError).
        await self.pool.fetchval("SELECT $1::int4", 2**40)

    async def GetApplicationHistory(
        self, request: pb.GetApplicationHistoryRequest, context: aio.ServicerContext
    ) -> Any:
        # PostgreSQL refuses the value (SQLSTATE 22P02, class 22 "data exception").
        await self.pool.fetchval("SELECT $1::text::uuid", request.name)


def mount(server: aio.Server, platform: Platform) -> ReadFamilies | None:
    defaults = TalentSettings.model_fields["stage_probabilities"].get_default(call_default_factory=True)
    talent_pb2_grpc.add_TalentServiceServicer_to_server(BadDayServicer(platform, b"k" * 32, defaults), server)
    return None


DEFINITION = ServiceDefinition("talent.v1.TalentService", "services.talent.migrations", mount)


@pytest.fixture(scope="module")
async def service(postgres_url: str) -> AsyncIterator[RunningService]:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    yield running
    await running.stop(0)


@pytest.fixture(scope="module")
async def channel(service: RunningService) -> AsyncIterator[aio.Channel]:
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        yield channel


async def failure(call: Any) -> aio.AioRpcError:
    with pytest.raises(aio.AioRpcError) as raised:
        await call
    return raised.value


def raw_call(channel: aio.Channel, method: str, body: bytes, metadata: Any) -> Any:
    """A call of ``method`` with ``body``, bytes as they are, as its request."""
    return channel.unary_unary(f"/talent.v1.TalentService/{method}")(body, metadata=metadata, timeout=10)


# Field 1 (name, length-delimited) claiming 100 bytes that are not there.
UNDECODABLE = b"\x0a\x64abc"


@pytest.mark.parametrize(
    ("metadata", "code"),
    [(VIEWER, grpc.StatusCode.INVALID_ARGUMENT), ((), grpc.StatusCode.UNAUTHENTICATED)],
)
async def test_an_undecodable_body_is_a_counted_client_error_after_authentication(
    service: RunningService, channel: aio.Channel, metadata: Any, code: grpc.StatusCode
) -> None:
    label = "InvalidArgument" if code is grpc.StatusCode.INVALID_ARGUMENT else "Unauthenticated"
    before = await asyncio.to_thread(scrape, service.metrics_port)
    error = await failure(raw_call(channel, "GetCandidate", UNDECODABLE, metadata))
    after = await asyncio.to_thread(scrape, service.metrics_port)
    assert error.code() == code
    details = error.details() or ""
    assert "Error" not in details and "Exception" not in details and "deserializ" not in details, details
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        assert status_details(error)[0] == "UNDECODABLE_REQUEST"
    assert handled(after, "GetCandidate", label) - handled(before, "GetCandidate", label) == 1


async def test_an_error_with_10000_violations_fits_in_the_trailers(
    service: RunningService, channel: aio.Channel
) -> None:
    stub = talent_pb2_grpc.TalentServiceStub(channel)
    error = await failure(stub.ListCandidates(pb.ListCandidatesRequest(), metadata=VIEWER, timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    reason, metadata, violations = status_details(error)
    assert reason == "INVALID_ARGUMENT"
    assert 1 <= len(violations) <= 20
    assert violations[0] == ("scores[0].value", "must be between 0 and 10 (got 0)")
    assert int(metadata["omitted_violations"]) == 10_000 - len(violations)
    trailer_bytes = sum(len(key) + len(value) for key, value in error.trailing_metadata() or ())
    assert trailer_bytes < 8 * 1024, trailer_bytes  # gRPC clients refuse trailers above 8 KiB by default
    assert len((error.details() or "").encode()) <= 400
    assert "more violations" in (error.details() or "")


@pytest.mark.parametrize("method", ["ListApplications", "GetApplicationHistory"])
async def test_values_the_database_refuses_are_invalid_argument(
    service: RunningService, channel: aio.Channel, method: str
) -> None:
    stub = talent_pb2_grpc.TalentServiceStub(channel)
    request = (
        pb.ListApplicationsRequest() if method == "ListApplications" else pb.GetApplicationHistoryRequest(name="x")
    )
    before = await asyncio.to_thread(scrape, service.metrics_port)
    with pytest.raises(aio.AioRpcError) as raised:
        await getattr(stub, method)(request, metadata=VIEWER, timeout=10)
    after = await asyncio.to_thread(scrape, service.metrics_port)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[0] == "VALUE_NOT_ACCEPTED"
    assert "asyncpg" not in (raised.value.details() or "") and "uuid" not in (raised.value.details() or "")
    assert handled(after, method, "InvalidArgument") - handled(before, method, "InvalidArgument") == 1


async def test_nothing_a_viewer_sends_here_counts_as_a_server_fault(
    service: RunningService, channel: aio.Channel
) -> None:
    faults = server_fault_codes()
    assert {"Internal", "Unavailable", "Unknown"} <= faults
    before = await asyncio.to_thread(scrape, service.metrics_port)
    stub = talent_pb2_grpc.TalentServiceStub(channel)
    attempts = [
        raw_call(channel, "GetCandidate", UNDECODABLE, VIEWER),
        raw_call(channel, "ListProgrammes", b"\xff\xff\xff", VIEWER),
        stub.ListCandidates(pb.ListCandidatesRequest(), metadata=VIEWER, timeout=10),
        stub.ListApplications(pb.ListApplicationsRequest(), metadata=VIEWER, timeout=10),
        stub.GetApplicationHistory(pb.GetApplicationHistoryRequest(name="x"), metadata=VIEWER, timeout=10),
    ]
    for attempt in attempts:
        await failure(attempt)
    after = await asyncio.to_thread(scrape, service.metrics_port)
    counted: dict[str, float] = {}
    for (name, labels), value in after.items():
        if name == "grpc_server_handled_total":
            code = dict(labels)["grpc_code"]
            counted[code] = counted.get(code, 0.0) + value - before.get((name, labels), 0.0)
    assert sum(counted.values()) >= len(attempts)
    assert not {code for code, increase in counted.items() if increase and code in faults}, counted
