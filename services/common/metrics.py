"""Prometheus metrics: the gRPC server metrics (python-grpc-prometheus names), the /metrics HTTP
endpoint, and a collector for business gauges read from PostgreSQL at scrape time."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

# The *_created series double the exposition size for nothing our rules or dashboards use.
disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def code_label(code: grpc.StatusCode) -> str:
    """CamelCase code names, as go-grpc-prometheus and most dashboards expect: InvalidArgument."""
    if code is grpc.StatusCode.OK:
        return "OK"
    return "".join(part.capitalize() for part in code.name.split("_"))


class GrpcServerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["grpc_type", "grpc_service", "grpc_method"]
        self.started = Counter("grpc_server_started", "RPCs started on the server.", labels, registry=registry)
        self.handled = Counter(
            "grpc_server_handled",
            "RPCs completed on the server, regardless of success or failure.",
            [*labels, "grpc_code"],
            registry=registry,
        )
        self.handling_seconds = Histogram(
            "grpc_server_handling_seconds",
            "Time the server took to handle an RPC, in seconds.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def for_method(self, kind: str, service: str, method: str) -> MethodMetrics:
        return MethodMetrics(self, kind, service, method)


class MethodMetrics:
    """The series of one method, resolved once at start-up: ``labels()`` costs a lock and a dict
    lookup on every call otherwise. Codes are resolved on first use so that methods do not export
    a zero series for every code."""

    __slots__ = ("_handled", "_labels", "_metrics", "handling_seconds", "started")

    def __init__(self, metrics: GrpcServerMetrics, kind: str, service: str, method: str) -> None:
        self._metrics = metrics
        self._labels = (kind, service, method)
        self.started = metrics.started.labels(*self._labels)
        self.handling_seconds = metrics.handling_seconds.labels(*self._labels)
        self._handled: dict[grpc.StatusCode, Counter] = {}

    def handled(self, code: grpc.StatusCode) -> Counter:
        child = self._handled.get(code)
        if child is None:
            child = self._handled[code] = self._metrics.handled.labels(*self._labels, code_label(code))
        return child


class MetricsEndpoint:
    """The /metrics HTTP server on its own port (0 picks a free one)."""

    def __init__(self, registry: CollectorRegistry, port: int, host: str = "0.0.0.0") -> None:
        self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        self.port: int = self._server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


ReadFamilies = Callable[[], Coroutine[Any, Any, list[Metric]]]


class BusinessCollector(Collector):
    """Business gauges read from PostgreSQL when Prometheus scrapes, so that every replica reports
    the same truth; cached for ``cache_seconds`` so that frequent scrapes never hammer the database.

    Scrapes run on the HTTP server's thread while the pool lives on the service's event loop, so the
    read is handed to that loop. A failed read yields ``<up_metric> 0`` and no business gauges: the
    process and gRPC metrics keep being served.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        read: ReadFamilies,
        up_metric: str,
        cache_seconds: float,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._loop = loop
        self._read = read
        self._up_metric = up_metric
        self._cache_seconds = cache_seconds
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric], int] | None = None

    def describe(self) -> Iterable[Metric]:
        # Describing nothing keeps registration from triggering a database read.
        return []

    def _refresh(self) -> tuple[list[Metric], int]:
        future = asyncio.run_coroutine_threadsafe(self._read(), self._loop)
        try:
            return future.result(self._timeout), 1
        except Exception:
            # A hung read must not keep a pool connection: the next scrape starts afresh.
            future.cancel()
            log.warning("business metrics could not be read", exc_info=True)
            return [], 0

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._cache_seconds:
                families, up = self._refresh()
                self._cached = (now, families, up)
            _, families, up = self._cached
        yield from families
        yield GaugeMetricFamily(
            self._up_metric, "1 when the business gauges could be read from PostgreSQL, else 0.", value=up
        )


def gauge(name: str, documentation: str, labels: list[str], samples: Iterable[tuple[list[str], Any]]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in samples:
        if value is not None:
            family.add_metric(values, float(value))
    return family
