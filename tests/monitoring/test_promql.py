"""The PromQL metric-name extraction helper."""

from __future__ import annotations

import pytest

from .promql import PromQLError, metric_names_in_promql, recording_rules_of


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('up{job=~"talent|competition"} == 0', {"up"}),
        (
            'sum by (job, le) (rate(grpc_server_handling_seconds_bucket{grpc_type="unary"}[5m]))',
            {"grpc_server_handling_seconds_bucket"},
        ),
        (
            "histogram_quantile(0.99, sum(rate(x_bucket[5m:30s] offset 1h)) by (le, job))",
            {"x_bucket"},
        ),
        (
            "max by (contest) (a) < on (contest) group_left (round) max by (contest) (b)"
            " and ignoring (x) c unless d or bool_metric == bool 1",
            {"a", "b", "c", "d", "bool_metric"},
        ),
        # Strings with braces, keywords and metric-like words inside are not metrics.
        (
            'label_replace(up, "dst", "$1 and {x} foo_total", "src", "(.*)") + count_values("v", q)',
            {"up", "q"},
        ),
        ("absent(up{job='talent'}) or absent(up{job=`competition`})", {"up"}),
        # Numbers, exponents, hex, durations, Inf/NaN, @ modifiers.
        ("a * 1e3 + 0x1f - Inf + NaN + b @ 1700000000 + c offset -5m + d @ start()", {"a", "b", "c", "d"}),
        ('{__name__="exact_metric", job="x"} + {__name__=~"regex_.*"}', {"exact_metric"}),
        # Grafana variables and macros.
        (
            'sum(rate(grpc_server_started_total{job=~"$job", contest="${contest}"}[$__rate_interval]))',
            {"grpc_server_started_total"},
        ),
        ("time() - max(deadline_seconds) > 86400", {"deadline_seconds"}),
        ("vector(1) + scalar(m)", {"m"}),
        ("a # a comment naming not_a_metric\n + b", {"a", "b"}),
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names_in_promql(expr) == names


def test_recording_rules_resolve_to_their_sources() -> None:
    groups = [
        {
            "name": "g",
            "rules": [
                {"record": "job:errors:rate5m", "expr": 'sum by (job) (rate(errors_total{code="x"}[5m]))'},
                {"record": "job:requests:rate5m", "expr": "sum by (job) (rate(requests_total[5m]))"},
                {"record": "job:errors:ratio_rate5m", "expr": "job:errors:rate5m / job:requests:rate5m"},
                {"alert": "A", "expr": "job:errors:ratio_rate5m > 0.01"},
            ],
        }
    ]
    rules = recording_rules_of(groups)
    assert set(rules) == {"job:errors:rate5m", "job:requests:rate5m", "job:errors:ratio_rate5m"}
    assert metric_names_in_promql("job:errors:ratio_rate5m > 0.01", rules) == {"errors_total", "requests_total"}
    # Without the rules the recording names stay.
    assert metric_names_in_promql("job:errors:ratio_rate5m > 0.01") == {"job:errors:ratio_rate5m"}


def test_recording_rule_cycle_is_an_error() -> None:
    with pytest.raises(PromQLError, match="cycle"):
        metric_names_in_promql("a:b:c", {"a:b:c": "d:e:f + 1", "d:e:f": "a:b:c"})


def test_unbalanced_braces_are_an_error() -> None:
    with pytest.raises(PromQLError, match="unbalanced"):
        metric_names_in_promql('up{job="x"')
