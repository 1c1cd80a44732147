"""Gates (b) and (c): built-in objects against the Kubernetes OpenAPI schemas (kubernetes-validate
--strict), custom resources against the schemas vendored under deploy/k8s/schemas/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, Built, run

VALIDATE_CRDS = ROOT / "deploy" / "tools" / "validate_crds.py"
# The oldest Kubernetes minor the manifests support, and the newest the validator knows.
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
CRD_GROUPS = ("monitoring.coreos.com/", "postgresql.cnpg.io/")


def _split(build: Built, directory: Path) -> tuple[Path, int]:
    built_in = [d for d in build.documents if not d["apiVersion"].startswith(CRD_GROUPS)]
    path = directory / f"{build.name}-built-in.yaml"
    path.write_text(yaml.safe_dump_all(built_in), encoding="utf-8")
    return path, len(built_in)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_validate_strict(build: Built, gates_bin: Path, tmp_path: Path, version: str) -> None:
    path, count = _split(build, tmp_path)
    assert count >= 15
    result = run([gates_bin / "kubernetes-validate", "--strict", "-k", version, path])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # A kind without a schema is only a warning for the tool: it is a failure here.
    assert "Couldn't find schema" not in output, output
    assert output.count(" passed for resource ") == count, output


def test_custom_resources_match_vendored_schemas(build: Built, gates_bin: Path) -> None:
    result = run([gates_bin / "python", VALIDATE_CRDS, build.path])
    assert result.returncode == 0, result.stdout + result.stderr
    expected = sum(d["apiVersion"].startswith(CRD_GROUPS) for d in build.documents)
    assert f"{expected} custom resources checked, 0 failed" in result.stdout


def test_validators_reject_broken_objects(gates_bin: Path, tmp_path: Path) -> None:
    """The gates are not vacuous: a typo and a missing required field are caught."""
    broken_crd = tmp_path / "broken-crd.yaml"
    broken_crd.write_text(
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: x}\n"
        "spec: {storage: {size: 1Gi}, instancs: 3}\n",
        encoding="utf-8",
    )
    result = run([gates_bin / "python", VALIDATE_CRDS, broken_crd])
    assert result.returncode == 1 and "instances" in result.stdout, result.stdout
    unknown_crd = tmp_path / "unknown-crd.yaml"
    unknown_crd.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n", encoding="utf-8")
    assert run([gates_bin / "python", VALIDATE_CRDS, unknown_crd]).returncode == 1
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\nautomountServiceAccountTokn: false\n",
        encoding="utf-8",
    )
    assert run([gates_bin / "kubernetes-validate", "--strict", broken]).returncode != 0
