"""The metric names of the suite: the contract of issue 4 written down, and the names the running
services really export, scraped from their /metrics endpoints.

Dashboard queries and rule expressions may only read names the services export (see
``tests/monitoring/conftest.py::exported_metric_names``, which starts both services, drives a little
data and scrapes them) plus the series Prometheus writes itself (``SCRAPE_METRICS``). The contract
below is checked against the scraped names (test_business_metrics.py), so it cannot drift either.
"""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

GRPC_SERVER_METRICS = frozenset(
    {
        "grpc_server_started_total",
        "grpc_server_handled_total",
        "grpc_server_handling_seconds_bucket",
        "grpc_server_handling_seconds_sum",
        "grpc_server_handling_seconds_count",
    }
)

COMPETITION_BUSINESS_METRICS = frozenset(
    {
        "competition_landing_pool_entries",
        "competition_landed_entries",
        "competition_landing_ratio",
        "competition_landing_target_ratio",
        "competition_landing_target_entries",
        "competition_landing_projected_entries",
        "competition_landing_deadline_timestamp_seconds",
        "competition_judging_expected_sheets",
        "competition_judging_submitted_sheets",
        "competition_round_open",
        "competition_round_deadline_timestamp_seconds",
        "competition_audit_sealed_sequence",
        "competition_audit_checkpoint_sequence",
        "competition_audit_unsealed_records",
        "competition_audit_oldest_unsealed_age_seconds",
        "competition_business_metrics_up",
    }
)

TALENT_BUSINESS_METRICS = frozenset(
    {
        "talent_target_required",
        "talent_target_selected",
        "talent_target_forecast",
        "talent_applications",
        "talent_business_metrics_up",
    }
)

# Written by Prometheus itself for every scrape target.
SCRAPE_METRICS = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})

# prometheus_client's default process and platform collectors (Linux).
PROCESS_METRICS = frozenset(
    {
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
        "process_virtual_memory_bytes",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "python_info",
        "python_gc_objects_collected_total",
        "python_gc_objects_uncollectable_total",
        "python_gc_collections_total",
    }
)

# What issue 4 requires the services to export (a subset of what they do export).
CONTRACT_METRICS: frozenset[str] = (
    GRPC_SERVER_METRICS | COMPETITION_BUSINESS_METRICS | TALENT_BUSINESS_METRICS | PROCESS_METRICS
)


def scrape(port: int, host: str = "127.0.0.1") -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a /metrics endpoint. Blocking: from async code call it
    through ``asyncio.to_thread`` (the business collector needs the service's event loop to answer)."""
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as response:
        body = response.read().decode("utf-8")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def sample_names(port: int, host: str = "127.0.0.1") -> frozenset[str]:
    """The sample names (``x_total``, ``x_bucket``… as PromQL sees them) a /metrics endpoint serves."""
    return frozenset(name for name, _ in scrape(port, host))
