"""Candidate validation: every bad field is reported at once, with its path in the request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from services.common.errors import ViolationCollector
from services.common.text import check_text
from services.talent.domain import pii
from services.talent.domain.models import Candidate, CandidateFields, CandidateKind, IdentityDocument, TeamMember

MAX_NAME = 200
MAX_EMPLOYER = 200
MAX_MEMBERS = 50
MAX_ROLE = 100


def validate_candidate(fields: CandidateFields, violations: ViolationCollector, prefix: str = "candidate") -> None:
    """Add a violation for each bad field of ``fields`` (already normalised)."""
    check_text(fields.display_name, f"{prefix}.display_name", violations, limit=MAX_NAME, required=True)
    check_text(fields.employer, f"{prefix}.employer", violations, limit=MAX_EMPLOYER, required=False)
    if fields.birth_year is not None:
        this_year = date.today().year
        violations.check(
            1900 <= fields.birth_year <= this_year - 15,
            f"{prefix}.birth_year",
            f"must be between 1900 and {this_year - 15}",
        )
    if fields.email is not None:
        violations.check(pii.valid_email(fields.email), f"{prefix}.contact.email", "is not a valid email address")
    if fields.phone is not None:
        violations.check(
            pii.valid_phone(fields.phone),
            f"{prefix}.contact.phone",
            "must be a mainland mobile number (11 digits) or an international number in E.164 form",
        )
    if fields.kind is CandidateKind.TEAM:
        if fields.leader is None:
            violations.add(f"{prefix}.leader", "is required for a team")
        else:
            check_text(
                fields.leader.display_name, f"{prefix}.leader.display_name", violations, limit=MAX_NAME, required=True
            )
        for i, member in enumerate(fields.members):
            check_text(
                member.display_name, f"{prefix}.members[{i}].display_name", violations, limit=MAX_NAME, required=True
            )
            check_text(member.role, f"{prefix}.members[{i}].role", violations, limit=MAX_ROLE, required=False)
    else:
        violations.check(fields.leader is None, f"{prefix}.leader", "only a team has a leader")
        violations.check(not fields.members, f"{prefix}.members", "only a team has members")


def within_count(count: int, limit: int, path: str, violations: ViolationCollector) -> bool:
    """Whether a repeated field has at most ``limit`` items; else one violation for the whole field,
    so that a flood of bad items is refused before any item is looked at."""
    if count <= limit:
        return True
    violations.add(path, f"must have at most {limit} items (got {count})")
    return False


def validate_document(document: str, violations: ViolationCollector, path: str) -> str:
    normalised = pii.normalise_document(document)
    violations.check(
        pii.valid_document(normalised), path, "must be 6 to 32 letters or digits (spaces and dashes ignored)"
    )
    return normalised


def identity_document(raw: str, pii_key: bytes, violations: ViolationCollector, path: str) -> IdentityDocument | None:
    """What is kept of a document a client sent (None when it sent none)."""
    if not raw:
        return None
    normalised = validate_document(raw, violations, path)
    return IdentityDocument(hash=pii.document_hash(pii_key, normalised), last4=normalised[-4:])


# update_mask paths a client may name; "*" replaces every settable field.
UPDATABLE = frozenset(
    {
        "display_name",
        "domain",
        "origin",
        "tier",
        "employer",
        "birth_year",
        "contact",
        "contact.email",
        "contact.phone",
        "identity_document",
        "leader",
        "members",
    }
)


def new_candidate(
    candidate_id: str, fields: CandidateFields, document: IdentityDocument | None, now: datetime
) -> Candidate:
    """The candidate a create makes: decided before it is written, so that the write can store it
    and the response in one statement."""
    return Candidate(
        id=candidate_id,
        **_fields(fields),
        document_last4=document.last4 if document else None,
        version=1,
        create_time=now,
        update_time=now,
    )


def merged(current: Candidate, patch: Mapping[str, object]) -> CandidateFields:
    """The current fields with those of ``patch`` (the fields an update mask names) replaced."""
    return CandidateFields(**{**_fields(current), **patch})


def updated(
    current: Candidate,
    fields: CandidateFields,
    document: IdentityDocument | None,
    replace_document: bool,
    now: datetime,
) -> Candidate:
    last4 = (document.last4 if document else None) if replace_document else current.document_last4
    return current.model_copy(
        update={**_fields(fields), "document_last4": last4, "version": current.version + 1, "update_time": now}
    )


def deleted(current: Candidate, now: datetime) -> Candidate:
    return current.model_copy(update={"delete_time": now, "version": current.version + 1, "update_time": now})


def anonymized(current: Candidate, now: datetime) -> Candidate:
    """The candidate without personal data: name, employer, birth year, contact, identity document
    and team members go; kind, domain, origin, tier and the applications stay for reporting."""
    return current.model_copy(
        update={
            "display_name": f"anonymized-{current.id[:8]}",
            "employer": "",
            "birth_year": None,
            "email": None,
            "phone": None,
            "document_last4": None,
            "leader": TeamMember(display_name="anonymized") if current.kind is CandidateKind.TEAM else None,
            "members": (),
            "anonymized": True,
            "version": current.version + 1,
            "update_time": now,
        }
    )


def _fields(value: CandidateFields) -> dict[str, object]:
    return {name: getattr(value, name) for name in CandidateFields.model_fields}
