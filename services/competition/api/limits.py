"""Bounds on every repeated field of a competition request, checked before anything else.

A list longer than its bound is refused INVALID_ARGUMENT (reason ``TOO_MANY_ITEMS``) with one field
violation ``<path>: at most N items (got M)``, before any of its items is validated: 10,000 scores must
not turn into 10,000 violations (a 0.9 MB error trailer clients refuse) or 10,000 database lookups.
The bounds are those the domain rules enforce anyway (so no valid request is refused); a repeated
field the table does not name gets ``DEFAULT_MAX_ITEMS``, and a test keeps the table complete.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from protos.competition.v1 import competition_pb2 as pb
from services.common.errors import ViolationCollector
from services.competition.domain import setup as rules
from services.competition.domain.models import Domain

MAX_AWARD_TIERS = 20
MAX_MASK_PATHS = 20
DEFAULT_MAX_ITEMS = 1000
BATCH_MAX = 1000
TOO_MANY_ITEMS = "TOO_MANY_ITEMS"

MAX_ITEMS: dict[tuple[str, str], int] = {
    ("competition.v1.SubmitScoreSheetRequest", "scores"): rules.MAX_CRITERIA,
    ("competition.v1.Round", "criteria"): rules.MAX_CRITERIA,
    ("competition.v1.Round", "award_tiers"): MAX_AWARD_TIERS,
    ("competition.v1.Team", "members"): rules.MAX_LIST,
    ("competition.v1.Team", "organisations"): rules.MAX_LIST,
    ("competition.v1.Judge", "affiliations"): rules.MAX_LIST,
    ("competition.v1.Judge", "domains"): len(Domain),
    ("competition.v1.Contest", "judges"): rules.MAX_PANEL,
    ("competition.v1.BatchCreateEntriesRequest", "requests"): BATCH_MAX,
    ("google.protobuf.FieldMask", "paths"): MAX_MASK_PATHS,
}


@functools.cache
def _rule(field: FieldDescriptor) -> tuple[bool, int]:
    """Whether the field holds messages worth looking into (not map entries, and of a type that can
    hold a list), and its bound when repeated. Once per field: reading the descriptor's options cost
    more than checking a request."""
    inner = field.message_type
    look_inside = inner is not None and not inner.GetOptions().map_entry and _holds_lists(inner)
    owner = field.containing_type.full_name if field.containing_type is not None else ""
    return look_inside, MAX_ITEMS.get((owner, field.name), DEFAULT_MAX_ITEMS)


def check_repeated(message: Message, path: str, violations: ViolationCollector) -> None:
    """Add a violation for each repeated field of ``message`` (and of the messages in it) with too
    many items; the items of such a list are not looked at."""
    for field, value in message.ListFields():
        look_inside, bound = _rule(field)
        if field.is_repeated:
            if len(value) > bound:
                violations.add(_where(path, field.name), f"at most {bound} items (got {len(value)})")
            elif look_inside:
                where = _where(path, field.name)
                for i, item in enumerate(value):
                    check_repeated(item, f"{where}[{i}]", violations)
        elif look_inside:
            check_repeated(value, _where(path, field.name), violations)


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@functools.cache
def _holds_lists(message_type: Descriptor) -> bool:
    return _may_repeat(message_type)


def _may_repeat(message_type: Descriptor, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a message of ``message_type`` can hold a repeated field, itself or in a message in it."""
    if message_type.full_name in seen:
        return False  # a recursive type: its fields are being looked at already
    inner = seen | {message_type.full_name}
    return any(
        field.is_repeated or (field.message_type is not None and _may_repeat(field.message_type, inner))
        for field in message_type.fields
    )


Servicer = TypeVar("Servicer", bound=type)


def bounded_requests(cls: Servicer) -> Servicer:
    """Class decorator: every CompetitionService method of ``cls`` checks its request's repeated fields
    (see :func:`check_repeated`) before it runs, whoever calls it."""
    for method in pb.DESCRIPTOR.services_by_name["CompetitionService"].methods:
        if not _holds_lists(method.input_type):
            continue  # nothing to bound (GetRound's name, say): no check on every call
        original: Callable[[Any, Message, Any], Awaitable[Any]] = getattr(cls, method.name)

        @functools.wraps(original)
        async def checked(
            self: Any, request: Message, context: Any, _original: Callable[..., Awaitable[Any]] = original
        ) -> Any:
            violations = ViolationCollector()
            check_repeated(request, "", violations)
            violations.raise_if_any(TOO_MANY_ITEMS)
            return await _original(self, request, context)

        setattr(cls, method.name, checked)
    return cls
