"""The portal's only way to the data: the competition service's gRPC API, with the caller's own token.

One channel per process (HTTP/2 multiplexes every judge's calls); every call carries the bearer
token of the session it serves, so the service decides what each judge may see and do, exactly as
for the CLI. Failures become :class:`ServiceError` with the google.rpc details decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.message import Message
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from services.common.grpc_errors import error_details

SERVICE = "competition.v1.CompetitionService"


@dataclass
class ServiceError(Exception):
    code: grpc.StatusCode
    reason: str
    message: str
    violations: list[tuple[str, str]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code.name} {self.reason}: {self.message}")


def service_error(error: aio.AioRpcError) -> ServiceError:
    details = error_details(error.trailing_metadata())
    return ServiceError(
        error.code(),
        details.reason if details else error.code().name,
        error.details() or "",
        list(details.violations) if details else [],
        dict(details.metadata) if details else {},
    )


class CompetitionClient:
    def __init__(self, address: str, *, tls: bool, timeout: float, service_token: str) -> None:
        if tls:
            self.channel = aio.secure_channel(address, grpc.ssl_channel_credentials())
        else:
            self.channel = aio.insecure_channel(address)
        self.stub: Any = competition_pb2_grpc.CompetitionServiceStub(self.channel)
        self.health: Any = health_pb2_grpc.HealthStub(self.channel)
        self.timeout = timeout
        self._service_token = service_token

    async def close(self) -> None:
        await self.channel.close()

    async def call(self, method: str, request: Message, token: str) -> Any:
        try:
            return await getattr(self.stub, method)(
                request, metadata=(("authorization", f"Bearer {token}"),), timeout=self.timeout
            )
        except aio.AioRpcError as error:
            raise service_error(error) from None

    async def paged(self, method: str, request: Any, items: str, token: str, limit: int = 5000) -> list[Any]:
        """Every item of a List method (bounded: the portal never pages without end)."""
        found: list[Any] = []
        while True:
            response = await self.call(method, request, token)
            found.extend(getattr(response, items))
            if not response.next_page_token or len(found) >= limit:
                return found
            request.page_token = response.next_page_token

    async def redeem(self, code: str) -> pb.RedeemJudgeInvitationResponse:
        """With the portal's own identity: the only call that does not carry a user's token."""
        response: pb.RedeemJudgeInvitationResponse = await self.call(
            "RedeemJudgeInvitation", pb.RedeemJudgeInvitationRequest(code=code), self._service_token
        )
        return response

    async def ready(self) -> bool:
        try:
            response = await self.health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=2)
        except aio.AioRpcError:
            return False
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)
