"""The portal load check (bench/portal.py) in its quick form: every sheet stored exactly once.
Correctness only: no timing is asserted."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from tests.support import create_database

ROOT = Path(__file__).resolve().parents[2]


async def test_quick_load_check_stores_every_sheet_once(postgres_url: str) -> None:
    database = await create_database(postgres_url)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bench.portal", "--quick", "--database-url", database],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "10/10 sheets stored exactly once" in result.stdout
    assert "HTTP statuses {303: 20}" in result.stdout
