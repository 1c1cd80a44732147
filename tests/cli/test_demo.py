"""The demo loader, run twice into fresh services: the second run duplicates nothing."""

from __future__ import annotations

from services.common.server import RunningService
from services.demo import CONTEST_ID, load_demo
from tests.cli.helpers import run_cli
from tests.support import JWT_KEY, create_database, start, token

COUNTS = {
    "talent": ["candidates", "applications", "application_events"],
    "competition": ["entries", "judges", "assignments", "score_sheets", "awards", "landings"],
}


async def counts(service: RunningService, schema: str) -> dict[str, int]:
    async with service.pool.acquire() as connection:
        tables = {
            r["table_name"]
            for r in await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
            )
        }
        return {
            t: int(await connection.fetchval(f'SELECT count(*) FROM "{schema}"."{t}"'))
            for t in sorted(tables)
            if t != "schema_migrations"
        }


async def test_demo_loads_twice_without_duplicates(postgres_url: str) -> None:
    from services.competition.service import DEFINITION as COMPETITION
    from services.competition.settings import CompetitionSettings
    from services.talent.service import DEFINITION as TALENT
    from services.talent.settings import TalentSettings

    talent = await start(TalentSettings, TALENT, await create_database(postgres_url))
    competition = await start(CompetitionSettings, COMPETITION, await create_database(postgres_url))
    try:
        targets = (f"127.0.0.1:{talent.grpc_port}", f"127.0.0.1:{competition.grpc_port}")
        first = await load_demo(*targets, JWT_KEY, log=lambda _: None)
        assert first.candidates == 40 and first.entries == 60 and first.judges == 15
        assert first.rounds_finalized == 3 and first.awards == 12
        landed = first.landings.get("REGISTERED", 0) + first.landings.get("OPERATING", 0)
        assert landed == 6
        before = (await counts(talent, "talent"), await counts(competition, "competition"))
        second = await load_demo(*targets, JWT_KEY, log=lambda _: None)
        assert second.sheets_submitted == 0
        after = (await counts(talent, "talent"), await counts(competition, "competition"))
        assert after == before
        assert before[0]["candidates"] == 40

        # What the README's quick start shows.
        bearer = token("me", "talent.viewer", "competition.viewer")
        ports = {"talent_port": talent.grpc_port, "competition_port": competition.grpc_port, "bearer": bearer}
        status = await run_cli("-o", "json", "competition", "landing", "status", CONTEST_ID, **ports)  # type: ignore[arg-type]
        assert status.code == 0, status
        data = status.json()
        assert data["pool_size"] == 12 and data["landed"] == 6
        assert data["landing_ratio"] == 0.5 and data["landed_target_met"] and not data["ratio_target_met"]
        assert data["projected_landed"] < 0.6 * 12
        board = await run_cli("-o", "json", "competition", "leaderboard", f"{CONTEST_ID}/final", **ports)  # type: ignore[arg-type]
        assert board.code == 0, board
        assert board.json()["frozen"] and len(board.json()["rows"]) == 12
        assert sum(1 for r in board.json()["rows"] if r["award"]) == 12
        targets_out = await run_cli("-o", "json", "talent", "targets", **ports)  # type: ignore[arg-type]
        statuses = {r["target"]: (r["selected"], r["status"]) for r in targets_out.json()["rows"]}
        assert statuses["ouyue"] == (6, "MET")
        assert statuses["leading-talents"][0] == 3 and statuses["leading-talents"][1] != "MET"
    finally:
        await talent.stop(grace=0)
        await competition.stop(grace=0)
