"""Measurements, their check against the server's own counters, the table and results.json."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from bench.cluster import ServerCounters
from bench.loadgen import LoadResult


@dataclass
class Measurement:
    """One row: a rate (``throughput``) or the time of one call (``latency``), with its baseline."""

    key: str
    service: str
    rpc: str
    tool: str
    kind: Literal["throughput", "latency"]
    concurrency: int
    requests: int
    seconds: float
    rate_per_second: float
    p50_ms: float
    p99_ms: float
    # The key of the bare baseline measured in the same run ("" for a baseline itself).
    baseline: str = ""
    # throughput: rate ÷ baseline rate (the median of ``ratio_rounds`` when interleaved with the
    # baseline); latency: p50 ÷ baseline p50. 1.0 for a baseline.
    ratio_to_baseline: float = 1.0
    ratio_rounds: list[float] = field(default_factory=list)
    # Handled RPCs of this method by grpc_code, from the server's /metrics (delta over the run,
    # including any warm-up and the verification call).
    server_codes: dict[str, int] = field(default_factory=dict)
    # Server process CPU time per handled request (all methods), from process_cpu_seconds_total.
    server_cpu_ms_per_request: float = 0.0
    # PostgreSQL CPU time (server and backends) per handled request.
    postgres_cpu_ms_per_request: float = 0.0
    client_outcomes: dict[str, int] = field(default_factory=dict)
    verified: bool = False
    note: str = ""

    @classmethod
    def from_load(
        cls, key: str, service: str, rpc: str, result: LoadResult, delta: ServerCounters, method: str, note: str = ""
    ) -> Measurement:
        codes = delta.codes(method.lstrip("/"))
        handled = sum(n for (_, _), n in delta.handled.items())
        measurement = cls(
            key=key,
            service=service,
            rpc=rpc,
            tool=result.tool,
            kind="throughput",
            concurrency=result.concurrency,
            requests=result.requests,
            seconds=round(result.seconds, 3),
            rate_per_second=round(result.rate, 1),
            p50_ms=round(result.percentile(0.50), 3),
            p99_ms=round(result.percentile(0.99), 3),
            server_codes=codes,
            server_cpu_ms_per_request=round(1000 * delta.cpu_seconds / handled, 3) if handled else 0.0,
            postgres_cpu_ms_per_request=round(1000 * delta.postgres_cpu_seconds / handled, 3) if handled else 0.0,
            client_outcomes=dict(result.outcomes),
            note=note,
        )
        measurement.verified = measurement.check()
        return measurement

    def check(self) -> bool:
        """Every call the server handled for this method succeeded, and it handled at least as many
        as the client counted; on the client side, nothing but OK (or HTTP 2xx for h2load)."""
        ok = self.server_codes.get("OK", 0)
        others = sum(n for code, n in self.server_codes.items() if code != "OK")
        client_good = all(k in ("OK", "HTTP 2xx") for k in self.client_outcomes)
        return self.requests > 0 and others == 0 and ok >= self.requests and client_good

    def against(self, baseline: Measurement) -> Measurement:
        self.baseline = baseline.key
        if self.kind == "throughput":
            self.ratio_to_baseline = round(self.rate_per_second / baseline.rate_per_second, 4)
        else:
            self.ratio_to_baseline = round(self.p50_ms / baseline.p50_ms, 1)
        return self


@dataclass
class Report:
    quick: bool
    measurements: list[Measurement] = field(default_factory=list)
    competition: dict[str, Any] = field(default_factory=lambda: {"available": False, "reason": "not run"})
    talent: dict[str, Any] = field(default_factory=dict)

    def add(self, measurement: Measurement) -> Measurement:
        self.measurements.append(measurement)
        return measurement

    @property
    def all_verified(self) -> bool:
        return bool(self.measurements) and all(m.verified for m in self.measurements)

    def to_json(self, h2load: str, total_seconds: float) -> dict[str, Any]:
        return {
            "quick": self.quick,
            "all_verified": self.all_verified,
            "total_seconds": round(total_seconds, 1),
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "h2load": h2load,
            },
            "talent": self.talent,
            "competition": self.competition,
            "measurements": {m.key: asdict(m) for m in self.measurements},
        }

    def write(self, path: Path, h2load: str, total_seconds: float) -> None:
        path.write_text(json.dumps(self.to_json(h2load, total_seconds), indent=2, ensure_ascii=False) + "\n")

    def print(self, console: Console) -> None:
        table = Table(title="Benchmark (ratios against a bare baseline measured in the same run)")
        for column in ("service", "RPC", "tool", "conc.", "requests", "req/s", "p50 ms", "p99 ms"):
            table.add_column(column, justify="right" if column not in ("service", "RPC", "tool") else "left")
        table.add_column("vs baseline", justify="right")
        table.add_column("CPU ms/req svc+pg", justify="right")
        table.add_column("server codes")
        for m in self.measurements:
            if not m.baseline:
                ratio = "baseline"
            elif m.kind == "throughput":
                ratio = f"{m.ratio_to_baseline:.3f}× rate"
                if len(m.ratio_rounds) > 1:
                    ratio += f" ({min(m.ratio_rounds):.2f}–{max(m.ratio_rounds):.2f})"
            else:
                ratio = f"{m.ratio_to_baseline:,.0f}× latency"
            codes = ", ".join(f"{c} {n}" for c, n in m.server_codes.items()) or "-"
            table.add_row(
                m.service,
                m.rpc,
                m.tool,
                str(m.concurrency),
                f"{m.requests:,}",
                f"{m.rate_per_second:,.0f}" if m.kind == "throughput" else "-",
                f"{m.p50_ms:,.1f}",
                f"{m.p99_ms:,.1f}",
                ratio,
                f"{m.server_cpu_ms_per_request:.2f}+{m.postgres_cpu_ms_per_request:.2f}",
                ("" if m.verified else "[red]UNVERIFIED[/red] ") + codes,
            )
        console.print(table)
        if not self.competition.get("available"):
            console.print(f"competition: not measured ({self.competition.get('reason')})")
        for m in self.measurements:
            if m.note:
                console.print(f"[dim]{m.key}: {m.note}[/dim]")
