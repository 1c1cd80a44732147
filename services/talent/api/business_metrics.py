"""Talent business gauges for Prometheus, read at scrape time (see services.common.metrics)."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg
from prometheus_client.core import Metric

from services.common.metrics import gauge
from services.talent.app import catalogue
from services.talent.domain.models import Stage


async def read_families(pool: asyncpg.Pool, probabilities: Mapping[Stage, float]) -> list[Metric]:
    progress = await catalogue.target_progress(pool, None, probabilities)
    labels = ["year", "target"]

    def per_target(value: str) -> list[tuple[list[str], float]]:
        return [([str(p.target.year), p.target.slug], getattr(p, value)) for p in progress]

    return [
        gauge(
            "talent_target_required",
            "Yearly minimum of selected applications of a target.",
            labels,
            [([str(p.target.year), p.target.slug], p.target.required) for p in progress],
        ),
        gauge("talent_target_selected", "Applications selected toward a target.", labels, per_target("selected")),
        gauge(
            "talent_target_forecast",
            "Expected selections toward a target (probability-weighted).",
            labels,
            per_target("forecast"),
        ),
        gauge(
            "talent_applications",
            "Applications of live candidates by year, programme level and stage.",
            ["year", "level", "stage"],
            [([str(year), level, stage], n) for year, level, stage, n in await catalogue.application_counts(pool)],
        ),
    ]
