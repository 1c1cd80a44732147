"""How a use case hands its result to the API: the response is built before the write, because the
write stores it with the request key in the same statement (services.common.idempotency)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from google.protobuf.message import Message

from services.common.errors import DomainError, aborted
from services.talent.domain.models import Candidate
from services.talent.store.candidates import Encodings

T = TypeVar("T")
R = TypeVar("R", bound=Message)

# Reads made stale by concurrent writes before a use case gives up with ABORTED (each retry
# follows a write that someone else committed, so this is reached only under heavy contention).
ATTEMPTS = 5


@dataclass(frozen=True)
class Reply(Generic[T, R]):
    """The API's response message for a ``T``: its type (to replay a stored one) and its encoder."""

    type: type[R]
    encode: Callable[[T], R]


@dataclass(frozen=True)
class CandidateCodec:
    """How the servicer encodes candidates, handed to the candidate use cases: every write stores
    the candidate's encodings with its row, and its writer's encoding is the response (stored with
    the request key too, and replayed as ``type``)."""

    type: type[Message]
    version: int
    encode: Callable[[Candidate], Encodings]


def now() -> datetime:
    """Write times are chosen by the service, so that the response can be built before the write."""
    return datetime.now(UTC)


def contention(kind: str) -> DomainError:
    return aborted("CONCURRENT_CHANGE", f"the {kind} kept changing while this request was applied; retry")
