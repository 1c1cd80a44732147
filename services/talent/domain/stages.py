"""The application stage machine: one table of allowed moves."""

from __future__ import annotations

from services.common.errors import failed_precondition
from services.talent.domain.models import Stage

OPEN_STAGES = (Stage.SCOUTED, Stage.RESERVED, Stage.CULTIVATING, Stage.APPLIED, Stage.UNDER_REVIEW)
TERMINAL_STAGES = (Stage.SELECTED, Stage.NOT_SELECTED, Stage.WITHDRAWN)

# 摸排 → 储备 → 培育 → 申报 → 评审 → 入选 / 未入选; 退出 from any open stage.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.SCOUTED: frozenset({Stage.RESERVED, Stage.WITHDRAWN}),
    Stage.RESERVED: frozenset({Stage.CULTIVATING, Stage.WITHDRAWN}),
    Stage.CULTIVATING: frozenset({Stage.APPLIED, Stage.WITHDRAWN}),
    Stage.APPLIED: frozenset({Stage.UNDER_REVIEW, Stage.WITHDRAWN}),
    Stage.UNDER_REVIEW: frozenset({Stage.SELECTED, Stage.NOT_SELECTED, Stage.WITHDRAWN}),
    Stage.SELECTED: frozenset(),
    Stage.NOT_SELECTED: frozenset(),
    Stage.WITHDRAWN: frozenset(),
}


def check_transition(current: Stage, target: Stage) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final stage)"
        raise failed_precondition(
            "TRANSITION_NOT_ALLOWED",
            f"an application cannot move from {current} to {target}; allowed: {allowed}",
            {"from_stage": current.value, "to_stage": target.value},
        )
