"""``python -m bench.markdown [results.json]``: the README's "Operating at scale" table from a run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parent / "results.json"


def verdict(met: bool | None) -> str:
    return "" if met is None else (" ✓" if met else " ✗")


def per_call(statements: dict[str, Any], key: str) -> str:
    """SQL statements per call of a measurement, keyed without the tool (``talent.get_candidate``)."""
    counted = statements.get(key.rpartition(".")[0])
    return f"{counted['per_call']:g}" if counted else "-"


def grouped(measurement: dict[str, Any]) -> str:
    """Under load, how many rows each group-commit statement wrote (one at a time it is one)."""
    rows = measurement.get("rows_per_group_statement", 0.0)
    return f"; under load {rows:.1f} rows a statement" if rows else ""


def table(results: dict[str, Any]) -> str:
    measurements = results["measurements"]
    lines = [
        "| RPC | tool | req/s | bare ceiling, req/s | ratio, median (min–max) | goal "
        "| CPU ms/call: service | bare | overhead (goal ≤ 0.15) | PostgreSQL | SQL statements/call |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    statements = results.get("sql_statements_per_call", {})
    for m in measurements.values():
        if not m["baseline"] or m["kind"] != "throughput":
            continue
        ceiling = measurements[m["baseline"]]
        ratio = f"{m['ratio_to_baseline']:.3f}"
        if len(m["ratio_rounds"]) > 1:
            ratio += f" ({m['ratio_min']:.3f}–{m['ratio_max']:.3f})"
        lines.append(
            f"| {m['service']} {m['rpc']} | {m['tool']} | {m['rate_per_second']:,.0f} "
            f"| {ceiling['rpc']}: {ceiling['rate_per_second']:,.0f} | {ratio} "
            f"| ≥ {m['goal_ratio']:g}{verdict(m['goal_met'])} "
            f"| {m['server_cpu_ms_per_request']:.2f} | {m['baseline_cpu_ms_per_request']:.2f} "
            f"| {m['overhead_cpu_ms_per_request']:+.3f}{verdict(m['overhead_goal_met'])} "
            f"| {m['postgres_cpu_ms_per_request']:.2f} (bare {m['baseline_postgres_cpu_ms_per_request']:.2f}) "
            f"| {per_call(statements, m['key'])} (bare {per_call(statements, m['baseline'])}){grouped(m)} |"
        )
    scale = results.get("scale", {})
    if scale.get("measured"):
        lines += [
            "",
            f"Replicas (SubmitScoreSheet, {scale['concurrency']} in flight): one {scale['one_replica_rate']:,.0f}/s, "
            f"two {scale['two_replicas_rate']:,.0f}/s = {scale['ratio']:.2f}× ({scale['ratio_min']:.2f}–"
            f"{scale['ratio_max']:.2f}; goal ≥ {scale['goal_ratio']:g} where the cores allow, {scale['cpus']} here); "
            f"per sheet {scale['service_cpu_ms_per_sheet']:.2f} ms service CPU and "
            f"{scale['postgres_cpu_ms_per_sheet']:.2f} ms PostgreSQL CPU, so PostgreSQL becomes the limit at "
            f"≈ {scale['replicas_per_postgres_core']:.1f} replicas per PostgreSQL core.",
        ]
    load = results["machine"].get("load_average", {})
    if load:
        lines += ["", f"Load average (1 min) at start and end of the run: {load['start'][0]} → {load['end'][0]}."]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    print(table(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
