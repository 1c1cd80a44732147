"""What every use case gets: the pool and settings, and the unit of work wired to the audit log."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from google.protobuf.message import Message

from services.common import uow
from services.common.group_commit import GroupWriter
from services.common.idempotency import RequestKey
from services.competition.domain.models import CriterionSpec
from services.competition.settings import CompetitionSettings
from services.competition.store import sheets as sheet_store
from services.competition.store.audit import AuditLog

ResponseT = TypeVar("ResponseT", bound=Message)

AUDIT = AuditLog()


@dataclass
class OpenRound:
    version: int
    criteria: tuple[CriterionSpec, ...]
    # (entry, judge) pairs this replica saw scored: a correction of theirs goes the long way at once.
    scored: set[tuple[str, str]] = field(default_factory=set)


class OpenRounds:
    """Rounds this replica last read OPEN, with their version and criteria: a hint, never an answer.
    A write that relies on one re-checks the version in its own guard, so a round closed or changed
    by any replica only costs the write its shortcut. Bounded: the least recently seen rounds go
    first, and a round remembers at most ``SCORED_LIMIT`` scored pairs."""

    LIMIT = 256
    SCORED_LIMIT = 50_000

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[str, str], OpenRound] = OrderedDict()

    def shortcut(self, contest_id: str, round_id: str, entry_id: str, judge_id: str) -> OpenRound | None:
        """The round as last seen OPEN, unless the pair is known to be scored already."""
        seen = self._seen.get((contest_id, round_id))
        if seen is None or (entry_id, judge_id) in seen.scored:
            return None
        return seen

    def saw_open(self, contest_id: str, round_id: str, version: int, criteria: tuple[CriterionSpec, ...]) -> None:
        key = (contest_id, round_id)
        seen = self._seen.get(key)
        if seen is None:
            self._seen[key] = OpenRound(version, criteria)
        else:
            seen.version, seen.criteria = version, criteria
            self._seen.move_to_end(key)
        while len(self._seen) > self.LIMIT:
            self._seen.popitem(last=False)

    def saw_scored(self, contest_id: str, round_id: str, entry_id: str, judge_id: str) -> None:
        seen = self._seen.get((contest_id, round_id))
        if seen is not None and len(seen.scored) < self.SCORED_LIMIT:
            seen.scored.add((entry_id, judge_id))

    def forget(self, contest_id: str, round_id: str) -> None:
        self._seen.pop((contest_id, round_id), None)


SheetWrites = GroupWriter[sheet_store.NewSheet]


@dataclass(frozen=True)
class App:
    pool: asyncpg.Pool
    settings: CompetitionSettings
    open_rounds: OpenRounds = field(default_factory=OpenRounds)
    # Where first sheets write: concurrent judges' sheets share a statement (group commit).
    sheet_writes: SheetWrites = field(init=False)

    def __post_init__(self) -> None:
        writes = GroupWriter(functools.partial(sheet_store.write_new_many, self.pool))
        object.__setattr__(self, "sheet_writes", writes)  # frozen: set once, here


async def run(
    app: App,
    key: RequestKey | None,
    response_type: type[ResponseT],
    work: Callable[[uow.UnitOfWork], Awaitable[ResponseT]],
) -> ResponseT:
    """One command in one unit of work, audited into the competition's audit log."""
    return await uow.run(app.pool, key, response_type, work, audit=AUDIT)
