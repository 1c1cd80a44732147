"""The competition's vocabulary (DESIGN.md glossary) as enums and pydantic models.

``*Fields`` models hold what a client may set; the resource models add what the server owns (ids,
state, versions, times). Validation of the settable fields lives in :mod:`.setup`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from services.competition.domain.scoring import AggregationMethod, Criterion
from services.competition.domain.stages import RoundState


class Domain(StrEnum):
    LIFE_HEALTH = "LIFE_HEALTH"
    NEW_ENERGY_MATERIALS = "NEW_ENERGY_MATERIALS"
    DIGITAL_ECONOMY = "DIGITAL_ECONOMY"
    OTHER = "OTHER"


class LandingPool(StrEnum):
    AWARDED = "AWARDED"
    FINALISTS = "FINALISTS"


class RoundKind(StrEnum):
    PRELIMINARY = "PRELIMINARY"
    SEMIFINAL = "SEMIFINAL"
    FINAL = "FINAL"
    OTHER = "OTHER"


class Outcome(StrEnum):
    ADVANCED = "ADVANCED"
    ELIMINATED = "ELIMINATED"


class ConflictSource(StrEnum):
    AFFILIATION = "AFFILIATION"
    DECLARED_BY_JUDGE = "DECLARED_BY_JUDGE"
    DECLARED_BY_ADMIN = "DECLARED_BY_ADMIN"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- contests -----------------------------------------------------------------------------------


class ContestFields(Frozen):
    display_name: str
    year: int
    min_landed_entries: int = 5
    min_landing_ratio: float = 0.60
    landing_deadline: date | None = None
    landing_pool: LandingPool = LandingPool.AWARDED
    # The judge panel (judge ids, in the order given); empty means every judge.
    judge_ids: tuple[str, ...] = ()


class Contest(ContestFields):
    id: str
    version: int
    create_time: datetime
    update_time: datetime


# --- rounds -------------------------------------------------------------------------------------


class CriterionSpec(Frozen):
    key: str
    display_name: str
    weight: float
    min_value: float
    max_value: float
    step: float

    def criterion(self) -> Criterion:
        return Criterion(
            name=self.key, weight=self.weight, min_value=self.min_value, max_value=self.max_value, step=self.step
        )


class Advancement(Frozen):
    """Exactly one is set: the top N entries, or every entry scoring at least ``min_score`` (0–100)."""

    top_n: int | None = None
    min_score: float | None = None


class AwardTier(Frozen):
    tier: str
    display_name: str
    count: int


class RoundFields(Frozen):
    display_name: str
    kind: RoundKind
    sequence: int
    criteria: tuple[CriterionSpec, ...]
    judges_per_entry: int = 5
    aggregation: AggregationMethod = AggregationMethod.MEAN
    advancement: Advancement | None = None
    award_tiers: tuple[AwardTier, ...] = ()
    judging_deadline: datetime | None = None

    def domain_criteria(self) -> list[Criterion]:
        return [spec.criterion() for spec in self.criteria]


class Round(RoundFields):
    contest_id: str
    id: str
    state: RoundState
    leaderboard_digest: str = ""
    force_close_reason: str = ""
    version: int
    create_time: datetime
    update_time: datetime


# --- entries and judges -------------------------------------------------------------------------


class TeamMember(Frozen):
    display_name: str
    role: str = ""


class EntryFields(Frozen):
    title: str
    leader: TeamMember | None = None
    members: tuple[TeamMember, ...] = ()
    organisations: tuple[str, ...] = ()
    domain: Domain
    origin_country: str = ""
    summary: str = ""


class Entry(EntryFields):
    contest_id: str
    id: str
    # The furthest round with a result for this entry, and that result.
    last_round: str | None = None
    last_outcome: Outcome | None = None
    version: int
    create_time: datetime
    update_time: datetime


class JudgeFields(Frozen):
    display_name: str
    domains: tuple[Domain, ...] = ()
    affiliations: tuple[str, ...] = ()


class Judge(JudgeFields):
    id: str
    version: int
    create_time: datetime


# --- judging ------------------------------------------------------------------------------------


class Conflict(Frozen):
    contest_id: str
    entry_id: str
    judge_id: str
    source: ConflictSource
    reason: str
    declared_by: str = ""
    create_time: datetime | None = None


class Assignment(Frozen):
    contest_id: str
    round_id: str
    entry_id: str
    judge_id: str
    submitted: bool
    create_time: datetime


class ScoreSheet(Frozen):
    contest_id: str
    round_id: str
    entry_id: str
    judge_id: str
    scores: dict[str, float]
    comment: str
    total: float
    version: int
    submit_time: datetime


class Award(Frozen):
    contest_id: str
    round_id: str
    entry_id: str
    title: str
    tier: str
    rank: int
