"""Domain and store errors. Pure Python: the servicer layer maps them to gRPC codes in one place
(``services.common.grpc_errors``), so domain code never imports grpc and the store never aborts RPCs.

Each error carries an ``ErrorInfo`` reason (UPPER_SNAKE_CASE, e.g. ``TRANSITION_NOT_ALLOWED``),
metadata for machines, and one ``FieldViolation`` per bad field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum


class Code(Enum):
    """The canonical codes a domain error may carry (a subset of google.rpc.Code)."""

    INVALID_ARGUMENT = 3
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    UNAUTHENTICATED = 16
    UNAVAILABLE = 14


@dataclass(frozen=True)
class FieldViolation:
    """``field`` is a path in the request, e.g. ``candidate.contact.email`` or ``values[2].value``."""

    field: str
    description: str


@dataclass
class DomainError(Exception):
    code: Code
    reason: str
    message: str
    violations: Sequence[FieldViolation] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def invalid_argument(
    violations: Sequence[FieldViolation], reason: str = "INVALID_ARGUMENT", message: str | None = None
) -> DomainError:
    text = message or "; ".join(f"{v.field}: {v.description}" for v in violations) or "invalid request"
    return DomainError(Code.INVALID_ARGUMENT, reason, text, violations)


def invalid_field(path: str, description: str, reason: str = "INVALID_ARGUMENT") -> DomainError:
    return invalid_argument([FieldViolation(path, description)], reason)


def not_found(kind: str, name: str) -> DomainError:
    return DomainError(
        Code.NOT_FOUND, f"{kind.upper()}_NOT_FOUND", f"{kind} {name} not found", metadata={"resource": name}
    )


def failed_precondition(reason: str, message: str, metadata: Mapping[str, str] | None = None) -> DomainError:
    return DomainError(Code.FAILED_PRECONDITION, reason, message, metadata=metadata or {})


def already_exists(reason: str, message: str, metadata: Mapping[str, str] | None = None) -> DomainError:
    return DomainError(Code.ALREADY_EXISTS, reason, message, metadata=metadata or {})


def aborted(reason: str, message: str, metadata: Mapping[str, str] | None = None) -> DomainError:
    return DomainError(Code.ABORTED, reason, message, metadata=metadata or {})


def permission_denied(reason: str, message: str) -> DomainError:
    return DomainError(Code.PERMISSION_DENIED, reason, message)


class ViolationCollector:
    """Collects every bad field of a request, so the client hears about all of them at once."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def add(self, path: str, description: str) -> None:
        self.violations.append(FieldViolation(path, description))

    def check(self, ok: bool, path: str, description: str) -> None:
        if not ok:
            self.add(path, description)

    def raise_if_any(self, reason: str = "INVALID_ARGUMENT") -> None:
        if self.violations:
            raise invalid_argument(self.violations, reason)
