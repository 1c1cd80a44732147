"""services.common.singleflight: one computation per key for concurrent callers, a bounded cache,
failures not kept, a cancelled caller not cancelling the others' computation. (The API-level test is
test_api_heavy_reads.py::test_concurrent_identical_leaderboards_compute_once.)"""

from __future__ import annotations

import asyncio

import pytest

from services.common.singleflight import SingleFlight


async def test_concurrent_callers_share_one_computation_and_the_cache_is_bounded() -> None:
    flight: SingleFlight[str, int] = SingleFlight(max_cached=2)
    runs: list[str] = []
    release = asyncio.Event()

    async def compute(key: str) -> int:
        runs.append(key)
        await release.wait()
        return len(runs)

    waiting = [asyncio.create_task(flight.run("a", lambda: compute("a"))) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    assert set(await asyncio.gather(*waiting)) == {1}
    assert runs == ["a"]
    assert (flight.stats.computed, flight.stats.joined) == (1, 19)
    assert await flight.run("a", lambda: compute("a")) == 1 and flight.stats.cached == 1
    await flight.run("b", lambda: compute("b"))
    await flight.run("c", lambda: compute("c"))
    assert len(flight) == 2 and flight.cached("a") is None  # least recently used out
    assert flight.cached("c") == 3


async def test_a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    flight: SingleFlight[str, int] = SingleFlight(max_cached=4)
    attempts = 0

    async def failing() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        raise RuntimeError("database went away")

    results = await asyncio.gather(*(flight.run("k", failing) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert attempts == 1
    with pytest.raises(RuntimeError):
        await flight.run("k", failing)
    assert attempts == 2


async def test_a_cancelled_caller_does_not_cancel_the_computation() -> None:
    flight: SingleFlight[str, str] = SingleFlight(max_cached=4)
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "board"

    first = asyncio.create_task(flight.run("k", slow))
    second = asyncio.create_task(flight.run("k", slow))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await second == "board"
    assert first.cancelled()
    assert flight.cached("k") == "board"
