"""Regression tests for the review of the ``suite`` CLI: request ids that must not replay a stale
result, imports that validate everything first and report clashes, and CSV encoding detection."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from protos.competition.v1 import competition_pb2 as cpb
from protos.talent.v1 import talent_pb2 as tpb
from services.cli.client import CliError
from services.cli.sheets import decode_csv, read_sheet, written_rows
from tests.cli.helpers import Suite
from tests.competition.helpers import admin, assigned_pairs, make_contest
from tests.support import auth, token

TALENT_ADMIN = auth("admin-1", "talent.admin")


def tag() -> str:
    return uuid.uuid4().hex[:8]


# --- 1. request ids -------------------------------------------------------------------------------


async def test_submit_back_to_an_earlier_score_is_stored(suite: Suite, competition_stub: Any) -> None:
    contest = await make_contest(competition_stub, entries=2, judges=3)
    round_ = contest.round.name
    await competition_stub.AutoAssign(cpb.AutoAssignRequest(round=round_), metadata=admin())
    await competition_stub.OpenRound(cpb.OpenRoundRequest(name=round_), metadata=admin())
    judge, entry = (await assigned_pairs(competition_stub, round_))[0]
    bearer = token(judge, "competition.judge")

    async def submit(technology: str) -> dict[str, Any]:
        result = await suite(
            "-o",
            "json",
            "competition",
            "submit",
            round_,
            entry,
            *("--score", f"technology={technology}", "--score", "industrialisation=7"),
            *("--score", "team=6", "--score", "landing=5"),
            bearer=bearer,
        )
        assert result.code == 0, result
        answer: dict[str, Any] = result.json()
        return answer

    versions = [await submit(t) for t in ("8", "9", "8")]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["score technology"] for v in versions] == ["8", "9", "8"]
    stored = await competition_stub.ListScoreSheets(
        cpb.ListScoreSheetsRequest(round=round_, entry=entry, judge=f"judges/{judge}"),
        metadata=admin(),
    )
    assert [(s.version, {x.criterion: x.value for x in s.scores}["technology"]) for s in stored.score_sheets] == [
        (3, 8.0)
    ]


async def test_candidate_create_after_a_delete_creates_a_new_candidate(suite: Suite, talent_stub: Any) -> None:
    seed = tag()
    args = ["-o", "json", "talent", "candidates", "create", "--name", f"复建{seed}", "--domain", "OTHER"]
    args += ["--origin", "DOMESTIC", "--email", f"re{seed}@example.com"]
    first = await suite(*args)
    assert first.code == 0, first
    name = first.json()["name"]
    current = await talent_stub.GetCandidate(tpb.GetCandidateRequest(name=name), metadata=TALENT_ADMIN)
    await talent_stub.DeleteCandidate(tpb.DeleteCandidateRequest(name=name, etag=current.etag), metadata=TALENT_ADMIN)
    second = await suite(*args)
    assert second.code == 0, second
    assert second.json()["name"] != name
    shown = await suite("talent", "candidates", "show", second.json()["name"])
    assert shown.code == 0, shown

    # An explicit --request-id still makes a retried create idempotent.
    again = [*args[:-2], "--email", f"rid{seed}@example.com", "--request-id", f"retry-{seed}"]
    one, two = await suite(*again), await suite(*again)
    assert one.code == 0 and two.code == 0, (one, two)
    assert one.json()["name"] == two.json()["name"]


# --- 2. judges: validate the whole file first ------------------------------------------------------


async def test_judges_import_with_a_bad_row_writes_nothing(suite: Suite, tmp_path: Path) -> None:
    seed = tag()
    path = tmp_path / "judges.csv"
    rows = [
        f"张三{seed},生命健康,温州大学",
        f"李四{seed},数字经济,浙江大学",
        "王" * 201 + ",数字经济,复旦大学",
        f"赵六{seed},数字经济；数字经济,复旦大学",
    ]
    path.write_text("姓名,领域,单位\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = await suite("competition", "judges", "import", str(path))
    assert result.code == 1, result
    assert "2 of 4 row(s) are invalid; nothing was written" in result.stderr
    assert "row 4, name: must be at most 200 characters" in result.stderr
    assert "row 5, domains: lists a domain twice" in result.stderr
    listed = await suite("-o", "json", "competition", "judges", "list")
    assert listed.code == 0, listed
    assert not [j for j in listed.json() if seed in j["name"]]

    path.write_text("姓名,领域,单位\n" + "\n".join(rows[:2]) + "\n", encoding="utf-8")
    result = await suite("-o", "json", "competition", "judges", "import", str(path))
    assert result.code == 0, result
    assert [r["status"] for r in result.json()] == ["created", "created"]


# --- 3. candidate import: a clash with a different person is a row error ----------------------------


async def test_candidate_import_reports_a_clash_with_another_candidate(
    suite: Suite, talent_stub: Any, tmp_path: Path
) -> None:
    seed = tag()
    email = f"shared{seed}@example.com"
    other = await talent_stub.CreateCandidate(
        tpb.CreateCandidateRequest(
            candidate=tpb.Candidate(
                kind=tpb.CANDIDATE_KIND_INDIVIDUAL,
                display_name=f"Bob{seed}",
                domain=tpb.DOMAIN_OTHER,
                origin=tpb.ORIGIN_DOMESTIC,
                contact=tpb.Contact(email=email),
            )
        ),
        metadata=TALENT_ADMIN,
    )
    path = tmp_path / "c.csv"
    path.write_text(
        f"姓名,领域,来源,邮箱\n王芳{seed},生命健康,海外,{email}\n李雷{seed},数字经济,本土,ll{seed}@example.com\n",
        encoding="utf-8",
    )
    result = await suite("talent", "candidates", "import", str(path))
    assert result.code == 5, result
    assert f"row 2: email already belongs to {other.name}" in result.stderr
    assert "Traceback" not in result.stderr
    listed = await suite("-o", "json", "talent", "candidates", "list", "--name-contains", seed)
    assert sorted(c["name"] for c in listed.json()) == sorted([f"Bob{seed}", f"李雷{seed}"])

    # Fixing the row and re-running imports it; the row imported before is not duplicated.
    path.write_text(
        f"姓名,领域,来源,邮箱\n王芳{seed},生命健康,海外,wf{seed}@example.com\n"
        f"李雷{seed},数字经济,本土,ll{seed}@example.com\n",
        encoding="utf-8",
    )
    again = await suite("-o", "json", "talent", "candidates", "import", str(path))
    assert again.code == 0, again
    assert [r["status"] for r in again.json()] == ["created", "created"]
    listed = await suite("-o", "json", "talent", "candidates", "list", "--name-contains", seed)
    assert len(listed.json()) == 3
    # The same subject re-running the same file: replayed, no clash.
    replay = await suite("-o", "json", "talent", "candidates", "import", str(path))
    assert replay.code == 0, replay
    assert [r["candidate"] for r in replay.json()] == [r["candidate"] for r in again.json()]


# --- 4 and 5. CSV encodings -------------------------------------------------------------------------


def test_mostly_utf8_with_a_latin1_cell_is_refused() -> None:
    data = "name,domain\n张伟,LIFE_HEALTH\n".encode() + "Müller,OTHER\n".encode("latin-1")
    with pytest.raises(CliError) as raised:
        decode_csv(data, None)
    assert "--encoding" in raised.value.message and "line 3" in raised.value.message
    # The bad byte first, the UTF-8 Chinese after it: still not read as GB18030.
    data = b"name\n" + "Müller\n".encode("latin-1") + "张伟\n李娜\n".encode()
    with pytest.raises(CliError):
        decode_csv(data, None)
    # With a BOM too.
    with pytest.raises(CliError):
        decode_csv(b"\xef\xbb\xbf" + "张伟,".encode() + b"M\xfcller\n", None)
    # Given explicitly, the file is read the way asked.
    assert decode_csv("Müller\n".encode("latin-1"), "latin-1") == ("Müller\n", "latin-1")


def test_gb18030_is_still_detected() -> None:
    # 学 is D1 A7 in GB18030, which happens to be valid UTF-8 too (Ѧ).
    for text in ("学历,姓名\n本科,张三\n", "姓名,领域\n王芳,生命健康\n"):
        assert decode_csv(text.encode("gb18030"), None) == (text, "gb18030")
    assert decode_csv("姓名\n".encode(), None) == ("姓名\n", "utf-8")


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf_8"])
def test_explicit_utf8_drops_the_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "姓名,领域\n赵六,生命健康\n".encode())
    sheet = read_sheet(path, encoding)
    assert sheet.header == ["姓名", "领域"]
    text, _ = decode_csv("\ufeff姓名\n".encode("gb18030"), "gb18030")
    assert text == "姓名\n"


async def test_judges_import_utf8_bom_with_encoding_flag(suite: Suite, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"姓名,领域,单位\n赵六{tag()},生命健康,温州大学\n".encode())
    result = await suite("competition", "judges", "import", str(path), "--encoding", "utf-8", "--dry-run")
    assert result.code == 0, result
    assert "would create" in result.stdout


def test_mid_import_failure_names_the_rows_written() -> None:
    line = written_rows([2, 3, 5], 6)
    assert "3 row(s) before row 6 were written (row(s) 2, 3, 5)" in line
    assert "re-running the whole file is safe" in line
    assert "nothing was written" in written_rows([], 2)


async def test_candidate_import_refused_at_the_first_row_says_nothing_was_written(suite: Suite, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"姓名,领域,来源\n只读{tag()},生命健康,海外\n", encoding="utf-8")
    result = await suite("talent", "candidates", "import", str(path), bearer=token("v", "talent.viewer"))
    assert result.code == 4, result
    assert "row 2: PERMISSION_DENIED" in result.stderr and "nothing was written" in result.stderr
