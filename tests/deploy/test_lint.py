"""Gates (e) and (f): yamllint on every YAML file of deploy/ (and the top-level configs), hadolint
on the Dockerfile, and the image's lock file agreeing with pyproject."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import ROOT, run


def test_yamllint(gates_bin: Path) -> None:
    targets = ["deploy", ".yamllint", ".checkov.yaml"]
    result = run([gates_bin / "yamllint", "--strict", "-c", ROOT / ".yamllint", "-f", "parsable", *targets], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list((ROOT / "deploy").rglob("*.yaml"))) >= 30


def test_hadolint(gates_bin: Path) -> None:
    result = run([gates_bin / "hadolint", "--failure-threshold", "info", ROOT / "deploy" / "Dockerfile"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_constraints_agree_with_pyproject() -> None:
    result = run([sys.executable, ROOT / "deploy" / "tools" / "lock.py", "--check"])
    assert result.returncode == 0, result.stderr
