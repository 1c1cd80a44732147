"""Prometheus metrics: the gRPC server metrics (python-grpc-prometheus names), the /metrics HTTP
endpoint, and a collector for business gauges read from PostgreSQL at scrape time."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any

import grpc
from prometheus_client import CollectorRegistry, disable_created_metrics, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

log = logging.getLogger(__name__)

# The *_created series double the exposition size for nothing our rules or dashboards use.
disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def code_label(code: grpc.StatusCode) -> str:
    """CamelCase code names, as go-grpc-prometheus and most dashboards expect: InvalidArgument."""
    if code is grpc.StatusCode.OK:
        return "OK"
    return "".join(part.capitalize() for part in code.name.split("_"))


class GrpcServerMetrics(Collector):
    """The gRPC server series (python-grpc-prometheus names), exported from plain per-method counts.

    Every call updates its method's :class:`MethodMetrics` on the event loop thread: integer and
    float attributes, no lock. prometheus_client's own Counter and Histogram take a lock per update
    and walk the buckets in Python; three such updates per call cost a one-row read about 2 % of its
    throughput. Only the scrape, on the HTTP thread, builds the families, from copies taken without
    releasing the GIL; a scrape in the middle of a call's updates may see its count before its
    duration, never a histogram whose buckets and count disagree (the count is the +Inf bucket)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._methods: list[MethodMetrics] = []
        registry.register(self)

    def for_method(self, kind: str, service: str, method: str) -> MethodMetrics:
        metrics = MethodMetrics(kind, service, method)
        self._methods.append(metrics)
        return metrics

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        labels = ["grpc_type", "grpc_service", "grpc_method"]
        started = CounterMetricFamily("grpc_server_started", "RPCs started on the server.", labels=labels)
        handled = CounterMetricFamily(
            "grpc_server_handled",
            "RPCs completed on the server, regardless of success or failure.",
            labels=[*labels, "grpc_code"],
        )
        seconds = HistogramMetricFamily(
            "grpc_server_handling_seconds", "Time the server took to handle an RPC, in seconds.", labels=labels
        )
        for method in list(self._methods):
            values = list(method.labels)
            started.add_metric(values, method.started)
            for code, count in method.handled.copy().items():
                handled.add_metric([*values, code_label(code)], count)
            counts, total = method.bucket_counts.copy(), method.seconds
            seconds.add_metric(values, list(zip(_BUCKET_LABELS, itertools.accumulate(counts), strict=True)), total)
        yield started
        yield handled
        yield seconds


# The `le` labels as prometheus_client writes them (0.001, 1.0, +Inf).
_BUCKET_LABELS = (*(floatToGoString(bound) for bound in LATENCY_BUCKETS), "+Inf")  # type: ignore[no-untyped-call]


class MethodMetrics:
    """One method's counts, resolved once at start-up and updated only on the event loop thread.
    A code's series appears on its first call, so that methods do not export a zero series for
    every code."""

    __slots__ = ("bucket_counts", "handled", "labels", "seconds", "started")

    def __init__(self, kind: str, service: str, method: str) -> None:
        self.labels = (kind, service, method)
        self.started = 0
        self.handled: dict[grpc.StatusCode, int] = {}
        # Calls by the first bucket whose bound their duration does not exceed (the last: +Inf).
        self.bucket_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.seconds = 0.0

    def finished(self, code: grpc.StatusCode, elapsed: float) -> None:
        handled = self.handled
        handled[code] = handled.get(code, 0) + 1
        self.bucket_counts[bisect.bisect_left(LATENCY_BUCKETS, elapsed)] += 1
        self.seconds += elapsed


class MetricsEndpoint:
    """The /metrics HTTP server on its own port (0 picks a free one)."""

    def __init__(self, registry: CollectorRegistry, port: int, host: str = "0.0.0.0") -> None:
        self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        self.port: int = self._server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


ReadFamilies = Callable[[], Coroutine[Any, Any, list[Metric]]]


class ServiceCounters(Collector):
    """A service's own in-process counters, read at each scrape (no database, so neither cached
    nor lost when PostgreSQL is down, unlike the business gauges)."""

    def __init__(self, read: Callable[[], Iterable[Metric]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        yield from self._read()


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
