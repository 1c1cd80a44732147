"""Validate the custom-resource objects of built manifests against deploy/k8s/schemas/.

Run with the gates venv's Python (it needs jsonschema and PyYAML):

    .venv/gates/bin/python deploy/tools/validate_crds.py built.yaml [more.yaml ...]

Objects of a built-in API group (core, *.k8s.io, apps, batch, policy, autoscaling) are left to
kubernetes-validate; every other object must have a schema named ``<group>_<version>_<kind>.json``
and match it. An object without a schema is an error, never a silent pass. Prints one line per
object checked and exits 1 on any error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parents[1] / "k8s" / "schemas"
BUILT_IN_GROUPS = {"", "apps", "batch", "policy", "autoscaling"}


def is_built_in(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group in BUILT_IN_GROUPS or group.endswith(".k8s.io")


def schema_path(api_version: str, kind: str) -> Path:
    group, _, version = api_version.rpartition("/")
    return SCHEMAS / f"{group}_{version}_{kind.lower()}.json"


def validate(document: dict[str, Any]) -> list[str]:
    path = schema_path(document["apiVersion"], document["kind"])
    if not path.is_file():
        return [f"no schema {path.name} under {SCHEMAS}"]
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


def main(paths: list[str]) -> int:
    failed = checked = 0
    for name in paths:
        with open(name, encoding="utf-8") as stream:
            documents = [d for d in yaml.safe_load_all(stream) if d]
        for document in documents:
            if is_built_in(document["apiVersion"]):
                continue
            checked += 1
            label = f"{document['apiVersion']} {document['kind']}/{document['metadata']['name']}"
            errors = validate(document)
            failed += bool(errors)
            print(f"{'FAIL' if errors else 'ok'} {name}: {label}")
            for error in errors:
                print(f"    {error}")
    print(f"{checked} custom resources checked, {failed} failed")
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
