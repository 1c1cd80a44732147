"""Fixtures of the deployment gates: the gates venv, and the kustomize builds of every variant.

The gate tools come from a separate venv built from pyproject's ``gates`` extra (see
deploy/tools/gates_venv.py). Building it needs the package index the first time; when it cannot
be built the tests fail: a gate never passes silently.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"

# Overlay under deploy/k8s/overlays -> the namespace it deploys to.
VARIANTS = {
    "dev": "talent-suite-dev",
    "prod": "talent-suite",
    "prod-migration-job": "talent-suite",
}


@dataclass(frozen=True)
class Built:
    name: str
    namespace: str
    path: Path
    documents: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.name}: expected one {kind}/{name}, found {len(found)}"
        return found[0]


def run(command: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="session")
def gates_bin() -> Path:
    result = run([sys.executable, ROOT / "deploy" / "tools" / "gates_venv.py"])
    assert result.returncode == 0, f"could not build the gates venv:\n{result.stdout}\n{result.stderr}"
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def builds(gates_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    out = tmp_path_factory.mktemp("built")
    built: dict[str, Built] = {}
    for name, namespace in VARIANTS.items():
        directory = K8S / "overlays" / name
        result = run([gates_bin / "kubectl", "kustomize", directory])
        assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
        path = out / f"{name}.yaml"
        path.write_text(result.stdout, encoding="utf-8")
        documents = [d for d in yaml.safe_load_all(result.stdout) if d]
        built[name] = Built(name, namespace, path, documents)
    return built


@pytest.fixture(params=list(VARIANTS))
def build(request: pytest.FixtureRequest, builds: dict[str, Built]) -> Iterator[Built]:
    yield builds[request.param]
