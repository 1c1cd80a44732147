"""Measurements, their check against the servers' own counters, the goals, the tables and results.json."""

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

# Issue 10: the most "service CPU per call above the bare server's" may be, for every RPC.
OVERHEAD_GOAL_MS = 0.15


@dataclass
class Measurement:
    """One row: a rate (``throughput``) or the time of one call (``latency``), against its bare ceiling."""

    key: str
    # "talent", "competition" or "bare" (a ceiling itself).
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
    # The key of the bare ceiling measured with it, interleaved, in the same run ("" for a ceiling).
    baseline: str = ""
    baseline_rate_per_second: float = 0.0
    # throughput: the median of the per-round ratios rate ÷ ceiling rate (``ratio_rounds``, each round
    # against the mean of the ceiling slices just before and just after it); latency: p50 ÷ ceiling p50.
    ratio_to_baseline: float = 1.0
    ratio_rounds: list[float] = field(default_factory=list)
    ratio_min: float = 1.0
    ratio_max: float = 1.0
    # The ratio issue 10 asks for (0: none) and whether this run met it; reported, never the exit status.
    goal_ratio: float = 0.0
    goal_met: bool | None = None
    # Handled RPCs of this method by grpc_code, from the server's /metrics (delta over the measured
    # slices): grpc_server_handled_total of the service, the bare server's own counter for a ceiling.
    server_codes: dict[str, int] = field(default_factory=dict)
    # Server process CPU time per handled request (all methods), from process_cpu_seconds_total.
    server_cpu_ms_per_request: float = 0.0
    # The same for the ceiling, and the difference: what the platform adds per call.
    baseline_cpu_ms_per_request: float = 0.0
    overhead_cpu_ms_per_request: float = 0.0
    overhead_goal_ms: float = 0.0
    overhead_goal_met: bool | None = None
    # PostgreSQL CPU time (server and backends) per handled request, and the ceiling's.
    postgres_cpu_ms_per_request: float = 0.0
    baseline_postgres_cpu_ms_per_request: float = 0.0
    # Rows per statement of the service's group commit under this load (0: it wrote no group).
    rows_per_group_statement: float = 0.0
    client_outcomes: dict[str, int] = field(default_factory=dict)
    verified: bool = False
    note: str = ""

    @classmethod
    def from_load(
        cls,
        key: str,
        service: str,
        rpc: str,
        result: LoadResult,
        delta: ServerCounters,
        method: str,
        note: str = "",
        kind: Literal["throughput", "latency"] = "throughput",
    ) -> Measurement:
        codes = delta.codes(method.lstrip("/"))
        handled = sum(n for (_, _), n in delta.handled.items())
        measurement = cls(
            key=key,
            service=service,
            rpc=rpc,
            tool=result.tool,
            kind=kind,
            concurrency=result.concurrency,
            requests=result.requests,
            seconds=round(result.seconds, 3),
            rate_per_second=round(result.rate, 1),
            p50_ms=round(result.percentile(0.50), 3),
            p99_ms=round(result.percentile(0.99), 3),
            server_codes=codes,
            server_cpu_ms_per_request=round(1000 * delta.cpu_seconds / handled, 4) if handled else 0.0,
            postgres_cpu_ms_per_request=round(1000 * delta.postgres_cpu_seconds / handled, 4) if handled else 0.0,
            rows_per_group_statement=round(delta.group_rows / delta.group_statements, 2)
            if delta.group_statements
            else 0.0,
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

    def against(self, ceiling: Measurement, rounds: list[float] | None = None, goal: float = 0.0) -> Measurement:
        """Ratio, CPU overhead and goals against ``ceiling``; ``rounds``: the per-round rate ratios."""
        self.baseline = ceiling.key
        self.baseline_rate_per_second = ceiling.rate_per_second
        if self.kind == "throughput":
            self.ratio_rounds = rounds or [round(self.rate_per_second / ceiling.rate_per_second, 4)]
            ordered = sorted(self.ratio_rounds)
            middle = len(ordered) // 2
            median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
            self.ratio_to_baseline = round(median, 4)
            self.ratio_min, self.ratio_max = ordered[0], ordered[-1]
            self.goal_ratio = goal
            self.goal_met = self.ratio_to_baseline >= goal if goal else None
        else:
            self.ratio_to_baseline = round(self.p50_ms / ceiling.p50_ms, 1) if ceiling.p50_ms else 0.0
            self.ratio_min = self.ratio_max = self.ratio_to_baseline
        self.baseline_cpu_ms_per_request = ceiling.server_cpu_ms_per_request
        self.baseline_postgres_cpu_ms_per_request = ceiling.postgres_cpu_ms_per_request
        self.overhead_cpu_ms_per_request = round(self.server_cpu_ms_per_request - ceiling.server_cpu_ms_per_request, 4)
        if self.kind == "throughput":
            self.overhead_goal_ms = OVERHEAD_GOAL_MS
            self.overhead_goal_met = self.overhead_cpu_ms_per_request <= OVERHEAD_GOAL_MS
        return self


def verdict(met: bool | None) -> str:
    return "" if met is None else ("[green]PASS[/green]" if met else "[red]FAIL[/red]")


@dataclass
class Report:
    quick: bool
    measurements: list[Measurement] = field(default_factory=list)
    competition: dict[str, Any] = field(default_factory=lambda: {"available": False, "reason": "not run"})
    talent: dict[str, Any] = field(default_factory=dict)
    # The replica scale check (SubmitScoreSheet on one vs two competition replicas).
    scale: dict[str, Any] = field(default_factory=lambda: {"measured": False, "reason": "not run"})
    load_average: dict[str, list[float]] = field(default_factory=dict)
    # SQL statements per call, by RPC (bench/statements.py).
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, measurement: Measurement) -> Measurement:
        self.measurements.append(measurement)
        return measurement

    @property
    def all_verified(self) -> bool:
        verified = bool(self.measurements) and all(m.verified for m in self.measurements)
        return verified and bool(self.scale.get("verified", True))

    def goals(self) -> dict[str, Any]:
        rows = [m for m in self.measurements if m.baseline and m.kind == "throughput"]
        return {
            "ratio": {m.key: {"goal": m.goal_ratio, "ratio": m.ratio_to_baseline, "met": m.goal_met} for m in rows},
            "overhead_ms": {
                m.key: {
                    "goal": m.overhead_goal_ms,
                    "overhead": m.overhead_cpu_ms_per_request,
                    "met": m.overhead_goal_met,
                }
                for m in rows
            },
            "scale": {k: self.scale[k] for k in ("goal_ratio", "ratio", "met") if k in self.scale},
        }

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
                # 1, 5, 15-minute load averages when the run started and ended: other load on the machine.
                "load_average": self.load_average,
            },
            "goals": self.goals(),
            "talent": self.talent,
            "competition": self.competition,
            "scale": self.scale,
            "sql_statements_per_call": self.statements,
            "measurements": {m.key: asdict(m) for m in self.measurements},
        }

    def write(self, path: Path, h2load: str, total_seconds: float) -> None:
        path.write_text(json.dumps(self.to_json(h2load, total_seconds), indent=2, ensure_ascii=False) + "\n")

    def print(self, console: Console) -> None:
        console.print(self.rates_table())
        console.print(self.cpu_table())
        if self.scale.get("measured"):
            console.print(self.scale_lines())
        else:
            console.print(f"replica scale check: not measured ({self.scale.get('reason')})")
        if self.statements:
            counts = ", ".join(f"{key} {s['per_call']:g}" for key, s in self.statements.items())
            console.print(f"SQL statements per call: {counts}")
        if not self.competition.get("available"):
            console.print(f"competition: not measured ({self.competition.get('reason')})")
        for m in self.measurements:
            if m.note:
                console.print(f"[dim]{m.key}: {m.note}[/dim]")

    def rates_table(self) -> Table:
        table = Table(title="Rates against the bare ceilings measured in the same run (interleaved rounds)")
        for column in ("service", "RPC", "tool", "conc.", "requests", "req/s", "p50 ms", "p99 ms"):
            table.add_column(column, justify="left" if column in ("service", "RPC", "tool") else "right")
        table.add_column("ceiling (req/s)")
        table.add_column("ratio median (min–max)", justify="right")
        table.add_column("goal", justify="right")
        table.add_column("server codes")
        for m in self.measurements:
            if not m.baseline:
                ceiling, ratio, goal = "ceiling", "-", ""
            elif m.kind == "throughput":
                ceiling = f"{m.baseline.removeprefix('bare.')} ({m.baseline_rate_per_second:,.0f})"
                ratio = f"{m.ratio_to_baseline:.3f}"
                if len(m.ratio_rounds) > 1:
                    ratio += f" ({m.ratio_min:.3f}–{m.ratio_max:.3f})"
                goal = f"≥ {m.goal_ratio:g} {verdict(m.goal_met)}" if m.goal_ratio else ""
            else:
                ceiling = m.baseline.removeprefix("bare.")
                ratio, goal = f"{m.ratio_to_baseline:,.0f}× latency", ""
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
                ceiling,
                ratio,
                goal,
                ("" if m.verified else "[red]UNVERIFIED[/red] ") + codes,
            )
        return table

    def cpu_table(self) -> Table:
        table = Table(title="CPU per call (ms): the service, its bare ceiling, the difference (platform overhead)")
        for column in ("service", "RPC", "tool"):
            table.add_column(column)
        for column in ("service CPU", "bare CPU", "overhead", f"≤ {OVERHEAD_GOAL_MS:g}", "PG CPU", "bare PG CPU"):
            table.add_column(column, justify="right")
        for m in self.measurements:
            bare = m.baseline == ""
            table.add_row(
                m.service,
                m.rpc,
                m.tool,
                f"{m.server_cpu_ms_per_request:.3f}",
                "-" if bare else f"{m.baseline_cpu_ms_per_request:.3f}",
                "-" if bare else f"{m.overhead_cpu_ms_per_request:+.3f}",
                verdict(m.overhead_goal_met),
                f"{m.postgres_cpu_ms_per_request:.3f}",
                "-" if bare else f"{m.baseline_postgres_cpu_ms_per_request:.3f}",
            )
        return table

    def scale_lines(self) -> str:
        s = self.scale
        lines = [
            f"replica scale check (SubmitScoreSheet, {s['concurrency']} calls in flight in all, grpc.aio):",
            f"  one replica {s['one_replica_rate']:,.0f}/s, two replicas {s['two_replicas_rate']:,.0f}/s: "
            f"ratio {s['ratio']:.2f} ({s['ratio_min']:.2f}–{s['ratio_max']:.2f}) against the goal "
            f"≥ {s['goal_ratio']:g} {verdict(s['met'])}"
            + ("" if s["cores_allow"] else f" (the goal applies where the cores allow: {s['cpus']} CPUs here)"),
            f"  per sheet: service CPU {s['service_cpu_ms_per_sheet']:.3f} ms (one replica), "
            f"{s['service_cpu_ms_per_sheet_two_replicas']:.3f} ms (two); PostgreSQL CPU "
            f"{s['postgres_cpu_ms_per_sheet']:.3f} ms",
            f"  one fully used core per replica serves ≈ {s['sheets_per_replica_core']:,.0f} sheets/s; one PostgreSQL "
            f"core ≈ {s['sheets_per_postgres_core']:,.0f} sheets/s: PostgreSQL becomes the limit at "
            f"≈ {s['replicas_per_postgres_core']:.1f} replicas per PostgreSQL core",
        ]
        return "\n".join(lines)
