"""Conversions every servicer needs: enums by name, resource names, timestamps."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from services.common.errors import ViolationCollector

E = TypeVar("E", bound=Enum)


def enum_from_proto(
    proto_enum: Any,
    value: int,
    domain_enum: type[E],
    prefix: str,
    path: str,
    violations: ViolationCollector,
    *,
    required: bool = True,
) -> E | None:
    """``STAGE_SCOUTED`` → ``Stage.SCOUTED``; unspecified or unknown values become violations."""
    if value == 0:
        if required:
            violations.add(path, "is required")
        return None
    try:
        name = proto_enum.Name(value)
        return domain_enum[name.removeprefix(prefix)]
    except (ValueError, KeyError):
        violations.add(path, f"unknown value {value}")
        return None


def enum_to_proto(proto_enum: Any, value: Enum | None, prefix: str) -> Any:
    """Typed Any: the generated stubs type enum fields as their wrapper class, not as int."""
    if value is None:
        return 0
    # A StrEnum member is its own name: no .value look-up on the hot path.
    return _numbers(proto_enum, prefix)[value if isinstance(value, str) else str(value.value)]


@functools.cache
def _numbers(proto_enum: Any, prefix: str) -> dict[str, int]:
    # Encoding runs for every row of every page: one dict per enum instead of a descriptor lookup.
    return {name.removeprefix(prefix): number for name, number in proto_enum.items() if name.startswith(prefix)}


def resource_id(name: str, collection: str, path: str, violations: ViolationCollector) -> str:
    """``candidates/abc`` → ``abc``; anything else is a violation on ``path``."""
    prefix = f"{collection}/"
    if not name.startswith(prefix) or "/" in name[len(prefix) :] or len(name) == len(prefix):
        violations.add(path, f"must be a resource name like {collection}/{{id}}")
        return ""
    if len(name) > 200:
        violations.add(path, "is too long")
        return ""
    return name[len(prefix) :]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def set_timestamp(target: Timestamp, value: datetime | None) -> None:
    """Write ``value`` into a message's timestamp field in place (nothing for None): much cheaper
    than building a Timestamp and passing it to the message's constructor, which copies it."""
    if value is not None:
        delta = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - _EPOCH
        target.seconds = delta.days * 86400 + delta.seconds
        target.nanos = delta.microseconds * 1000


def timestamp(value: datetime | None) -> Timestamp | None:
    """Like ``Timestamp.FromDatetime`` (a naive value is UTC), in integer arithmetic and a third of
    its time: every row of a page carries two or three of them."""
    if value is None:
        return None
    delta = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - _EPOCH
    return Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)
