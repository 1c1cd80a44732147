"""Progress against yearly targets: counts, a probability-weighted forecast and a status."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from services.talent.domain.models import Frozen, Stage, Target
from services.talent.domain.stages import OPEN_STAGES

# How likely an open application is to end SELECTED, by its current stage. Configurable per
# deployment (TALENT_STAGE_PROBABILITIES); these defaults follow the bureau's past conversion.
DEFAULT_STAGE_PROBABILITIES: dict[Stage, float] = {
    Stage.SCOUTED: 0.05,
    Stage.RESERVED: 0.10,
    Stage.CULTIVATING: 0.25,
    Stage.APPLIED: 0.45,
    Stage.UNDER_REVIEW: 0.65,
}


class TargetStatus(StrEnum):
    MET = "MET"
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"


class TargetProgress(Frozen):
    target: Target
    selected: int
    open_stage_counts: dict[Stage, int]
    forecast: float
    status: TargetStatus


def progress(target: Target, stage_counts: Mapping[Stage, int], probabilities: Mapping[Stage, float]) -> TargetProgress:
    """``stage_counts``: applications of the target's programmes and year, by stage."""
    selected = stage_counts.get(Stage.SELECTED, 0)
    open_counts = {stage: stage_counts.get(stage, 0) for stage in OPEN_STAGES}
    forecast = selected + sum(count * probabilities.get(stage, 0.0) for stage, count in open_counts.items())
    if selected >= target.required:
        status = TargetStatus.MET
    elif forecast >= target.required:
        status = TargetStatus.ON_TRACK
    else:
        status = TargetStatus.AT_RISK
    return TargetProgress(
        target=target, selected=selected, open_stage_counts=open_counts, forecast=forecast, status=status
    )
