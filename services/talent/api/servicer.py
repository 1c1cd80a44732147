"""talent.v1.TalentService: decode the request, authorize the caller, call the use case, encode the
answer. The rules live in ``domain``, the writes in ``app`` and ``store``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import asyncpg
from google.protobuf.message import Message
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.auth import Caller, require_role
from services.common.codec import enum_from_proto, resource_id
from services.common.errors import ViolationCollector
from services.common.pagination import FilterDecisions, page_size
from services.common.server import Platform
from services.common.text import check_text
from services.common.updates import mask_paths
from services.common.wire import Encoded, length_delimited
from services.talent.api import codec
from services.talent.app import applications as application_cases
from services.talent.app import candidates as candidate_cases
from services.talent.app import catalogue as catalogue_cases
from services.talent.app.candidates import Answer
from services.talent.app.replies import CandidateCodec, Reply
from services.talent.domain import applications as application_rules
from services.talent.domain import candidates as candidate_rules
from services.talent.domain.models import (
    Application,
    CandidateKind,
    Domain,
    IdentityDocument,
    Origin,
    Stage,
    Tier,
)
from services.talent.store.applications import ApplicationFilter
from services.talent.store.candidates import ORDERINGS, CandidateFilter
from services.talent.store.catalogue import Validator

ADMIN, EDITOR, VIEWER = "talent.admin", "talent.editor", "talent.viewer"
READERS = (ADMIN, EDITOR, VIEWER)
WRITERS = (ADMIN, EDITOR)
MAX_NOTE = 2000
MAX_NAME_FILTER = 200
DOCUMENT_PATH = "candidate.identity_document"


def sees_pii(caller: Caller) -> bool:
    return caller.has_any(WRITERS)


def _candidate_query(request: pb.ListCandidatesRequest) -> tuple[CandidateFilter, str]:
    """ListCandidates' filter checked, and the query and ordering it asks for."""
    violations = ViolationCollector()
    order_by = " ".join(request.order_by.split()) or "create_time"
    violations.check(order_by in ORDERINGS, "order_by", f"must be one of: {', '.join(ORDERINGS)}")
    optional = {"required": False}
    domain = enum_from_proto(pb.Domain, request.domain, Domain, "DOMAIN_", "domain", violations, **optional)
    origin = enum_from_proto(pb.Origin, request.origin, Origin, "ORIGIN_", "origin", violations, **optional)
    tier = enum_from_proto(pb.Tier, request.tier, Tier, "TIER_", "tier", violations, **optional)
    kind = enum_from_proto(
        pb.CandidateKind, request.kind, CandidateKind, "CANDIDATE_KIND_", "kind", violations, **optional
    )
    stage = codec.stage_from_proto(request.stage, "stage", violations, required=False)
    programme = resource_id(request.programme, "programmes", "programme", violations) if request.programme else None
    application_rules.check_year(request.year, "year", violations, required=False)
    check_text(request.name_contains, "name_contains", violations, limit=MAX_NAME_FILTER)
    violations.raise_if_any()
    query = CandidateFilter(
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
    return query, order_by


_candidate_queries = FilterDecisions(pb.ListCandidatesRequest, _candidate_query)


def _without_document(document: IdentityDocument | None) -> Callable[[Message], None]:
    """The request digest covers the document's keyed hash, never the document itself: a changed
    document is still a different request, and nothing stored can be brute-forced into a document."""

    def redact(copy: Message) -> None:
        copy.candidate.identity_document = document.hash.hex() if document else ""  # type: ignore[attr-defined]

    return redact


class TalentServicer(talent_pb2_grpc.TalentServiceServicer):
    def __init__(self, platform: Platform, pii_key: bytes, probabilities: Mapping[Stage, float]) -> None:
        self.pool: asyncpg.Pool = platform.pool
        self.tokens = platform.page_tokens
        self.request_keys = platform.request_keys
        self.pii_key = pii_key
        self.probabilities = probabilities
        # Every GetTargetProgress answers the same map: built once.
        self.stage_probabilities = {stage.value: p for stage, p in probabilities.items()}
        # GetTargetProgress: per year, the validator of the state last answered and that answer encoded.
        self.progress_answers: dict[int, tuple[Validator, Encoded]] = {}
        # Writers see what they wrote, personal data included; readers get the stored encodings.
        self.candidates = CandidateCodec(pb.Candidate, codec.CANDIDATE_ENCODING, codec.candidate_encodings)
        self.reencoder = candidate_cases.Reencoder(self.pool, self.candidates)
        self.candidate_writes = candidate_cases.candidate_writes(self.pool)
        self.application_reply: Reply[Application, pb.Application] = Reply(pb.Application, codec.application_to_proto)

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
        programmes, last = await catalogue_cases.list_programmes(
            self.pool, level.value if level else None, after, limit
        )
        return pb.ListProgrammesResponse(
            programmes=[codec.programme_to_proto(p) for p in programmes],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    # --- candidates -------------------------------------------------------------------------

    def _document(self, raw: str, violations: ViolationCollector) -> IdentityDocument | None:
        return candidate_rules.identity_document(raw, self.pii_key, violations, DOCUMENT_PATH)

    async def CreateCandidate(self, request: pb.CreateCandidateRequest, context: aio.ServicerContext) -> Answer:
        require_role(*WRITERS)
        violations = ViolationCollector()
        fields = codec.candidate_fields(request.candidate, violations)
        document = self._document(request.candidate.identity_document, violations)
        candidate_rules.validate_candidate(fields, violations)
        violations.raise_if_any()
        key = self.request_keys.key(request, redact=_without_document(document))
        if request.validate_only:
            await candidate_cases.check_new_candidate(self.pool, fields, document)
            return codec.candidate_preview(fields, document.last4 if document else None)
        return await candidate_cases.create_candidate(
            self.pool, self.candidate_writes, fields, document, key, self.candidates
        )

    def _candidate_id(self, name: str, path: str = "name") -> str:
        violations = ViolationCollector()
        candidate_id = resource_id(name, "candidates", path, violations)
        violations.raise_if_any()
        return candidate_id

    async def GetCandidate(self, request: pb.GetCandidateRequest, context: aio.ServicerContext) -> Encoded:
        caller = require_role(*READERS)
        encoded, stale = await candidate_cases.get_candidate(
            self.pool, self._candidate_id(request.name), self.candidates, masked=not sees_pii(caller)
        )
        if stale:
            self.reencoder.met_stale()
        return Encoded(encoded)

    async def ListCandidates(self, request: pb.ListCandidatesRequest, context: aio.ServicerContext) -> Encoded:
        caller = require_role(*READERS)
        if request.show_deleted:
            # A permission, not a bad field: refused before anything else is looked at.
            require_role(ADMIN)
        limit = page_size(request.page_size)
        query, order_by = _candidate_queries(request)
        after = self.tokens.decode(request.page_token, request)
        items, last, stale = await candidate_cases.list_candidates(
            self.pool, query, order_by, after, limit, self.candidates, masked=not sees_pii(caller)
        )
        if stale:
            self.reencoder.met_stale()
        # ListCandidatesResponse: the candidates (field 1, the stored items), then next_page_token.
        if last:
            return Encoded(items + length_delimited(2, self.tokens.encode(last, request).encode()))
        return Encoded(items)

    async def UpdateCandidate(self, request: pb.UpdateCandidateRequest, context: aio.ServicerContext) -> Encoded:
        require_role(*WRITERS)
        candidate_id = self._candidate_id(request.candidate.name, "candidate.name")
        violations = ViolationCollector()
        paths = mask_paths(
            request.update_mask.paths, candidate_rules.UPDATABLE, request.candidate.etag, "candidate", violations
        )
        violations.raise_if_any()
        patch = codec.candidate_patch(request.candidate, paths, violations)
        replace_document = "identity_document" in paths
        document = self._document(request.candidate.identity_document, violations) if replace_document else None
        violations.raise_if_any()
        updated = await candidate_cases.update_candidate(
            self.pool, candidate_id, request.candidate.etag, patch, replace_document, document, self.candidates
        )
        return Encoded(updated)

    async def DeleteCandidate(self, request: pb.DeleteCandidateRequest, context: aio.ServicerContext) -> Answer:
        require_role(ADMIN)
        candidate_id = self._candidate_id(request.name)
        key = self.request_keys.key(request)
        return await candidate_cases.delete_candidate(self.pool, candidate_id, request.etag, key, self.candidates)

    async def AnonymizeCandidate(self, request: pb.AnonymizeCandidateRequest, context: aio.ServicerContext) -> Message:
        require_role(ADMIN)
        candidate_id = self._candidate_id(request.name)
        key = self.request_keys.key(request)
        return await candidate_cases.anonymize_candidate(self.pool, candidate_id, key, self.candidates)

    # --- applications -----------------------------------------------------------------------

    async def CreateApplication(
        self, request: pb.CreateApplicationRequest, context: aio.ServicerContext
    ) -> pb.Application:
        caller = require_role(*WRITERS)
        message = request.application
        violations = ViolationCollector()
        candidate_id = resource_id(message.candidate, "candidates", "application.candidate", violations)
        programme_id = resource_id(message.programme, "programmes", "application.programme", violations)
        application_rules.check_year(message.year, "application.year", violations)
        requested = codec.stage_from_proto(message.stage, "application.stage", violations, required=False)
        stage = application_rules.first_stage(requested, "application.stage", violations)
        violations.raise_if_any()
        key = self.request_keys.key(request)
        if request.validate_only:
            application = await application_cases.check_new_application(
                self.pool, candidate_id, programme_id, message.year, stage
            )
            return codec.application_preview(application)
        return await application_cases.create_application(
            self.pool, candidate_id, programme_id, message.year, stage, caller.subject, key, self.application_reply
        )

    def _application_id(self, name: str) -> str:
        violations = ViolationCollector()
        application_id = resource_id(name, "applications", "name", violations)
        violations.raise_if_any()
        return application_id

    async def GetApplication(self, request: pb.GetApplicationRequest, context: aio.ServicerContext) -> pb.Application:
        require_role(*READERS)
        application = await application_cases.get_application(self.pool, self._application_id(request.name))
        return codec.application_to_proto(application)

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
        application_rules.check_year(request.year, "year", violations, required=False)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        query = ApplicationFilter(
            candidate_id=candidate,
            programme_id=programme,
            year=request.year or None,
            stage=stage.value if stage else None,
            level=level.value if level else None,
        )
        page, last = await application_cases.list_applications(self.pool, query, after, limit)
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
        check_text(request.note, "note", violations, limit=MAX_NOTE, multiline=True)
        violations.raise_if_any()
        assert expected is not None and target is not None
        key = self.request_keys.key(request)
        return await application_cases.transition_application(
            self.pool,
            application_id,
            expected,
            target,
            caller.subject,
            request.note.strip(),
            key,
            self.application_reply,
        )

    async def GetApplicationHistory(
        self, request: pb.GetApplicationHistoryRequest, context: aio.ServicerContext
    ) -> pb.GetApplicationHistoryResponse:
        require_role(*READERS)
        events = await application_cases.application_history(self.pool, self._application_id(request.name))
        return pb.GetApplicationHistoryResponse(events=[codec.event_to_proto(e) for e in events])

    # --- targets ----------------------------------------------------------------------------

    async def GetTargetProgress(
        self, request: pb.GetTargetProgressRequest, context: aio.ServicerContext
    ) -> pb.TargetProgress | Encoded:
        """Answered from this replica's last answer for the year while the database says it still
        holds (its validator, read by the call's one statement); otherwise read, encoded and kept."""
        require_role(*READERS)
        year = request.year
        kept = self.progress_answers.get(year)
        if kept is None:  # only valid years are kept
            violations = ViolationCollector()
            application_rules.check_year(year, "year", violations)
            violations.raise_if_any()
        validator, items = await catalogue_cases.validated_target_progress(
            self.pool, year, kept[0] if kept else None, self.probabilities
        )
        if items is None:
            assert kept is not None
            return kept[1]
        response = pb.TargetProgress(year=year, stage_probabilities=self.stage_probabilities)
        for item in items:
            codec.fill_progress(response.targets.add(), item)
        encoded = Encoded(response.SerializeToString(deterministic=True))
        # Concurrent calls may read different states: keep the newest (a later state's validator is
        # greater), never an older answer over a newer one.
        latest = self.progress_answers.get(year)
        if latest is None or latest[0] < validator:
            self.progress_answers[year] = (validator, encoded)
        return encoded
