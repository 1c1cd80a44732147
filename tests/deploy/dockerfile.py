"""A small reader of deploy/Dockerfile: stages, their instructions, and the chain of a target."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "Dockerfile"


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def chain(self, name: str) -> list[Stage]:
        """The stage and the stages it is built FROM, base first."""
        names = {s.name for s in self.stages}
        stages = [self.stage(name)]
        while stages[0].base in names:
            stages.insert(0, self.stage(stages[0].base))
        return stages

    def resolve(self, text: str) -> str:
        return re.sub(r"\$\{?(\w+)\}?", lambda m: self.args.get(m.group(1), m.group(0)), text)

    def user(self, target: str) -> str:
        users = [u for stage in self.chain(target) for u in stage.all("USER")]
        assert users, f"target {target} has no USER"
        return users[-1]

    def entrypoint(self, target: str) -> list[str]:
        entrypoints = [e for stage in self.chain(target) for e in stage.all("ENTRYPOINT")]
        assert entrypoints, f"target {target} has no ENTRYPOINT"
        value = json.loads(entrypoints[-1])
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), "ENTRYPOINT must be exec form"
        return [str(v) for v in value]

    def exposed(self, target: str) -> set[int]:
        return {int(p.split("/")[0]) for stage in self.chain(target) for e in stage.all("EXPOSE") for p in e.split()}


def parse(path: Path = DOCKERFILE) -> Dockerfile:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), " ".join(rest.split())
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            assert match, f"cannot read FROM {rest!r}"
            stages.append(Stage(base=match.group(1), name=match.group(2) or str(len(stages))))
        elif keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append((keyword, rest))
    return Dockerfile(args, stages)
