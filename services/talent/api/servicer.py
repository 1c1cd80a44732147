"""talent.v1.TalentService."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.auth import Caller, require_role
from services.common.codec import enum_from_proto, enum_to_proto, resource_id
from services.common.db import transaction
from services.common.errors import ViolationCollector, aborted, invalid_field
from services.common.idempotency import run_once
from services.common.pagination import page_size
from services.common.server import Platform
from services.common.text import check_text
from services.talent.api import codec
from services.talent.domain import candidates as candidate_rules
from services.talent.domain import targets as target_rules
from services.talent.domain.models import Candidate, CandidateFields, CandidateKind, Domain, Origin, Stage, Tier
from services.talent.domain.pii import document_hash
from services.talent.domain.stages import OPEN_STAGES, check_transition
from services.talent.store import applications as application_store
from services.talent.store import candidates as candidate_store
from services.talent.store import catalogue

ADMIN, EDITOR, VIEWER = "talent.admin", "talent.editor", "talent.viewer"
READERS = (ADMIN, EDITOR, VIEWER)
WRITERS = (ADMIN, EDITOR)

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
MAX_NOTE = 2000
MIN_YEAR, MAX_YEAR = 2000, 2100


def sees_pii(caller: Caller) -> bool:
    return caller.has_any(WRITERS)


class TalentServicer(talent_pb2_grpc.TalentServiceServicer):
    def __init__(self, platform: Platform, pii_key: bytes, probabilities: Mapping[Stage, float]) -> None:
        self.pool: asyncpg.Pool = platform.pool
        self.tokens = platform.page_tokens
        self.request_keys = platform.request_keys
        self.pii_key = pii_key
        self.probabilities = probabilities

    # --- programmes -------------------------------------------------------------------------

    async def ListProgrammes(
        self, request: pb.ListProgrammesRequest, context: aio.ServicerContext
    ) -> pb.ListProgrammesResponse:
        require_role(*READERS)
        limit = page_size(request.page_size)
        violations = ViolationCollector()
        level = codec.level_from_proto(request.level, violations)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        programmes, last = await catalogue.list_programmes(self.pool, level.value if level else None, after, limit)
        return pb.ListProgrammesResponse(
            programmes=[codec.programme_to_proto(p) for p in programmes],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    # --- candidates -------------------------------------------------------------------------

    def _document(self, raw: str, path: str, violations: ViolationCollector) -> candidate_store.Document | None:
        if not raw:
            return None
        normalised = candidate_rules.validate_document(raw, violations, path)
        return candidate_store.Document(hash=document_hash(self.pii_key, normalised), last4=normalised[-4:])

    async def CreateCandidate(self, request: pb.CreateCandidateRequest, context: aio.ServicerContext) -> pb.Candidate:
        require_role(*WRITERS)
        violations = ViolationCollector()
        fields = codec.candidate_fields(request.candidate, violations)
        document = self._document(request.candidate.identity_document, "candidate.identity_document", violations)
        candidate_rules.validate_candidate(fields, violations)
        violations.raise_if_any()

        async def create(connection: asyncpg.Connection) -> pb.Candidate:
            candidate = await candidate_store.insert(connection, fields, document)
            return codec.candidate_to_proto(candidate, mask_pii=False)

        return await run_once(self.pool, self.request_keys.key(request), pb.Candidate, create)

    def _candidate_id(self, name: str, path: str = "name") -> str:
        violations = ViolationCollector()
        candidate_id = resource_id(name, "candidates", path, violations)
        violations.raise_if_any()
        return candidate_id

    async def GetCandidate(self, request: pb.GetCandidateRequest, context: aio.ServicerContext) -> pb.Candidate:
        caller = require_role(*READERS)
        candidate = await candidate_store.get(self.pool, self._candidate_id(request.name))
        return codec.candidate_to_proto(candidate, mask_pii=not sees_pii(caller))

    async def ListCandidates(
        self, request: pb.ListCandidatesRequest, context: aio.ServicerContext
    ) -> pb.ListCandidatesResponse:
        caller = require_role(*READERS)
        violations = ViolationCollector()
        limit = page_size(request.page_size)
        order_by = " ".join(request.order_by.split()) or "create_time"
        violations.check(
            order_by in candidate_store.ORDERINGS,
            "order_by",
            f"must be one of: {', '.join(candidate_store.ORDERINGS)}",
        )
        optional = {"required": False}
        domain = enum_from_proto(pb.Domain, request.domain, Domain, "DOMAIN_", "domain", violations, **optional)
        origin = enum_from_proto(pb.Origin, request.origin, Origin, "ORIGIN_", "origin", violations, **optional)
        tier = enum_from_proto(pb.Tier, request.tier, Tier, "TIER_", "tier", violations, **optional)
        kind = enum_from_proto(
            pb.CandidateKind, request.kind, CandidateKind, "CANDIDATE_KIND_", "kind", violations, **optional
        )
        stage = codec.stage_from_proto(request.stage, "stage", violations, required=False)
        programme = resource_id(request.programme, "programmes", "programme", violations) if request.programme else None
        violations.check(
            request.year == 0 or MIN_YEAR <= request.year <= MAX_YEAR,
            "year",
            f"must be between {MIN_YEAR} and {MAX_YEAR}",
        )
        check_text(request.name_contains, "name_contains", violations, limit=200)
        violations.check(
            not request.show_deleted or caller.has_any([ADMIN]),
            "show_deleted",
            "only talent.admin may list deleted candidates",
        )
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        query = candidate_store.CandidateFilter(
            domain=domain.value if domain else None,
            origin=origin.value if origin else None,
            tier=tier.value if tier else None,
            kind=kind.value if kind else None,
            programme_id=programme,
            stage=stage.value if stage else None,
            year=request.year or None,
            name_contains=request.name_contains.strip() or None,
            show_deleted=request.show_deleted,
        )
        page, last = await candidate_store.list_page(self.pool, query, order_by, after, limit)
        mask = not sees_pii(caller)
        return pb.ListCandidatesResponse(
            candidates=[codec.candidate_to_proto(c, mask_pii=mask) for c in page],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    async def UpdateCandidate(self, request: pb.UpdateCandidateRequest, context: aio.ServicerContext) -> pb.Candidate:
        require_role(*WRITERS)
        candidate_id = self._candidate_id(request.candidate.name, "candidate.name")
        paths = set(request.update_mask.paths)
        violations = ViolationCollector()
        violations.check(bool(paths), "update_mask", "name the fields to update, or '*' for all of them")
        unknown = sorted(paths - UPDATABLE - {"*"})
        violations.check(not unknown, "update_mask", f"cannot update: {', '.join(unknown)}")
        violations.check(bool(request.candidate.etag), "candidate.etag", "is required: send the etag you read")
        violations.raise_if_any()
        if "*" in paths:
            paths = set(UPDATABLE)

        async with transaction(self.pool) as connection:
            current = await candidate_store.get(connection, candidate_id, for_update=True)
            if request.candidate.etag != codec.etag(current.id, current.version):
                raise aborted(
                    "ETAG_MISMATCH",
                    "the candidate changed since it was read; read it again",
                    {"current_etag": codec.etag(current.id, current.version)},
                )
            merged = self._merge(current, request.candidate, paths, violations)
            document = None
            if "identity_document" in paths:
                document = self._document(
                    request.candidate.identity_document, "candidate.identity_document", violations
                )
            candidate_rules.validate_candidate(merged, violations)
            violations.raise_if_any()
            updated = await candidate_store.update(
                connection, current, merged, document, replace_document="identity_document" in paths
            )
        return codec.candidate_to_proto(updated, mask_pii=False)

    @staticmethod
    def _merge(
        current: Candidate, message: pb.Candidate, paths: set[str], violations: ViolationCollector
    ) -> CandidateFields:
        """The current fields with those named in ``paths`` taken from ``message``."""
        # Decode the request as a whole candidate with the current kind, then keep what the mask names.
        probe = pb.Candidate()
        probe.CopyFrom(message)
        probe.kind = enum_to_proto(pb.CandidateKind, current.kind, "CANDIDATE_KIND_")
        if "domain" not in paths:
            probe.domain = enum_to_proto(pb.Domain, current.domain, "DOMAIN_")
        if "origin" not in paths:
            probe.origin = enum_to_proto(pb.Origin, current.origin, "ORIGIN_")
        incoming = codec.candidate_fields(probe, violations)
        base = CandidateFields.model_validate(current.model_dump(include=set(CandidateFields.model_fields)))
        changes: dict[str, object] = {}
        for path in paths:
            if path == "contact":
                changes["email"], changes["phone"] = incoming.email, incoming.phone
            elif path == "contact.email":
                changes["email"] = incoming.email
            elif path == "contact.phone":
                changes["phone"] = incoming.phone
            elif path != "identity_document":
                changes[path] = getattr(incoming, path)
        return base.model_copy(update=changes)

    async def DeleteCandidate(self, request: pb.DeleteCandidateRequest, context: aio.ServicerContext) -> pb.Candidate:
        require_role(ADMIN)
        candidate_id = self._candidate_id(request.name)

        async def delete(connection: asyncpg.Connection) -> pb.Candidate:
            current = await candidate_store.get(connection, candidate_id, for_update=True)
            if request.etag and request.etag != codec.etag(current.id, current.version):
                raise aborted("ETAG_MISMATCH", "the candidate changed since it was read; read it again")
            return codec.candidate_to_proto(await candidate_store.soft_delete(connection, candidate_id), mask_pii=False)

        return await run_once(self.pool, self.request_keys.key(request), pb.Candidate, delete)

    async def AnonymizeCandidate(
        self, request: pb.AnonymizeCandidateRequest, context: aio.ServicerContext
    ) -> pb.Candidate:
        require_role(ADMIN)
        candidate_id = self._candidate_id(request.name)

        async def anonymize(connection: asyncpg.Connection) -> pb.Candidate:
            await candidate_store.get(connection, candidate_id, for_update=True, include_deleted=True)
            return codec.candidate_to_proto(await candidate_store.anonymize(connection, candidate_id), mask_pii=False)

        return await run_once(self.pool, self.request_keys.key(request), pb.Candidate, anonymize)

    # --- applications -----------------------------------------------------------------------

    async def CreateApplication(
        self, request: pb.CreateApplicationRequest, context: aio.ServicerContext
    ) -> pb.Application:
        caller = require_role(*WRITERS)
        message = request.application
        violations = ViolationCollector()
        candidate_id = resource_id(message.candidate, "candidates", "application.candidate", violations)
        programme_id = resource_id(message.programme, "programmes", "application.programme", violations)
        violations.check(
            MIN_YEAR <= message.year <= MAX_YEAR,
            "application.year",
            f"must be between {MIN_YEAR} and {MAX_YEAR}",
        )
        stage = codec.stage_from_proto(message.stage, "application.stage", violations, required=False) or Stage.SCOUTED
        violations.check(stage in OPEN_STAGES, "application.stage", "a new application starts in an open stage")
        violations.raise_if_any()

        async def create(connection: asyncpg.Connection) -> pb.Application:
            candidate = await candidate_store.get(connection, candidate_id)
            programme = await catalogue.get_programme(connection, programme_id)
            problems = ViolationCollector()
            problems.check(
                candidate.kind == programme.kind,
                "application.programme",
                f"a {candidate.kind.lower()} candidate cannot apply to a {programme.kind.lower()} programme",
            )
            problems.check(
                message.year in programme.active_years,
                "application.year",
                f"programmes/{programme.id} does not run in {message.year}",
            )
            problems.raise_if_any("KIND_MISMATCH" if candidate.kind != programme.kind else "PROGRAMME_NOT_ACTIVE")
            application = await application_store.insert(
                connection, candidate_id, programme_id, message.year, stage, caller.subject
            )
            return codec.application_to_proto(application)

        return await run_once(self.pool, self.request_keys.key(request), pb.Application, create)

    def _application_id(self, name: str) -> str:
        violations = ViolationCollector()
        application_id = resource_id(name, "applications", "name", violations)
        violations.raise_if_any()
        return application_id

    async def GetApplication(self, request: pb.GetApplicationRequest, context: aio.ServicerContext) -> pb.Application:
        require_role(*READERS)
        return codec.application_to_proto(await application_store.get(self.pool, self._application_id(request.name)))

    async def ListApplications(
        self, request: pb.ListApplicationsRequest, context: aio.ServicerContext
    ) -> pb.ListApplicationsResponse:
        require_role(*READERS)
        limit = page_size(request.page_size)
        violations = ViolationCollector()
        candidate = resource_id(request.candidate, "candidates", "candidate", violations) if request.candidate else None
        programme = resource_id(request.programme, "programmes", "programme", violations) if request.programme else None
        stage = codec.stage_from_proto(request.stage, "stage", violations, required=False)
        level = codec.level_from_proto(request.level, violations)
        violations.check(
            request.year == 0 or MIN_YEAR <= request.year <= MAX_YEAR,
            "year",
            f"must be between {MIN_YEAR} and {MAX_YEAR}",
        )
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        query = application_store.ApplicationFilter(
            candidate_id=candidate,
            programme_id=programme,
            year=request.year or None,
            stage=stage.value if stage else None,
            level=level.value if level else None,
        )
        page, last = await application_store.list_page(self.pool, query, after, limit)
        return pb.ListApplicationsResponse(
            applications=[codec.application_to_proto(a) for a in page],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    async def TransitionApplication(
        self, request: pb.TransitionApplicationRequest, context: aio.ServicerContext
    ) -> pb.Application:
        caller = require_role(*WRITERS)
        violations = ViolationCollector()
        application_id = resource_id(request.name, "applications", "name", violations)
        expected = codec.stage_from_proto(request.expected_stage, "expected_stage", violations)
        target = codec.stage_from_proto(request.target_stage, "target_stage", violations)
        violations.check(len(request.note) <= MAX_NOTE, "note", f"must be at most {MAX_NOTE} characters")
        violations.raise_if_any()
        assert expected is not None and target is not None

        async def transition(connection: asyncpg.Connection) -> pb.Application:
            current = await application_store.get(connection, application_id, for_update=True)
            if current.stage != expected:
                raise aborted(
                    "STAGE_MISMATCH",
                    f"the application is at {current.stage}, not {expected}; read it again",
                    {"current_stage": current.stage.value},
                )
            check_transition(current.stage, target)
            moved = await application_store.move(connection, current, target, caller.subject, request.note.strip())
            return codec.application_to_proto(moved)

        return await run_once(self.pool, self.request_keys.key(request), pb.Application, transition)

    async def GetApplicationHistory(
        self, request: pb.GetApplicationHistoryRequest, context: aio.ServicerContext
    ) -> pb.GetApplicationHistoryResponse:
        require_role(*READERS)
        application = await application_store.get(self.pool, self._application_id(request.name))
        events = await application_store.history(self.pool, application.id)
        return pb.GetApplicationHistoryResponse(events=[codec.event_to_proto(e) for e in events])

    # --- targets ----------------------------------------------------------------------------

    async def GetTargetProgress(
        self, request: pb.GetTargetProgressRequest, context: aio.ServicerContext
    ) -> pb.TargetProgress:
        require_role(*READERS)
        if not MIN_YEAR <= request.year <= MAX_YEAR:
            raise invalid_field("year", f"must be between {MIN_YEAR} and {MAX_YEAR}")
        rows = await catalogue.targets_with_counts(self.pool, request.year)
        items = [target_rules.progress(target, counts, self.probabilities) for target, counts in rows]
        return pb.TargetProgress(
            year=request.year,
            targets=[codec.progress_to_proto(item) for item in items],
            stage_probabilities={stage.value: p for stage, p in self.probabilities.items()},
        )
