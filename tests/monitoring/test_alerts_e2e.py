"""End to end: a real Prometheus scrapes the running competition and talent services every second,
evaluates deploy/k8s/monitoring/rules.yaml every second, and the landing alerts go pending/firing for
contests below target and resolve once enough projects land (driven through the landing API).

Why a second rules file: the real landing alerts wait `for: 15m` (after the deadline) and `for: 1h`
(projections), which no test can sit through. So Prometheus loads the real rules unchanged, where the
alerts can only reach *pending* (asserted), plus a copy derived from them in a temporary directory:
the same alert expressions with `for: 2s` and an extra label `e2e="short-for"` (so the two are told
apart) and without the recording rules (the real file records them; recording them twice would clash).
The copy reaches *firing* (asserted). Both resolve once the contests land enough projects.

The landing pools are seeded by SQL (the scenario test drives awards through the judging API); every
landing move goes through TransitionLanding. All waits are bounded (≤ 60 s); the test takes ~15 s.

Every call into PrometheusServer runs in a worker thread: Prometheus scrapes the services' /metrics,
whose business collector needs this event loop to read PostgreSQL; blocking the loop would starve it.
"""

from __future__ import annotations

import asyncio
import copy
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.server import RunningService
from services.competition.api.landing import district_today
from tests.competition.landing_seed import SeededContest, seed_contest
from tests.competition.test_landing_api import HUAWEI, TENCENT, land

from .prometheus_server import PrometheusServer

RULES = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "monitoring" / "rules.yaml"
SHORT_FOR = "2s"
COPY_LABEL = ("e2e", "short-for")
WAIT = 60.0

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="the prometheus server binary is not installed: `apt-get install prometheus` (Debian/Ubuntu)",
)

AFTER_DEADLINE = ("LandingRatioBelowTarget", "LandedEntriesBelowTarget")
BEFORE_DEADLINE = ("LandingRatioProjectedBelowTarget", "LandedEntriesProjectedBelowTarget")


def short_for_copy(rules: dict[str, Any]) -> dict[str, Any]:
    """The alerting rules of ``rules`` with ``for`` shortened and a label marking the copy."""
    groups = []
    for group in rules["groups"]:
        alerts = []
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            shortened = copy.deepcopy(rule)
            shortened["for"] = SHORT_FOR
            shortened.setdefault("labels", {})[COPY_LABEL[0]] = COPY_LABEL[1]
            alerts.append(shortened)
        if alerts:
            groups.append({**{k: v for k, v in group.items() if k != "rules"}, "name": f"{group['name']}-e2e"})
            groups[-1]["rules"] = alerts
    return {"groups": groups}


def test_the_copy_changes_only_for_and_the_marker_label() -> None:
    real = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    derived = short_for_copy(real)
    real_alerts = {r["alert"]: r for g in real["groups"] for r in g["rules"] if "alert" in r}
    copied = {r["alert"]: r for g in derived["groups"] for r in g["rules"]}
    assert copied.keys() == real_alerts.keys()
    for name, rule in copied.items():
        original = real_alerts[name]
        assert rule["expr"] == original["expr"] and rule["annotations"] == original["annotations"]
        assert rule["labels"] == {**original.get("labels", {}), COPY_LABEL[0]: COPY_LABEL[1]}
        assert rule["for"] == SHORT_FOR


def active(alerts: list[dict[str, Any]], name: str, contest: str, *, in_copy: bool) -> list[dict[str, Any]]:
    return [
        alert
        for alert in alerts
        if alert["labels"].get("alertname") == name
        and alert["labels"].get("contest") == contest
        and (alert["labels"].get(COPY_LABEL[0]) == COPY_LABEL[1]) == in_copy
    ]


async def test_landing_alerts_fire_and_resolve(
    tmp_path: Path,
    competition_service: RunningService,
    talent_service: RunningService,
    competition_stub: Any,
) -> None:
    pool = competition_service.pool
    today = district_today()
    # Deadline passed, 1 of 5 landed: ratio 20 % < 60 %, 1 < 3 entries.
    late: SeededContest = await seed_contest(
        pool, awarded=5, deadline=today - timedelta(days=2), min_landed=3, min_ratio=0.6, prefix="e2e-late"
    )
    # Deadline ahead, nothing landed: projected 5 × 5 % = 0.25 entries, ratio 5 %.
    early: SeededContest = await seed_contest(
        pool, awarded=5, deadline=today + timedelta(days=60), min_landed=3, min_ratio=0.6, prefix="e2e-early"
    )
    await land(competition_stub, late.awarded[0])

    shortened = tmp_path / "rules-short-for.yaml"
    shortened.write_text(
        yaml.safe_dump(short_for_copy(yaml.safe_load(RULES.read_text(encoding="utf-8"))), sort_keys=False),
        encoding="utf-8",
    )
    prometheus = PrometheusServer(
        [RULES, shortened],
        {
            "competition": [f"127.0.0.1:{competition_service.metrics_port}"],
            "talent": [f"127.0.0.1:{talent_service.metrics_port}"],
        },
        scrape_interval="1s",
        evaluation_interval="1s",
    )
    await asyncio.to_thread(prometheus.start)
    try:
        await asyncio.to_thread(prometheus.wait_for_targets_up, WAIT)
        expected = [(name, late.id) for name in AFTER_DEADLINE] + [(name, early.id) for name in BEFORE_DEADLINE]
        for name, contest in expected:
            fired = await asyncio.to_thread(
                prometheus.wait_for_alert, name, "firing", {"contest": contest, COPY_LABEL[0]: COPY_LABEL[1]}, WAIT
            )
            assert fired["labels"]["severity"] == ("critical" if name in AFTER_DEADLINE else "warning")
            assert fired["annotations"]["runbook_url"].endswith(f"{name}.md")
        alerts = await asyncio.to_thread(prometheus.alerts)
        for name, contest in expected:
            # The real rules (for: 15m / 1h) hold the same alert pending, not firing.
            real = active(alerts, name, contest, in_copy=False)
            assert [alert["state"] for alert in real] == ["pending"], (name, alerts)
        ratio = active(alerts, "LandingRatioBelowTarget", late.id, in_copy=True)[0]
        assert float(ratio["value"]) == pytest.approx(0.2)
        assert "20%" in ratio["annotations"]["description"] and "1 of" in ratio["annotations"]["description"]
        # Each contest raises only its own kind: no projection after the deadline, no "missed" before it.
        for name in BEFORE_DEADLINE:
            assert not active(alerts, name, late.id, in_copy=True) + active(alerts, name, late.id, in_copy=False)
        for name in AFTER_DEADLINE:
            assert not active(alerts, name, early.id, in_copy=True) + active(alerts, name, early.id, in_copy=False)

        # Land enough: late reaches 3 of 5 (60 %); early lands 3 and projects 3.1 of 5 (62 %).
        for entry, code in zip(late.awarded[1:3], (HUAWEI, TENCENT), strict=True):
            await land(competition_stub, entry, code)
        for entry in early.awarded[:3]:
            await land(competition_stub, entry)
        for name, contest in expected:
            await asyncio.to_thread(prometheus.wait_until_resolved, name, {"contest": contest}, WAIT)
        landed = await asyncio.to_thread(prometheus.query, f'competition_landed_entries{{contest="{late.id}"}}')
        assert [sample["value"][1] for sample in landed] == ["3"]
    finally:
        await asyncio.to_thread(prometheus.stop)
