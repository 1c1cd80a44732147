"""One computation for concurrent identical requests, and a small cache of the results.

A hundred viewers polling one live leaderboard must cost one computation, not a hundred: the first
caller of a key starts it in a task of its own, every caller of the same key while it runs awaits
that task, and the result is kept (least recently used first out) for later callers of the key. A
caller that is cancelled (its client went away) stops waiting, not the computation the others wait
for. A failed computation is not kept: every waiter gets the exception, the next caller tries again.

Keys must say everything the result depends on (for a leaderboard: round version, sheets
fingerprint, method), so a cached value is never stale. Use from one event loop.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class FlightStats:
    """What happened to the calls so far: computed (started a computation), joined (waited for one
    already running), cached (answered from the cache)."""

    computed: int = 0
    joined: int = 0
    cached: int = 0


class SingleFlight(Generic[K, V]):
    def __init__(self, max_cached: int) -> None:
        if max_cached < 0:
            raise ValueError("max_cached must not be negative")
        self._max_cached = max_cached
        self._cache: OrderedDict[K, V] = OrderedDict()
        self._running: dict[K, asyncio.Task[V]] = {}
        self.stats = FlightStats()

    def cached(self, key: K) -> V | None:
        """The cached result of ``key`` (None when there is none); counts as a use."""
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        return None

    async def run(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """The result for ``key``: cached, the running computation's, or a new one's."""
        if key in self._cache:
            self.stats.cached += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        task = self._running.get(key)
        if task is None:
            self.stats.computed += 1
            task = asyncio.ensure_future(compute())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        else:
            self.stats.joined += 1
        # shield: a cancelled caller must not cancel the computation the others are waiting for.
        return await asyncio.shield(task)

    def _finished(self, key: K, task: asyncio.Task[V]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if task.cancelled() or task.exception() is not None:
            return
        if self._max_cached == 0:
            return
        self._cache[key] = task.result()
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    def __len__(self) -> int:
        return len(self._cache)
