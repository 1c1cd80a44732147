"""``python -m bench.ab REV [REV …] [--rpc RPC]``: builds of a service, side by side.

Each revision (``.`` is the working tree; anything else is checked out into a temporary git
worktree) runs as ``--copies`` processes of the RPC's service on one embedded PostgreSQL, next to
the bare ceiling of the RPC: talent for ``get`` (GetCandidate), ``list`` (ListCandidates) and
``create`` (CreateCandidate); competition for ``round`` (GetRound), ``assignments``
(ListAssignments) and ``submit`` (SubmitScoreSheet). Rounds are interleaved: every process gets one
slice per round, with the same tool and concurrency as ``make bench`` (h2load for the reads,
grpc.aio with unique requests for the writes). Per process it prints the rate's median and its
ratio to the ceiling, and the service CPU per call (all threads, from /proc), which varies less
than rates do.

Two copies of each build show the noise between processes (about ±0.01 ms of CPU per call on the
2-core machine this was written on): a difference smaller than that is not one. This is how a
change to the per-call path is judged before it is kept; ``make bench`` then gives the ratios."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grpc import aio
from rich.console import Console
from rich.table import Table

from bench import bare, competition, talent
from bench.cluster import REPOSITORY, Cluster, ServiceProcess
from bench.config import FULL
from bench.loadgen import Call, LoadResult, h2load_path, run_grpc, run_h2load
from protos.competition.v1 import competition_pb2 as cpb
from protos.competition.v1 import competition_pb2_grpc
from protos.talent.v1 import talent_pb2 as pb

CONCURRENCY, H2LOAD_SHAPE = 32, (4, 8)
CEILINGS = {
    "get": "select",
    "list": "page",
    "create": "insert",
    "round": "select",
    "assignments": "page",
    "submit": "insert",
}
WRITES = {"create", "submit"}
COMPETITION = {"round", "assignments", "submit"}
# Unique write calls per process and second of slices, by default: above what a build here reaches.
WRITES_PER_SECOND = 2000
# Entries of the contest the competition reads use: a round with more assignments than a page.
READ_ENTRIES = 200


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Contender:
    name: str
    process: ServiceProcess
    calls: list[Call]
    unique: bool
    offset: int = 0
    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    postgres_ms: list[float] = field(default_factory=list)

    async def slice(self, seconds: float, *, record: bool) -> None:
        assert self.process.process is not None
        counted = await asyncio.to_thread(self.process.counters)
        before = cpu_seconds(self.process.process.pid)
        result: LoadResult
        if self.unique:
            if self.offset >= len(self.calls):
                raise RuntimeError(f"{self.name}: all {len(self.calls)} unique calls are used; raise --writes")
            result = await run_grpc(
                self.process.target, self.calls[self.offset :], concurrency=CONCURRENCY, seconds=seconds
            )
            self.offset += result.issued or result.requests
        elif h2load_path() is None:  # as make bench does without h2load: grpc.aio, the same body
            result = await run_grpc(
                self.process.target, self.calls, concurrency=CONCURRENCY, seconds=seconds, limit=10**9
            )
        else:
            clients, streams = H2LOAD_SHAPE
            result = await asyncio.to_thread(
                run_h2load, self.process.target, self.calls[0], clients=clients, streams=streams, seconds=seconds
            )
        delta = (await asyncio.to_thread(self.process.counters)).minus(counted)
        handled = delta.handled
        # The server's own count of codes, as make bench checks: a build that fails fast is no faster.
        # A timed slice ends by cancelling the calls still in flight.
        failed = {k: n for k, n in handled.items() if k[1] != "OK" and not (k[1] == "Cancelled" and n <= CONCURRENCY)}
        if failed or not result.requests:
            raise RuntimeError(f"{self.name}: {result.requests} calls, the server counted {failed or handled}")
        if record:
            self.rates.append(result.rate)
            self.cpu_ms.append((cpu_seconds(self.process.process.pid) - before) / result.requests * 1000)
            # Slices run one at a time, so the database's CPU in a slice is this process's calls'.
            self.postgres_ms.append(delta.postgres_cpu_seconds / result.requests * 1000)


@contextlib.contextmanager
def checkouts(revisions: list[str]) -> Iterator[dict[str, Path]]:
    """Each revision's source tree: the working tree for ``.``, a temporary worktree otherwise."""
    trees: dict[str, Path] = {}
    made: list[Path] = []
    try:
        for revision in revisions:
            if revision == ".":
                trees[revision] = REPOSITORY
                continue
            tree = Path(tempfile.mkdtemp(prefix="bench-ab-"))
            subprocess.run(
                ["git", "worktree", "add", "--detach", "-q", str(tree), revision], cwd=REPOSITORY, check=True
            )
            made.append(tree)
            trees[revision] = tree
        yield trees
    finally:
        for tree in made:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPOSITORY, check=False)


def unique_creates(variant: int, count: int) -> list[Call]:
    """CreateCandidate calls unique across variants: e-mail, phone and document differ per variant."""
    calls = []
    for n in range(count):
        candidate = talent.candidate(n, "abdefghijk"[variant % 10])
        candidate.contact.phone = f"13{variant % 7}{n:08d}"  # 130–136: no seeded candidate's (137)
        request = pb.CreateCandidateRequest(candidate=candidate, request_id=f"ab-{variant}-{n}")
        calls.append(Call(talent.CREATE_CANDIDATE, request.SerializeToString(), talent.EDITOR))
    return calls


async def run(args: argparse.Namespace, console: Console) -> list[Contender]:
    with checkouts(args.revisions) as trees:
        async with Cluster(keep=args.keep) as cluster:
            service, prefix = ("competition", "COMPETITION_") if args.rpc in COMPETITION else ("talent", "TALENT_")
            names = (
                await talent.seed_applications(cluster.talent, 300) if service == "talent" and cluster.talent else []
            )
            processes: list[tuple[str, ServiceProcess]] = []
            for index, revision in enumerate(args.revisions):
                for copy in range(args.copies):
                    process = ServiceProcess(
                        service,
                        prefix,
                        cluster.database_url,
                        cluster.work_dir,
                        cluster.postgres_cpu_seconds,
                        source=trees[revision],
                    )
                    process.log_path = cluster.work_dir / f"{service}-ab-{index}-{copy}.log"
                    cluster.extra.append(process)
                    await process.start()
                    processes.append((f"{revision} #{copy + 1}", process))
            if args.rpc == "submit":
                assert cluster.competition is not None
                with console.status("setting up the contest…"):
                    shares = await sheet_shares(cluster.competition, len(processes), args.writes)
                pairs = zip(processes, shares, strict=True)
                contenders = [Contender(name, process, calls, True) for (name, process), calls in pairs]
            elif args.rpc in COMPETITION:
                assert cluster.competition is not None
                with console.status("setting up the contest…"):
                    read = await competition_read(cluster.competition, args.rpc)
                contenders = [Contender(name, process, [read], False) for name, process in processes]
            else:
                contenders = [
                    Contender(name, process, *calls_for(args, names, variant))
                    for variant, (name, process) in enumerate(processes)
                ]
            ceiling = await cluster.start_bare(CEILINGS[args.rpc])
            contenders.append(Contender(f"bare {CEILINGS[args.rpc]}", ceiling, *ceiling_calls(args)))
            await cluster.analyze()
            for round_number in range(args.rounds + 1):  # round 0 warms up
                with console.status(f"round {round_number} of {args.rounds}…"):
                    for contender in contenders:
                        await contender.slice(args.seconds if round_number else 1.0, record=round_number > 0)
    return contenders


async def sheet_shares(service: ServiceProcess, processes: int, sheets: int) -> list[list[Call]]:
    """One OPEN round with ``sheets`` unique score sheets per process (make bench's contest, judges and
    criteria), set up through ``service``; each process is given its own assignments."""
    judges_per_entry = FULL.judges_per_entry
    entries = -(-sheets * processes // judges_per_entry)
    async with aio.insecure_channel(service.target) as channel:
        stub = competition_pb2_grpc.CompetitionServiceStub(channel)
        round_name, assignments = await competition.set_up(stub, FULL, [], entries=entries)
    calls = competition.sheet_calls(round_name, assignments)  # judges already interleaved
    return [calls[i::processes] for i in range(processes)]


async def competition_read(service: ServiceProcess, rpc: str) -> Call:
    """make bench's GetRound or ListAssignments call, on a contest like its own (one OPEN round, every
    entry assigned) set up through ``service``; every process reads that same round."""
    async with aio.insecure_channel(service.target) as channel:
        stub = competition_pb2_grpc.CompetitionServiceStub(channel)
        round_name, _ = await competition.set_up(stub, FULL, [], entries=READ_ENTRIES)
    if rpc == "round":
        return Call(competition.GET_ROUND, cpb.GetRoundRequest(name=round_name).SerializeToString(), competition.ADMIN)
    request = cpb.ListAssignmentsRequest(round=round_name, page_size=competition.LIST_PAGE)
    return Call(competition.LIST_ASSIGNMENTS, request.SerializeToString(), competition.ADMIN)


def calls_for(args: argparse.Namespace, names: list[str], variant: int) -> tuple[list[Call], bool]:
    if args.rpc == "create":
        return unique_creates(variant, args.writes), True
    if args.rpc == "get":
        request = pb.GetCandidateRequest(name=names[len(names) // 2]).SerializeToString()
        return [Call(talent.GET_CANDIDATE, request, talent.VIEWER)], False
    request = pb.ListCandidatesRequest(page_size=talent.LIST_PAGE).SerializeToString()
    return [Call(talent.LIST_CANDIDATES, request, talent.VIEWER)], False


def ceiling_calls(args: argparse.Namespace) -> tuple[list[Call], bool]:
    if args.rpc in WRITES:
        return [Call(bare.INSERT, bare.insert_request(n)) for n in range(args.writes * 3)], True
    if CEILINGS[args.rpc] == "select":
        return [Call(bare.SELECT, bare.select_request(7))], False
    return [Call(bare.PAGE, bare.page_request(7))], False


def render(contenders: list[Contender], console: Console) -> None:
    ceiling = statistics.median(contenders[-1].rates)
    table = Table(title="Same-run A/B: median of the rounds (each round's figure in brackets)")
    for column in ("process", "req/s", "÷ ceiling", "service CPU ms/call", "PostgreSQL CPU ms/call"):
        table.add_column(column, justify="left" if column == "process" else "right")
    for c in contenders:
        rate, cpu = statistics.median(c.rates), statistics.median(c.cpu_ms)
        rounds = ", ".join(f"{x:.3f}" for x in c.cpu_ms)
        postgres = statistics.median(c.postgres_ms)
        postgres_rounds = ", ".join(f"{x:.3f}" for x in c.postgres_ms)
        table.add_row(
            c.name,
            f"{rate:,.0f}",
            f"{rate / ceiling:.3f}",
            f"{cpu:.4f} ({rounds})",
            f"{postgres:.4f} ({postgres_rounds})",
        )
    console.print(table)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[1])
    parser.add_argument("revisions", nargs="+", help="git revisions; . is the working tree")
    parser.add_argument("--rpc", choices=sorted(CEILINGS), default="get")
    parser.add_argument("--copies", type=int, default=2, help="processes per revision (default 2)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0, help="per slice")
    parser.add_argument(
        "--writes",
        type=int,
        help="unique calls per process for the writes: CreateCandidate calls or score sheets (default: enough for"
        f" {WRITES_PER_SECOND:,} a second, the bare INSERT three times as many)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (service logs)")
    args = parser.parse_args(argv)
    if args.writes is None:
        args.writes = round(WRITES_PER_SECOND * (args.rounds * args.seconds + 1))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    console = Console()
    render(asyncio.run(run(args, console)), console)


if __name__ == "__main__":
    main()
