"""``python -m bench [--quick] [--output PATH] [--keep]``

Starts an embedded PostgreSQL in a temporary directory, both services and three bare grpc.aio
servers (echo, one INSERT, one indexed SELECT) as separate processes on loopback ports, measures
each RPC's rate against its bare ceiling through the same tool at the same concurrency, prints the
tables and writes results.json. Exit status 1 when any measured call failed (checked against the
servers' own counters); the goals are reported, PASS or FAIL, without changing the exit status."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from rich.console import Console

from bench import suite
from bench.cluster import Cluster
from bench.config import FULL, QUICK
from bench.loadgen import h2load_version
from bench.report import Report

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="a few hundred requests per RPC (smoke test)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (service logs)")
    parser.add_argument("--skip-competition", action="store_true")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace, console: Console) -> Report:
    config = QUICK if args.quick else FULL
    report = Report(quick=config.quick)
    report.load_average["start"] = [round(x, 2) for x in os.getloadavg()]
    async with Cluster(keep=args.keep) as cluster:
        assert cluster.talent is not None and cluster.competition is not None
        console.print(
            f"PostgreSQL on {cluster.postgres.url}; talent on {cluster.talent.target}, "
            f"competition on {cluster.competition.target} (scratch: {cluster.work_dir})"
        )
        await suite.run(report, cluster, config, console, args.skip_competition)
    report.load_average["end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main(argv: list[str]) -> int:
    args = parse(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    started = time.perf_counter()
    report = asyncio.run(run(args, console))
    elapsed = time.perf_counter() - started
    report.print(console)
    report.write(args.output, h2load_version(), elapsed)
    console.print(f"wrote {args.output} ({elapsed:.0f} s in all)")
    if not report.all_verified:
        console.print("[red]some measured calls failed: see 'server codes'[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
