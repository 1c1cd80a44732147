"""The admission gate's queue on its own: the bound, first come first served, and no slot lost when a
waiter times out, is cancelled, or is handed a slot in the same turn as it gives up. (The service-level
behaviour, RESOURCE_EXHAUSTED with RetryInfo and health under load, is in test_load.py.)"""

from __future__ import annotations

import asyncio
import random

import grpc
import pytest

from services.common.interceptors import CallGate, Refused


async def _turn(gate: CallGate) -> None:
    if not gate.admit():
        await gate.wait_turn()


async def test_calls_beyond_the_bound_wait_and_are_served_first_come_first_served() -> None:
    gate = CallGate("talent", 2, 5.0)
    assert gate.admit() and gate.admit()
    served: list[str] = []

    async def waiter(name: str) -> None:
        await _turn(gate)
        served.append(name)

    waiters = [asyncio.create_task(waiter(name)) for name in "abc"]
    await asyncio.sleep(0)
    assert served == [] and gate.in_flight == 5
    gate.leave()
    await asyncio.sleep(0)
    assert served == ["a"]
    gate.leave()
    gate.leave()  # "a" is done: two slots free, "b" and "c" run
    await asyncio.gather(*waiters)
    assert served == ["a", "b", "c"] and gate.in_flight == 2
    gate.leave()
    gate.leave()
    assert gate.in_flight == 0
    assert await gate.drained(0.1)


async def test_a_waiter_that_times_out_is_refused_and_its_place_is_not_kept() -> None:
    gate = CallGate("talent", 1, 0.05)
    assert gate.admit()
    with pytest.raises(Refused) as refused:
        await _turn(gate)
    assert refused.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert gate.in_flight == 1
    gate.leave()
    # The slot is free, not handed to the waiter that gave up.
    assert gate.admit()
    gate.leave()
    assert gate.in_flight == 0


@pytest.mark.parametrize("handed_first", [False, True], ids=["cancelled while waiting", "cancelled once handed"])
async def test_a_waiter_that_gives_up_passes_its_place_on(handed_first: bool) -> None:
    """Cancelled while it waits, or in the same turn as a leaving call handed it the slot (before it
    resumed): either way the slot reaches the next waiter."""
    gate = CallGate("talent", 1, 5.0)
    assert gate.admit()
    first = asyncio.create_task(_turn(gate))
    second = asyncio.create_task(_turn(gate))
    await asyncio.sleep(0)
    if handed_first:
        gate.leave()
        first.cancel()
    else:
        first.cancel()
        await asyncio.sleep(0)
        gate.leave()
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    assert gate.in_flight == 1
    gate.leave()
    assert gate.in_flight == 0


@pytest.mark.parametrize("seed", range(5))
async def test_under_random_arrivals_cancellations_and_timeouts_the_bound_holds_and_no_slot_is_lost(
    seed: int,
) -> None:
    rng = random.Random(seed)
    limit = 4
    gate = CallGate("talent", limit, 0.02)
    running = most = served = refused = 0

    async def call() -> None:
        nonlocal running, most, served, refused
        try:
            await _turn(gate)
        except Refused:
            refused += 1
            return
        try:
            running += 1
            most = max(most, running)
            await asyncio.sleep(rng.choice((0, 0, 0.001, 0.003)))
            served += 1
        finally:
            running -= 1
            gate.leave()

    tasks = []
    for _ in range(300):
        tasks.append(asyncio.create_task(call()))
        if rng.random() < 0.1:
            rng.choice(tasks).cancel()
        if rng.random() < 0.3:
            await asyncio.sleep(rng.choice((0, 0.0005)))
    await asyncio.gather(*tasks, return_exceptions=True)
    assert most <= limit
    assert served > 0
    assert gate.in_flight == 0
    assert await gate.drained(0.1)
    # Every slot came back: the bound's worth of calls run at once again.
    assert all(gate.admit() for _ in range(limit)) and not gate.admit()
