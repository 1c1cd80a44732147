"""Candidate validation: every bad field is reported at once, with its path in the request."""

from __future__ import annotations

from datetime import date

from services.common.errors import ViolationCollector
from services.common.text import check_text
from services.talent.domain import pii
from services.talent.domain.models import CandidateFields, CandidateKind

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
        if len(fields.members) > MAX_MEMBERS:
            violations.add(f"{prefix}.members", f"must have at most {MAX_MEMBERS} members")
        for i, member in enumerate(fields.members):
            check_text(
                member.display_name, f"{prefix}.members[{i}].display_name", violations, limit=MAX_NAME, required=True
            )
            check_text(member.role, f"{prefix}.members[{i}].role", violations, limit=MAX_ROLE, required=False)
    else:
        violations.check(fields.leader is None, f"{prefix}.leader", "only a team has a leader")
        violations.check(not fields.members, f"{prefix}.members", "only a team has members")


def validate_document(document: str, violations: ViolationCollector, path: str) -> str:
    normalised = pii.normalise_document(document)
    violations.check(
        pii.valid_document(normalised), path, "must be 6 to 32 letters or digits (spaces and dashes ignored)"
    )
    return normalised
