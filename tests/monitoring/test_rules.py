"""The Prometheus rules: promtool checks and unit tests, the generated PrometheusRule, alert metadata,
runbooks, and that every alert has a positive and a negative unit test case."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "deploy" / "k8s" / "monitoring"
RULES = MONITORING / "rules.yaml"
PROMETHEUS_RULE = MONITORING / "prometheusrule.yaml"
GENERATOR = MONITORING / "generate.py"
RULE_TESTS = sorted((MONITORING / "tests").glob("*.yaml"))
RUNBOOKS = REPO / "docs" / "runbooks"
RUNBOOK_URL = "https://github.com/ouhai-stb/talent-competition-suite/blob/main/docs/runbooks/{}.md"
RUNBOOK_SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation")

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not installed, so the alert rules are not checked or unit-tested: "
    "install it with `apt-get install prometheus` (Debian/Ubuntu; .ci/run does this)",
)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


GROUPS: list[dict[str, Any]] = load(RULES)["groups"]
ALERT_RULES: list[dict[str, Any]] = [rule for group in GROUPS for rule in group["rules"] if "alert" in rule]
RECORDING_RULES: list[dict[str, Any]] = [rule for group in GROUPS for rule in group["rules"] if "record" in rule]
ALERT_NAMES = sorted({rule["alert"] for rule in ALERT_RULES})


def alert_rule_tests() -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(test file, test group name, alert_rule_test case) for every case of every unit test file."""
    for path in RULE_TESTS:
        for group in load(path)["tests"]:
            for case in group.get("alert_rule_test") or []:
                yield path, group.get("name", "?"), case


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


def test_there_are_rules_and_unit_tests() -> None:
    assert ALERT_RULES and RECORDING_RULES and RULE_TESTS


@needs_promtool
def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_checks_the_prometheusrule_spec(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(load(PROMETHEUS_RULE)["spec"]), encoding="utf-8")
    result = promtool("check", "rules", spec)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_rule_unit_tests() -> None:
    result = promtool("test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheusrule_is_generated_from_rules() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheusrule_carries_the_rules() -> None:
    manifest = load(PROMETHEUS_RULE)
    assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
    assert manifest["kind"] == "PrometheusRule"
    labels = manifest["metadata"]["labels"]
    assert labels["release"] == "prometheus"
    assert labels["app.kubernetes.io/part-of"] == "talent-competition-suite"
    assert manifest["spec"] == {"groups": GROUPS}


def test_rule_unit_tests_load_the_real_rules() -> None:
    for path in RULE_TESTS:
        files = [(path.parent / name).resolve() for name in load(path)["rule_files"]]
        assert files == [RULES], f"{path.name} must test {RULES.name}"


@pytest.mark.parametrize("rule", ALERT_RULES, ids=[rule["alert"] for rule in ALERT_RULES])
def test_alert_metadata(rule: dict[str, Any]) -> None:
    name = rule["alert"]
    assert re.fullmatch(r"(?:[A-Z][a-z0-9]+)+", name), f"{name} is not CamelCase"
    assert rule["labels"]["severity"] in {"critical", "warning"}
    annotations = rule["annotations"]
    assert {"summary", "description", "runbook_url"} <= set(annotations)
    assert annotations["summary"].strip() and annotations["description"].strip()
    assert "{{" in annotations["description"], "the description should show the values that fired"
    assert annotations["runbook_url"] == RUNBOOK_URL.format(name)
    assert "for" in rule, f"{name} needs a `for:` duration"


@pytest.mark.parametrize("name", ALERT_NAMES)
def test_runbook_exists(name: str) -> None:
    runbook = RUNBOOKS / f"{name}.md"
    assert runbook.is_file(), f"missing runbook {runbook.relative_to(REPO)}"
    text = runbook.read_text(encoding="utf-8")
    assert text.startswith(f"# {name}"), f"{runbook.name} must start with '# {name}'"
    for section in RUNBOOK_SECTIONS:
        assert section in text, f"{runbook.name} lacks a '{section}' section"


def test_no_runbook_without_alert() -> None:
    orphans = {path.stem for path in RUNBOOKS.glob("*.md")} - set(ALERT_NAMES) - {"README"}
    assert not orphans, f"runbooks of no alert: {sorted(orphans)}"


@pytest.mark.parametrize("rule", RECORDING_RULES, ids=[rule["record"] for rule in RECORDING_RULES])
def test_recording_rule_names_follow_level_metric_operations(rule: dict[str, Any]) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*", rule["record"]), rule["record"]


@pytest.mark.parametrize("name", ALERT_NAMES)
def test_every_alert_has_a_positive_and_a_negative_unit_test(name: str) -> None:
    cases = [case for _, _, case in alert_rule_tests() if case["alertname"] == name]
    assert any(case.get("exp_alerts") for case in cases), f"no unit test where {name} fires"
    assert any(not case.get("exp_alerts") for case in cases), f"no unit test where {name} stays silent"


def test_positive_cases_state_the_full_labels_and_annotations() -> None:
    annotations_of = {rule["alert"]: set(rule["annotations"]) for rule in ALERT_RULES}
    for path, group, case in alert_rule_tests():
        for alert in case.get("exp_alerts") or []:
            where = f"{path.name} / {group} / {case['alertname']} at {case['eval_time']}"
            assert "severity" in alert.get("exp_labels", {}), where
            assert set(alert.get("exp_annotations", {})) == annotations_of[case["alertname"]], where


def test_unit_tests_only_name_existing_alerts() -> None:
    unknown = {case["alertname"] for _, _, case in alert_rule_tests()} - set(ALERT_NAMES)
    assert not unknown, f"unit tests of unknown alerts: {sorted(unknown)}"


@pytest.mark.parametrize(
    "path", [RULES, PROMETHEUS_RULE, *RULE_TESTS], ids=lambda path: path.relative_to(MONITORING).as_posix()
)
def test_yaml_style(path: Path) -> None:
    """The yamllint rules that matter here, so the check runs without yamllint installed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "---", "a YAML document starts with ---"
    limit = 118 if path == RULES else 120  # the generator indents rules.yaml by two
    for number, line in enumerate(lines, 1):
        assert "\t" not in line, f"{path.name}:{number}: tab"
        assert line == line.rstrip(), f"{path.name}:{number}: trailing whitespace"
        single_word = " " not in line.strip()  # yamllint allows a long URL alone on its line
        assert len(line) <= limit or single_word, f"{path.name}:{number}: longer than {limit} characters"
