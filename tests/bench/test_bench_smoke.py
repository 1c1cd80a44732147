"""The benchmark runs end to end in its quick form and every call it measured succeeded.

Correctness only: the figures depend on the machine, so no rate or latency is asserted beyond being
positive (DESIGN.md: tests never assert on wall-clock time)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEASUREMENT_KEYS = {
    "key",
    "service",
    "rpc",
    "tool",
    "kind",
    "concurrency",
    "requests",
    "seconds",
    "rate_per_second",
    "p50_ms",
    "p99_ms",
    "baseline",
    "ratio_to_baseline",
    "ratio_rounds",
    "server_codes",
    "server_cpu_ms_per_request",
    "postgres_cpu_ms_per_request",
    "client_outcomes",
    "verified",
    "note",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("bench") / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    loaded: dict[str, Any] = json.loads(output.read_text())
    return loaded


@pytest.mark.slow
def test_every_measured_call_succeeded(results: dict[str, Any]) -> None:
    assert results["quick"] is True
    assert results["all_verified"] is True
    for key, m in results["measurements"].items():
        assert set(m) == MEASUREMENT_KEYS, key
        assert m["key"] == key
        assert m["verified"] is True, key
        # The server's own counters: this method answered OK only, at least once per measured call.
        assert set(m["server_codes"]) == {"OK"}, (key, m["server_codes"])
        assert m["server_codes"]["OK"] >= m["requests"] > 0, key
        assert set(m["client_outcomes"]) <= {"OK", "HTTP 2xx"}, (key, m["client_outcomes"])


@pytest.mark.slow
def test_talent_rates_against_their_baselines(results: dict[str, Any]) -> None:
    measurements = results["measurements"]
    expected = {
        "talent.health.grpc_aio": "",
        "talent.get_target_progress.grpc_aio": "talent.health.grpc_aio",
        "talent.health.grpc_aio.creates": "",
        "talent.create_candidate.grpc_aio": "talent.health.grpc_aio.creates",
        "talent.health.grpc_aio.after_creates": "",
        "talent.get_target_progress.grpc_aio.after_creates": "talent.health.grpc_aio.after_creates",
    }
    if shutil.which("h2load"):
        expected |= {
            "talent.health.h2load": "",
            "talent.get_target_progress.h2load": "talent.health.h2load",
        }
    assert expected.keys() <= measurements.keys()
    for key, baseline in expected.items():
        m = measurements[key]
        assert m["baseline"] == baseline, key
        assert m["kind"] == "throughput"
        assert m["rate_per_second"] > 0 and m["ratio_to_baseline"] > 0, key
        assert m["p99_ms"] >= m["p50_ms"] > 0, key
        # Baseline and measured RPC ran through the same tool at the same concurrency.
        if baseline:
            assert (m["tool"], m["concurrency"]) == (
                measurements[baseline]["tool"],
                measurements[baseline]["concurrency"],
            )
    assert results["talent"]["targets"] == 3
    assert results["talent"]["candidates_created"] > results["talent"]["seeded_applications"]


@pytest.mark.slow
def test_competition_measured_or_said_why_not(results: dict[str, Any]) -> None:
    competition = results["competition"]
    measurements = results["measurements"]
    if not competition["available"]:
        # Until the competition RPCs exist the benchmark names the missing one and goes on.
        assert competition["reason"]
        return
    submit = measurements["competition.submit_score_sheet.grpc_aio"]
    assert submit["baseline"] == "competition.health.grpc_aio"
    assert submit["rate_per_second"] > 0 and submit["ratio_to_baseline"] > 0
    leaderboard = measurements["competition.get_leaderboard.sequential"]
    assert leaderboard["kind"] == "latency"
    assert leaderboard["baseline"] == "competition.health.sequential"
    assert leaderboard["ratio_to_baseline"] > 0
    assert competition["sheets"] == competition["entries"] * 5
    assert competition["leaderboard_seconds"]["median"] > 0
