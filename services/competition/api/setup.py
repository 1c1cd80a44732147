"""Set-up RPCs (competition.admin writes; every role reads): contests, rounds and their opening and
closing, entries (one by one or in all-or-nothing batches) and judges."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller, require_role
from services.common.errors import ViolationCollector, failed_precondition
from services.common.idempotency import run_once
from services.common.pagination import page_size
from services.common.text import check_text
from services.competition.api import codec
from services.competition.api.base import ADMIN, READERS, ServicerBase
from services.competition.api.names import (
    check_etag,
    contest_ref,
    entry_ref,
    judge_ref,
    keep_masked,
    mask_paths,
    round_ref,
)
from services.competition.domain import setup as rules
from services.competition.domain.judging import affiliation_conflicts
from services.competition.domain.models import ContestFields, Entry, EntryFields, Judge, JudgeFields, RoundFields
from services.competition.domain.stages import (
    ASSIGNABLE_STATES,
    RoundState,
    check_round_transition,
    ensure_criteria_editable,
    ensure_round_writable,
)
from services.competition.store import assignments as assignment_store
from services.competition.store import audit
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store

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


async def check_panel_exists(connection: asyncpg.Connection, judge_ids: tuple[str, ...], path: str) -> None:
    """INVALID_ARGUMENT with a violation per judge of the panel that does not exist (one query)."""
    if not judge_ids:
        return
    violations = ViolationCollector()
    known = await judge_store.get_many(connection, judge_ids)
    rules.check_panel_known(judge_ids, known.keys(), path, violations)
    violations.raise_if_any()


async def audit_withdrawn(
    connection: asyncpg.Connection,
    caller: Caller,
    contest_id: str,
    withdrawn: Sequence[assignment_store.Withdrawn],
    cause: str,
) -> None:
    """Record withdrawn assignments (nothing when there are none)."""
    if withdrawn:
        await audit.append(
            connection,
            caller.subject,
            "assignments.withdrawn",
            {
                "contest": contest_id,
                "cause": cause,
                "assignments": [
                    {"round": w.round_id, "judge": w.judge_id, "entry": w.entry_id, "had_sheet": w.had_sheet}
                    for w in withdrawn
                ],
            },
        )


async def withdraw_conflicted(
    connection: asyncpg.Connection, caller: Caller, contest_id: str, pairs: list[tuple[str, str]], cause: str
) -> int:
    """Withdraw the open assignments of newly conflicted (judge, entry) pairs, audited."""
    withdrawn = await assignment_store.withdraw(connection, contest_id, pairs)
    await audit_withdrawn(connection, caller, contest_id, withdrawn, cause)
    return len(withdrawn)


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

        async def create(connection: asyncpg.Connection) -> pb.Contest:
            await check_panel_exists(connection, fields.judge_ids, "contest.judges")
            contest = await contest_store.insert(connection, contest_id, fields)
            await audit.append(
                connection,
                caller.subject,
                "contest.created",
                {"contest": contest_id, "year": fields.year, "judges": list(fields.judge_ids)},
            )
            return codec.contest_to_proto(contest)

        return await run_once(self.pool, self.request_keys.key(request), pb.Contest, create)

    async def GetContest(self, request: pb.GetContestRequest, context: aio.ServicerContext) -> pb.Contest:
        require_role(*READERS)
        return codec.contest_to_proto(await contest_store.get(self.pool, _contest_id(request.name)))

    async def ListContests(
        self, request: pb.ListContestsRequest, context: aio.ServicerContext
    ) -> pb.ListContestsResponse:
        require_role(*READERS)
        limit = page_size(request.page_size)
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

        async with self.pool.acquire() as connection, connection.transaction():
            if "judges" in paths:
                # First: a judge leaving the panel must not be assigned concurrently.
                await assignment_store.lock_contest_assignments(connection, contest_id)
            current = await contest_store.get(connection, contest_id, for_update=True)
            check_etag(request.contest.etag, codec.etag(current.id, current.version), "contest")
            base = ContestFields.model_validate(current.model_dump(include=set(ContestFields.model_fields)))
            fields = [CONTEST_FIELD.get(p, p) for p in paths]
            merged = base.model_copy(update={f: getattr(incoming, f) for f in fields})
            rules.validate_contest(merged, violations)
            violations.raise_if_any()
            payload: dict[str, object] = {"contest": contest_id, "fields": sorted(paths)}
            if "judges" in paths:
                await check_panel_exists(connection, merged.judge_ids, "contest.judges")
                payload["judges"] = list(merged.judge_ids)
            updated = await contest_store.update(connection, contest_id, merged)
            withdrawn: list[assignment_store.Withdrawn] = []
            if "judges" in paths and merged.judge_ids:
                # Judges no longer on the panel lose their assignments (and current sheets) in the
                # rounds still being judged; an empty panel means every judge, so nobody left it.
                await assignment_store.lock_open_rounds(connection, contest_id)
                withdrawn = await assignment_store.withdraw_off_panel(
                    connection, contest_id, merged.judge_ids, ASSIGNABLE_STATES
                )
            await audit_withdrawn(connection, caller, contest_id, withdrawn, "judges removed from the panel")
            await audit.append(connection, caller.subject, "contest.updated", payload)
        return codec.contest_to_proto(updated)

    # --- rounds -----------------------------------------------------------------------------

    async def CreateRound(self, request: pb.CreateRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id = contest_ref(request.parent, "parent", violations)
        rules.check_id(request.round_id, "round_id", violations)
        fields = codec.round_fields(request.round, violations)
        # Sequence 0 means "after the last round", filled in below.
        rules.validate_round(fields.model_copy(update={"sequence": fields.sequence or 1}), violations)
        violations.raise_if_any()
        round_id = request.round_id or rules.generate_id("r")

        async def create(connection: asyncpg.Connection) -> pb.Round:
            # Locking the contest serialises round creation, so "next sequence" is never taken twice.
            await contest_store.get(connection, contest_id, for_update=True)
            sequence = fields.sequence or await round_store.next_sequence(connection, contest_id)
            ordering = ViolationCollector()
            started = await round_store.highest_started_sequence(connection, contest_id)
            rules.check_sequence_after_started(sequence, started, ordering)
            ordering.raise_if_any(rules.SEQUENCE_BEFORE_STARTED_ROUND)
            created = await round_store.insert(
                connection, contest_id, round_id, fields.model_copy(update={"sequence": sequence})
            )
            await audit.append(
                connection,
                caller.subject,
                "round.created",
                {"contest": contest_id, "round": round_id, "sequence": sequence, "kind": fields.kind.value},
            )
            return codec.round_to_proto(created)

        return await run_once(self.pool, self.request_keys.key(request), pb.Round, create)

    async def GetRound(self, request: pb.GetRoundRequest, context: aio.ServicerContext) -> pb.Round:
        require_role(*READERS)
        contest_id, round_id = _parsed(request.name, "round")
        return codec.round_to_proto(await round_store.get(self.pool, contest_id, round_id))

    async def ListRounds(self, request: pb.ListRoundsRequest, context: aio.ServicerContext) -> pb.ListRoundsResponse:
        require_role(*READERS)
        limit = page_size(request.page_size)
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

        async with self.pool.acquire() as connection, connection.transaction():
            current = await round_store.get(connection, contest_id, round_id, lock="FOR UPDATE")
            check_etag(request.round.etag, codec.etag(current.id, current.version), "round")
            ensure_round_writable(current.state)
            if "criteria" in paths:
                ensure_criteria_editable(current.state)
            base = RoundFields.model_validate(current.model_dump(include=set(RoundFields.model_fields)))
            merged = base.model_copy(update={p: getattr(incoming, p) for p in paths})
            rules.validate_round(merged, violations)
            violations.raise_if_any()
            updated = await round_store.update(connection, current, merged)
            await audit.append(
                connection,
                caller.subject,
                "round.updated",
                {"contest": contest_id, "round": round_id, "fields": sorted(paths)},
            )
        return codec.round_to_proto(updated)

    async def OpenRound(self, request: pb.OpenRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        contest_id, round_id = _parsed(request.name, "round")

        async def open_round(connection: asyncpg.Connection) -> pb.Round:
            # The contest FOR SHARE: CreateRound (FOR UPDATE) cannot slip a round in before this one
            # between the check of the previous round and the commit.
            await contest_store.get(connection, contest_id, for_share=True)
            current = await round_store.get(connection, contest_id, round_id, lock="FOR UPDATE")
            ensure_round_writable(current.state)
            check_round_transition(current.state, RoundState.OPEN)
            rules.ensure_previous_finalized(contest_id, await round_store.previous(connection, current), "opened")
            opened = await round_store.set_state(connection, current, RoundState.OPEN)
            await audit.append(connection, caller.subject, "round.opened", {"contest": contest_id, "round": round_id})
            return codec.round_to_proto(opened)

        return await run_once(self.pool, self.request_keys.key(request), pb.Round, open_round)

    async def CloseRound(self, request: pb.CloseRoundRequest, context: aio.ServicerContext) -> pb.Round:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.name, "name", violations)
        reason = request.reason.strip()
        if request.force and not reason:
            violations.add("reason", "a forced close needs a reason, which is recorded")
        violations.check(len(reason) <= rules.MAX_REASON, "reason", f"must be at most {rules.MAX_REASON} characters")
        violations.raise_if_any("REASON_REQUIRED" if request.force and not reason else "INVALID_ARGUMENT")

        async def close(connection: asyncpg.Connection) -> pb.Round:
            current = await round_store.get(connection, contest_id, round_id, lock="FOR UPDATE")
            ensure_round_writable(current.state)
            check_round_transition(current.state, RoundState.CLOSED)
            rules.ensure_previous_finalized(contest_id, await round_store.previous(connection, current), "closed")
            missing = await sheet_store.missing_count(connection, contest_id, round_id)
            if missing and not request.force:
                raise failed_precondition(
                    "SHEETS_MISSING",
                    f"{missing} score sheets are missing; close with force and a reason to close anyway",
                    {"missing": str(missing)},
                )
            closed = await round_store.set_state(
                connection, current, RoundState.CLOSED, force_close_reason=reason if request.force else None
            )
            await audit.append(
                connection,
                caller.subject,
                "round.closed",
                {
                    "contest": contest_id,
                    "round": round_id,
                    "forced": request.force,
                    "reason": reason,
                    "missing_sheets": missing,
                },
            )
            return codec.round_to_proto(closed)

        return await run_once(self.pool, self.request_keys.key(request), pb.Round, close)

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

        async def create(connection: asyncpg.Connection) -> pb.Entry:
            await contest_store.get(connection, contest_id)
            [entry] = await entry_store.insert_many(connection, contest_id, [(entry_id, fields)])
            await audit.append(
                connection, caller.subject, "entries.created", {"contest": contest_id, "entries": [entry_id]}
            )
            return codec.entry_to_proto(entry)

        return await run_once(self.pool, self.request_keys.key(request), pb.Entry, create)

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
            rules.check_id(row.entry_id, f"{path}.entry_id", violations)
            if row.entry_id in first_row:
                violations.add(f"{path}.entry_id", f"duplicates requests[{first_row[row.entry_id]}].entry_id")
            elif row.entry_id:
                first_row[row.entry_id] = i
            fields = codec.entry_fields(row.entry, violations, f"{path}.entry")
            rules.validate_entry(fields, violations, f"{path}.entry")
            items.append((row.entry_id or rules.generate_id("e"), fields))
        violations.raise_if_any()

        async def create(connection: asyncpg.Connection) -> pb.BatchCreateEntriesResponse:
            await contest_store.get(connection, contest_id)
            created = await entry_store.insert_many(connection, contest_id, items)
            await audit.append(
                connection,
                caller.subject,
                "entries.created",
                {"contest": contest_id, "entries": [entry_id for entry_id, _ in items]},
            )
            return pb.BatchCreateEntriesResponse(entries=[codec.entry_to_proto(e) for e in created])

        return await run_once(self.pool, self.request_keys.key(request), pb.BatchCreateEntriesResponse, create)

    async def GetEntry(self, request: pb.GetEntryRequest, context: aio.ServicerContext) -> pb.Entry:
        require_role(*READERS)
        contest_id, entry_id = _parsed(request.name, "entry")
        return codec.entry_to_proto(await entry_store.get(self.pool, contest_id, entry_id))

    async def ListEntries(self, request: pb.ListEntriesRequest, context: aio.ServicerContext) -> pb.ListEntriesResponse:
        require_role(*READERS)
        limit = page_size(request.page_size)
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

        async with self.pool.acquire() as connection, connection.transaction():
            if "organisations" in columns:
                # First: new organisations may conflict with assignments being created concurrently.
                await assignment_store.lock_contest_assignments(connection, contest_id)
            current = await entry_store.get(connection, contest_id, entry_id, for_update=True)
            check_etag(request.entry.etag, codec.etag(current.id, current.version), "entry")
            base = EntryFields.model_validate(current.model_dump(include=set(EntryFields.model_fields)))
            merged = base.model_copy(update={c: getattr(incoming, c) for c in columns})
            rules.validate_entry(merged, violations)
            violations.raise_if_any()
            updated = await entry_store.update(connection, current, merged)
            if "organisations" in columns:
                await self._withdraw_for_entry(connection, caller, updated)
            await audit.append(
                connection,
                caller.subject,
                "entry.updated",
                {"contest": contest_id, "entry": entry_id, "fields": sorted(paths)},
            )
        return codec.entry_to_proto(updated)

    async def _withdraw_for_entry(self, connection: asyncpg.Connection, caller: Caller, entry: Entry) -> None:
        judges = await judge_store.all_judges(connection)
        pairs = sorted(affiliation_conflicts(judges, [entry]))
        if pairs:
            await assignment_store.lock_open_rounds(connection, entry.contest_id)
            await withdraw_conflicted(connection, caller, entry.contest_id, pairs, "entry organisations changed")

    # --- judges -----------------------------------------------------------------------------

    async def CreateJudge(self, request: pb.CreateJudgeRequest, context: aio.ServicerContext) -> pb.Judge:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        rules.check_id(request.judge_id, "judge_id", violations)
        fields = codec.judge_fields(request.judge, violations)
        rules.validate_judge(fields, violations)
        violations.raise_if_any()
        judge_id = request.judge_id or rules.generate_id("j")

        async def create(connection: asyncpg.Connection) -> pb.Judge:
            judge = await judge_store.insert(connection, judge_id, fields)
            await audit.append(connection, caller.subject, "judge.created", {"judge": judge_id})
            return codec.judge_to_proto(judge)

        return await run_once(self.pool, self.request_keys.key(request), pb.Judge, create)

    async def GetJudge(self, request: pb.GetJudgeRequest, context: aio.ServicerContext) -> pb.Judge:
        require_role(*READERS)
        violations = ViolationCollector()
        judge_id = judge_ref(request.name, "name", violations)
        violations.raise_if_any()
        return codec.judge_to_proto(await judge_store.get(self.pool, judge_id))

    async def ListJudges(self, request: pb.ListJudgesRequest, context: aio.ServicerContext) -> pb.ListJudgesResponse:
        require_role(*READERS)
        limit = page_size(request.page_size)
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

        async with self.pool.acquire() as connection, connection.transaction():
            if "affiliations" in paths:
                # First: new affiliations may conflict with assignments being created in any contest.
                await assignment_store.lock_all_contest_assignments(connection)
            current = await judge_store.get(connection, judge_id, for_update=True)
            check_etag(request.judge.etag, codec.etag(current.id, current.version), "judge")
            base = JudgeFields.model_validate(current.model_dump(include=set(JudgeFields.model_fields)))
            merged = base.model_copy(update={p: getattr(incoming, p) for p in paths})
            rules.validate_judge(merged, violations)
            violations.raise_if_any()
            updated = await judge_store.update(connection, judge_id, merged)
            if "affiliations" in paths:
                await self._withdraw_for_judge(connection, caller, updated)
            await audit.append(
                connection, caller.subject, "judge.updated", {"judge": judge_id, "fields": sorted(paths)}
            )
        return codec.judge_to_proto(updated)

    async def _withdraw_for_judge(self, connection: asyncpg.Connection, caller: Caller, judge: Judge) -> None:
        """A new affiliation may conflict with entries the judge is already assigned to. Every round
        lock and every withdrawal (assignment row locks) come before the first audit append (which
        takes the audit lock), the order every writer follows, so two never wait on each other in a
        cycle."""
        by_contest: dict[str, list[str]] = {}
        for contest_id, entry_id in await assignment_store.open_entries_of_judge(connection, judge.id):
            by_contest.setdefault(contest_id, []).append(entry_id)
        conflicted: dict[str, list[tuple[str, str]]] = {}
        for contest_id, entry_ids in sorted(by_contest.items()):
            entries = await entry_store.get_many(connection, contest_id, entry_ids)
            pairs = sorted(affiliation_conflicts([judge], entries.values()))
            if pairs:
                await assignment_store.lock_open_rounds(connection, contest_id)
                conflicted[contest_id] = pairs
        # Every withdrawal (which locks assignment rows) before the first audit append (which takes
        # the audit lock): a sheet submitted meanwhile holds its assignment row and then waits for the
        # audit lock, so locking another contest's rows while holding the audit lock would deadlock.
        withdrawn = {
            contest_id: await assignment_store.withdraw(connection, contest_id, pairs)
            for contest_id, pairs in conflicted.items()
        }
        for contest_id, rows in withdrawn.items():
            await audit_withdrawn(connection, caller, contest_id, rows, "judge affiliations changed")
