"""CPU per score sheet: ``python -m tests.competition.sheet_cpu [--sheets N] [--replicas R]``.

Not a test (nothing here is collected): a short measurement for the write-path work. PostgreSQL
(embedded, in a scratch directory) and ``replicas`` competition processes on one database, a round
set up through the API (bench.competition.set_up), then ``sheets`` SubmitScoreSheet calls from a
grpc.aio closed loop spread over the replicas. Reported per committed sheet: the service processes'
CPU (their own /metrics ``process_cpu_seconds_total``) and PostgreSQL's (every server process, from
/proc). From those two the replica count at which PostgreSQL becomes the limit: a replica
saturates one core at 1000 / service_ms sheets/s; a database with c cores of its own takes
1000 × c / db_ms sheets/s, which needs service_ms / db_ms × c replicas to feed it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
from grpc import aio

from bench.cluster import ServiceProcess
from bench.competition import set_up, sheet_calls
from bench.config import QUICK
from bench.loadgen import Call, run_grpc
from protos.competition.v1 import competition_pb2_grpc
from services.common.embedded_pg import EmbeddedPostgres


def postgres_cpu_seconds(pgdata: Path) -> float:
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


async def run_spread(targets: list[str], calls: list[Call], concurrency: int) -> dict[str, int]:
    """The calls split evenly over the replicas, each share driven by its own closed loop."""
    shares = [calls[i :: len(targets)] for i in range(len(targets))]
    results = await asyncio.gather(
        *(
            run_grpc(t, share, concurrency=max(1, concurrency // len(targets)), seconds=600)
            for t, share in zip(targets, shares, strict=True)
        )
    )
    outcomes: dict[str, int] = {}
    for result in results:
        for code, n in result.outcomes.items():
            outcomes[code] = outcomes.get(code, 0) + n
    return outcomes


async def measure(sheets: int, replicas: int, concurrency: int, cores: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="sheet-cpu-"))
    postgres = EmbeddedPostgres(work / "pg")
    services: list[ServiceProcess] = []
    try:
        await asyncio.to_thread(postgres.start)
        connection = await asyncpg.connect(postgres.url)
        await connection.execute('CREATE DATABASE "bench"')
        await connection.close()
        url = postgres.url.rpartition("/")[0] + "/bench"
        for i in range(replicas):
            service = ServiceProcess("competition", "COMPETITION_", url, work / f"r{i}")
            (work / f"r{i}").mkdir()
            await service.start()
            services.append(service)
        judges_per_entry = 5
        warmup = 200
        entries = (sheets + warmup) // judges_per_entry + 1
        config = dataclasses.replace(QUICK, entries=entries, judges=max(10, entries // 20), judges_per_entry=5)
        async with aio.insecure_channel(services[0].target) as channel:
            round_name, assignments = await set_up(competition_pb2_grpc.CompetitionServiceStub(channel), config, [])
        calls = sheet_calls(round_name, assignments)
        targets = [s.target for s in services]
        warm = await run_spread(targets, calls[:warmup], concurrency)
        assert warm == {"OK": warmup}, warm
        measured = calls[warmup : warmup + sheets]
        before = [s.counters().cpu_seconds for s in services]
        pg_before = postgres_cpu_seconds(postgres.pgdata)
        started = time.perf_counter()
        outcomes = await run_spread(targets, measured, concurrency)
        elapsed = time.perf_counter() - started
        pg_cpu = postgres_cpu_seconds(postgres.pgdata) - pg_before
        service_cpu = sum(s.counters().cpu_seconds - b for s, b in zip(services, before, strict=True))
        done = outcomes.get("OK", 0)
        assert done == len(measured), outcomes
        service_ms = service_cpu * 1000 / done
        db_ms = pg_cpu * 1000 / done
        print(
            f"replicas={replicas} sheets={done} concurrency={concurrency} wall={elapsed:.2f}s"
            f" rate={done / elapsed:.0f}/s"
        )
        print(f"service CPU per sheet: {service_ms:.3f} ms  (all replicas together)")
        print(f"PostgreSQL CPU per sheet: {db_ms:.3f} ms")
        # A replica is one Python process: at most one core, so at most 1000 / service_ms sheets/s.
        print(
            f"one replica saturates at ≈{1000 / service_ms:.0f} sheets/s (one core); on {cores} shared cores the "
            f"whole system tops out at ≈{1000 * cores / (service_ms + db_ms):.0f} sheets/s; a database with c "
            f"dedicated cores takes ≈{1000 / db_ms:.0f} × c sheets/s, i.e. it becomes the limit from "
            f"≈{service_ms / db_ms:.1f} × c replicas"
        )
    finally:
        for service in services:
            service.stop()
        postgres.stop("immediate")
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sheets", type=int, default=2000)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    asyncio.run(measure(args.sheets, args.replicas, args.concurrency, args.cores))


if __name__ == "__main__":
    main()
