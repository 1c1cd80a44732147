"""The one way every process here waits to be told to stop."""

from __future__ import annotations

import asyncio
import signal


async def until_stopped() -> None:
    """Returns at the first SIGTERM (Kubernetes, ``make run``'s supervisor) or SIGINT (Ctrl-C)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
