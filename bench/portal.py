"""``python -m bench.portal [--judges 50] [--quick]``: many judges scoring through the portal at once.

Starts an embedded PostgreSQL (or uses ``BENCH_DATABASE_URL``), the competition service and the
portal on loopback ports in this process, sets up one open round with one entry per judge, and then
lets every judge at the same moment: open their link's sign-in page, sign in, open their assignments
and the entry, review, and confirm — twice, as a double click would. Afterwards it reads back over
gRPC that every sheet is stored exactly once (version 1, one history entry). Exit status 1 on any
miss. A correctness check under concurrency: client, portal and service share this machine (and
this process), so the timings it prints are only indicative.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from services.common.auth import mint_token
from services.common.embedded_pg import EmbeddedPostgres
from services.common.server import RunningService, start_service
from services.competition.service import DEFINITION
from services.competition.settings import CompetitionSettings
from services.portal.settings import PortalSettings
from services.portal.web.app import RunningPortal, start_portal

JWT_KEY = "bench-jwt-key-0123456789abcdef-0123456789"
PAGE_TOKEN_SECRET = "bench-page-token-secret-0123456789"
CONTEST = "bench-portal"
ROUND = f"contests/{CONTEST}/rounds/preliminary"
CRITERIA = [
    pb.Criterion(key="technology", display_name="技术创新", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="industrialisation", display_name="产业化前景", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="team", display_name="团队", weight=20, min_value=0, max_value=10, step=1),
    pb.Criterion(key="landing", display_name="落地意向", weight=20, min_value=0, max_value=10, step=1),
]
_HIDDEN = re.compile(r'<input type="hidden" name="(csrf|request_id)" value="([^"]*)">')


def admin() -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {mint_token(JWT_KEY, 'bench-admin', ['competition.admin'])}"),)


def hidden(page: str, name: str) -> str:
    for found, value in _HIDDEN.findall(page):
        if found == name:
            return html.unescape(value)
    raise AssertionError(f"no hidden {name} field on the page")


class PortalJudge:
    """One judge's browser, as plain HTTP: the same forms, cookies and CSRF secrets as Chromium."""

    def __init__(self, base: str) -> None:
        self.base = base
        # The portal runs on 127.0.0.1: aiohttp keeps cookies of IP hosts only when told to.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str) -> str:
        async with self.http.get(self.base + path) as response:
            response.raise_for_status()
            return await response.text()

    async def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        async with self.http.post(self.base + path, data=form, allow_redirects=False) as response:
            return response.status, await response.text()

    async def sign_in(self, code: str) -> None:
        page = await self.get("/signin")
        status, _ = await self.post("/signin", {"csrf": hidden(page, "csrf"), "code": code})
        if status != 303:
            raise AssertionError(f"sign-in answered {status}")

    async def submit(self, entry_path: str, scores: dict[str, str], comment: str, twice: bool = True) -> list[int]:
        page = await self.get(entry_path)
        form = {"csrf": hidden(page, "csrf"), "comment": comment, **{f"score.{k}": v for k, v in scores.items()}}
        status, review = await self.post(entry_path, {**form, "action": "review"})
        if status != 200:
            raise AssertionError(f"review answered {status}")
        confirm = {**form, "action": "submit", "request_id": hidden(review, "request_id"), "replaces": "0"}
        sends = [self.post(entry_path, confirm) for _ in range(2 if twice else 1)]
        return [status for status, _ in await asyncio.gather(*sends)]


@dataclass
class Result:
    judges: int
    seconds: float
    statuses: dict[int, int]
    stored_once: int
    misses: list[str]


async def setup(stub: Any, judges: int) -> dict[str, str]:
    metadata = admin()
    ids = [f"bench-j-{n:03d}" for n in range(judges)]
    for judge_id in ids:
        await stub.CreateJudge(
            pb.CreateJudgeRequest(judge=pb.Judge(display_name=f"评委{judge_id[-3:]}"), judge_id=judge_id),
            metadata=metadata,
        )
    await stub.CreateContest(
        pb.CreateContestRequest(
            contest=pb.Contest(display_name="门户压力测试", year=2026, judges=[f"judges/{j}" for j in ids]),
            contest_id=CONTEST,
        ),
        metadata=metadata,
    )
    await stub.CreateRound(
        pb.CreateRoundRequest(
            parent=f"contests/{CONTEST}",
            round_id="preliminary",
            round=pb.Round(
                display_name="初赛",
                kind=pb.ROUND_KIND_PRELIMINARY,
                sequence=1,
                criteria=CRITERIA,
                judges_per_entry=1,
                aggregation=pb.AGGREGATION_METHOD_MEAN,
                advancement=pb.Advancement(top_n=1),
            ),
        ),
        metadata=metadata,
    )
    await stub.BatchCreateEntries(
        pb.BatchCreateEntriesRequest(
            parent=f"contests/{CONTEST}",
            requests=[
                pb.CreateEntryRequest(
                    parent=f"contests/{CONTEST}",
                    entry_id=f"bench-e-{n:03d}",
                    entry=pb.Entry(title=f"项目 {n:03d}", domain=pb.DOMAIN_DIGITAL_ECONOMY),
                )
                for n in range(judges)
            ],
        ),
        metadata=metadata,
    )
    for n, judge_id in enumerate(ids):
        await stub.CreateAssignment(
            pb.CreateAssignmentRequest(
                round=ROUND, judge=f"judges/{judge_id}", entry=f"contests/{CONTEST}/entries/bench-e-{n:03d}"
            ),
            metadata=metadata,
        )
    await stub.OpenRound(pb.OpenRoundRequest(name=ROUND), metadata=metadata)
    created = await stub.CreateJudgeInvitations(pb.CreateJudgeInvitationsRequest(round=ROUND), metadata=metadata)
    return {i.judge.removeprefix("judges/"): i.code for i in created.invitations}


async def run_judges(portal_url: str, stub: Any, codes: dict[str, str]) -> Result:
    start = asyncio.Event()
    statuses: dict[int, int] = {}

    async def judge(judge_id: str, code: str) -> None:
        client = PortalJudge(portal_url)
        try:
            await start.wait()
            await client.sign_in(code)
            assignments = await client.get("/assignments")
            n = judge_id.rsplit("-", 1)[-1]
            path = f"/r/{CONTEST}/preliminary/e/bench-e-{n}"
            if path not in assignments:
                raise AssertionError(f"{judge_id}: the assignment is not listed")
            scores = {"technology": "8.5", "industrialisation": "7", "team": str(int(n) % 11), "landing": "6"}
            for status in await client.submit(path, scores, f"压力测试 {judge_id}"):
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            await client.close()

    tasks = [asyncio.create_task(judge(j, c)) for j, c in sorted(codes.items())]
    started = time.perf_counter()
    start.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    seconds = time.perf_counter() - started
    misses = [f"{j}: {o!r}" for j, o in zip(sorted(codes), outcomes, strict=True) if isinstance(o, BaseException)]
    stored_once = 0
    metadata = admin()
    for judge_id in sorted(codes):
        entry = f"contests/{CONTEST}/entries/bench-e-{judge_id.rsplit('-', 1)[-1]}"
        history = await stub.GetScoreSheetHistory(
            pb.GetScoreSheetHistoryRequest(round=ROUND, entry=entry, judge=f"judges/{judge_id}"), metadata=metadata
        )
        versions = [v.version for v in history.versions]
        if versions == [1]:
            stored_once += 1
        else:
            misses.append(f"{judge_id}: versions {versions} (want exactly [1])")
    return Result(len(codes), seconds, statuses, stored_once, misses)


async def main_async(judges: int, database_url: str | None) -> Result:
    embedded: EmbeddedPostgres | None = None
    scratch = None
    if database_url is None:
        scratch = tempfile.TemporaryDirectory(prefix="bench-portal-")
        embedded = EmbeddedPostgres(Path(scratch.name))
        await asyncio.to_thread(embedded.start)
        database_url = embedded.url
    competition: RunningService | None = None
    portal: RunningPortal | None = None
    try:
        settings = CompetitionSettings(
            database_url=database_url,
            grpc_host="127.0.0.1",
            grpc_port=0,
            metrics_port=0,
            jwt_key=JWT_KEY,
            page_token_secret=PAGE_TOKEN_SECRET,
            db_pool_max_size=20,
        )
        competition = await start_service(settings, DEFINITION)
        portal = await start_portal(
            PortalSettings(
                http_host="127.0.0.1",
                http_port=0,
                metrics_port=0,
                competition_address=f"127.0.0.1:{competition.grpc_port}",
                service_token=mint_token(JWT_KEY, "judges-portal", ["competition.portal"]),
                session_key="bench-portal-session-key-0123456789abcdef",
            )
        )
        async with aio.insecure_channel(f"127.0.0.1:{competition.grpc_port}") as channel:
            stub = competition_pb2_grpc.CompetitionServiceStub(channel)
            codes = await setup(stub, judges)
            return await run_judges(f"http://127.0.0.1:{portal.port}", stub, codes)
    finally:
        if portal is not None:
            await portal.stop()
        if competition is not None:
            await competition.stop(grace=0)
        if embedded is not None:
            await asyncio.to_thread(embedded.stop, "immediate")
        if scratch is not None:
            scratch.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.portal", description=__doc__.split("\n\n")[0])
    parser.add_argument("--judges", type=int, default=50, help="judges signing in and submitting at once (50)")
    parser.add_argument("--quick", action="store_true", help="10 judges (the smoke test)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL to use (default: an embedded one)")
    args = parser.parse_args(argv)
    judges = 10 if args.quick else args.judges
    result = asyncio.run(main_async(judges, args.database_url or os.environ.get("BENCH_DATABASE_URL")))
    print(
        f"portal load check: {result.judges} judges signed in and submitted at once (each confirmation sent twice) "
        f"in {result.seconds:.2f} s; HTTP statuses {dict(sorted(result.statuses.items()))}; "
        f"{result.stored_once}/{result.judges} sheets stored exactly once"
    )
    for miss in result.misses:
        print(f"  MISS {miss}", file=sys.stderr)
    return 0 if not result.misses and result.stored_once == result.judges else 1


if __name__ == "__main__":
    raise SystemExit(main())
