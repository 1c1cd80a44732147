"""Request plumbing the competition servicer parts share: resource names, update masks, etags."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.field_mask_pb2 import FieldMask

from services.common import updates
from services.common.codec import resource_id
from services.common.errors import ViolationCollector
from services.competition.api.base import contest_child


def contest_ref(name: str, path: str, violations: ViolationCollector) -> str:
    return resource_id(name, "contests", path, violations)


def round_ref(name: str, path: str, violations: ViolationCollector) -> tuple[str, str]:
    return contest_child(name, "rounds", path, violations)


def entry_ref(name: str, path: str, violations: ViolationCollector) -> tuple[str, str]:
    return contest_child(name, "entries", path, violations)


def judge_ref(name: str, path: str, violations: ViolationCollector) -> str:
    return resource_id(name, "judges", path, violations)


def same_contest(round_contest: str, entry_contest: str, path: str, violations: ViolationCollector) -> None:
    if round_contest and entry_contest and round_contest != entry_contest:
        violations.add(path, "must be an entry of the round's contest")


def mask_paths(
    mask: FieldMask, allowed: frozenset[str], etag: str, path: str, violations: ViolationCollector
) -> set[str]:
    """The fields an update names ("*" = every updatable field); problems go to ``violations``."""
    return updates.mask_paths(mask.paths, allowed, etag, path, violations)


def keep_masked(source: ViolationCollector, target: ViolationCollector, prefix: str, paths: Iterable[str]) -> None:
    """Copy the violations of decoding a whole message that concern the masked fields only: a field
    the client did not name may be empty in the request and is not being changed."""
    roots = [f"{prefix}.{p}" for p in paths]
    for violation in source.violations:
        if any(violation.field == root or violation.field.startswith((f"{root}.", f"{root}[")) for root in roots):
            target.add(violation.field, violation.description)


def check_etag(given: str, current: str, kind: str) -> None:
    updates.check_etag(given, current, kind)
