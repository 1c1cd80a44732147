"""Group commit: the rows of concurrent writes stored by one statement.

Under load most of what one INSERT costs is per statement, not per row: a round trip through the
driver and the event loop, and in PostgreSQL a transaction and its commit. So a command whose whole
write is one statement hands that statement's row to a :class:`GroupWriter` (talent's creates, the
competition's first score sheets). While the group's statement is in flight, the rows that arrive
wait, and go together in the next one; a row that arrives when nothing is in flight goes at once,
alone. Nothing waits for a timer, so a lone call is not slowed.

A row the group did not write is reported as such, and its caller goes on as it would without a
group (a create writes its row alone; a sheet reads, decides and writes). The group's statement
leaves a row out when the row's request key was taken, and writes nothing at all when PostgreSQL
refused the statement because of one of its rows (a duplicate, a constraint): then every row goes
alone, and each refusal is answered, for the row that caused it, by the statement that would have
answered it without the group. Any other failure (the database unreachable, a timeout) is every
waiting caller's failure, as it would have been theirs.

Use from one event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Generic, TypeVar

import asyncpg
from prometheus_client.core import CounterMetricFamily, Metric

Row = TypeVar("Row")

# Rows per statement at most: enough to drain the waiting rows of a busy moment in one statement,
# few enough that one statement stays short.
MAX_ROWS = 64

# What PostgreSQL refuses a group's statement for because of a row in it (a duplicate, a
# constraint, a value), and a deadlock with another group (two replicas' groups taking the same
# rows in opposite order): the statement writes nothing, and each row's caller goes alone.
REFUSED_FOR_A_ROW = (
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
    asyncpg.TransactionRollbackError,
)

WriteRows = Callable[[Sequence[Row]], Awaitable[Collection[int]]]


class GroupWriter(Generic[Row]):
    """``write_rows(rows)`` writes ``rows`` in one statement and answers the positions of those it
    wrote; it raises only for failures that are every row's (see the module's docstring)."""

    def __init__(self, write_rows: WriteRows[Row], *, max_rows: int = MAX_ROWS) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self._write_rows = write_rows
        self._max_rows = max_rows
        self._waiting: list[tuple[Row, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.statements = 0
        self.rows = 0

    def families(self, prefix: str, rows_are: str) -> list[Metric]:
        """Its counters for the metrics endpoint: ``rows ÷ statements`` is the mean group."""
        return [
            CounterMetricFamily(
                f"{prefix}_group_statements",
                f"Statements that wrote the rows of concurrent {rows_are} together (group commit).",
                value=self.statements,
            ),
            CounterMetricFamily(
                f"{prefix}_group_rows", f"Rows of {rows_are} handed to those statements.", value=self.rows
            ),
        ]

    async def write(self, row: Row) -> bool:
        """True when ``row`` was written (and committed) with the group; False when its caller must
        write it alone. A caller that is cancelled stops waiting; its row may still be written, as
        a single statement cancelled in flight may still commit."""
        loop = asyncio.get_running_loop()
        written: asyncio.Future[bool] = loop.create_future()
        self._waiting.append((row, written))
        if self._flusher is None:
            # A task of its own, not the caller's: a cancelled caller must not cancel the statement
            # that carries the others' rows.
            self._flusher = loop.create_task(self._flush())
        return await written

    async def _flush(self) -> None:
        try:
            while self._waiting:
                taken = self._waiting[: self._max_rows]
                del self._waiting[: self._max_rows]
                group = [(row, written) for row, written in taken if not written.done()]
                if group:
                    await self._write(group)
        except BaseException:
            for _, written in self._waiting:
                written.cancel()
            self._waiting.clear()
            raise
        finally:
            self._flusher = None

    async def _write(self, group: list[tuple[Row, asyncio.Future[bool]]]) -> None:
        try:
            positions = await self._write_rows([row for row, _ in group])
        except asyncio.CancelledError:
            for _, written in group:
                written.cancel()
            raise
        except BaseException as error:
            for _, written in group:
                if not written.done():
                    written.set_exception(error)
            if not isinstance(error, Exception):
                raise  # the loop is going down (SystemExit, KeyboardInterrupt): so is the flusher
            return
        self.statements += 1
        self.rows += len(group)
        for position, (_, written) in enumerate(group):
            if not written.done():
                written.set_result(position in positions)
