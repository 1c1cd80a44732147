"""Run ``python -m services.cli`` as a subprocess against the real test servers.

The servers live in the test's event loop, so the CLI runs through asyncio's subprocess API (a
blocking ``subprocess.run`` would stall the servers it talks to).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import token

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


Suite = Callable[..., Awaitable[Result]]


async def run_cli(
    *args: str,
    talent_port: int = 1,
    competition_port: int = 1,
    bearer: str | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SUITE_")}
    environ.update(
        {
            "SUITE_TALENT_ADDR": f"127.0.0.1:{talent_port}",
            "SUITE_COMPETITION_ADDR": f"127.0.0.1:{competition_port}",
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "200",
        }
    )
    if bearer:
        environ["SUITE_TOKEN"] = bearer
    environ.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
        cwd=cwd or ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin is not None else None), 120)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


ADMIN_TOKEN = token("cli-admin", "talent.admin", "competition.admin")
