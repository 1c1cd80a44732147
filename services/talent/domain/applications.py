"""The rules of an application: who may apply to which programme and when, where it starts, and
how it moves (the stage machine itself is in ``stages``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.common.errors import ViolationCollector, invalid_argument
from services.common.updates import stage_mismatch
from services.talent.domain.models import Application, CandidateKind, Programme, Stage
from services.talent.domain.stages import OPEN_STAGES, check_transition

MIN_YEAR, MAX_YEAR = 2000, 2100
FIRST_STAGE = Stage.SCOUTED
CREATED_NOTE = "application created"


def check_year(year: int, path: str, violations: ViolationCollector, *, required: bool = True) -> None:
    """``required=False``: 0 means "any year" (a filter)."""
    violations.check(
        (year == 0 and not required) or MIN_YEAR <= year <= MAX_YEAR, path, f"must be between {MIN_YEAR} and {MAX_YEAR}"
    )


def first_stage(requested: Stage | None, path: str, violations: ViolationCollector) -> Stage:
    """A new application starts at SCOUTED unless the client names another open stage (a candidate
    scouted before the service was in use may enter further along)."""
    stage = requested or FIRST_STAGE
    violations.check(stage in OPEN_STAGES, path, "a new application starts in an open stage")
    return stage


def check_application(candidate_kind: CandidateKind, programme: Programme, year: int) -> None:
    """INVALID_ARGUMENT unless a candidate of ``candidate_kind`` may apply to ``programme`` in ``year``:
    a programme selects individuals or teams, and runs in some years only."""
    problems = ViolationCollector()
    problems.check(
        candidate_kind == programme.kind,
        "application.programme",
        f"a {candidate_kind.lower()} candidate cannot apply to a {programme.kind.lower()} programme",
    )
    problems.check(
        year in programme.active_years, "application.year", f"programmes/{programme.id} does not run in {year}"
    )
    if problems.violations:
        reason = "KIND_MISMATCH" if candidate_kind != programme.kind else "PROGRAMME_NOT_ACTIVE"
        raise invalid_argument(problems.violations, reason)


def new_application(
    candidate_id: str, programme_id: str, year: int, stage: Stage, now: datetime, application_id: str | None = None
) -> Application:
    return Application(
        id=application_id or str(uuid.uuid4()),
        candidate_id=candidate_id,
        programme_id=programme_id,
        year=year,
        stage=stage,
        version=1,
        create_time=now,
        update_time=now,
    )


def moved(current: Application, expected: Stage, target: Stage, now: datetime) -> Application:
    """The application after a move from ``expected`` to ``target``: ABORTED STAGE_MISMATCH when it
    is no longer at ``expected`` (the client read an older state), FAILED_PRECONDITION when the
    stage machine forbids the move."""
    if current.stage != expected:
        raise stage_mismatch("application", current.stage.value, expected.value)
    check_transition(current.stage, target)
    return current.model_copy(update={"stage": target, "version": current.version + 1, "update_time": now})
