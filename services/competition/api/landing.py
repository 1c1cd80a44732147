"""Landing RPCs (GetLanding, ListLandings, TransitionLanding, GetLandingStatus).

Decisions:
- Writes need ``competition.admin``; reads are open to admins and viewers (the bureau's staff and
  ops), not to judges: landing records name companies and capital, nothing a judge needs.
- Only entries of the contest's landing pool have landings. TransitionLanding, and GetLanding of an
  entry without a record, answer FAILED_PRECONDITION ``NOT_IN_LANDING_POOL`` for other entries (an
  existing record of an entry that has since left the pool can still be read, not moved).
- A record is born at INTENT (expected_stage UNSPECIFIED); stages are never skipped
  (domain.stages.LANDING_TRANSITIONS). A detail that the target stage does not record (e.g. a
  company on a move to SIGNED) is refused rather than silently dropped.
- ListLandings lists the pool: every pool entry, with stage UNSPECIFIED while it has no record.
- Dates are the district's calendar dates (Asia/Shanghai, UTC+8 all year round, no DST since
  1991, so a fixed offset is exact and needs no tz database in the container).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import require_role
from services.common.codec import enum_from_proto, enum_to_proto, resource_id
from services.common.db import transaction
from services.common.errors import DomainError, ViolationCollector
from services.common.pagination import page_size
from services.competition.api import codec
from services.competition.api.base import ADMIN, VIEWER, ServicerBase, contest_child
from services.competition.app import landing
from services.competition.app.landing import not_in_pool
from services.competition.domain.credit_code import validate_credit_code
from services.competition.domain.landing import LandingStage, LandingStatus, landing_status
from services.competition.store import landing as landing_store

LANDING_READERS: Final = (ADMIN, VIEWER)
DISTRICT_TIMEZONE: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_TEXT: Final = 2000
MAX_NAME: Final = 200
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def district_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(DISTRICT_TIMEZONE).date()


def end_of_district_day(day: date) -> datetime:
    """The instant the district's ``day`` ends (the deadline day still counts in full)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), DISTRICT_TIMEZONE)


def stage_from_proto(value: int, path: str, violations: ViolationCollector, *, required: bool) -> LandingStage | None:
    return enum_from_proto(pb.LandingStage, value, LandingStage, "LANDING_STAGE_", path, violations, required=required)


def parse_date(value: str, path: str, violations: ViolationCollector, today: date) -> date | None:
    """A required ISO 8601 calendar date (YYYY-MM-DD) that is not in the future."""
    if not value.strip():
        violations.add(path, "is required: an ISO 8601 date like 2024-06-30")
        return None
    text = value.strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        parsed = date.fromisoformat(text)
    except ValueError:
        violations.add(path, f"must be an ISO 8601 date like 2024-06-30, got {value!r}")
        return None
    if parsed > today:
        violations.add(path, f"must not be in the future (today is {today.isoformat()} in the district)")
        return None
    return parsed


def decode_company(company: pb.Company, violations: ViolationCollector, today: date) -> landing_store.Company | None:
    before = len(violations.violations)
    name = company.display_name.strip()
    if not name:
        violations.add("company.display_name", "is required: the registered company name")
    elif len(name) > MAX_NAME:
        violations.add("company.display_name", f"must be at most {MAX_NAME} characters")
    try:
        code = validate_credit_code(company.credit_code, "company.credit_code")
    except DomainError as error:
        violations.violations.extend(error.violations)
        code = ""
    registered = parse_date(company.registration_date, "company.registration_date", violations, today)
    capital = company.registered_capital_wan_cny
    violations.check(
        math.isfinite(capital) and capital >= 0,
        "company.registered_capital_wan_cny",
        f"must be a finite amount ≥ 0 (in CNY 10,000), got {capital}",
    )
    if len(violations.violations) > before or registered is None:
        return None
    return landing_store.Company(name, code, registered, capital)


def decode_move(request: pb.TransitionLandingRequest, violations: ViolationCollector) -> landing_store.Move | None:
    target = stage_from_proto(request.target_stage, "target_stage", violations, required=True)
    today = district_today()
    agreement_date, company, drop_reason = None, None, request.drop_reason.strip()
    violations.check(len(request.drop_reason) <= MAX_TEXT, "drop_reason", f"must be at most {MAX_TEXT} characters")
    if target is LandingStage.SIGNED:
        agreement_date = parse_date(request.agreement_date, "agreement_date", violations, today)
    elif request.agreement_date:
        violations.add("agreement_date", "is recorded only by a move to SIGNED")
    if target is LandingStage.REGISTERED:
        if request.HasField("company"):
            company = decode_company(request.company, violations, today)
        else:
            violations.add("company", "is required to register: display_name, credit_code, registration_date")
    elif request.HasField("company"):
        violations.add("company", "is recorded only by a move to REGISTERED")
    if target is LandingStage.DROPPED:
        violations.check(bool(drop_reason), "drop_reason", "is required: why the project will not land")
    elif request.drop_reason:
        violations.add("drop_reason", "is recorded only by a move to DROPPED")
    if target is None:
        return None
    return landing_store.Move(target, agreement_date, company, drop_reason)


def status_to_proto(contest_id: str, status: LandingStatus) -> pb.LandingStatus:
    message = pb.LandingStatus(
        contest=f"contests/{contest_id}",
        pool_size=status.pool_size,
        landed=status.landed,
        min_landed_entries=status.targets.min_landed,
        min_landing_ratio=status.targets.min_rate,
        landed_target_met=status.count_target_met,
        ratio_target_met=status.rate_target_met,
        stage_counts=[
            pb.LandingStageCount(stage=enum_to_proto(pb.LandingStage, stage, "LANDING_STAGE_"), count=count)
            for stage, count in status.stage_counts.items()
        ],
        unrecorded=status.unrecorded,
        projected_landed=status.projected_landed,
        landing_deadline=status.targets.deadline.isoformat() if status.targets.deadline else "",
        status=enum_to_proto(pb.LandingTargetStatus, status.status, "LANDING_TARGET_STATUS_"),
    )
    # proto3 optional: absent, not 0, when undefined.
    if status.rate is not None:
        message.landing_ratio = status.rate
    if status.days_left is not None:
        message.days_left = status.days_left
    return message


class LandingMethods(ServicerBase):
    def _entry(self, name: str, path: str = "entry") -> tuple[str, str]:
        violations = ViolationCollector()
        contest_id, entry_id = contest_child(name, "entries", path, violations)
        violations.raise_if_any()
        return contest_id, entry_id

    async def GetLanding(self, request: pb.GetLandingRequest, context: aio.ServicerContext) -> pb.Landing:
        require_role(*LANDING_READERS)
        contest_id, entry_id = self._entry(request.entry)
        await landing_store.ensure_entry(self.pool, contest_id, entry_id)
        landing = await landing_store.get(self.pool, contest_id, entry_id)
        if landing.stage is None and not await landing_store.in_pool(self.pool, contest_id, entry_id):
            raise not_in_pool(contest_id, entry_id)
        return codec.landing_to_proto(landing)

    async def ListLandings(
        self, request: pb.ListLandingsRequest, context: aio.ServicerContext
    ) -> pb.ListLandingsResponse:
        require_role(*LANDING_READERS)
        violations = ViolationCollector()
        limit = page_size(request.page_size)
        contest_id = resource_id(request.parent, "contests", "parent", violations)
        stage = stage_from_proto(request.stage, "stage", violations, required=False)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        await landing_store.contest_targets(self.pool, contest_id)  # NOT_FOUND for an unknown contest
        page, last = await landing_store.list_page(self.pool, contest_id, stage, after, limit)
        return pb.ListLandingsResponse(
            landings=[codec.landing_to_proto(landing) for landing in page],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    async def TransitionLanding(self, request: pb.TransitionLandingRequest, context: aio.ServicerContext) -> pb.Landing:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, entry_id = contest_child(request.entry, "entries", "entry", violations)
        expected = stage_from_proto(request.expected_stage, "expected_stage", violations, required=False)
        move = decode_move(request, violations)
        violations.check(len(request.note) <= MAX_TEXT, "note", f"must be at most {MAX_TEXT} characters")
        violations.raise_if_any()
        assert move is not None
        note = request.note.strip()

        key = self.request_keys.key(request)
        return await landing.transition(self.app, caller, contest_id, entry_id, expected, move, note, key)

    async def GetLandingStatus(
        self, request: pb.GetLandingStatusRequest, context: aio.ServicerContext
    ) -> pb.LandingStatus:
        require_role(*LANDING_READERS)
        violations = ViolationCollector()
        contest_id = resource_id(request.contest, "contests", "contest", violations)
        violations.raise_if_any()
        async with transaction(self.pool, isolation="repeatable_read") as connection:
            targets = await landing_store.contest_targets(connection, contest_id)
            pool_size, counts = await landing_store.pool_counts(connection, contest_id)
        status = landing_status(
            pool_size,
            counts,
            targets,
            district_today(),
            self.settings.landing_stage_probabilities,
            self.settings.landing_unrecorded_probability,
        )
        return status_to_proto(contest_id, status)
