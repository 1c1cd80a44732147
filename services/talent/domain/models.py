"""The talent service's vocabulary (DESIGN.md glossary) as enums and pydantic models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ProgrammeLevel(StrEnum):
    NATIONAL = "NATIONAL"
    PROVINCIAL = "PROVINCIAL"
    CITY = "CITY"


class CandidateKind(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    TEAM = "TEAM"


class Domain(StrEnum):
    LIFE_HEALTH = "LIFE_HEALTH"
    NEW_ENERGY_MATERIALS = "NEW_ENERGY_MATERIALS"
    DIGITAL_ECONOMY = "DIGITAL_ECONOMY"
    OTHER = "OTHER"


class Origin(StrEnum):
    OVERSEAS = "OVERSEAS"
    DOMESTIC = "DOMESTIC"


class Tier(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class Stage(StrEnum):
    SCOUTED = "SCOUTED"
    RESERVED = "RESERVED"
    CULTIVATING = "CULTIVATING"
    APPLIED = "APPLIED"
    UNDER_REVIEW = "UNDER_REVIEW"
    SELECTED = "SELECTED"
    NOT_SELECTED = "NOT_SELECTED"
    WITHDRAWN = "WITHDRAWN"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Programme(Frozen):
    id: str
    level: ProgrammeLevel
    kind: CandidateKind
    title_zh: str
    title_en: str
    active_years: tuple[int, ...]


class TeamMember(Frozen):
    display_name: str
    role: str = ""


class CandidateFields(Frozen):
    """What a client may set on a candidate; validated by ``candidates.validate_candidate``."""

    kind: CandidateKind
    display_name: str
    domain: Domain
    origin: Origin
    tier: Tier | None = None
    employer: str = ""
    birth_year: int | None = None
    email: str | None = None
    phone: str | None = None
    leader: TeamMember | None = None
    members: tuple[TeamMember, ...] = ()


class IdentityDocument(Frozen):
    """An identity document as the service keeps it: its keyed hash (for duplicate detection) and
    its last 4 characters (shown to writers). The document itself is never kept."""

    hash: bytes
    last4: str


class Candidate(CandidateFields):
    id: str
    document_last4: str | None = None
    version: int
    create_time: datetime
    update_time: datetime
    delete_time: datetime | None = None
    anonymized: bool = False


class Application(Frozen):
    id: str
    candidate_id: str
    programme_id: str
    year: int
    stage: Stage
    version: int
    create_time: datetime
    update_time: datetime


class ApplicationEvent(Frozen):
    from_stage: Stage | None
    to_stage: Stage
    actor: str
    time: datetime
    note: str


class Target(Frozen):
    id: str
    year: int
    slug: str
    title_zh: str
    title_en: str
    required: int
    programme_ids: tuple[str, ...]
