"""The one place where domain and store errors become gRPC statuses with google.rpc details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

import asyncpg
import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.common.errors import DomainError

INTERNAL_MESSAGE = "internal error; the server logged the details"

# An error travels in the trailers (grpc-message, and grpc-status-details-bin in base64), which clients
# refuse above a few KiB (8 KiB by default in gRPC): bound what one status may carry.
MAX_VIOLATIONS = 20
MAX_MESSAGE_BYTES = 400
MAX_VIOLATION_BYTES = 2000  # all returned violations together
MAX_FIELD_BYTES = 128
MAX_DESCRIPTION_BYTES = 256
MAX_METADATA_VALUE_BYTES = 256
MAX_METADATA_ENTRIES = 16
# ErrorInfo metadata key: how many violations the status left out.
OMITTED_VIOLATIONS = "omitted_violations"


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut on a character boundary, marked with an ellipsis."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", "ignore") + "…"


def to_status(error: DomainError, domain: str) -> grpc.Status:
    violations: list[error_details_pb2.BadRequest.FieldViolation] = []
    budget = MAX_VIOLATION_BYTES
    for violation in error.violations[:MAX_VIOLATIONS]:
        bounded = error_details_pb2.BadRequest.FieldViolation(
            field=truncate(violation.field, MAX_FIELD_BYTES),
            description=truncate(violation.description, MAX_DESCRIPTION_BYTES),
        )
        budget -= bounded.ByteSize() + 3
        if budget < 0:
            break
        violations.append(bounded)
    metadata = {
        truncate(key, MAX_FIELD_BYTES): truncate(value, MAX_METADATA_VALUE_BYTES)
        for key, value in list(error.metadata.items())[:MAX_METADATA_ENTRIES]
    }
    message = error.message
    omitted = len(error.violations) - len(violations)
    if omitted:
        metadata[OMITTED_VIOLATIONS] = str(omitted)
        suffix = f" (and {omitted} more violations)"
        message = truncate(message, MAX_MESSAGE_BYTES - len(suffix)) + suffix
    else:
        message = truncate(message, MAX_MESSAGE_BYTES)
    details: list[any_pb2.Any] = []
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=metadata))
    details.append(info)
    if violations:
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.BadRequest(field_violations=violations))
        details.append(packed)
    status = status_pb2.Status(code=error.code.value, message=message, details=details)
    return rpc_status.to_status(status)


def _status(code: int, reason: str, message: str, domain: str) -> grpc.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=domain))
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=[info]))


# Values the database refuses (out of range, malformed, a string with NUL, an int beyond int4 that
# asyncpg cannot even encode): the request is at fault. The services validate first; this is the
# safety net, so that a client can never turn its own bad input into a server-fault code.
CLIENT_DATA_ERRORS = (
    asyncpg.exceptions.DataError,  # SQLSTATE class 22
    asyncpg.exceptions._base.DataError,  # asyncpg's own: an argument it cannot encode
)
CLIENT_TOO_LARGE = (asyncpg.exceptions.ProgramLimitExceededError,)  # class 54: e.g. an index row too big
CONSTRAINT_VIOLATION = (asyncpg.exceptions.IntegrityConstraintViolationError,)  # class 23

# Failures of the database rather than of the request: the client may retry.
DATABASE_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now, query canceled
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,  # "connection is closed" and the like
    # The client side of a connection that broke mid-operation ("cannot switch to state …").
    asyncpg.exceptions._base.InternalClientError,
)
# The transaction lost a race (deadlock, serialization failure): retrying it is safe.
TRANSACTION_CONFLICT = (asyncpg.exceptions.TransactionRollbackError,)


def request_status(error: Exception, domain: str) -> grpc.Status | None:
    """INVALID_ARGUMENT or FAILED_PRECONDITION for database errors the request caused; else None."""
    if isinstance(error, CLIENT_DATA_ERRORS):
        return _status(
            code_pb2.INVALID_ARGUMENT,
            "VALUE_NOT_ACCEPTED",
            "a value of the request is out of range or malformed for the database",
            domain,
        )
    if isinstance(error, CLIENT_TOO_LARGE):
        return _status(
            code_pb2.INVALID_ARGUMENT, "VALUE_TOO_LARGE", "a value of the request is too large to store", domain
        )
    if isinstance(error, CONSTRAINT_VIOLATION):
        return _status(
            code_pb2.FAILED_PRECONDITION,
            "CONSTRAINT_VIOLATION",
            "the request conflicts with the stored data",
            domain,
        )
    return None


def infrastructure_status(error: Exception, domain: str) -> grpc.Status | None:
    """UNAVAILABLE or ABORTED for the failures a client should retry; None for anything else."""
    if isinstance(error, TRANSACTION_CONFLICT):
        return _status(code_pb2.ABORTED, "TRANSACTION_CONFLICT", "a concurrent change won; retry", domain)
    if isinstance(error, DATABASE_UNAVAILABLE):
        return _status(code_pb2.UNAVAILABLE, "DATABASE_UNAVAILABLE", "the database is unavailable; retry", domain)
    return None


def refusal_status(code: int, reason: str, message: str, domain: str, retry_after: float) -> grpc.Status:
    """A call the server did not start (busy, shutting down), with a RetryInfo telling when to retry."""
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=domain))
    retry = any_pb2.Any()
    delay = duration_pb2.Duration()
    delay.FromTimedelta(timedelta(seconds=retry_after))
    retry.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=[info, retry]))


def internal_status(domain: str) -> grpc.Status:
    return _status(code_pb2.INTERNAL, "INTERNAL", INTERNAL_MESSAGE, domain)


@dataclass(frozen=True)
class ErrorDetails:
    """What a client reads back from a failed call's google.rpc.Status."""

    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: list[tuple[str, str]] = field(default_factory=list)
    retry_delay_seconds: float | None = None  # RetryInfo: when the server suggests to retry


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
            details = replace(details, reason=info.reason, metadata=dict(info.metadata))
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            details = replace(details, violations=[(v.field, v.description) for v in bad.field_violations])
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            details = replace(details, retry_delay_seconds=retry.retry_delay.ToTimedelta().total_seconds())
    return details
