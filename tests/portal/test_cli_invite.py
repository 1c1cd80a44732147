"""``suite competition judges invite / invitations / revoke``: the links an administrator sends."""

from __future__ import annotations

from tests.cli.helpers import run_cli
from tests.portal.world import CONTEST, JUDGES, World
from tests.support import token

ADMIN_TOKEN = token("cli-admin", "competition.admin")


async def test_invite_prints_one_link_per_judge_and_the_same_links_again(world: World) -> None:
    port = world.competition.grpc_port
    first = await run_cli(
        "-o", "json", "competition", "judges", "invite", f"{CONTEST}/preliminary", "--portal", "https://judges.example",
        competition_port=port, bearer=ADMIN_TOKEN,
    )  # fmt: skip
    assert first.code == 0, first
    rows = {r["judge"]: r for r in first.json()}
    assert set(rows) == set(JUDGES)
    assert rows["j-signin"]["link"] == f"https://judges.example/signin#t={world.codes['j-signin']}"
    again = await run_cli(
        "-o", "json", "competition", "judges", "invitations", f"{CONTEST}/preliminary", "--portal", "https://judges.example",
        competition_port=port, bearer=ADMIN_TOKEN,
    )  # fmt: skip
    assert again.code == 0, again
    assert {r["judge"]: r["link"] for r in again.json()}["j-signin"] == rows["j-signin"]["link"]
    denied = await run_cli(
        "competition", "judges", "invite", f"{CONTEST}/preliminary",
        competition_port=port, bearer=token("j-signin", "competition.judge"),
    )  # fmt: skip
    assert denied.code == 4
