"""A small builder for WHERE clauses with numbered asyncpg parameters, and the parameter of an id."""

from __future__ import annotations

import re
import uuid
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy


class Where:
    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def param(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, template: str, *values: Any) -> None:
        """``template`` uses ``{}`` for each value, e.g. ``add("year = {}", 2024)``."""
        self.conditions.append(template.format(*(self.param(v) for v in values)))

    def sql(self) -> str:
        return " AND ".join(self.conditions) if self.conditions else "true"


# A uuid as this service writes it in resource names: lowercase, with dashes.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuid_param(text: str) -> str | uuid.UUID | None:
    """A uuid id from a request as a statement parameter; None when it is no uuid (so no row has it).

    The canonical form goes as it is (asyncpg's codec parses text in C); any other form Python's
    uuid accepts (uppercase, braces, no dashes) is parsed. Under load ``uuid.UUID(text)`` cost a
    GetCandidate about 5 µs of CPU, as much as the rest of its servicer."""
    if _CANONICAL_UUID.fullmatch(text):
        return text
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# What store functions run their SQL on. A connection from ``pool.acquire()`` is a proxy of one;
# both are accepted wherever a connection is.
Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
Executor: TypeAlias = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool
