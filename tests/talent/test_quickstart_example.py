"""The README's Python quick start runs as printed against a real talent service."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from services.common.server import RunningService
from tests.support import token

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "talent_quickstart.py"


async def test_quickstart_moves_an_application_to_selected(talent_service: RunningService) -> None:
    environment = {
        **os.environ,
        "TALENT_ADDR": f"127.0.0.1:{talent_service.grpc_port}",
        "TOKEN": token("hr-portal", "talent.editor"),
        "PYTHONPATH": str(EXAMPLE.parents[2]),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    output = stdout.decode()
    assert "is STAGE_SELECTED" in output
    assert "Ouyue Talent Plan" in output
