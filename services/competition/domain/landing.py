"""Landing (落地) progress of a contest's landing pool against the bureau's targets.

Decisions, so that every caller reports the same numbers:

- The pool is what the contest says it is (awarded entries by default). The caller counts only
  landing records of entries that are *in* the pool, so when the pool shrinks (an award revoked,
  the pool switched from finalists to awarded) the rate follows the smaller denominator.
- DROPPED entries stay in the pool: a project that walked away is a failure to land, and taking
  it out of the denominator would let the rate rise by giving up on projects.
- An empty pool has no rate (``None``, JSON ``null``), never 0 or NaN; the rate target is then
  not met.
- Entries in the pool without a landing record are projected with ``unrecorded_probability``
  (stage "NONE"); landed stages count as 1 and DROPPED as 0 whatever the probabilities say.
- MET wins over everything, even after the deadline; MISSED only once the deadline has passed
  (on the deadline day there is still time).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from services.common.errors import ViolationCollector


class LandingStage(StrEnum):
    INTENT = "INTENT"  # 意向
    SIGNED = "SIGNED"  # 签约
    REGISTERED = "REGISTERED"  # 注册
    OPERATING = "OPERATING"  # 实质运营
    DROPPED = "DROPPED"


LANDED_STAGES: Final = frozenset({LandingStage.REGISTERED, LandingStage.OPERATING})
# Pool entries that have no landing record yet; used in reports and probability settings.
NO_RECORD: Final = "NONE"

DEFAULT_STAGE_PROBABILITIES: Final[Mapping[LandingStage, float]] = {
    LandingStage.INTENT: 0.2,
    LandingStage.SIGNED: 0.6,
}
DEFAULT_UNRECORDED_PROBABILITY: Final = 0.05
# The projection is a sum of floats; a projection of exactly the target must count as meeting it.
_TOLERANCE: Final = 1e-9


def is_landed(stage: LandingStage | None) -> bool:
    return stage in LANDED_STAGES


class LandingTargetStatus(StrEnum):
    MET = "MET"
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    MISSED = "MISSED"


class LandingTargets(BaseModel):
    model_config = ConfigDict(frozen=True)

    min_landed: int = Field(default=5, ge=0)
    min_rate: float = Field(default=0.60, ge=0.0, le=1.0)
    deadline: date | None = None


class LandingStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    pool_size: int
    landed: int
    # None when the pool is empty: the rate is undefined, and 0 would read as a failure.
    rate: float | None
    targets: LandingTargets
    # Every stage present, zeros included, so dashboards see a stable set of series.
    stage_counts: dict[LandingStage, int]
    unrecorded: int
    projected_landed: float
    rate_target_met: bool
    count_target_met: bool
    days_left: int | None
    status: LandingTargetStatus


def _validated_probabilities(
    stage_probabilities: Mapping[LandingStage, float] | None, unrecorded_probability: float
) -> dict[LandingStage, float]:
    merged = dict(DEFAULT_STAGE_PROBABILITIES)
    merged.update(stage_probabilities or {})
    errors = ViolationCollector()
    for stage, probability in merged.items():
        errors.check(
            0.0 <= probability <= 1.0,
            f"stage_probabilities[{stage.value}]",
            f"a probability must lie between 0 and 1, got {probability}",
        )
    errors.check(
        0.0 <= unrecorded_probability <= 1.0,
        f"stage_probabilities[{NO_RECORD}]",
        f"a probability must lie between 0 and 1, got {unrecorded_probability}",
    )
    errors.raise_if_any()
    return merged


def landing_status(
    pool_size: int,
    stage_counts: Mapping[LandingStage, int],
    targets: LandingTargets,
    today: date,
    stage_probabilities: Mapping[LandingStage, float] | None = None,
    unrecorded_probability: float = DEFAULT_UNRECORDED_PROBABILITY,
) -> LandingStatus:
    """Where the pool stands against the targets.

    ``stage_counts`` holds the landing records of pool entries by stage; pool entries missing from
    it have no record. ``stage_probabilities`` overrides the defaults per stage (unset stages keep
    theirs); values for landed stages and DROPPED are ignored.
    """
    probabilities = _validated_probabilities(stage_probabilities, unrecorded_probability)
    counts = {stage: int(stage_counts.get(stage, 0)) for stage in LandingStage}
    recorded = sum(counts.values())
    if pool_size < 0 or any(count < 0 for count in counts.values()) or recorded > pool_size:
        # The store computes these; a mismatch is a bug there, not a bad request.
        raise ValueError(f"inconsistent landing counts: pool {pool_size}, records {counts}")

    landed = sum(counts[stage] for stage in LANDED_STAGES)
    unrecorded = pool_size - recorded
    rate = landed / pool_size if pool_size else None
    projected = (
        landed
        + unrecorded * unrecorded_probability
        + sum(
            counts[stage] * probabilities.get(stage, 0.0)
            for stage in LandingStage
            if stage not in LANDED_STAGES and stage is not LandingStage.DROPPED
        )
    )

    count_met = landed >= targets.min_landed
    rate_met = rate is not None and rate >= targets.min_rate
    days_left = (targets.deadline - today).days if targets.deadline is not None else None
    projection_meets = (
        pool_size > 0
        and projected + _TOLERANCE >= targets.min_landed
        and projected / pool_size + _TOLERANCE >= targets.min_rate
    )
    if count_met and rate_met:
        status = LandingTargetStatus.MET
    elif days_left is not None and days_left < 0:
        status = LandingTargetStatus.MISSED
    elif projection_meets:
        status = LandingTargetStatus.ON_TRACK
    else:
        status = LandingTargetStatus.AT_RISK

    return LandingStatus(
        pool_size=pool_size,
        landed=landed,
        rate=rate,
        targets=targets,
        stage_counts=counts,
        unrecorded=unrecorded,
        projected_landed=projected,
        rate_target_met=rate_met,
        count_target_met=count_met,
        days_left=days_left,
        status=status,
    )
