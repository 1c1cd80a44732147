"""Set-up commands: contests, rounds (and their opening and closing), entries and judges.

The create commands take ``validate_only`` (AIP-163): every check runs — the rules, the names
already taken, the judges of a panel — inside a transaction that writes nothing, and the response
is the resource as it would be created (version 1, this moment's times)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller
from services.common.errors import ViolationCollector, already_exists, failed_precondition
from services.common.idempotency import RequestKey
from services.common.uow import UnitOfWork
from services.competition.api import codec
from services.competition.api.names import check_etag
from services.competition.app.context import App, run
from services.competition.app.locks import Lock
from services.competition.domain import setup as rules
from services.competition.domain.judging import affiliation_conflicts
from services.competition.domain.models import (
    Contest,
    ContestFields,
    Entry,
    EntryFields,
    Judge,
    JudgeFields,
    Round,
    RoundFields,
)
from services.competition.domain.stages import (
    ASSIGNABLE_STATES,
    RoundState,
    check_round_transition,
    ensure_criteria_editable,
    ensure_round_writable,
)
from services.competition.store import assignments as assignment_store
from services.competition.store import contests as contest_store
from services.competition.store import entries as entry_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store


def _now() -> datetime:
    return datetime.now(UTC)


async def check_panel_exists(uow: UnitOfWork, judge_ids: tuple[str, ...], path: str) -> None:
    """INVALID_ARGUMENT with a violation per judge of the panel that does not exist (one query)."""
    if not judge_ids:
        return
    violations = ViolationCollector()
    known = await judge_store.get_many(uow.connection, judge_ids)
    rules.check_panel_known(judge_ids, known.keys(), path, violations)
    violations.raise_if_any()


def audit_withdrawn(
    uow: UnitOfWork, caller: Caller, contest_id: str, withdrawn: Sequence[assignment_store.Withdrawn], cause: str
) -> None:
    """Record withdrawn assignments (nothing when there are none)."""
    if withdrawn:
        uow.audit(
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


# --- contests -------------------------------------------------------------------------------------


async def create_contest(
    app: App, caller: Caller, contest_id: str, fields: ContestFields, key: RequestKey | None, *, validate_only: bool
) -> pb.Contest:
    async def work(uow: UnitOfWork) -> pb.Contest:
        await check_panel_exists(uow, fields.judge_ids, "contest.judges")
        if validate_only:
            if await contest_store.exists(uow.connection, contest_id):
                raise contest_exists(contest_id)
            now = _now()
            preview = Contest(**fields.model_dump(), id=contest_id, version=1, create_time=now, update_time=now)
            return codec.contest_to_proto(preview)
        contest = await contest_store.insert(uow.connection, contest_id, fields)
        uow.audit(
            caller.subject,
            "contest.created",
            {"contest": contest_id, "year": fields.year, "judges": list(fields.judge_ids)},
        )
        return codec.contest_to_proto(contest)

    return await run(app, None if validate_only else key, pb.Contest, work)


def contest_exists(contest_id: str) -> Exception:
    name = f"contests/{contest_id}"
    return already_exists("CONTEST_EXISTS", f"{name} already exists", {"resource": name})


async def update_contest(
    app: App,
    caller: Caller,
    contest_id: str,
    etag: str,
    paths: set[str],
    incoming: ContestFields,
    field_of_path: dict[str, str],
) -> pb.Contest:
    async def work(uow: UnitOfWork) -> pb.Contest:
        if "judges" in paths:
            # A judge leaving the panel must not be assigned concurrently.
            await assignment_store.lock_contest_assignments(uow.at(Lock.ASSIGNMENT_WRITERS), contest_id)
        current = await contest_store.lock_for_change(uow.at(Lock.CONTEST), contest_id)
        check_etag(etag, codec.etag(current.id, current.version), "contest")
        base = ContestFields.model_validate(current.model_dump(include=set(ContestFields.model_fields)))
        names = [field_of_path.get(p, p) for p in paths]
        merged = base.model_copy(update={f: getattr(incoming, f) for f in names})
        violations = ViolationCollector()
        rules.validate_contest(merged, violations)
        violations.raise_if_any()
        payload: dict[str, object] = {"contest": contest_id, "fields": sorted(paths)}
        if "judges" in paths:
            await check_panel_exists(uow, merged.judge_ids, "contest.judges")
            payload["judges"] = list(merged.judge_ids)
        updated = await contest_store.update(uow.connection, contest_id, merged)
        if "judges" in paths and merged.judge_ids:
            # Judges no longer on the panel lose their assignments (and current sheets) in the
            # rounds still being judged; an empty panel means every judge, so nobody left it.
            await assignment_store.lock_open_rounds(uow.at(Lock.ROUNDS), contest_id)
            withdrawn = await assignment_store.withdraw_off_panel(
                uow.at(Lock.ASSIGNMENTS), contest_id, merged.judge_ids, ASSIGNABLE_STATES
            )
            audit_withdrawn(uow, caller, contest_id, withdrawn, "judges removed from the panel")
        uow.audit(caller.subject, "contest.updated", payload)
        return codec.contest_to_proto(updated)

    return await run(app, None, pb.Contest, work)


# --- rounds ---------------------------------------------------------------------------------------


async def create_round(
    app: App,
    caller: Caller,
    contest_id: str,
    round_id: str,
    fields: RoundFields,
    key: RequestKey | None,
    *,
    validate_only: bool,
) -> pb.Round:
    async def work(uow: UnitOfWork) -> pb.Round:
        # Locking the contest serialises round creation, so "next sequence" is never taken twice.
        await contest_store.lock_for_change(uow.at(Lock.CONTEST), contest_id)
        connection = uow.connection
        sequence = fields.sequence or await round_store.next_sequence(connection, contest_id)
        ordering = ViolationCollector()
        started = await round_store.highest_started_sequence(connection, contest_id)
        rules.check_sequence_after_started(sequence, started, ordering)
        ordering.raise_if_any(rules.SEQUENCE_BEFORE_STARTED_ROUND)
        placed = fields.model_copy(update={"sequence": sequence})
        if validate_only:
            await round_store.ensure_free(connection, contest_id, round_id, sequence)
            now = _now()
            preview = Round(
                **placed.model_dump(),
                contest_id=contest_id,
                id=round_id,
                state=RoundState.DRAFT,
                version=1,
                create_time=now,
                update_time=now,
            )
            return codec.round_to_proto(preview)
        created = await round_store.insert(connection, contest_id, round_id, placed, codec.ROUND_ENCODING)
        uow.audit(
            caller.subject,
            "round.created",
            {"contest": contest_id, "round": round_id, "sequence": sequence, "kind": fields.kind.value},
        )
        return codec.round_to_proto(created)

    return await run(app, None if validate_only else key, pb.Round, work)


async def update_round(
    app: App, caller: Caller, contest_id: str, round_id: str, etag: str, paths: set[str], incoming: RoundFields
) -> pb.Round:
    async def work(uow: UnitOfWork) -> pb.Round:
        current = await round_store.lock_for_state_change(uow.at(Lock.ROUNDS), contest_id, round_id)
        check_etag(etag, codec.etag(current.id, current.version), "round")
        ensure_round_writable(current.state)
        if "criteria" in paths:
            ensure_criteria_editable(current.state)
        base = RoundFields.model_validate(current.model_dump(include=set(RoundFields.model_fields)))
        merged = base.model_copy(update={p: getattr(incoming, p) for p in paths})
        violations = ViolationCollector()
        rules.validate_round(merged, violations)
        violations.raise_if_any()
        updated = await round_store.update(uow.connection, current, merged, codec.ROUND_ENCODING)
        uow.audit(caller.subject, "round.updated", {"contest": contest_id, "round": round_id, "fields": sorted(paths)})
        return codec.round_to_proto(updated)

    return await run(app, None, pb.Round, work)


async def open_round(app: App, caller: Caller, contest_id: str, round_id: str, key: RequestKey | None) -> pb.Round:
    async def work(uow: UnitOfWork) -> pb.Round:
        # The contest FOR SHARE: CreateRound (FOR UPDATE) cannot slip a round in before this one
        # between the check of the previous round and the commit.
        await contest_store.hold(uow.at(Lock.CONTEST), contest_id)
        current = await round_store.lock_for_state_change(uow.at(Lock.ROUNDS), contest_id, round_id)
        ensure_round_writable(current.state)
        check_round_transition(current.state, RoundState.OPEN)
        rules.ensure_previous_finalized(contest_id, await round_store.previous(uow.connection, current), "opened")
        opened = await round_store.set_state(uow.connection, current, RoundState.OPEN, codec.ROUND_ENCODING)
        uow.audit(caller.subject, "round.opened", {"contest": contest_id, "round": round_id})
        return codec.round_to_proto(opened)

    return await run(app, key, pb.Round, work)


async def close_round(
    app: App, caller: Caller, contest_id: str, round_id: str, force: bool, reason: str, key: RequestKey | None
) -> pb.Round:
    async def work(uow: UnitOfWork) -> pb.Round:
        # FOR UPDATE waits for the sheets being written (they hold the round FOR SHARE).
        current = await round_store.lock_for_state_change(uow.at(Lock.ROUNDS), contest_id, round_id)
        ensure_round_writable(current.state)
        check_round_transition(current.state, RoundState.CLOSED)
        connection = uow.connection
        rules.ensure_previous_finalized(contest_id, await round_store.previous(connection, current), "closed")
        missing = await sheet_store.missing_count(connection, contest_id, round_id)
        if missing and not force:
            raise failed_precondition(
                "SHEETS_MISSING",
                f"{missing} score sheets are missing; close with force and a reason to close anyway",
                {"missing": str(missing)},
            )
        closed = await round_store.set_state(
            connection, current, RoundState.CLOSED, codec.ROUND_ENCODING, force_close_reason=reason if force else None
        )
        uow.audit(
            caller.subject,
            "round.closed",
            {"contest": contest_id, "round": round_id, "forced": force, "reason": reason, "missing_sheets": missing},
        )
        return codec.round_to_proto(closed)

    return await run(app, key, pb.Round, work)


# --- entries --------------------------------------------------------------------------------------


async def _insert_entries(
    uow: UnitOfWork, caller: Caller, contest_id: str, items: list[tuple[str, EntryFields]], validate_only: bool
) -> list[Entry]:
    await contest_store.get(uow.connection, contest_id)
    if validate_only:
        await entry_store.ensure_free(uow.connection, contest_id, [entry_id for entry_id, _ in items])
        now = _now()
        return [
            Entry(
                **fields.model_dump(), contest_id=contest_id, id=entry_id, version=1, create_time=now, update_time=now
            )
            for entry_id, fields in items
        ]
    created = await entry_store.insert_many(uow.connection, contest_id, items)
    uow.audit(
        caller.subject, "entries.created", {"contest": contest_id, "entries": [entry_id for entry_id, _ in items]}
    )
    return created


async def create_entry(
    app: App,
    caller: Caller,
    contest_id: str,
    entry_id: str,
    fields: EntryFields,
    key: RequestKey | None,
    *,
    validate_only: bool,
) -> pb.Entry:
    async def work(uow: UnitOfWork) -> pb.Entry:
        [entry] = await _insert_entries(uow, caller, contest_id, [(entry_id, fields)], validate_only)
        return codec.entry_to_proto(entry)

    return await run(app, None if validate_only else key, pb.Entry, work)


async def batch_create_entries(
    app: App,
    caller: Caller,
    contest_id: str,
    items: list[tuple[str, EntryFields]],
    key: RequestKey | None,
    *,
    validate_only: bool,
) -> pb.BatchCreateEntriesResponse:
    async def work(uow: UnitOfWork) -> pb.BatchCreateEntriesResponse:
        created = await _insert_entries(uow, caller, contest_id, items, validate_only)
        return pb.BatchCreateEntriesResponse(entries=[codec.entry_to_proto(e) for e in created])

    return await run(app, None if validate_only else key, pb.BatchCreateEntriesResponse, work)


async def update_entry(
    app: App,
    caller: Caller,
    contest_id: str,
    entry_id: str,
    etag: str,
    paths: set[str],
    columns: set[str],
    incoming: EntryFields,
) -> pb.Entry:
    async def work(uow: UnitOfWork) -> pb.Entry:
        if "organisations" in columns:
            # New organisations may conflict with assignments being created concurrently.
            await assignment_store.lock_contest_assignments(uow.at(Lock.ASSIGNMENT_WRITERS), contest_id)
        current = await entry_store.lock_for_edit(uow.at(Lock.EDITED), contest_id, entry_id)
        check_etag(etag, codec.etag(current.id, current.version), "entry")
        base = EntryFields.model_validate(current.model_dump(include=set(EntryFields.model_fields)))
        merged = base.model_copy(update={c: getattr(incoming, c) for c in columns})
        violations = ViolationCollector()
        rules.validate_entry(merged, violations)
        violations.raise_if_any()
        updated = await entry_store.update(uow.connection, current, merged)
        if "organisations" in columns:
            judges = await judge_store.all_judges(uow.connection)
            pairs = sorted(affiliation_conflicts(judges, [updated]))
            if pairs:
                await assignment_store.lock_open_rounds(uow.at(Lock.ROUNDS), contest_id)
                withdrawn = await assignment_store.withdraw(uow.at(Lock.ASSIGNMENTS), contest_id, pairs)
                audit_withdrawn(uow, caller, contest_id, withdrawn, "entry organisations changed")
        uow.audit(caller.subject, "entry.updated", {"contest": contest_id, "entry": entry_id, "fields": sorted(paths)})
        return codec.entry_to_proto(updated)

    return await run(app, None, pb.Entry, work)


# --- judges ---------------------------------------------------------------------------------------


async def create_judge(
    app: App, caller: Caller, judge_id: str, fields: JudgeFields, key: RequestKey | None, *, validate_only: bool
) -> pb.Judge:
    async def work(uow: UnitOfWork) -> pb.Judge:
        if validate_only:
            if await judge_store.exists(uow.connection, judge_id):
                name = f"judges/{judge_id}"
                raise already_exists("JUDGE_EXISTS", f"{name} already exists", {"resource": name})
            preview = Judge(**fields.model_dump(), id=judge_id, version=1, create_time=_now())
            return codec.judge_to_proto(preview)
        judge = await judge_store.insert(uow.connection, judge_id, fields)
        uow.audit(caller.subject, "judge.created", {"judge": judge_id})
        return codec.judge_to_proto(judge)

    return await run(app, None if validate_only else key, pb.Judge, work)


async def update_judge(
    app: App, caller: Caller, judge_id: str, etag: str, paths: set[str], incoming: JudgeFields
) -> pb.Judge:
    async def work(uow: UnitOfWork) -> pb.Judge:
        if "affiliations" in paths:
            # New affiliations may conflict with assignments being created in any contest.
            await assignment_store.lock_all_contest_assignments(uow.at(Lock.ASSIGNMENT_WRITERS))
        current = await judge_store.lock_for_edit(uow.at(Lock.EDITED), judge_id)
        check_etag(etag, codec.etag(current.id, current.version), "judge")
        base = JudgeFields.model_validate(current.model_dump(include=set(JudgeFields.model_fields)))
        merged = base.model_copy(update={p: getattr(incoming, p) for p in paths})
        violations = ViolationCollector()
        rules.validate_judge(merged, violations)
        violations.raise_if_any()
        updated = await judge_store.update(uow.connection, judge_id, merged)
        if "affiliations" in paths:
            await _withdraw_for_judge(uow, caller, updated)
        uow.audit(caller.subject, "judge.updated", {"judge": judge_id, "fields": sorted(paths)})
        return codec.judge_to_proto(updated)

    return await run(app, None, pb.Judge, work)


async def _withdraw_for_judge(uow: UnitOfWork, caller: Caller, judge: Judge) -> None:
    """A new affiliation may conflict with entries the judge is already assigned to, in several
    contests: every contest's rounds are held (level ROUNDS) before the first withdrawal (level
    ASSIGNMENTS), in contest-id order, as the lock order requires."""
    by_contest: dict[str, list[str]] = {}
    for contest_id, entry_id in await assignment_store.open_entries_of_judge(uow.connection, judge.id):
        by_contest.setdefault(contest_id, []).append(entry_id)
    conflicted: dict[str, list[tuple[str, str]]] = {}
    for contest_id, entry_ids in sorted(by_contest.items()):
        entries = await entry_store.get_many(uow.connection, contest_id, entry_ids)
        pairs = sorted(affiliation_conflicts([judge], entries.values()))
        if pairs:
            await assignment_store.lock_open_rounds(uow.at(Lock.ROUNDS), contest_id)
            conflicted[contest_id] = pairs
    for contest_id, pairs in conflicted.items():
        withdrawn = await assignment_store.withdraw(uow.at(Lock.ASSIGNMENTS), contest_id, pairs)
        audit_withdrawn(uow, caller, contest_id, withdrawn, "judge affiliations changed")
