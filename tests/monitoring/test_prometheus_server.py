"""The PrometheusServer harness against a real Prometheus: two in-process exporters (two "replicas" of the
competition job), the real rules plus a short-`for` test rule, an alert going pending/firing and resolving."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIServer

import pytest
from prometheus_client import CollectorRegistry, Gauge, start_http_server

from .prometheus_server import PrometheusServer, free_port

RULES = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "monitoring" / "rules.yaml"

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="the prometheus server binary is not installed: `apt-get install prometheus` (Debian/Ubuntu)",
)

# The real landing alerts have `for: 15m`, so they only get to pending here; this one fires within seconds.
TEST_RULES = """\
groups:
  - name: harness-test
    rules:
      - alert: HarnessLandingRatioBelowTarget
        expr: max by (contest) (competition_landing_ratio) < max by (contest) (competition_landing_target_ratio)
        for: 2s
        labels:
          severity: warning
"""


class Contest:
    """The competition business gauges of one contest, served by two exporters like two replicas."""

    def __init__(self, registry: CollectorRegistry, contest: str) -> None:
        def gauge(name: str) -> Gauge:
            return Gauge(name, name, ["contest"], registry=registry)

        self.contest = contest
        self.pool = gauge("competition_landing_pool_entries")
        self.landed = gauge("competition_landed_entries")
        self.ratio = gauge("competition_landing_ratio")
        self.target_ratio = gauge("competition_landing_target_ratio")
        self.target_entries = gauge("competition_landing_target_entries")
        self.projected = gauge("competition_landing_projected_entries")
        self.deadline = gauge("competition_landing_deadline_timestamp_seconds")

    def set(self, pool: int, landed: int, deadline: float) -> None:
        labels = {"contest": self.contest}
        self.pool.labels(**labels).set(pool)
        self.landed.labels(**labels).set(landed)
        self.ratio.labels(**labels).set(landed / pool)
        self.projected.labels(**labels).set(landed)
        self.target_ratio.labels(**labels).set(0.6)
        self.target_entries.labels(**labels).set(5)
        self.deadline.labels(**labels).set(deadline)


@pytest.fixture
def exporters() -> Iterator[tuple[Contest, list[str]]]:
    registry = CollectorRegistry()
    contest = Contest(registry, "t")
    servers: list[WSGIServer] = []
    addresses = []
    for _ in range(2):
        port = free_port()
        server, _thread = start_http_server(port, addr="127.0.0.1", registry=registry)
        servers.append(server)
        addresses.append(f"127.0.0.1:{port}")
    try:
        yield contest, addresses
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_alert_goes_pending_firing_and_resolves(exporters: tuple[Contest, list[str]], tmp_path: Path) -> None:
    contest, addresses = exporters
    # Deadline passed an hour ago, 4 of 10 landed: 40% < 60% and 4 < 5.
    contest.set(pool=10, landed=4, deadline=time.time() - 3600)
    test_rules = tmp_path / "test-rules.yaml"
    test_rules.write_text(TEST_RULES, encoding="utf-8")

    with PrometheusServer([RULES, test_rules], {"competition": addresses}) as prometheus:
        assert {group["name"] for group in prometheus.rule_groups()} >= {"competition.landing", "harness-test"}
        prometheus.wait_for_targets_up(timeout=20)

        pending = prometheus.wait_for_alert(
            "LandingRatioBelowTarget", "pending", {"contest": "t", "severity": "critical"}, timeout=20
        )
        assert pending["state"] == "pending"  # for: 15m
        assert "only 40% of its landing pool has landed (4 of 10 entries)" in pending["annotations"]["description"]
        prometheus.wait_for_alert("LandedEntriesBelowTarget", "pending", {"contest": "t"}, timeout=10)
        prometheus.wait_for_alert("HarnessLandingRatioBelowTarget", "firing", {"contest": "t"}, timeout=20)

        # Two replicas, one alert per name.
        names = [alert["labels"]["alertname"] for alert in prometheus.alerts()]
        assert names.count("LandingRatioBelowTarget") == 1
        assert names.count("HarnessLandingRatioBelowTarget") == 1
        assert len(prometheus.query('competition_landing_ratio{contest="t"}')) == 2

        # Enough projects land: 7 of 10.
        contest.set(pool=10, landed=7, deadline=time.time() - 3600)
        prometheus.wait_until_resolved("HarnessLandingRatioBelowTarget", {"contest": "t"}, timeout=20)
        prometheus.wait_until_resolved("LandingRatioBelowTarget", {"contest": "t"}, timeout=10)
        prometheus.wait_until_resolved("LandedEntriesBelowTarget", {"contest": "t"}, timeout=10)
        ratio = prometheus.query('max(competition_landing_ratio{contest="t"})')
        assert float(ratio[0]["value"][1]) == pytest.approx(0.7)
        directory = prometheus.directory
    assert not directory.exists()
