"""talent.v1 messages ↔ domain models."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from protos.talent.v1 import talent_pb2 as pb
from services.common.codec import enum_from_proto, enum_to_proto, set_timestamp
from services.common.errors import ViolationCollector
from services.common.updates import etag
from services.common.wire import length_delimited
from services.talent.domain import pii
from services.talent.domain.candidates import MAX_MEMBERS, within_count
from services.talent.domain.models import (
    Application,
    ApplicationEvent,
    Candidate,
    CandidateFields,
    CandidateKind,
    Domain,
    Origin,
    Programme,
    ProgrammeLevel,
    Stage,
    TeamMember,
    Tier,
)
from services.talent.domain.targets import TargetProgress
from services.talent.store.candidates import Encodings


def stage_from_proto(value: int, path: str, violations: ViolationCollector, required: bool = True) -> Stage | None:
    return enum_from_proto(pb.Stage, value, Stage, "STAGE_", path, violations, required=required)


def stage_to_proto(stage: Stage | None) -> Any:
    return enum_to_proto(pb.Stage, stage, "STAGE_")


def _member(message: pb.TeamMember) -> TeamMember:
    return TeamMember(display_name=message.display_name.strip(), role=message.role.strip())


def _members(message: pb.Candidate, violations: ViolationCollector, prefix: str) -> tuple[TeamMember, ...]:
    # Counted before any member is decoded: a flood of members is one violation, not one per member.
    if not within_count(len(message.members), MAX_MEMBERS, f"{prefix}.members", violations):
        return ()
    return tuple(_member(m) for m in message.members)


def candidate_fields(
    message: pb.Candidate, violations: ViolationCollector, prefix: str = "candidate"
) -> CandidateFields:
    """The settable fields of ``message``, normalised. A missing or unknown enum is recorded in
    ``violations`` and stands in as a placeholder, so that the other fields are still checked."""
    kind = enum_from_proto(
        pb.CandidateKind, message.kind, CandidateKind, "CANDIDATE_KIND_", f"{prefix}.kind", violations
    )
    domain = enum_from_proto(pb.Domain, message.domain, Domain, "DOMAIN_", f"{prefix}.domain", violations)
    origin = enum_from_proto(pb.Origin, message.origin, Origin, "ORIGIN_", f"{prefix}.origin", violations)
    tier = enum_from_proto(pb.Tier, message.tier, Tier, "TIER_", f"{prefix}.tier", violations, required=False)
    return CandidateFields(
        kind=kind or CandidateKind.INDIVIDUAL,
        display_name=message.display_name.strip(),
        domain=domain or Domain.OTHER,
        origin=origin or Origin.DOMESTIC,
        tier=tier,
        employer=message.employer.strip(),
        birth_year=message.birth_year or None,
        email=pii.normalise_email(message.contact.email) if message.contact.email else None,
        phone=pii.normalise_phone(message.contact.phone) if message.contact.phone else None,
        leader=_member(message.leader) if message.HasField("leader") else None,
        members=_members(message, violations, prefix),
    )


def candidate_patch(
    message: pb.Candidate, paths: Collection[str], violations: ViolationCollector, prefix: str = "candidate"
) -> dict[str, Any]:
    """The fields an update mask names (``paths``, "*" already expanded), decoded and normalised, by
    their CandidateFields names. Fields the mask does not name are not looked at. A bad enum is a
    violation (raise them before using the patch)."""
    patch: dict[str, Any] = {}
    for path in paths:
        if path == "display_name":
            patch["display_name"] = message.display_name.strip()
        elif path == "domain":
            patch["domain"] = enum_from_proto(
                pb.Domain, message.domain, Domain, "DOMAIN_", f"{prefix}.domain", violations
            )
        elif path == "origin":
            patch["origin"] = enum_from_proto(
                pb.Origin, message.origin, Origin, "ORIGIN_", f"{prefix}.origin", violations
            )
        elif path == "tier":
            patch["tier"] = enum_from_proto(
                pb.Tier, message.tier, Tier, "TIER_", f"{prefix}.tier", violations, required=False
            )
        elif path == "employer":
            patch["employer"] = message.employer.strip()
        elif path == "birth_year":
            patch["birth_year"] = message.birth_year or None
        elif path == "leader":
            patch["leader"] = _member(message.leader) if message.HasField("leader") else None
        elif path == "members":
            patch["members"] = _members(message, violations, prefix)
        if path in ("contact", "contact.email"):
            patch["email"] = pii.normalise_email(message.contact.email) if message.contact.email else None
        if path in ("contact", "contact.phone"):
            patch["phone"] = pii.normalise_phone(message.contact.phone) if message.contact.phone else None
    return patch


def candidate_preview(fields: CandidateFields, document_last4: str | None) -> pb.Candidate:
    """A candidate as a create would make it (validate_only): no name, times or etag yet."""
    message = pb.Candidate(
        kind=enum_to_proto(pb.CandidateKind, fields.kind, "CANDIDATE_KIND_"),
        display_name=fields.display_name,
        domain=enum_to_proto(pb.Domain, fields.domain, "DOMAIN_"),
        origin=enum_to_proto(pb.Origin, fields.origin, "ORIGIN_"),
        tier=enum_to_proto(pb.Tier, fields.tier, "TIER_"),
        employer=fields.employer,
        birth_year=fields.birth_year or 0,
        contact=pb.Contact(email=fields.email or "", phone=fields.phone or ""),
        identity_document_last4=document_last4 or "",
        members=[pb.TeamMember(display_name=m.display_name, role=m.role) for m in fields.members],
    )
    if fields.leader is not None:
        message.leader.CopyFrom(pb.TeamMember(display_name=fields.leader.display_name, role=fields.leader.role))
    return message


# Enum numbers by domain value, looked up once: encoding runs for every row of every page.
_KINDS: dict[CandidateKind, Any] = {
    kind: enum_to_proto(pb.CandidateKind, kind, "CANDIDATE_KIND_") for kind in CandidateKind
}
_DOMAINS: dict[Domain, Any] = {domain: enum_to_proto(pb.Domain, domain, "DOMAIN_") for domain in Domain}
_ORIGINS: dict[Origin, Any] = {origin: enum_to_proto(pb.Origin, origin, "ORIGIN_") for origin in Origin}
_TIERS: dict[Tier | None, Any] = {None: 0} | {tier: enum_to_proto(pb.Tier, tier, "TIER_") for tier in Tier}


# The version of the encodings stored with each candidate (migration 0005). Bump it whenever what
# fill_candidate writes changes (a field, a rule of masking): rows with another version are then
# built from their columns and re-encoded. tests/talent/test_stored_encodings.py pins the bytes.
CANDIDATE_ENCODING = 1


# The field of ListCandidatesResponse that a page's stored items make up.
_PAGE_FIELD = pb.ListCandidatesResponse.DESCRIPTOR.fields_by_name["candidates"].number


def candidate_encodings(candidate: Candidate) -> Encodings:
    """The candidate as writers see it and as viewers do (contact masked), as page items."""
    message = candidate_to_proto(candidate, mask_pii=False)
    full = length_delimited(_PAGE_FIELD, message.SerializeToString(deterministic=True))
    if not candidate.email and not candidate.phone:
        return Encodings(full, full, CANDIDATE_ENCODING)  # nothing to mask
    # The viewers' message differs from the writers' in the contact only.
    if candidate.email:
        message.contact.email = pii.mask_email(candidate.email)
    if candidate.phone:
        message.contact.phone = pii.mask_phone(candidate.phone)
    masked = length_delimited(_PAGE_FIELD, message.SerializeToString(deterministic=True))
    return Encodings(full, masked, CANDIDATE_ENCODING)


def candidate_to_proto(candidate: Candidate, *, mask_pii: bool) -> pb.Candidate:
    message = pb.Candidate()
    fill_candidate(message, candidate, mask_pii=mask_pii)
    return message


def fill_candidate(message: pb.Candidate, candidate: Candidate, *, mask_pii: bool) -> None:
    """Write ``candidate`` into an empty ``message`` in place."""
    email = candidate.email or ""
    phone = candidate.phone or ""
    if mask_pii:
        email = pii.mask_email(email) if email else ""
        phone = pii.mask_phone(phone) if phone else ""
    # Field by field (a constructor with keywords costs more per field); zero values need no write.
    message.name = f"candidates/{candidate.id}"
    message.kind = _KINDS[candidate.kind]
    message.display_name = candidate.display_name
    message.domain = _DOMAINS[candidate.domain]
    message.origin = _ORIGINS[candidate.origin]
    message.tier = _TIERS[candidate.tier]
    message.employer = candidate.employer
    if candidate.birth_year:
        message.birth_year = candidate.birth_year
    if candidate.document_last4:
        message.identity_document_last4 = candidate.document_last4
    if candidate.anonymized:
        message.anonymized = True
    message.etag = etag(candidate.id, candidate.version)
    contact = message.contact
    contact.SetInParent()  # present even when empty, as before
    contact.email = email
    contact.phone = phone
    for member in candidate.members:
        message.members.add(display_name=member.display_name, role=member.role)
    if candidate.leader is not None:
        message.leader.display_name = candidate.leader.display_name
        message.leader.role = candidate.leader.role
        message.leader.SetInParent()
    set_timestamp(message.create_time, candidate.create_time)
    set_timestamp(message.update_time, candidate.update_time)
    set_timestamp(message.delete_time, candidate.delete_time)


def programme_to_proto(programme: Programme) -> pb.Programme:
    return pb.Programme(
        name=f"programmes/{programme.id}",
        level=enum_to_proto(pb.ProgrammeLevel, programme.level, "PROGRAMME_LEVEL_"),
        kind=enum_to_proto(pb.CandidateKind, programme.kind, "CANDIDATE_KIND_"),
        title_zh=programme.title_zh,
        title_en=programme.title_en,
        active_years=list(programme.active_years),
    )


def level_from_proto(value: int, violations: ViolationCollector) -> ProgrammeLevel | None:
    return enum_from_proto(
        pb.ProgrammeLevel, value, ProgrammeLevel, "PROGRAMME_LEVEL_", "level", violations, required=False
    )


def application_to_proto(application: Application) -> pb.Application:
    message = pb.Application(
        name=f"applications/{application.id}",
        candidate=f"candidates/{application.candidate_id}",
        programme=f"programmes/{application.programme_id}",
        year=application.year,
        stage=stage_to_proto(application.stage),
        etag=etag(application.id, application.version),
    )
    set_timestamp(message.create_time, application.create_time)
    set_timestamp(message.update_time, application.update_time)
    return message


def application_preview(application: Application) -> pb.Application:
    """An application as a create would make it (validate_only): no name, times or etag yet."""
    return pb.Application(
        candidate=f"candidates/{application.candidate_id}",
        programme=f"programmes/{application.programme_id}",
        year=application.year,
        stage=stage_to_proto(application.stage),
    )


def event_to_proto(event: ApplicationEvent) -> pb.ApplicationEvent:
    message = pb.ApplicationEvent(
        from_stage=stage_to_proto(event.from_stage),
        to_stage=stage_to_proto(event.to_stage),
        actor=event.actor,
        note=event.note,
    )
    set_timestamp(message.time, event.time)
    return message


def fill_progress(message: pb.TargetProgressItem, item: TargetProgress) -> None:
    """Write ``item`` into an empty ``message`` in place (sub-messages passed to a constructor are copied)."""
    target = item.target
    message.target = f"targets/{target.id}"
    message.slug = target.slug
    message.title_zh = target.title_zh
    message.title_en = target.title_en
    message.programmes.extend(f"programmes/{p}" for p in target.programme_ids)
    message.required = target.required
    message.selected = item.selected
    message.forecast = item.forecast
    message.status = enum_to_proto(pb.TargetStatus, item.status, "TARGET_STATUS_")
    add = message.open_stage_counts.add
    for stage, count in item.open_stage_counts.items():
        add(stage=stage_to_proto(stage), count=count)
