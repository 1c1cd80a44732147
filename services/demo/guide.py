"""What a person trying the suite sees after start-up: a development token per role and three
commands to try. Printed by ``make demo`` and by the ``make run`` banner."""

from __future__ import annotations

from services.common.auth import mint_token

ROLES = [
    ("talent.admin", "bureau-admin"),
    ("talent.editor", "hr-portal"),
    ("talent.viewer", "analyst"),
    ("competition.admin", "contest-admin"),
    ("competition.judge", "judge-01"),
    ("competition.viewer", "ops"),
]


def print_guide(key: str, contest_id: str) -> None:
    print("\ndevelopment tokens (1 day; mint more with `.venv/bin/suite token mint --role ROLE --subject NAME`):")
    for role, subject in ROLES:
        print(f"  {role:<20} {mint_token(key, subject, [role], ttl_seconds=86400)}")
    print(
        "\ntry (after `export SUITE_TOKEN=$(.venv/bin/suite token mint --role talent.viewer "
        "--role competition.viewer --subject me)`):"
    )
    print(f"  .venv/bin/suite competition leaderboard {contest_id}/final")
    print(f"  .venv/bin/suite competition landing status {contest_id}")
    print("  .venv/bin/suite talent targets --year 2024")
