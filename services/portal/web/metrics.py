"""The portal's Prometheus metrics, served on their own port like the services' (never on the public one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, GCCollector, Histogram, PlatformCollector, ProcessCollector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PortalMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.requests = Counter(
            "portal_http_requests",
            "HTTP requests by route template (never the raw path), method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "portal_http_request_duration_seconds",
            "Time to answer an HTTP request, in seconds, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.signins = Counter(
            "portal_signins",
            "Sign-in attempts by outcome: ok, invalid, expired, revoked, throttled, error.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.submissions = Counter(
            "portal_submissions",
            "Score sheets sent to the competition service by outcome: ok, invalid, conflict, not_assigned, "
            "round_closed, error.",
            ["outcome"],
            registry=self.registry,
        )
        self.conflicts = Counter(
            "portal_conflict_declarations",
            "Conflicts of interest declared through the portal, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
