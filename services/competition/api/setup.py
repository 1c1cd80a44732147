"""Set-up RPCs (competition.admin writes; every role reads): contests, rounds and their opening and
closing, entries (one by one or in all-or-nothing batches) and judges."""

from __future__ import annotations

from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import require_role
from services.common.errors import ViolationCollector
from services.common.text import check_text
from services.common.wire import Encoded
from services.competition.api import codec, pages
from services.competition.api.base import ADMIN, READERS, ServicerBase
from services.competition.api.names import (
    contest_ref,
    entry_ref,
    judge_ref,
    keep_masked,
    mask_paths,
    round_ref,
)
from services.competition.api.pages import bounded_page_size
from services.competition.app import setup
from services.competition.domain import setup as rules
from services.competition.domain.models import EntryFields
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store

CONTEST_UPDATABLE = frozenset(
    {"display_name", "year", "min_landed_entries", "min_landing_ratio", "landing_deadline", "landing_pool", "judges"}
)
# Update-mask paths whose model field is named differently.
CONTEST_FIELD = {"judges": "judge_ids"}
# The sequence is not updatable: later rounds take the entries the previous one advanced.
ROUND_UPDATABLE = frozenset(
    {
        "display_name",
        "kind",
        "criteria",
        "judges_per_entry",
        "aggregation",
        "advancement",
        "award_tiers",
        "judging_deadline",
    }
)
ENTRY_UPDATABLE = frozenset(
    {"title", "team", "team.leader", "team.members", "team.organisations", "domain", "origin_country", "summary"}
)
JUDGE_UPDATABLE = frozenset({"display_name", "domains", "affiliations"})
MAX_BATCH = 1000


def _parsed(name: str, parse: str) -> tuple[str, str]:
    violations = ViolationCollector()
    contest_id, child = round_ref(name, "name", violations) if parse == "round" else entry_ref(name, "name", violations)
    violations.raise_if_any()
    return contest_id, child


def _contest_id(name: str, path: str = "name") -> str:
    violations = ViolationCollector()
    contest_id = contest_ref(name, path, violations)
    violations.raise_if_any()
    return contest_id


class SetupMethods(ServicerBase):
    # --- contests ---------------------------------------------------------------------------

    async def CreateContest(self, request: pb.CreateContestRequest, context: aio.ServicerContext) -> pb.Contest:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        rules.check_id(request.contest_id, "contest_id", violations)
        fields = codec.contest_fields(request.contest, violations)
        rules.validate_contest(fields, violations)
        violations.raise_if_any()
        contest_id = request.contest_id or rules.generate_id("c")
        key = self.request_keys.key(request)
        return await setup.create_contest(
            self.app, caller, contest_id, fields, key, validate_only=request.validate_only
        )

    async def GetContest(self, request: pb.GetContestRequest, context: aio.ServicerContext) -> pb.Contest:
        require_role(*READERS)
        return codec.contest_to_proto(await contest_store.get(self.pool, _contest_id(request.name)))

    async def ListContests(
        self, request: pb.ListContestsRequest, context: aio.ServicerContext
    ) -> pb.ListContestsResponse:
        require_role(*READERS)
        limit = bounded_page_size(request.page_size, pages.CONTESTS_MAX)
        violations = ViolationCollector()
        violations.check(
            request.year == 0 or rules.MIN_YEAR <= request.year <= rules.MAX_YEAR,
            "year",
            f"must be between {rules.MIN_YEAR} and {rules.MAX_YEAR}",
        )
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        page, last = await contest_store.list_page(
            self.pool, request.year or None, str(after[0]) if after else None, limit
        )
        return pb.ListContestsResponse(
            contests=[codec.contest_to_proto(c) for c in page],
            next_page_token=self.tokens.encode([last], request) if last else "",
        )

    async def UpdateContest(self, request: pb.UpdateContestRequest, context: aio.ServicerContext) -> pb.Contest:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id = contest_ref(request.contest.name, "contest.name", violations)
        paths = mask_paths(request.update_mask, CONTEST_UPDATABLE, request.contest.etag, "contest", violations)
        decoded = ViolationCollector()
        incoming = codec.contest_fields(request.contest, decoded)
        keep_masked(decoded, violations, "contest", paths)
        violations.raise_if_any()
        # On update a zero target is what the client asked for, not "use the default".
        incoming = incoming.model_copy(
            update={
                "min_landed_entries": request.contest.min_landed_entries,
                "min_landing_ratio": request.contest.min_landing_ratio,
            }
        )
        return await setup.update_contest(
            self.app, caller, contest_id, request.contest.etag, paths, incoming, CONTEST_FIELD
        )

    # --- rounds -----------------------------------------------------------------------------

    async def CreateRound(self, request: pb.CreateRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        rules.check_id(request.round_id, "round_id", violations)
        fields = codec.round_fields(request.round, violations)
        # Sequence 0 means "after the last round", filled in by the use case.
        rules.validate_round(fields.model_copy(update={"sequence": fields.sequence or 1}), violations)
        violations.raise_if_any()
        round_id = request.round_id or rules.generate_id("r")
        key = self.request_keys.key(request)
        return await setup.create_round(
            self.app, caller, contest_id, round_id, fields, key, validate_only=request.validate_only
        )

    async def GetRound(self, request: pb.GetRoundRequest, context: aio.ServicerContext) -> pb.Round | Encoded:
        require_role(*READERS)
        contest_id, round_id = _parsed(request.name, "round")
        # The stored message, written with the row; a row from before the read model is encoded here.
        encoded = await round_store.get_encoded(self.pool, contest_id, round_id, codec.ROUND_ENCODING.version)
        if encoded is not None:
            return Encoded(encoded)
        return codec.round_record_to_proto(await round_store.get_record(self.pool, contest_id, round_id))

    async def ListRounds(self, request: pb.ListRoundsRequest, context: aio.ServicerContext) -> pb.ListRoundsResponse:
        require_role(*READERS)
        limit = bounded_page_size(request.page_size, pages.ROUNDS_MAX)
        contest_id = _contest_id(request.parent, "parent")
        after = self.tokens.decode(request.page_token, request)
        await contest_store.get(self.pool, contest_id)
        page, last = await round_store.list_page(self.pool, contest_id, int(after[0]) if after else None, limit)
        return pb.ListRoundsResponse(
            rounds=[codec.round_to_proto(r) for r in page],
            next_page_token=self.tokens.encode([last], request) if last is not None else "",
        )

    async def UpdateRound(self, request: pb.UpdateRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round.name, "round.name", violations)
        paths = mask_paths(request.update_mask, ROUND_UPDATABLE, request.round.etag, "round", violations)
        decoded = ViolationCollector()
        incoming = codec.round_fields(request.round, decoded)
        keep_masked(decoded, violations, "round", paths)
        violations.raise_if_any()
        return await setup.update_round(self.app, caller, contest_id, round_id, request.round.etag, paths, incoming)

    async def OpenRound(self, request: pb.OpenRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        contest_id, round_id = _parsed(request.name, "round")
        return await setup.open_round(self.app, caller, contest_id, round_id, self.request_keys.key(request))

    async def CloseRound(self, request: pb.CloseRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.name, "name", violations)
        reason = request.reason.strip()
        if request.force and not reason:
            violations.add("reason", "a forced close needs a reason, which is recorded")
        violations.check(len(reason) <= rules.MAX_REASON, "reason", f"must be at most {rules.MAX_REASON} characters")
        violations.raise_if_any("REASON_REQUIRED" if request.force and not reason else "INVALID_ARGUMENT")

        key = self.request_keys.key(request)
        return await setup.close_round(self.app, caller, contest_id, round_id, request.force, reason, key)

    # --- entries ----------------------------------------------------------------------------

    async def CreateEntry(self, request: pb.CreateEntryRequest, context: aio.ServicerContext) -> pb.Entry:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        rules.check_id(request.entry_id, "entry_id", violations)
        fields = codec.entry_fields(request.entry, violations)
        rules.validate_entry(fields, violations)
        violations.raise_if_any()
        entry_id = request.entry_id or rules.generate_id("e")
        key = self.request_keys.key(request)
        return await setup.create_entry(
            self.app, caller, contest_id, entry_id, fields, key, validate_only=request.validate_only
        )

    async def BatchCreateEntries(
        self, request: pb.BatchCreateEntriesRequest, context: aio.ServicerContext
    ) -> pb.BatchCreateEntriesResponse:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        violations.check(1 <= len(request.requests) <= MAX_BATCH, "requests", f"send between 1 and {MAX_BATCH} entries")
        items: list[tuple[str, EntryFields]] = []
        first_row: dict[str, int] = {}
        for i, row in enumerate(request.requests):
            path = f"requests[{i}]"
            violations.check(
                row.parent in ("", request.parent), f"{path}.parent", "must be empty or the batch's parent"
            )
            violations.check(not row.validate_only, f"{path}.validate_only", "is set on the batch, not per entry")
            rules.check_id(row.entry_id, f"{path}.entry_id", violations)
            if row.entry_id in first_row:
                violations.add(f"{path}.entry_id", f"duplicates requests[{first_row[row.entry_id]}].entry_id")
            elif row.entry_id:
                first_row[row.entry_id] = i
            fields = codec.entry_fields(row.entry, violations, f"{path}.entry")
            rules.validate_entry(fields, violations, f"{path}.entry")
            items.append((row.entry_id or rules.generate_id("e"), fields))
        violations.raise_if_any()

        key = self.request_keys.key(request)
        return await setup.batch_create_entries(
            self.app, caller, contest_id, items, key, validate_only=request.validate_only
        )

    async def GetEntry(self, request: pb.GetEntryRequest, context: aio.ServicerContext) -> pb.Entry:
        require_role(*READERS)
        contest_id, entry_id = _parsed(request.name, "entry")
        return codec.entry_to_proto(await entry_store.get(self.pool, contest_id, entry_id))

    async def ListEntries(self, request: pb.ListEntriesRequest, context: aio.ServicerContext) -> pb.ListEntriesResponse:
        require_role(*READERS)
        limit = bounded_page_size(request.page_size, pages.ENTRIES_MAX)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        domain = codec.domain_from_proto(request.domain, "domain", violations, required=False)
        country = request.origin_country.strip().upper()
        violations.check(
            not country or bool(rules.COUNTRY_PATTERN.match(country)), "origin_country", "must be like CN or DE"
        )
        round_id = ""
        if request.round:
            round_contest, round_id = round_ref(request.round, "round", violations)
            violations.check(
                not round_contest or round_contest == contest_id, "round", "must be a round of the parent contest"
            )
        check_text(request.title_contains, "title_contains", violations, limit=rules.MAX_NAME)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        await contest_store.get(self.pool, contest_id)
        ids = None
        if round_id:
            ids = await round_store.entry_ids(self.pool, await round_store.get(self.pool, contest_id, round_id))
        query = entry_store.EntryFilter(
            domain=domain.value if domain else None,
            origin_country=country or None,
            ids=ids,
            title_contains=request.title_contains.strip() or None,
        )
        page, last = await entry_store.list_page(self.pool, contest_id, query, after, limit)
        return pb.ListEntriesResponse(
            entries=[codec.entry_to_proto(e) for e in page],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    async def UpdateEntry(self, request: pb.UpdateEntryRequest, context: aio.ServicerContext) -> pb.Entry:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, entry_id = entry_ref(request.entry.name, "entry.name", violations)
        paths = mask_paths(request.update_mask, ENTRY_UPDATABLE, request.entry.etag, "entry", violations)
        decoded = ViolationCollector()
        incoming = codec.entry_fields(request.entry, decoded)
        keep_masked(decoded, violations, "entry", paths)
        violations.raise_if_any()
        columns: set[str] = set()
        for path in paths:
            if path == "team":
                columns |= {"leader", "members", "organisations"}
            else:
                columns.add(path.removeprefix("team."))

        return await setup.update_entry(
            self.app, caller, contest_id, entry_id, request.entry.etag, paths, columns, incoming
        )

    # --- judges -----------------------------------------------------------------------------

    async def CreateJudge(self, request: pb.CreateJudgeRequest, context: aio.ServicerContext) -> pb.Judge:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        rules.check_id(request.judge_id, "judge_id", violations)
        fields = codec.judge_fields(request.judge, violations)
        rules.validate_judge(fields, violations)
        violations.raise_if_any()
        judge_id = request.judge_id or rules.generate_id("j")
        key = self.request_keys.key(request)
        return await setup.create_judge(self.app, caller, judge_id, fields, key, validate_only=request.validate_only)

    async def GetJudge(self, request: pb.GetJudgeRequest, context: aio.ServicerContext) -> pb.Judge:
        require_role(*READERS)
        violations = ViolationCollector()
        judge_id = judge_ref(request.name, "name", violations)
        violations.raise_if_any()
        return codec.judge_to_proto(await judge_store.get(self.pool, judge_id))

    async def ListJudges(self, request: pb.ListJudgesRequest, context: aio.ServicerContext) -> pb.ListJudgesResponse:
        require_role(*READERS)
        limit = bounded_page_size(request.page_size, pages.JUDGES_MAX)
        violations = ViolationCollector()
        domain = codec.domain_from_proto(request.domain, "domain", violations, required=False)
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        page, last = await judge_store.list_page(
            self.pool, domain.value if domain else None, str(after[0]) if after else None, limit
        )
        return pb.ListJudgesResponse(
            judges=[codec.judge_to_proto(j) for j in page],
            next_page_token=self.tokens.encode([last], request) if last else "",
        )

    async def UpdateJudge(self, request: pb.UpdateJudgeRequest, context: aio.ServicerContext) -> pb.Judge:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        judge_id = judge_ref(request.judge.name, "judge.name", violations)
        paths = mask_paths(request.update_mask, JUDGE_UPDATABLE, request.judge.etag, "judge", violations)
        decoded = ViolationCollector()
        incoming = codec.judge_fields(request.judge, decoded)
        keep_masked(decoded, violations, "judge", paths)
        violations.raise_if_any()

        return await setup.update_judge(self.app, caller, judge_id, request.judge.etag, paths, incoming)
