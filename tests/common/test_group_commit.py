"""GroupWriter (services.common.group_commit) on its own: what goes in which statement, and who
gets which answer. The statement is a function the test controls; the talent tests run the real
one against PostgreSQL (tests/talent/test_group_commit.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

import pytest

from services.common.group_commit import GroupWriter


class Statements:
    """Records each group it is handed; a statement waits for ``let_go`` while ``hold`` is set."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.hold = False
        self.let_go = asyncio.Event()
        self.started = asyncio.Event()
        self.fail_with: Exception | None = None
        self.leave_out: set[str] = set()

    async def write(self, rows: Sequence[str]) -> Collection[int]:
        self.groups.append(list(rows))
        self.started.set()
        if self.hold:
            await self.let_go.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return {i for i, row in enumerate(rows) if row not in self.leave_out}


async def queued_behind_a_held_statement(
    statements: Statements, writer: GroupWriter[str], queued: list[str]
) -> tuple[asyncio.Task[bool], list[asyncio.Task[bool]]]:
    statements.hold = True
    first = asyncio.create_task(writer.write("first"))
    await statements.started.wait()
    calls = [asyncio.create_task(writer.write(row)) for row in queued]
    await asyncio.sleep(0)  # every call has queued its row
    return first, calls


async def test_a_lone_row_goes_at_once() -> None:
    statements = Statements()
    writer = GroupWriter(statements.write)
    assert await writer.write("a") is True
    assert statements.groups == [["a"]]
    assert (writer.statements, writer.rows) == (1, 1)


async def test_rows_that_arrive_during_a_statement_go_together_at_most_max_rows_at_a_time() -> None:
    statements = Statements()
    writer = GroupWriter(statements.write, max_rows=3)
    first, calls = await queued_behind_a_held_statement(statements, writer, ["b", "c", "d", "e"])
    statements.let_go.set()
    assert await first is True
    assert await asyncio.gather(*calls) == [True] * 4
    assert statements.groups == [["first"], ["b", "c", "d"], ["e"]]
    assert (writer.statements, writer.rows) == (3, 5)


async def test_a_row_left_out_is_its_callers_to_write_alone() -> None:
    statements = Statements()
    statements.leave_out = {"c"}
    writer = GroupWriter(statements.write)
    first, calls = await queued_behind_a_held_statement(statements, writer, ["b", "c", "d"])
    statements.let_go.set()
    await first
    assert await asyncio.gather(*calls) == [True, False, True]


async def test_a_failed_statement_is_the_failure_of_its_rows_callers_only() -> None:
    statements = Statements()
    writer = GroupWriter(statements.write)
    first, calls = await queued_behind_a_held_statement(statements, writer, ["b", "c"])
    statements.fail_with = ConnectionResetError("the database went away")
    statements.let_go.set()
    for call in (first, *calls):
        with pytest.raises(ConnectionResetError):
            await call
    statements.fail_with = None
    assert await writer.write("d") is True  # the next statement is tried afresh
    assert statements.groups[-1] == ["d"]


async def test_a_caller_that_gives_up_stops_only_its_own_wait() -> None:
    statements = Statements()
    writer = GroupWriter(statements.write)
    first, (queued_and_gone, stays) = await queued_behind_a_held_statement(statements, writer, ["b", "c"])
    queued_and_gone.cancel()
    first.cancel()  # its row is in the statement in flight: the statement goes on for the others
    await asyncio.sleep(0)
    statements.let_go.set()
    assert await stays is True
    assert statements.groups == [["first"], ["c"]]  # "b" gave up before its statement began
    assert first.cancelled() and queued_and_gone.cancelled()


def test_max_rows_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GroupWriter(Statements().write, max_rows=0)
