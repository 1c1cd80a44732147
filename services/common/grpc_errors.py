"""The one place where domain and store errors become gRPC statuses with google.rpc details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.common.errors import DomainError

INTERNAL_MESSAGE = "internal error; the server logged the details"


def to_status(error: DomainError, domain: str) -> grpc.Status:
    details: list[any_pb2.Any] = []
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=dict(error.metadata)))
    details.append(info)
    if error.violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad_request)
        details.append(packed)
    status = status_pb2.Status(code=error.code.value, message=error.message, details=details)
    return rpc_status.to_status(status)


# Failures of the database rather than of the request: the client may retry.
DATABASE_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now, query canceled
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,  # "connection is closed" and the like
)
# The transaction lost a race (deadlock, serialization failure): retrying it is safe.
TRANSACTION_CONFLICT = (asyncpg.exceptions.TransactionRollbackError,)


def infrastructure_status(error: Exception, domain: str) -> grpc.Status | None:
    """UNAVAILABLE or ABORTED for the failures a client should retry; None for anything else."""
    if isinstance(error, TRANSACTION_CONFLICT):
        code, reason, message = code_pb2.ABORTED, "TRANSACTION_CONFLICT", "a concurrent change won; retry"
    elif isinstance(error, DATABASE_UNAVAILABLE):
        code, reason, message = code_pb2.UNAVAILABLE, "DATABASE_UNAVAILABLE", "the database is unavailable; retry"
    else:
        return None
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=domain))
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=[info]))


def internal_status(domain: str) -> grpc.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=domain))
    status = status_pb2.Status(code=code_pb2.INTERNAL, message=INTERNAL_MESSAGE, details=[info])
    return rpc_status.to_status(status)


@dataclass(frozen=True)
class ErrorDetails:
    """What a client reads back from a failed call's google.rpc.Status."""

    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: list[tuple[str, str]] = field(default_factory=list)


def error_details(trailing_metadata: Sequence[tuple[str, str | bytes]] | None) -> ErrorDetails | None:
    """The ErrorInfo and BadRequest of a failed call, from its trailing metadata; None without a Status."""
    raw = dict(trailing_metadata or ()).get("grpc-status-details-bin")
    if raw is None:
        return None
    status = status_pb2.Status.FromString(raw if isinstance(raw, bytes) else raw.encode())
    details = ErrorDetails()
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            details = ErrorDetails(info.reason, dict(info.metadata), details.violations)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            details = ErrorDetails(
                details.reason, details.metadata, [(v.field, v.description) for v in bad.field_violations]
            )
    return details
