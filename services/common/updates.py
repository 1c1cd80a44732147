"""Updates and state changes, the same way in every service: update masks (AIP-134), etags
(AIP-154) and expected-state checks.

A write that names the state it expects (an etag, or an expected stage) and finds another one
is ABORTED: the client read something older than what is there now and must read again. The
metadata carries the current value so that a client can tell what changed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from services.common.errors import DomainError, ViolationCollector, aborted

# An update mask longer than this cannot be a list of distinct settable fields: it is refused as a
# whole before any path is looked at, so that the error stays small whatever the request holds.
MAX_MASK_PATHS = 100
# How much of a refused path an error message repeats.
ECHO_LIMIT = 40


def mask_paths(
    requested: Sequence[str], allowed: Collection[str], etag: str, path: str, violations: ViolationCollector
) -> set[str]:
    """The fields an update names (``update_mask.paths``; "*" = every updatable field); problems go
    to ``violations``. ``path`` is the request field of the resource (e.g. ``candidate``): its etag
    is required."""
    if len(requested) > MAX_MASK_PATHS:
        violations.add("update_mask.paths", f"must have at most {MAX_MASK_PATHS} items (got {len(requested)})")
        paths: set[str] = set()
    else:
        paths = set(requested)
        violations.check(bool(paths), "update_mask", "name the fields to update, or '*' for all of them")
        unknown = sorted(paths - set(allowed) - {"*"})
        if unknown:
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            violations.add("update_mask", f"cannot update: {', '.join(_echo(p) for p in unknown[:5])}{more}")
    violations.check(bool(etag), f"{path}.etag", "is required: send the etag you read")
    return set(allowed) if "*" in paths else paths


def _echo(value: str) -> str:
    return value if len(value) <= ECHO_LIMIT else value[:ECHO_LIMIT] + "…"


def etag(resource_id: str, version: int) -> str:
    """Opaque to clients; derived from the row version so that any write changes it, and from the
    id so that the etag of one resource is never taken for another's."""
    return f'"{resource_id[:12]}-{version}"'


def check_etag(given: str, current: str, kind: str) -> None:
    """ABORTED ETAG_MISMATCH unless ``given`` is the resource's ``current`` etag."""
    if given != current:
        raise etag_mismatch(current, kind)


def etag_mismatch(current: str, kind: str) -> DomainError:
    return aborted("ETAG_MISMATCH", f"the {kind} changed since it was read; read it again", {"current_etag": current})


def stage_mismatch(kind: str, current: str, expected: str) -> DomainError:
    """ABORTED STAGE_MISMATCH: the client moves a ``kind`` from ``expected``, but it is at ``current``."""
    return aborted(
        "STAGE_MISMATCH",
        f"the {kind} is at {current}, not {expected}; read it again",
        {"current_stage": current},
    )
