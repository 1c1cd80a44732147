"""A small builder for WHERE clauses with numbered asyncpg parameters."""

from __future__ import annotations

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


# What store functions run their SQL on. A connection from ``pool.acquire()`` is a proxy of one;
# both are accepted wherever a connection is.
Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
Executor: TypeAlias = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool
