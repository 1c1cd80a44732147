"""``suite competition …`` as subprocesses against a real competition service: set-up, imports,
assignment, judging, leaderboards, close/finalize, awards and landing."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from services.common.server import RunningService
from services.competition.domain.credit_code import check_character
from tests.cli.helpers import Suite, run_cli
from tests.support import create_database, start, token

ENTRY_HEADER = ["编号", "项目名称", "负责人", "成员", "单位", "领域", "国别", "简介"]
DOMAINS = ["生命健康", "新能源新材料", "数字经济"]


def credit_code(n: int) -> str:
    first17 = f"913303047{n:08d}"
    return first17 + check_character(first17)


def setup_yaml(contest: str, path: Path) -> Path:
    criteria = [
        {"key": "technology", "display_name": "技术", "weight": 40, "min": 0, "max": 10, "step": 0.5},
        {"key": "market", "display_name": "市场", "weight": 60, "min": 0, "max": 10, "step": 1},
    ]
    data = {
        "contest": {
            "id": contest,
            "display_name": f"测试大赛 {contest}",
            "year": 2024,
            "min_landed_entries": 2,
            "min_landing_ratio": 0.6,
            "landing_deadline": "2030-12-31",
        },
        "rounds": [
            {
                "id": "prelim",
                "display_name": "初赛",
                "kind": "PRELIMINARY",
                "judges_per_entry": 2,
                "aggregation": "MEAN",
                "advancement": {"top_n": 3},
                "criteria": criteria,
            },
            {
                "id": "final",
                "display_name": "决赛",
                "kind": "FINAL",
                "judges_per_entry": 2,
                "aggregation": "MEAN",
                "advancement": {"top_n": 3},
                "criteria": criteria,
                "award_tiers": [
                    {"tier": "FIRST", "display_name": "一等奖", "count": 1},
                    {"tier": "SECOND", "display_name": "二等奖", "count": 2},
                ],
            },
        ],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def entry_rows(seed: str, count: int = 6) -> list[list[Any]]:
    return [
        [
            f"e{seed}-{i}",
            f"项目{seed}-{i}",
            f"负责人{i}(CEO)",
            f"成员甲{i}; 成员乙{i}(CTO)",
            f"机构{seed}-{i}",
            DOMAINS[i % 3],
            "CN" if i % 2 else "德国",
            f"第{i}个项目的简介",
        ]
        for i in range(count)
    ]


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


async def judge_everything(suite: Suite, round_: str, scores: dict[str, int]) -> None:
    """Every assigned judge submits every sheet of the round (entry id → a base score)."""
    listing = await suite("-o", "json", "competition", "my", "assignments", round_)
    assert listing.code == 0, listing
    for row in listing.json():
        if row["submitted"]:
            continue
        judge = token(row["judge"], "competition.judge")
        base = scores[row["entry"]]
        result = await suite(
            "competition",
            "submit",
            round_,
            row["entry"],
            "--score",
            f"technology={base}",
            "--score",
            f"market={base}",
            bearer=judge,
        )
        assert result.code == 0, result


async def test_contest_from_setup_to_landing(suite: Suite, tmp_path: Path) -> None:
    seed = uuid.uuid4().hex[:6]
    contest = f"cli-{seed}"
    setup = setup_yaml(contest, tmp_path / "contest.yaml")

    first = await suite("-o", "json", "competition", "setup", str(setup))
    assert first.code == 0, first
    assert [r["action"] for r in first.json()] == ["created"] * 3
    again = await suite("-o", "json", "competition", "setup", str(setup))
    assert [r["action"] for r in again.json()] == ["exists"] * 3

    # Judges from a GB18030 CSV with Chinese headers; a re-run skips them.
    judges = [[f"j{seed}-{i}", f"评委{i}", DOMAINS[i % 3] + "、数字经济" * (i % 3 != 2), f"大学{i}"] for i in range(5)]
    judges_csv = write_csv(tmp_path / "judges.csv", ["编号", "姓名", "领域", "单位"], judges, "gb18030")
    imported = await suite("-o", "json", "competition", "judges", "import", str(judges_csv))
    assert imported.code == 0, imported
    assert [r["status"] for r in imported.json()] == ["created"] * 5
    rerun = await suite("-o", "json", "competition", "judges", "import", str(judges_csv))
    assert [r["status"] for r in rerun.json()] == ["exists"] * 5

    # Entries from an .xlsx with Chinese headers: dry run, import, idempotent re-run.
    entries = write_xlsx(tmp_path / "entries.xlsx", ENTRY_HEADER, entry_rows(seed))
    dry = await suite("-o", "json", "competition", "entries", "import", "--contest", contest, str(entries), "--dry-run")
    assert dry.code == 0 and {r["status"] for r in dry.json()} == {"would create"}
    listed = await suite("-o", "json", "competition", "entries", "list", contest)
    assert listed.json() == []
    created = await suite("-o", "json", "competition", "entries", "import", "--contest", contest, str(entries))
    assert created.code == 0, created
    assert [r["status"] for r in created.json()] == ["created"] * 6
    rerun = await suite("-o", "json", "competition", "entries", "import", "--contest", contest, str(entries))
    assert [r["status"] for r in rerun.json()] == ["exists"] * 6
    listed = await suite("-o", "json", "competition", "entries", "list", contest)
    rows = {r["id"]: r for r in listed.json()}
    assert len(rows) == 6
    assert rows[f"e{seed}-1"]["origin_country"] == "CN" and rows[f"e{seed}-0"]["origin_country"] == "DE"
    assert rows[f"e{seed}-1"]["members"] == "成员甲1; 成员乙1(CTO)"

    prelim, final = f"{contest}/prelim", f"contests/{contest}/rounds/final"
    assert (await suite("competition", "open", prelim)).code == 0
    assigned = await suite("-o", "json", "competition", "assign", prelim)
    assert assigned.code == 0, assigned
    assert assigned.json()["assignments_total"] == 12 and assigned.json()["shortfalls"] == []

    # Closing with sheets missing: refused (5) unless forced.
    refused = await suite("competition", "close", prelim)
    assert refused.code == 5 and "SHEETS_MISSING" in refused.stderr
    assert (await suite("competition", "close", prelim, "--force")).code == 2

    # The judge's view and the three ways of submitting.
    mine = await suite("-o", "json", "competition", "my", "assignments", prelim)
    first_judge = mine.json()[0]["judge"]
    judge_token = token(first_judge, "competition.judge")
    own = await suite("-o", "json", "competition", "my", "assignments", prelim, bearer=judge_token)
    assert own.code == 0 and {r["judge"] for r in own.json()} == {first_judge}
    entries_of_judge = [r["entry"] for r in own.json()]
    interactive = await suite(
        "competition", "submit", prelim, entries_of_judge[0], bearer=judge_token, stdin="11\n7.3\n7.5\n8\nsolid\n"
    )
    assert interactive.code == 0, interactive
    assert "try again" in interactive.stderr  # 11 is out of range, 7.3 off the 0.5 step
    assert "78.00" in interactive.stdout  # (40 × 7.5/10 + 60 × 8/10) / 100 × 100
    if len(entries_of_judge) > 1:
        sheet = tmp_path / "sheet.yaml"
        sheet.write_text("scores:\n  technology: 9\n  market: 9\ncomment: 很好\n", encoding="utf-8")
        from_file = await suite(
            "competition", "submit", prelim, entries_of_judge[1], "--file", str(sheet), bearer=judge_token
        )
        assert from_file.code == 0, from_file
    bad = await suite(
        "competition",
        "submit",
        prelim,
        entries_of_judge[0],
        "--score",
        "technology=12",
        "--score",
        "market=x",
        "--score",
        "charm=3",
        bearer=judge_token,
    )
    assert bad.code == 1, bad
    assert "technology: must be between 0 and 10" in bad.stderr and "charm: not a criterion" in bad.stderr
    # A judge may not close a round (4).
    assert (await suite("competition", "close", prelim, bearer=judge_token)).code == 4

    scores = {f"e{seed}-{i}": 4 + i for i in range(6)}
    await judge_everything(suite, prelim, scores)
    progress = await suite("-o", "json", "competition", "progress", prelim)
    assert progress.code == 0, progress
    assert progress.json()["ratio"] == 1.0 and progress.json()["expected"] == 12
    by_entry = await suite("competition", "progress", prelim, "--by", "entry", "--export", str(tmp_path / "p.xlsx"))
    assert by_entry.code == 0, by_entry

    board = await suite("-o", "json", "competition", "leaderboard", prelim)
    assert board.code == 0, board
    data = board.json()
    assert data["frozen"] is False and len(data["rows"]) == 6
    assert data["rows"][0]["rank"] == 1
    assert all(0 <= r["robustness"] <= 1 for r in data["rows"])
    assert sum(1 for r in data["rows"] if r["within_cut"]) == 3
    table = await suite("competition", "leaderboard", prelim)
    assert "robustness" in table.stdout and "method-sensitive" in table.stdout

    assert (await suite("competition", "close", prelim)).code == 0
    finalized = await suite("-o", "json", "competition", "finalize", prelim)
    assert finalized.code == 0 and finalized.json()["state"] == "FINALIZED"
    frozen = await suite("-o", "json", "competition", "leaderboard", prelim)
    assert frozen.json()["frozen"] is True and len(frozen.json()["digest"]) == 64
    export = tmp_path / "leaderboard.xlsx"
    assert (await suite("competition", "leaderboard", prelim, "--export", str(export), "--lang", "zh")).code == 0
    sheet_ = openpyxl.load_workbook(export).active
    assert sheet_ is not None and sheet_.freeze_panes == "A2"
    assert [c.value for c in sheet_[1]][:3] == ["排名", "项目编号", "项目名称"]
    assert {row[9] for row in sheet_.iter_rows(min_row=2, values_only=True)} == {"晋级", "淘汰"}
    # A finalized round never changes (5).
    assert (await suite("competition", "close", prelim)).code == 5

    assert (await suite("competition", "open", final)).code == 0
    assert (await suite("competition", "assign", final)).code == 0
    await judge_everything(suite, final, scores)
    for verb in ("close", "finalize"):
        assert (await suite("competition", verb, final)).code == 0
    awards = await suite("-o", "json", "competition", "awards", contest)
    assert awards.code == 0, awards
    assert [a["tier"] for a in awards.json()] == ["FIRST", "SECOND", "SECOND"]
    winners = [a["entry"] for a in awards.json()]

    # Landing: record progress, a bad credit code is refused with its field violation.
    status = await suite("-o", "json", "competition", "landing", "status", contest)
    assert status.code == 0, status
    assert status.json()["pool_size"] == 3 and status.json()["landed"] == 0
    for stage, extra in (("INTENT", []), ("SIGNED", ["--agreement-date", "2024-10-01"])):
        moved = await suite("competition", "landing", "advance", f"{contest}/{winners[0]}", "--to", stage, *extra)
        assert moved.code == 0, moved
    bad_code = await suite(
        "competition",
        "landing",
        "advance",
        f"{contest}/{winners[0]}",
        "--to",
        "注册",
        "--company",
        "瓯海科技有限公司",
        "--credit-code",
        credit_code(1)[:-1] + ("0" if credit_code(1)[-1] != "0" else "1"),
        "--registration-date",
        "2024-11-01",
        "--capital",
        "500",
    )
    assert bad_code.code == 1, bad_code
    assert "credit_code" in bad_code.stderr
    registered = await suite(
        "competition",
        "landing",
        "advance",
        f"{contest}/{winners[0]}",
        "--to",
        "REGISTERED",
        "--company",
        "瓯海科技有限公司",
        "--credit-code",
        credit_code(1),
        "--registration-date",
        "2024-11-01",
        "--capital",
        "500",
    )
    assert registered.code == 0, registered
    stale = await suite("competition", "landing", "advance", f"{contest}/{winners[1]}", "--to", "OPERATING")
    assert stale.code == 5, stale
    status = await suite("-o", "json", "competition", "landing", "status", contest)
    assert status.json()["landed"] == 1
    assert abs(status.json()["landing_ratio"] - 1 / 3) < 1e-9
    table = await suite("competition", "landing", "status", contest)
    assert "landing rate" in table.stdout and "33.3 %" in table.stdout
    zh = tmp_path / "landing.xlsx"
    assert (await suite("competition", "landing", "status", contest, "--export", str(zh), "--lang", "zh")).code == 0
    landing_sheet = openpyxl.load_workbook(zh).active
    assert landing_sheet is not None
    cells = list(landing_sheet.iter_rows(values_only=True))
    assert cells[0] == ("指标", "数值", "目标", "达成")
    assert any(row[0] == "落地率" for row in cells)
    landings = await suite("-o", "json", "competition", "landing", "list", contest)
    assert sorted(r["stage"] for r in landings.json()) == ["NONE", "NONE", "REGISTERED"]

    # Not found (3).
    assert (await suite("competition", "landing", "status", "no-such-contest")).code == 3
    assert (await suite("competition", "leaderboard", f"{contest}/nope")).code == 3


async def test_bad_entry_rows_and_batch_is_all_or_nothing(suite: Suite, tmp_path: Path) -> None:
    seed = uuid.uuid4().hex[:6]
    contest = f"cli-{seed}"
    assert (await suite("competition", "setup", str(setup_yaml(contest, tmp_path / "c.yaml")))).code == 0
    rows = entry_rows(seed, 5)
    rows[1][1] = ""  # row 3: no title
    rows[2][5] = "量子玄学"  # row 4: unknown domain
    rows[3][6] = "Germany"  # row 5: not an alpha-2 code
    rows[4][0] = rows[0][0]  # row 6: same id as row 2
    bom = write_csv(tmp_path / "entries.csv", ENTRY_HEADER, rows, "utf-8-sig")
    result = await suite("competition", "entries", "import", "--contest", contest, str(bom))
    assert result.code == 1, result
    for expected in (
        "row 3, title: is required",
        "row 4, domain: unknown value '量子玄学'",
        "row 5, origin_country:",
        "row 6, id: same entry as row 2",
    ):
        assert expected in result.stderr, result
    assert "nothing was written" in result.stderr
    # A row only the server rejects (a title beyond its limit): mapped back to its row, nothing written.
    rows = entry_rows(seed, 3)
    rows[2][1] = "长" * 300
    server_side = await suite(
        "competition",
        "entries",
        "import",
        "--contest",
        contest,
        str(write_csv(tmp_path / "e2.csv", ENTRY_HEADER, rows, "gb18030")),
    )
    assert server_side.code == 1, server_side
    assert "row 4, title:" in server_side.stderr
    listed = await suite("-o", "json", "competition", "entries", "list", contest)
    assert listed.json() == []


async def test_entries_round_trip_into_an_empty_database(suite: Suite, postgres_url: str, tmp_path: Path) -> None:
    from services.competition.service import DEFINITION
    from services.competition.settings import CompetitionSettings

    seed = uuid.uuid4().hex[:6]
    contest = f"cli-{seed}"
    setup = setup_yaml(contest, tmp_path / "c.yaml")
    assert (await suite("competition", "setup", str(setup))).code == 0
    source = write_xlsx(tmp_path / "source.xlsx", ENTRY_HEADER, entry_rows(seed, 8))
    assert (await suite("competition", "entries", "import", "--contest", contest, str(source))).code == 0
    first = tmp_path / "first.xlsx"
    assert (await suite("competition", "entries", "export", contest, str(first), "--lang", "zh")).code == 0
    first_csv = tmp_path / "first.csv"
    assert (await suite("competition", "entries", "export", contest, str(first_csv))).code == 0

    empty: RunningService = await start(CompetitionSettings, DEFINITION, await create_database(postgres_url))
    try:
        port = empty.grpc_port
        admin = token("cli-admin", "competition.admin")

        async def fresh(*args: str) -> None:
            result = await run_cli(*args, competition_port=port, bearer=admin)
            assert result.code == 0, result

        await fresh("competition", "setup", str(setup))
        await fresh("competition", "entries", "import", "--contest", contest, str(first))
        second = tmp_path / "second.xlsx"
        await fresh("competition", "entries", "export", contest, str(second), "--lang", "zh")
        second_csv = tmp_path / "second.csv"
        await fresh("competition", "entries", "export", contest, str(second_csv))
    finally:
        await empty.stop(grace=0)

    def cells(path: Path) -> list[tuple[object, ...]]:
        sheet = openpyxl.load_workbook(path).active
        assert sheet is not None
        return list(sheet.iter_rows(values_only=True))

    assert len(cells(first)) == 9
    assert cells(first) == cells(second)
    assert first_csv.read_bytes() == second_csv.read_bytes()


async def test_setup_file_errors(suite: Suite, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("contest:\n  id: Bad_Id\n  display_name: x\n  year: 2024\n", encoding="utf-8")
    result = await suite("competition", "setup", str(bad))
    assert result.code == 1 and "contest.id" in result.stderr
    bad.write_text("contest: [\n", encoding="utf-8")
    assert (await suite("competition", "setup", str(bad))).code == 1
    missing = await suite("competition", "setup", str(tmp_path / "none.yaml"))
    assert missing.code == 1 and "no such file" in missing.stderr
    assert (await suite("competition", "leaderboard", "not-a-round")).code == 2
