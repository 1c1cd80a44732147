"""The gRPC server series as Prometheus reads them, from the plain per-method counts the calls update
(the service-level counts of real calls are in test_platform.py)."""

from __future__ import annotations

import threading

import grpc
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.common.metrics import LATENCY_BUCKETS, GrpcServerMetrics

LABELS = {"grpc_type": "unary", "grpc_service": "talent.v1.TalentService", "grpc_method": "GetCandidate"}


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def key(name: str, **extra: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted({**LABELS, **extra}.items()))


def test_counts_codes_and_durations_into_cumulative_buckets() -> None:
    registry = CollectorRegistry()
    metrics = GrpcServerMetrics(registry)
    method = metrics.for_method("unary", "talent.v1.TalentService", "GetCandidate")
    idle = metrics.for_method("unary", "talent.v1.TalentService", "ListCandidates")
    method.started += 4
    # A duration equal to a bound belongs to that bound's bucket (le: less than or equal).
    for code, seconds in [
        (grpc.StatusCode.OK, 0.001),
        (grpc.StatusCode.OK, 0.0011),
        (grpc.StatusCode.NOT_FOUND, 0.3),
        (grpc.StatusCode.INVALID_ARGUMENT, 60.0),
    ]:
        method.finished(code, seconds)
    found = samples(registry)
    assert found[key("grpc_server_started_total")] == 4
    assert found[key("grpc_server_handled_total", grpc_code="OK")] == 2
    assert found[key("grpc_server_handled_total", grpc_code="NotFound")] == 1
    assert found[key("grpc_server_handled_total", grpc_code="InvalidArgument")] == 1
    assert key("grpc_server_handled_total", grpc_code="Internal") not in found  # no zero series per code
    buckets = {
        le: found[key("grpc_server_handling_seconds_bucket", le=le)] for le in ("0.001", "0.0025", "0.5", "10.0")
    }
    assert buckets == {"0.001": 1, "0.0025": 2, "0.5": 3, "10.0": 3}
    assert found[key("grpc_server_handling_seconds_bucket", le="+Inf")] == 4
    assert found[key("grpc_server_handling_seconds_count")] == 4
    assert abs(found[key("grpc_server_handling_seconds_sum")] - 60.3021) < 1e-9
    # A method nobody called yet exports its zero series, so that rates start from zero.
    assert idle.labels[2] == "ListCandidates"
    assert found[key("grpc_server_started_total", grpc_method="ListCandidates")] == 0
    assert found[key("grpc_server_handling_seconds_count", grpc_method="ListCandidates")] == 0


def test_a_scrape_during_calls_sees_a_consistent_histogram() -> None:
    """Calls update on one thread while /metrics is read on another: every scrape's buckets rise with
    the bound and end at its count, and counts never go back."""
    registry = CollectorRegistry()
    method = GrpcServerMetrics(registry).for_method("unary", "talent.v1.TalentService", "GetCandidate")
    stop = threading.Event()

    def calls() -> None:
        n = 0
        while not stop.is_set():
            method.started += 1
            method.finished(grpc.StatusCode.OK, LATENCY_BUCKETS[n % len(LATENCY_BUCKETS)] * 0.9)
            n += 1

    caller = threading.Thread(target=calls)
    caller.start()
    try:
        last = 0.0
        for _ in range(200):
            found = samples(registry)
            cumulative = [
                found[key("grpc_server_handling_seconds_bucket", le=le)] for le in [*map(str, LATENCY_BUCKETS), "+Inf"]
            ]
            assert cumulative == sorted(cumulative)
            assert cumulative[-1] == found[key("grpc_server_handling_seconds_count")]
            assert cumulative[-1] >= last
            last = cumulative[-1]
    finally:
        stop.set()
        caller.join()
    assert last > 0
