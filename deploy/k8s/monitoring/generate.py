"""Write prometheusrule.yaml (a prometheus-operator PrometheusRule) from rules.yaml (plain Prometheus rules).

rules.yaml is the source that promtool checks and unit-tests; the PrometheusRule carries exactly the same
groups under `spec.groups`. The groups are copied as text, indented by two spaces, so comments and block
scalars survive and the output is byte-for-byte deterministic.

    python deploy/k8s/monitoring/generate.py           # rewrite prometheusrule.yaml
    python deploy/k8s/monitoring/generate.py --check   # exit 1 when prometheusrule.yaml is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules.yaml"
OUTPUT = HERE / "prometheusrule.yaml"

NAME = "talent-competition-suite"
LABELS = {
    "app.kubernetes.io/name": NAME,
    "app.kubernetes.io/part-of": NAME,
    "app.kubernetes.io/component": "monitoring",
    # The kube-prometheus-stack Helm release selects PrometheusRules by this label.
    "release": "prometheus",
}


class GenerateError(ValueError):
    """rules.yaml does not have the shape the generator expects."""


def render(rules_text: str) -> str:
    """The PrometheusRule manifest text for the given rules.yaml text."""
    lines = rules_text.splitlines()
    try:
        start = lines.index("groups:")
    except ValueError:
        raise GenerateError("rules.yaml must have a top-level 'groups:' line") from None
    body = lines[start:]
    if any(line and not line.startswith((" ", "#", "groups:")) for line in body):
        raise GenerateError("rules.yaml must have 'groups' as its only top-level key")
    header = [
        "---",
        "# Generated from rules.yaml by deploy/k8s/monitoring/generate.py. Do not edit by hand:",
        "# edit rules.yaml and run `python deploy/k8s/monitoring/generate.py`.",
        "apiVersion: monitoring.coreos.com/v1",
        "kind: PrometheusRule",
        "metadata:",
        f"  name: {NAME}",
        "  labels:",
        *(f"    {key}: {value}" for key, value in LABELS.items()),
        "spec:",
    ]
    indented = [f"  {line}" if line.strip() else "" for line in body]
    text = "\n".join(header + indented) + "\n"
    _verify(rules_text, text)
    return text


def _verify(rules_text: str, manifest_text: str) -> None:
    rules: Any = yaml.safe_load(rules_text)
    manifest: Any = yaml.safe_load(manifest_text)
    if not isinstance(rules, dict) or set(rules) != {"groups"}:
        raise GenerateError("rules.yaml must be a mapping with the single key 'groups'")
    if manifest["spec"] != rules:
        raise GenerateError("the generated spec differs from rules.yaml (indentation-sensitive content?)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail when prometheusrule.yaml is not up to date")
    args = parser.parse_args(argv)
    text = render(RULES.read_text(encoding="utf-8"))
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run python {Path(__file__).as_posix()}", file=sys.stderr)
            return 1
        print(f"{OUTPUT.name} matches {RULES.name}")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
