"""What the portal's pages show, computed without I/O: Beijing-time deadlines, score checks that
mirror the service's, the summary of a resubmission, and service errors in the judge's words."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from services.portal.i18n import Translator

BEIJING = timezone(timedelta(hours=8), "UTC+8")
RESOURCE_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
GRID_TOLERANCE = 1e-9
MAX_COMMENT = 4000


@dataclass(frozen=True)
class CriterionView:
    key: str
    display_name: str
    weight: float
    min_value: float
    max_value: float
    step: float


@dataclass(frozen=True)
class Deadline:
    local: str  # "2026-12-20 18:00"
    days: int
    hours: int
    passed: bool


def deadline(at: datetime | None, now: datetime) -> Deadline | None:
    """The deadline in Beijing time (UTC+8, no daylight saving) and the whole days and hours left."""
    if at is None:
        return None
    local = at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    left = at - now
    if left <= timedelta(0):
        return Deadline(local, 0, 0, True)
    hours = int(left.total_seconds() // 3600)
    return Deadline(local, hours // 24, hours % 24, False)


def beijing(at: datetime | None) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def utc(seconds: int, nanos: int = 0) -> datetime | None:
    if not seconds and not nanos:
        return None
    return datetime.fromtimestamp(seconds + nanos / 1e9, tz=UTC)


def stamp_text(stamp: Any) -> str:
    """A protobuf Timestamp in Beijing time ("" when unset)."""
    return beijing(utc(stamp.seconds, stamp.nanos))


def fmt(value: float) -> str:
    return f"{value:g}"


def check_score(text: str, criterion: CriterionView, t: Translator) -> tuple[float | None, str]:
    """The value of a score field, or None and the reason in the judge's language. The same rules as
    the service (range inclusive, whole steps from the minimum), checked again there."""
    raw = text.strip().replace("，", ".").replace(",", ".")
    if not raw:
        return None, t("error.score_missing")
    try:
        value = float(raw)
    except ValueError:
        return None, t("error.score_not_number")
    if not math.isfinite(value):
        return None, t("error.score_not_number")
    if not criterion.min_value <= value <= criterion.max_value:
        return None, t("error.score_range", min=fmt(criterion.min_value), max=fmt(criterion.max_value))
    offset = value - criterion.min_value
    if criterion.step > 0 and abs(offset - round(offset / criterion.step) * criterion.step) > GRID_TOLERANCE * max(
        1.0, abs(offset)
    ):
        return None, t("error.score_step", step=fmt(criterion.step), min=fmt(criterion.min_value))
    return value, ""


def total(criteria: Sequence[CriterionView], values: Mapping[str, float]) -> float:
    """The service's weighted total on 0–100 (a preview: the stored total is the service's)."""
    weight = sum(c.weight for c in criteria)
    if weight <= 0:
        return 0.0
    weighted = sum(c.weight * (values[c.key] - c.min_value) / (c.max_value - c.min_value) for c in criteria)
    return weighted / weight * 100.0


@dataclass(frozen=True)
class Change:
    criterion: CriterionView
    before: float | None
    after: float

    @property
    def changed(self) -> bool:
        return self.before is None or abs(self.before - self.after) > GRID_TOLERANCE


def changes(
    criteria: Sequence[CriterionView], before: Mapping[str, float] | None, after: Mapping[str, float]
) -> list[Change]:
    return [Change(c, None if before is None else before.get(c.key), after[c.key]) for c in criteria]


# Service reasons → the field the message belongs next to ("" = the whole form) and its text key.
REASONS: dict[str, tuple[str, str]] = {
    "CONFLICT_OF_INTEREST": ("", "error.conflict"),
    "NOT_ASSIGNED": ("", "error.not_assigned"),
    "ROUND_NOT_OPEN": ("", "error.round_closed"),
    "ROUND_FINALIZED": ("", "error.round_closed"),
    "REQUEST_ID_REUSED": ("", "error.request_reused"),
    "SCORE_OUT_OF_RANGE": ("score", "error.score_range_service"),
    "SCORE_OFF_STEP": ("score", "error.score_step_service"),
    "MISSING_CRITERION": ("score", "error.score_missing"),
    "SCORE_NOT_FINITE": ("score", "error.score_not_number"),
    "INVALID_SCORE_SHEET": ("score", "error.score_invalid_service"),
    "ENTRY_NOT_FOUND": ("", "error.not_assigned"),
    "UNAUTHENTICATED": ("", "error.signed_out"),
    "MISSING_ROLE": ("", "error.forbidden"),
    "BLIND_REVIEW": ("", "error.forbidden"),
}
SCORE_FIELD = re.compile(r"^scores\[([^\]]+)\]$")


@dataclass(frozen=True)
class FormErrors:
    form: list[str]
    fields: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.form or self.fields)


def service_errors(
    reason: str, violations: Sequence[tuple[str, str]], criteria: Sequence[CriterionView], t: Translator
) -> FormErrors:
    """A refusal of the service in plain words: per criterion next to its field, the rest on top.
    Unknown reasons get one general sentence, never the code or the raw message."""
    by_key = {c.key: c for c in criteria}
    fields: dict[str, str] = {}
    form: list[str] = []
    where, key = REASONS.get(reason, ("", "error.service"))
    for path, _ in violations:
        match = SCORE_FIELD.match(path)
        if match and match.group(1) in by_key:
            c = by_key[match.group(1)]
            field_key = key if where == "score" else "error.score_invalid_service"
            fields[c.key] = t(field_key, min=fmt(c.min_value), max=fmt(c.max_value), step=fmt(c.step))
        elif path == "comment":
            fields["comment"] = t("error.comment_invalid")
        elif path == "reason":
            fields["reason"] = t("error.reason_invalid")
    if not fields:
        form.append(t(key))
    return FormErrors(form, fields)
