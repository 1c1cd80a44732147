"""Gate (f): the image rules, read from deploy/Dockerfile's text (no Docker engine here)."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT
from .dockerfile import parse

TARGETS = ["talent", "competition", "portal"]
COMPILERS = re.compile(r"\b(gcc|g\+\+|cc|clang|build-essential|make|cmake|python3?-dev|libpq-dev)\b")


def test_base_image_is_a_pinned_slim_python() -> None:
    dockerfile = parse()
    names = {s.name for s in dockerfile.stages}
    bases = {dockerfile.resolve(s.base) for s in dockerfile.stages if s.base not in names}
    assert len(bases) == 1, bases
    (base,) = bases
    assert re.fullmatch(r"python:3\.11\.\d+-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?", base), base


def test_multi_stage_and_no_compiler_in_the_final_stages() -> None:
    dockerfile = parse()
    assert len(dockerfile.stages) >= 3
    build = dockerfile.stage("build")
    install = " ".join(build.all("RUN"))
    assert "-r /tmp/constraints.txt" in install and "--no-deps" in install and "--only-binary=:all:" in install
    assert "COPY deploy/constraints.txt /tmp/constraints.txt" in build.all("COPY") or any(
        "deploy/constraints.txt" in c for c in build.all("COPY")
    )
    for target in TARGETS:
        chain = dockerfile.chain(target)
        assert chain[0].name != "build", "the final image must not be built on the build stage"
        for stage in chain:
            for keyword, args in stage.instructions:
                assert not COMPILERS.search(args), f"{stage.name}: {keyword} {args}"
                if keyword == "COPY" and "--from=" in args:
                    assert args.startswith("--from=build /opt/venv"), args


@pytest.mark.parametrize("target", TARGETS)
def test_runs_the_service_module_as_a_non_root_user(target: str) -> None:
    dockerfile = parse()
    uid, _, gid = dockerfile.user(target).partition(":")
    assert uid.isdigit() and int(uid) >= 10000, "USER must be a numeric UID >= 10000"
    assert gid.isdigit() and int(gid) >= 10000, "USER must name a numeric GID >= 10000"
    assert dockerfile.entrypoint(target) == ["python", "-m", f"services.{target}"]
    copies = " ".join(c for stage in dockerfile.chain(target) for c in stage.all("COPY"))
    assert "protos/ /app/protos/" in copies and "services/ /app/services/" in copies
    env = " ".join(e for stage in dockerfile.chain(target) for e in stage.all("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONPATH=/app" in env


def test_dockerignore_keeps_what_the_image_needs() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert lines[[line.strip() for line in lines].index("*")] == "*"
    for needed in ("!services/", "!protos/", "!deploy/constraints.txt"):
        assert needed in lines
