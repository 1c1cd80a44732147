"""How big and how long: the full run (``make bench``) and the quick one (the smoke test)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    quick: bool
    # Each RPC is measured for ``seconds`` in all, in ``rounds`` slices interleaved with its baseline's;
    # a slice also stops after ``max_requests`` (when set).
    seconds: float
    rounds: int
    max_requests: int | None
    # h2load: a timed probe that warms up and calibrates the request count (0: none).
    warmup_seconds: float
    warmup_calls: int
    # Concurrent calls in flight: grpc.aio workers, and h2load clients × streams.
    concurrency: int
    h2load_clients: int
    h2load_streams: int
    # Talent: applications seeded before GetTargetProgress; unique candidates prepared for CreateCandidate.
    seed_applications: int
    candidate_pool: int
    # Competition: the round measured (entries × judges_per_entry sheets), judges, GetLeaderboard repeats.
    entries: int
    judges: int
    judges_per_entry: int
    leaderboard_repeats: int
    latency_baseline_calls: int
    # The replica scale check: its own contest (entries × judges_per_entry unique sheets), and the
    # most requests per slice (None: time only).
    scale_entries: int
    scale_max_requests: int | None
    # Unique requests prepared for the bare INSERT ceiling.
    bare_insert_pool: int

    @property
    def h2load_shape(self) -> tuple[int, int]:
        return self.h2load_clients, self.h2load_streams


FULL = Config(
    quick=False,
    seconds=8.0,
    rounds=4,
    max_requests=None,
    warmup_seconds=1.5,
    warmup_calls=300,
    concurrency=32,
    h2load_clients=4,
    h2load_streams=8,
    seed_applications=300,
    candidate_pool=30_000,
    entries=2000,
    judges=50,
    judges_per_entry=5,
    leaderboard_repeats=5,
    latency_baseline_calls=300,
    scale_entries=2200,
    scale_max_requests=1100,
    bare_insert_pool=100_000,
)

QUICK = Config(
    quick=True,
    seconds=10.0,
    rounds=1,
    max_requests=200,
    warmup_seconds=0.0,
    warmup_calls=20,
    concurrency=8,
    h2load_clients=2,
    h2load_streams=4,
    seed_applications=20,
    candidate_pool=260,
    entries=40,
    judges=12,
    judges_per_entry=5,
    leaderboard_repeats=2,
    latency_baseline_calls=50,
    scale_entries=40,
    scale_max_requests=50,
    bare_insert_pool=1_000,
)
