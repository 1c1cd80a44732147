"""``suite talent …`` and ``suite token`` as subprocesses against a real talent service."""

from __future__ import annotations

import ast
import csv
import io
import uuid
from pathlib import Path

import jwt
import openpyxl

from services.common.server import RunningService
from tests.cli.helpers import Suite, run_cli
from tests.support import JWT_KEY, create_database, start, token

VIEWER = token("cli-viewer", "talent.viewer")

CHINESE_HEADER = [
    "姓名",
    "类型",
    "领域",
    "来源",
    "梯队",
    "单位",
    "出生年份",
    "邮箱",
    "手机",
    "证件号",
    "负责人",
    "成员",
]


def tag() -> str:
    return uuid.uuid4().hex[:8]


def phone(seed: str, i: int) -> str:
    return f"139{int(seed, 16) % 10**6:06d}{i:02d}"


def chinese_rows(seed: str, count: int = 3) -> list[list[str]]:
    rows = [
        [
            f"张伟{seed}{i}",
            "个人",
            "生命健康",
            "海外",
            "B",
            "温州医科大学",
            "1985",
            f"zw{seed}{i}@example.com",
            phone(seed, i),
            f"E{seed}{i}X",
            "",
            "",
        ]
        for i in range(count - 1)
    ]
    rows.append(
        [
            f"钙钛矿团队{seed}",
            "团队",
            "新能源新材料",
            "本土",
            "",
            "瓯海实验室",
            "",
            f"team{seed}@example.com",
            "",
            "",
            "李娜(首席科学家)",
            "王强(工程师)；赵敏",
        ]
    )
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


async def names(suite: Suite, contains: str) -> list[str]:
    result = await suite("--output", "json", "talent", "candidates", "list", "--name-contains", contains)
    assert result.code == 0, result
    return sorted(row["name"] for row in result.json())


# --- happy paths --------------------------------------------------------------------------------


async def test_targets_table_and_json(suite: Suite) -> None:
    result = await suite("talent", "targets", "--year", "2024")
    assert result.code == 0, result
    for slug in ("leading-talents", "ouyue", "city-teams"):
        assert slug in result.stdout
    assert "forecast" in result.stdout
    data = (await suite("-o", "json", "talent", "targets")).json()
    assert data["year"] == 2024
    assert {row["target"]: row["required"] for row in data["rows"]} == {
        "leading-talents": 5,
        "ouyue": 6,
        "city-teams": 1,
    }
    assert all(row["status"] in {"MET", "ON_TRACK", "AT_RISK"} for row in data["rows"])


async def test_targets_export_xlsx_in_chinese(suite: Suite, tmp_path: Path) -> None:
    target = tmp_path / "targets.xlsx"
    result = await suite("talent", "targets", "--year", "2024", "--export", str(target), "--lang", "zh")
    assert result.code == 0, result
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["目标", "名称", "目标数", "已入选"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 10
    titles = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "入选市瓯越英才计划" in titles
    statuses = {row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert statuses <= {"已达成", "进展正常", "有风险"}
    csv_target = tmp_path / "targets.csv"
    assert (await suite("talent", "targets", "--export", str(csv_target))).code == 0
    assert csv_target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "leading-talents" in csv_target.read_text(encoding="utf-8-sig")


async def test_programmes(suite: Suite) -> None:
    result = await suite("-o", "json", "talent", "programmes")
    assert result.code == 0, result
    assert {row["id"] for row in result.json()} >= {"national-leading", "provincial-leading", "ouyue", "city-team"}


async def test_candidate_lifecycle_and_application_moves(suite: Suite) -> None:
    seed = tag()
    created = await suite(
        "-o",
        "json",
        "talent",
        "candidates",
        "create",
        "--name",
        f"林晓{seed}",
        "--domain",
        "数字经济",
        "--origin",
        "overseas",
        "--tier",
        "A",
        "--email",
        f"lx{seed}@example.com",
        "--birth-year",
        "1980",
    )
    assert created.code == 0, created
    record = created.json()
    name = record["name"]
    assert record["domain"] == "DIGITAL_ECONOMY"
    candidate_id = name.removeprefix("candidates/")

    shown = await suite("talent", "candidates", "show", candidate_id)
    assert shown.code == 0 and f"林晓{seed}" in shown.stdout

    updated = await suite("-o", "json", "talent", "candidates", "update", name, "--employer", "瓯海区科技局")
    assert updated.code == 0, updated
    assert updated.json()["employer"] == "瓯海区科技局"
    assert await names(suite, seed) == [f"林晓{seed}"]

    app = await suite(
        "-o", "json", "talent", "applications", "create", "--candidate", name, "--programme", "ouyue", "--year", "2024"
    )
    assert app.code == 0, app
    application = app.json()[0]["id"]
    assert app.json()[0]["stage"] == "SCOUTED"
    for stage in ("RESERVED", "培育"):
        moved = await suite("talent", "advance", application, "--to", stage, "--note", "from the CLI test")
        assert moved.code == 0, moved
        assert "→" in moved.stdout

    history = await suite("-o", "json", "talent", "history", application)
    assert history.code == 0, history
    assert [(e["from"], e["to"]) for e in history.json()] == [
        ("", "SCOUTED"),
        ("SCOUTED", "RESERVED"),
        ("RESERVED", "CULTIVATING"),
    ]
    assert history.json()[-1]["actor"] == "cli-admin"

    listed = await suite("-o", "csv", "talent", "applications", "list", "--candidate", name)
    assert listed.code == 0
    assert listed.stdout.splitlines()[0].startswith("id,candidate,programme,year,stage")

    # Exit 5: the stage machine forbids CULTIVATING → SELECTED.
    refused = await suite("talent", "advance", application, "--to", "SELECTED")
    assert refused.code == 5, refused
    assert "TRANSITION_NOT_ALLOWED" in refused.stderr
    assert "Traceback" not in refused.stderr


# --- exit codes ---------------------------------------------------------------------------------


async def test_exit_codes(suite: Suite) -> None:
    # 2: usage (unknown command, missing option, unknown enum value)
    assert (await suite("talent", "frobnicate")).code == 2
    assert (await suite("talent", "advance", "applications/x")).code == 2
    bad_enum = await suite("talent", "candidates", "list", "--domain", "astrology")
    assert bad_enum.code == 2 and "LIFE_HEALTH" in bad_enum.stderr
    # 3: not found
    missing = await suite("talent", "candidates", "show", "candidates/00000000-0000-0000-0000-000000000000")
    assert missing.code == 3, missing
    assert "not found" in missing.stderr
    # 4: no token, a bad token, a viewer writing
    no_token = await suite("talent", "targets", bearer="")
    assert no_token.code == 4, no_token
    assert "UNAUTHENTICATED" in no_token.stderr
    assert (await suite("talent", "targets", bearer="not-a-jwt")).code == 4
    denied = await suite(
        "talent", "candidates", "create", "--name", "x", "--domain", "OTHER", "--origin", "DOMESTIC", bearer=VIEWER
    )
    assert denied.code == 4 and "PERMISSION_DENIED" in denied.stderr
    # 1: invalid argument, each field violation on its own line
    invalid = await suite(
        "talent",
        "candidates",
        "create",
        "--name",
        "坏数据",
        "--domain",
        "OTHER",
        "--origin",
        "DOMESTIC",
        "--email",
        "not-an-email",
        "--phone",
        "12",
    )
    assert invalid.code == 1, invalid
    lines = invalid.stderr.splitlines()
    assert any(line.strip().startswith("candidate.contact.email:") for line in lines), invalid
    assert any(line.strip().startswith("candidate.contact.phone:") for line in lines), invalid
    assert "Traceback" not in invalid.stderr
    # 5: a duplicate (same email) is ALREADY_EXISTS
    seed = tag()
    args = ("talent", "candidates", "create", "--domain", "OTHER", "--origin", "DOMESTIC")
    assert (await suite(*args, "--name", f"甲{seed}", "--email", f"d{seed}@example.com")).code == 0
    duplicate = await suite(*args, "--name", f"乙{seed}", "--email", f"d{seed}@example.com")
    assert duplicate.code == 5, duplicate
    assert "existing_candidate" in duplicate.stderr
    # 1: the server is unreachable
    down = await run_cli("talent", "targets", talent_port=1, bearer=token("x", "talent.admin"))
    assert down.code == 1 and "unreachable" in down.stderr


# --- spreadsheets -------------------------------------------------------------------------------


async def test_import_gb18030_csv_with_chinese_headers(suite: Suite, tmp_path: Path) -> None:
    seed = tag()
    path = write_csv(tmp_path / "candidates.csv", CHINESE_HEADER, chinese_rows(seed), "gb18030")
    dry = await suite("talent", "candidates", "import", str(path), "--dry-run")
    assert dry.code == 0, dry
    assert "gb18030" in dry.stdout and "nothing written" in dry.stdout
    assert await names(suite, seed) == []

    first = await suite("-o", "json", "talent", "candidates", "import", str(path))
    assert first.code == 0, first
    assert [r["status"] for r in first.json()] == ["created"] * 3
    assert await names(suite, seed) == sorted([f"张伟{seed}0", f"张伟{seed}1", f"钙钛矿团队{seed}"])
    team = (await suite("-o", "json", "talent", "candidates", "list", "--name-contains", f"团队{seed}")).json()[0]
    assert team["kind"] == "TEAM" and team["leader"] == "李娜(首席科学家)"

    # Re-running the same file writes nothing new.
    again = await suite("-o", "json", "talent", "candidates", "import", str(path))
    assert again.code == 0, again
    assert [r["candidate"] for r in again.json()] == [r["candidate"] for r in first.json()]
    assert len(await names(suite, seed)) == 3


async def test_import_utf8_bom_csv_and_xlsx_with_english_headers(suite: Suite, tmp_path: Path) -> None:
    seed = tag()
    header = ["Name", "Domain", "Origin", "Email", "Phone", "Identity Document"]
    rows = [[f"Alice{seed}", "life health", "OVERSEAS", f"a{seed}@example.com", phone(seed, 1), f"P{seed}01"]]
    bom = write_csv(tmp_path / "bom.csv", header, rows, "utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    result = await suite("talent", "candidates", "import", str(bom))
    assert result.code == 0, result
    assert "utf-8-sig" in result.stdout

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "领域", "来源", "手机"])
    sheet.append([f"Bob{seed}", "数字经济", "本土", int(phone(seed, 2))])  # a phone number typed as a number
    book.save(tmp_path / "people.xlsx")
    result = await suite("talent", "candidates", "import", str(tmp_path / "people.xlsx"))
    assert result.code == 0, result
    assert await names(suite, seed) == sorted([f"Alice{seed}", f"Bob{seed}"])


async def test_bad_rows_are_reported_by_row_and_nothing_is_written(suite: Suite, tmp_path: Path) -> None:
    seed = tag()
    rows = chinese_rows(seed, 4)
    rows[1][7] = "not-an-email"  # row 3: bad email
    rows[2][2] = "占星术"  # row 4: unknown domain
    rows[0][8] = "12345"  # row 2: bad phone
    rows.append([f"重复{seed}", "个人", "数字经济", "本土", "", "", "", rows[0][7], "", "", "", ""])  # row 6: duplicate
    rows.append(["", "个人", "数字经济", "本土", "", "", "1700", "", "", "", "", ""])  # row 7: no name, bad year
    path = write_csv(tmp_path / "bad.csv", CHINESE_HEADER, rows, "utf-8")
    result = await suite("talent", "candidates", "import", str(path))
    assert result.code == 1, result
    err = result.stderr
    assert "5 of 6 row(s) are invalid; nothing was written" in err
    assert "row 2, phone:" in err
    assert "row 3, email: is not a valid email address" in err
    assert "row 4, domain: unknown value '占星术'" in err
    assert "row 6, email: same email as row 2" in err
    assert "row 7, name: is required" in err and "row 7, birth_year:" in err
    assert "Traceback" not in err
    assert await names(suite, seed) == []

    missing_column = write_csv(tmp_path / "nocol.csv", ["姓名", "来源"], [["x", "海外"]], "utf-8")
    result = await suite("talent", "candidates", "import", str(missing_column))
    assert result.code == 1 and "领域/domain" in result.stderr
    unsupported = await suite("talent", "candidates", "import", str(tmp_path / "x.txt"))
    assert unsupported.code == 2


async def test_encoding_flag(suite: Suite, tmp_path: Path) -> None:
    seed = tag()
    path = write_csv(tmp_path / "gbk.csv", CHINESE_HEADER, chinese_rows(seed, 2), "gb18030")
    wrong = await suite("talent", "candidates", "import", str(path), "--encoding", "utf-8", "--dry-run")
    assert wrong.code == 1 and "not valid utf-8" in wrong.stderr
    right = await suite("talent", "candidates", "import", str(path), "--encoding", "gb18030", "--dry-run")
    assert right.code == 0, right


# --- round trip ---------------------------------------------------------------------------------


async def test_candidates_round_trip_into_an_empty_database(suite: Suite, postgres_url: str, tmp_path: Path) -> None:
    from services.talent.service import DEFINITION
    from services.talent.settings import TalentSettings

    seed = tag()
    source = write_csv(tmp_path / "source.csv", CHINESE_HEADER, chinese_rows(seed, 5), "gb18030")
    assert (await suite("talent", "candidates", "import", str(source))).code == 0
    first = tmp_path / "first.xlsx"
    exported = await suite("talent", "candidates", "export", str(first), "--name-contains", seed, "--lang", "zh")
    assert exported.code == 0, exported

    empty: RunningService = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    try:
        fresh = {"talent_port": empty.grpc_port, "bearer": token("cli-admin", "talent.admin")}
        imported = await run_cli("talent", "candidates", "import", str(first), **fresh)  # type: ignore[arg-type]
        assert imported.code == 0, imported
        second = tmp_path / "second.xlsx"
        again = await run_cli("talent", "candidates", "export", str(second), "--lang", "zh", **fresh)  # type: ignore[arg-type]
        assert again.code == 0, again
        csv_a, csv_b = tmp_path / "a.csv", tmp_path / "b.csv"
        assert (await suite("talent", "candidates", "export", str(csv_a), "--name-contains", seed)).code == 0
        assert (await run_cli("talent", "candidates", "export", str(csv_b), **fresh)).code == 0  # type: ignore[arg-type]
    finally:
        await empty.stop(grace=0)

    def cells(path: Path) -> list[tuple[object, ...]]:
        sheet = openpyxl.load_workbook(path).active
        assert sheet is not None
        return list(sheet.iter_rows(values_only=True))

    assert len(cells(first)) == 6
    assert cells(first) == cells(second)
    assert csv_a.read_bytes() == csv_b.read_bytes()


# --- tokens -------------------------------------------------------------------------------------


async def test_token_mint(tmp_path: Path) -> None:
    env = {"SUITE_JWT_KEY": JWT_KEY}
    result = await run_cli("token", "mint", "--role", "competition.judge", "--subject", "judge-07", env=env)
    assert result.code == 0, result
    claims = jwt.decode(result.stdout.strip(), JWT_KEY, algorithms=["HS256"])
    assert claims["sub"] == "judge-07" and claims["roles"] == ["competition.judge"]

    (tmp_path / ".data").mkdir()
    (tmp_path / ".data" / "dev-secrets.env").write_text(f"SUITE_JWT_KEY={JWT_KEY}\n")
    from_file = await run_cli(
        "token", "mint", "--role", "talent.viewer", "--subject", "me", "--ttl", "2h", cwd=tmp_path
    )
    assert from_file.code == 0, from_file
    claims = jwt.decode(from_file.stdout.strip(), JWT_KEY, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 7200

    prod = await run_cli(
        "token", "mint", "--role", "talent.admin", "--subject", "x", env={**env, "SUITE_ENVIRONMENT": "prod"}
    )
    assert prod.code == 4 and "production" in prod.stderr
    no_key = await run_cli("token", "mint", "--role", "talent.admin", "--subject", "x", cwd=tmp_path / ".data")
    assert no_key.code == 1 and "no development key" in no_key.stderr
    assert (await run_cli("token", "mint", "--role", "root", "--subject", "x", env=env)).code == 2


# --- what the CLI may know ----------------------------------------------------------------------


def test_the_talent_cli_imports_no_server_internals() -> None:
    """Dry runs and imports are validated by the service (validate_only), not by its code."""
    source = Path(__file__).parents[2] / "services" / "cli" / "talent.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    internal = sorted(
        m for m in imported if m.startswith("services.") and not m.startswith(("services.cli", "services.common"))
    )
    assert internal == []


async def test_import_request_ids_do_not_reveal_identity_documents(
    suite: Suite, talent_service: RunningService, tmp_path: Path
) -> None:
    """A request id is stored in clear: one derived from a request holding the document could be
    brute-forced back into the document from the stored response and its last 4 characters."""
    from protos.talent.v1 import talent_pb2 as pb
    from services.cli.client import derived_request_id
    from services.cli.talent import parse_candidate

    seed = tag()
    secret = f"{int(seed, 16) % 1000:03d}"
    document = f"3303021980{secret}1234"  # an attacker knows all but 3 digits
    header = ["姓名", "领域", "来源", "邮箱", "证件号"]
    row = [f"陈{seed}", "生命健康", "海外", f"chen{seed}@example.com", document]
    path = write_csv(tmp_path / "doc.csv", header, [row], "utf-8")
    assert (await suite("talent", "candidates", "import", str(path))).code == 0
    stored = {r["request_id"] for r in await talent_service.pool.fetch("SELECT request_id FROM idempotency_keys")}
    record = dict(zip(["name", "domain", "origin", "email", "identity_document"], row, strict=True))
    recovered = []
    for guess in range(1000):
        record["identity_document"] = f"3303021980{guess:03d}1234"
        candidate, _ = parse_candidate(2, record)
        request = pb.CreateCandidateRequest(candidate=candidate)
        if derived_request_id("import-candidate", request.SerializeToString(deterministic=True).hex()) in stored:
            recovered.append(guess)
    assert recovered == []
    # Re-running the file is still idempotent.
    again = await suite("-o", "json", "talent", "candidates", "import", str(path))
    assert again.code == 0 and [r["status"] for r in again.json()] == ["created"], again
