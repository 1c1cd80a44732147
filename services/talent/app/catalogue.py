"""Programmes and target progress (reads)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from services.talent.domain import targets as rules
from services.talent.domain.models import Programme, Stage
from services.talent.domain.targets import TargetProgress
from services.talent.store import catalogue as store
from services.talent.store.catalogue import Validator


async def list_programmes(
    pool: asyncpg.Pool, level: str | None, after: list[Any] | None, limit: int
) -> tuple[list[Programme], list[Any] | None]:
    return await store.list_programmes(pool, level, after, limit)


async def target_progress(
    pool: asyncpg.Pool, year: int | None, probabilities: Mapping[Stage, float]
) -> list[TargetProgress]:
    """Every target of ``year`` (all years when None) with its counts, forecast and status: one query."""
    rows = await store.targets_with_counts(pool, year)
    return [rules.progress(target, counts, probabilities) for target, counts in rows]


async def validated_target_progress(
    pool: asyncpg.Pool, year: int, unless: Validator | None, probabilities: Mapping[Stage, float]
) -> tuple[Validator, list[TargetProgress] | None]:
    """The validator of ``year``'s target progress and, unless it equals ``unless`` (the caller has
    that answer already), every target of ``year`` with its counts, forecast and status: one query.

    Equal validators mean equal answers, on any replica; a later state has a greater validator."""
    validator, rows = await store.validated_targets_with_counts(pool, year, unless)
    if rows is None:
        return validator, None
    return validator, [rules.progress(target, counts, probabilities) for target, counts in rows]


async def application_counts(pool: asyncpg.Pool) -> list[tuple[int, str, str, int]]:
    """(year, programme level, stage, count) over live candidates, for the business gauges."""
    return await store.application_counts(pool)
