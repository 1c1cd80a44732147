"""The Grafana dashboard parses, its panels have units and queries, and every metric that a dashboard query
or a rule (expression or annotation template) reads is one the services export: the names are scraped from
the running talent and competition services (fixture ``exported_metric_names``), not written by hand."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .metric_names import SCRAPE_METRICS
from .promql import metric_names_in_promql, recording_rules_of

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "monitoring"
DASHBOARD_PATH = MONITORING / "dashboard.json"
RULES_PATH = MONITORING / "rules.yaml"

DASHBOARD: dict[str, Any] = json.loads(DASHBOARD_PATH.read_text(encoding="utf-8"))
GROUPS: list[dict[str, Any]] = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))["groups"]
RECORDING_RULES = recording_rules_of(GROUPS)
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def panels(items: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Every panel that shows data (rows are containers; collapsed rows carry their own panels)."""
    for panel in DASHBOARD["panels"] if items is None else items:
        if panel["type"] == "row":
            yield from panels(panel.get("panels", []))
        else:
            yield panel


PANELS = list(panels())
VARIABLES = {variable["name"]: variable for variable in DASHBOARD["templating"]["list"]}


def dashboard_queries() -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable."""
    for panel in PANELS:
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]
    for name, variable in VARIABLES.items():
        if variable["type"] != "query":
            continue
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        # Grafana's label_values(<selector>, <label>) is not PromQL; its selector is.
        match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query, re.DOTALL)
        yield f"variable {name}", match.group(1) if match else query


def rule_queries() -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every rule expression and every `printf "..." ... | query` of an annotation."""
    for group in GROUPS:
        for rule in group["rules"]:
            name = rule.get("alert") or rule["record"]
            yield f"rule {name}", rule["expr"]
            for key, text in rule.get("annotations", {}).items():
                for template in re.findall(r'printf\s+"([^"]*)"[^|}]*\|\s*query', text):
                    yield f"rule {name} annotation {key}", template.replace("%s", "x")


def test_dashboard_metadata() -> None:
    assert DASHBOARD["schemaVersion"] >= 36
    assert DASHBOARD["uid"] and DASHBOARD["title"]
    assert VARIABLES["DS_PROMETHEUS"]["type"] == "datasource"
    assert VARIABLES["DS_PROMETHEUS"]["query"] == "prometheus"
    for name in ("contest", "year"):
        assert VARIABLES[name]["type"] == "query"
        assert VARIABLES[name]["datasource"] == DATASOURCE


def test_panel_ids_are_unique_and_fit_the_grid() -> None:
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


@pytest.mark.parametrize("panel", PANELS, ids=[panel["title"] for panel in PANELS])
def test_every_panel_has_a_unit_and_queries(panel: dict[str, Any]) -> None:
    assert panel["fieldConfig"]["defaults"].get("unit"), "every number a person reads has a unit"
    assert panel["datasource"] == DATASOURCE
    assert panel.get("description"), "say what the panel shows"
    targets = panel.get("targets", [])
    assert targets
    for target in targets:
        assert target["expr"].strip()
        assert target["datasource"] == DATASOURCE


def test_the_panels_the_issue_asks_for() -> None:
    titles = {panel["title"] for panel in PANELS}
    assert {
        "Landing ratio vs target",
        "Landed entries vs target",
        "Projected landed entries",
        "Days to landing deadline",
        "Judging progress per round",
        "Talent targets: required / selected / forecast",
        "RPC rate per method",
        "RPC server-fault ratio per method",
        "RPC p99 latency per method",
    } <= titles


def test_business_panels_follow_the_variables() -> None:
    for panel in PANELS:
        for target in panel["targets"]:
            expr = target["expr"]
            if re.search(r"\bcompetition_(landing|landed|judging|round)", expr):
                assert 'contest=~"$contest"' in expr, f"{panel['title']}: filter by $contest"
            if re.search(r"\btalent_(target|applications)", expr):
                assert 'year=~"$year"' in expr, f"{panel['title']}: filter by $year"


@pytest.mark.parametrize("source", ["dashboard", "rules"])
async def test_every_queried_metric_is_exported(source: str, exported_metric_names: frozenset[str]) -> None:
    known = exported_metric_names | SCRAPE_METRICS
    queries = dashboard_queries() if source == "dashboard" else rule_queries()
    unknown: dict[str, set[str]] = {}
    count = 0
    for where, expr in queries:
        count += 1
        names = metric_names_in_promql(expr, RECORDING_RULES)
        assert names, f"{where}: no metric found in {expr!r}"
        if missing := names - known:
            unknown[where] = missing
    assert count > 0
    assert not unknown, f"metrics the services do not export: {unknown}"
