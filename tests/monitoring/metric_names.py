"""The metric names the services export (the metric contract of issue 4).

Dashboard queries and rule expressions may only read these. For now the set is written down from the
contract; it can later be replaced by (or checked against) the names scraped from the running services'
/metrics endpoints.
"""

from __future__ import annotations

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

KNOWN_METRICS: frozenset[str] = (
    GRPC_SERVER_METRICS | COMPETITION_BUSINESS_METRICS | TALENT_BUSINESS_METRICS | SCRAPE_METRICS | PROCESS_METRICS
)
