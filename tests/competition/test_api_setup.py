"""Set-up RPCs over real gRPC: contests, rounds, entries (single and batch) and judges."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from tests.competition.helpers import (
    ADMIN,
    CRITERIA,
    admin,
    assigned_pairs,
    contest_message,
    count,
    entry_message,
    expect_error,
    judge_auth,
    judge_message,
    make_contest,
    round_message,
    scores,
    seal_audit,
    slug,
    viewer,
)
from tests.support import auth

# --- contests -----------------------------------------------------------------------------------


async def test_create_contest_applies_the_landing_defaults(competition_stub: Any) -> None:
    contest_id = slug("c")
    created = await competition_stub.CreateContest(
        pb.CreateContestRequest(contest=contest_message(), contest_id=contest_id), metadata=admin()
    )
    assert created.name == f"contests/{contest_id}"
    assert (created.min_landed_entries, created.min_landing_ratio) == (5, pytest.approx(0.60))
    assert created.landing_pool == pb.LANDING_POOL_AWARDED
    fetched = await competition_stub.GetContest(pb.GetContestRequest(name=created.name), metadata=viewer())
    assert fetched == created


async def test_generated_contest_id_matches_the_id_pattern(competition_stub: Any) -> None:
    created = await competition_stub.CreateContest(
        pb.CreateContestRequest(contest=contest_message(landing_deadline="2024-12-31")), metadata=admin()
    )
    contest_id = created.name.removeprefix("contests/")
    assert contest_id[0].isalpha() and contest_id.islower()
    assert created.landing_deadline == "2024-12-31"


async def test_create_contest_retry_with_request_id_returns_the_first_result(
    competition_stub: Any, competition_service: RunningService
) -> None:
    request = pb.CreateContestRequest(contest=contest_message(), request_id=slug("req"))
    first = await competition_stub.CreateContest(request, metadata=admin())
    second = await competition_stub.CreateContest(request, metadata=admin())
    assert first == second
    assert await count(competition_service, "contests", "id = $1", first.name.removeprefix("contests/")) == 1


async def test_duplicate_contest_id_is_already_exists(competition_stub: Any) -> None:
    contest_id = slug("c")
    request = pb.CreateContestRequest(contest=contest_message(), contest_id=contest_id)
    await competition_stub.CreateContest(request, metadata=admin())
    reason, _, _ = await expect_error(
        competition_stub.CreateContest(request, metadata=admin()), grpc.StatusCode.ALREADY_EXISTS
    )
    assert reason == "CONTEST_EXISTS"


BAD_CONTESTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty name", {"display_name": " "}, "", "contest.display_name"),
    ("year", {"year": 1999}, "", "contest.year"),
    ("ratio", {"min_landing_ratio": 1.5}, "", "contest.min_landing_ratio"),
    ("negative landed", {"min_landed_entries": -1}, "", "contest.min_landed_entries"),
    ("deadline", {"landing_deadline": "31/12/2024"}, "", "contest.landing_deadline"),
    ("pool", {"landing_pool": 9}, "", "contest.landing_pool"),
    ("bad id", {}, "Bad_Id", "contest_id"),
]


@pytest.mark.parametrize(("case", "overrides", "contest_id", "field"), BAD_CONTESTS, ids=[c[0] for c in BAD_CONTESTS])
async def test_bad_contest_is_invalid_argument_and_writes_nothing(
    competition_stub: Any,
    competition_service: RunningService,
    case: str,
    overrides: dict[str, Any],
    contest_id: str,
    field: str,
) -> None:
    before = await count(competition_service, "contests")
    _, _, violations = await expect_error(
        competition_stub.CreateContest(
            pb.CreateContestRequest(contest=contest_message(**overrides), contest_id=contest_id), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field in [f for f, _ in violations]
    assert await count(competition_service, "contests") == before


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        (auth("viewer-1", "competition.viewer"), grpc.StatusCode.PERMISSION_DENIED),
        (judge_auth("j-1"), grpc.StatusCode.PERMISSION_DENIED),
        (auth("x", "talent.admin"), grpc.StatusCode.PERMISSION_DENIED),
        ((), grpc.StatusCode.UNAUTHENTICATED),
    ],
)
async def test_only_admins_create_contests(competition_stub: Any, metadata: Any, code: grpc.StatusCode) -> None:
    await expect_error(
        competition_stub.CreateContest(pb.CreateContestRequest(contest=contest_message()), metadata=metadata), code
    )


async def test_update_contest_with_mask_and_etag(competition_stub: Any) -> None:
    created = await competition_stub.CreateContest(pb.CreateContestRequest(contest=contest_message()), metadata=admin())
    change = pb.Contest(name=created.name, etag=created.etag, min_landed_entries=8, display_name="ignored")
    updated = await competition_stub.UpdateContest(
        pb.UpdateContestRequest(contest=change, update_mask=FieldMask(paths=["min_landed_entries"])), metadata=admin()
    )
    assert updated.min_landed_entries == 8
    assert updated.display_name == created.display_name
    assert updated.etag != created.etag
    reason, metadata, _ = await expect_error(
        competition_stub.UpdateContest(
            pb.UpdateContestRequest(contest=change, update_mask=FieldMask(paths=["min_landed_entries"])),
            metadata=admin(),
        ),
        grpc.StatusCode.ABORTED,
    )
    assert reason == "ETAG_MISMATCH"
    assert metadata["current_etag"] == updated.etag
    _, _, violations = await expect_error(
        competition_stub.UpdateContest(
            pb.UpdateContestRequest(
                contest=pb.Contest(name=created.name, etag=updated.etag), update_mask=FieldMask(paths=["etag"])
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [f for f, _ in violations] == ["update_mask"]


async def test_list_contests_pages_by_year(competition_stub: Any) -> None:
    for _ in range(3):
        await competition_stub.CreateContest(
            pb.CreateContestRequest(contest=contest_message(year=2031)), metadata=admin()
        )
    seen: list[str] = []
    token = ""
    while True:
        page = await competition_stub.ListContests(
            pb.ListContestsRequest(year=2031, page_size=2, page_token=token), metadata=viewer()
        )
        seen += [c.name for c in page.contests]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) >= 3
    await expect_error(
        competition_stub.ListContests(
            pb.ListContestsRequest(year=2030, page_token=page_token_of(seen)), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await expect_error(
        competition_stub.ListContests(pb.ListContestsRequest(page_size=-1), metadata=admin()),
        grpc.StatusCode.INVALID_ARGUMENT,
    )


def page_token_of(names: list[str]) -> str:
    return "forged" + str(len(names))


# --- rounds -------------------------------------------------------------------------------------


async def test_create_round_defaults_and_sequence(competition_stub: Any) -> None:
    contest = await competition_stub.CreateContest(pb.CreateContestRequest(contest=contest_message()), metadata=admin())
    bare = round_message(judges_per_entry=0, aggregation=pb.AGGREGATION_METHOD_UNSPECIFIED)
    first = await competition_stub.CreateRound(pb.CreateRoundRequest(parent=contest.name, round=bare), metadata=admin())
    second = await competition_stub.CreateRound(
        pb.CreateRoundRequest(parent=contest.name, round=bare, round_id="semi"), metadata=admin()
    )
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.judges_per_entry == 5
    assert first.aggregation == pb.AGGREGATION_METHOD_MEAN
    assert first.state == pb.ROUND_STATE_DRAFT
    assert [c.key for c in first.criteria] == [c.key for c in CRITERIA]
    assert first.advancement.top_n == 2
    reason, _, _ = await expect_error(
        competition_stub.CreateRound(
            pb.CreateRoundRequest(parent=contest.name, round=round_message(sequence=2)), metadata=admin()
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert reason == "SEQUENCE_TAKEN"
    listed = await competition_stub.ListRounds(pb.ListRoundsRequest(parent=contest.name), metadata=viewer())
    assert [r.name for r in listed.rounds] == [first.name, second.name]


BAD_ROUNDS: list[tuple[str, dict[str, Any], str]] = [
    ("no criteria", {"criteria": []}, "round.criteria"),
    (
        "zero weight",
        {"criteria": [pb.Criterion(key="a", weight=0, min_value=0, max_value=10, step=1)]},
        "round.criteria[0].weight",
    ),
    (
        "range off grid",
        {"criteria": [pb.Criterion(key="a", weight=1, min_value=0, max_value=10, step=3)]},
        "round.criteria[0].step",
    ),
    (
        "duplicate key",
        {"criteria": [CRITERIA[0], CRITERIA[0]]},
        "round.criteria[1].key",
    ),
    ("no kind", {"kind": pb.ROUND_KIND_UNSPECIFIED}, "round.kind"),
    ("no advancement", {"advancement": None}, "round.advancement"),
    ("min score", {"advancement": pb.Advancement(min_score=120)}, "round.advancement.min_score"),
    ("tiers outside final", {"award_tiers": [pb.AwardTier(tier="FIRST", count=1)]}, "round.award_tiers"),
    ("judges per entry", {"judges_per_entry": 99}, "round.judges_per_entry"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_ROUNDS, ids=[c[0] for c in BAD_ROUNDS])
async def test_bad_round_is_invalid_argument_and_writes_nothing(
    competition_stub: Any, competition_service: RunningService, case: str, overrides: dict[str, Any], field: str
) -> None:
    contest = await competition_stub.CreateContest(pb.CreateContestRequest(contest=contest_message()), metadata=admin())
    before = await count(competition_service, "rounds")
    _, _, violations = await expect_error(
        competition_stub.CreateRound(
            pb.CreateRoundRequest(parent=contest.name, round=round_message(**overrides)), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field in [f for f, _ in violations], violations
    assert await count(competition_service, "rounds") == before


async def test_round_in_unknown_contest_is_not_found(competition_stub: Any) -> None:
    await expect_error(
        competition_stub.CreateRound(
            pb.CreateRoundRequest(parent="contests/no-such-contest", round=round_message()), metadata=admin()
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    _, _, violations = await expect_error(
        competition_stub.GetRound(pb.GetRoundRequest(name="rounds/x"), metadata=admin()),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violations[0][0] == "name"


async def test_criteria_freeze_when_the_round_opens(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=1, judges=1)
    changed = pb.Round(name=c.round.name, etag=c.round.etag, criteria=CRITERIA[:2], display_name="初赛（改）")
    updated = await competition_stub.UpdateRound(
        pb.UpdateRoundRequest(round=changed, update_mask=FieldMask(paths=["criteria"])), metadata=admin()
    )
    assert [x.key for x in updated.criteria] == ["technology", "industrialisation"]
    opened = await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    changed.etag = opened.etag
    reason, _, _ = await expect_error(
        competition_stub.UpdateRound(
            pb.UpdateRoundRequest(round=changed, update_mask=FieldMask(paths=["criteria"])), metadata=admin()
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "CRITERIA_FROZEN"
    renamed = await competition_stub.UpdateRound(
        pb.UpdateRoundRequest(round=changed, update_mask=FieldMask(paths=["display_name"])), metadata=admin()
    )
    assert renamed.display_name == "初赛（改）"
    assert len(renamed.criteria) == 2
    reason, _, _ = await expect_error(
        competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin()),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "TRANSITION_NOT_ALLOWED"


async def test_a_later_round_opens_only_after_the_previous_is_finalized(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=1, judges=1)
    semi = await competition_stub.CreateRound(
        pb.CreateRoundRequest(parent=c.contest.name, round=round_message(kind=pb.ROUND_KIND_SEMIFINAL)),
        metadata=admin(),
    )
    reason, metadata, _ = await expect_error(
        competition_stub.OpenRound(pb.OpenRoundRequest(name=semi.name), metadata=admin()),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "PREVIOUS_ROUND_NOT_FINALIZED"
    assert metadata["previous_round"] == c.round.name


# --- entries ------------------------------------------------------------------------------------


async def test_create_get_and_update_an_entry(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=0 + 1, judges=0)
    created = await competition_stub.CreateEntry(
        pb.CreateEntryRequest(parent=c.contest.name, entry=entry_message(origin_country="cn"), entry_id="solar"),
        metadata=admin(),
    )
    assert created.name == f"{c.contest.name}/entries/solar"
    assert created.origin_country == "CN"
    assert await competition_stub.GetEntry(pb.GetEntryRequest(name=created.name), metadata=viewer()) == created
    change = pb.Entry(name=created.name, etag=created.etag, title="新标题", team=pb.Team(organisations=["ACME"]))
    updated = await competition_stub.UpdateEntry(
        pb.UpdateEntryRequest(entry=change, update_mask=FieldMask(paths=["title", "team.organisations"])),
        metadata=admin(),
    )
    assert updated.title == "新标题"
    assert list(updated.team.organisations) == ["ACME"]
    assert updated.team.leader.display_name == "李娜"
    reason, _, _ = await expect_error(
        competition_stub.UpdateEntry(
            pb.UpdateEntryRequest(entry=change, update_mask=FieldMask(paths=["title"])), metadata=admin()
        ),
        grpc.StatusCode.ABORTED,
    )
    assert reason == "ETAG_MISMATCH"
    _, _, violations = await expect_error(
        competition_stub.UpdateEntry(
            pb.UpdateEntryRequest(
                entry=pb.Entry(name=created.name, etag=updated.etag, title=""), update_mask=FieldMask(paths=["title"])
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [f for f, _ in violations] == ["entry.title"]
    await expect_error(
        competition_stub.GetEntry(pb.GetEntryRequest(name=f"{c.contest.name}/entries/nope"), metadata=admin()),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_batch_create_is_all_or_nothing_with_a_violation_per_bad_row(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c = await make_contest(competition_stub, entries=1, judges=0)
    before = await count(competition_service, "entries")
    requests = [
        pb.CreateEntryRequest(entry=entry_message(), entry_id="good-1"),
        pb.CreateEntryRequest(entry=entry_message(title="  ")),
        pb.CreateEntryRequest(entry=entry_message(origin_country="Germany")),
        pb.CreateEntryRequest(entry=entry_message(domain=pb.DOMAIN_UNSPECIFIED), entry_id="good-1"),
    ]
    _, _, violations = await expect_error(
        competition_stub.BatchCreateEntries(
            pb.BatchCreateEntriesRequest(parent=c.contest.name, requests=requests), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {f for f, _ in violations} == {
        "requests[1].entry.title",
        "requests[2].entry.origin_country",
        "requests[3].entry.domain",
        "requests[3].entry_id",
    }
    # An id already taken by an existing entry fails the whole batch too.
    reason, _, _ = await expect_error(
        competition_stub.BatchCreateEntries(
            pb.BatchCreateEntriesRequest(
                parent=c.contest.name,
                requests=[
                    pb.CreateEntryRequest(entry=entry_message(), entry_id="fresh"),
                    pb.CreateEntryRequest(entry=entry_message(), entry_id="e0"),
                ],
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert reason == "ENTRY_EXISTS"
    assert await count(competition_service, "entries") == before


async def test_list_entries_filters_and_pages(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=5, judges=0)
    await competition_stub.CreateEntry(
        pb.CreateEntryRequest(
            parent=c.contest.name, entry=entry_message(title="数字孪生平台", domain=pb.DOMAIN_DIGITAL_ECONOMY)
        ),
        metadata=admin(),
    )
    names: list[str] = []
    token = ""
    while True:
        page = await competition_stub.ListEntries(
            pb.ListEntriesRequest(parent=c.contest.name, page_size=2, page_token=token), metadata=viewer()
        )
        names += [e.name for e in page.entries]
        token = page.next_page_token
        if not token:
            break
    assert len(names) == len(set(names)) == 6
    digital = await competition_stub.ListEntries(
        pb.ListEntriesRequest(parent=c.contest.name, domain=pb.DOMAIN_DIGITAL_ECONOMY), metadata=viewer()
    )
    assert [e.title for e in digital.entries] == ["数字孪生平台"]
    by_title = await competition_stub.ListEntries(
        pb.ListEntriesRequest(parent=c.contest.name, title_contains="孪生"), metadata=viewer()
    )
    assert len(by_title.entries) == 1
    in_round = await competition_stub.ListEntries(
        pb.ListEntriesRequest(parent=c.contest.name, round=c.round.name), metadata=viewer()
    )
    assert len(in_round.entries) == 6
    first = await competition_stub.ListEntries(
        pb.ListEntriesRequest(parent=c.contest.name, page_size=2), metadata=admin()
    )
    _, _, violations = await expect_error(
        competition_stub.ListEntries(
            pb.ListEntriesRequest(
                parent=c.contest.name, page_size=2, page_token=first.next_page_token, domain=pb.DOMAIN_OTHER
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violations[0][0] == "page_token"
    _, _, violations = await expect_error(
        competition_stub.ListEntries(
            pb.ListEntriesRequest(parent=c.contest.name, origin_country="Deutschland"), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violations[0][0] == "origin_country"


# --- judges -------------------------------------------------------------------------------------


async def test_judges_create_get_list_update(competition_stub: Any, competition_service: RunningService) -> None:
    judge_id = slug("j")
    created = await competition_stub.CreateJudge(
        pb.CreateJudgeRequest(judge=judge_message(domains=[pb.DOMAIN_LIFE_HEALTH]), judge_id=judge_id),
        metadata=admin(),
    )
    assert created.name == f"judges/{judge_id}"
    assert await competition_stub.GetJudge(pb.GetJudgeRequest(name=created.name), metadata=viewer()) == created
    listed = await competition_stub.ListJudges(
        pb.ListJudgesRequest(domain=pb.DOMAIN_LIFE_HEALTH, page_size=500), metadata=viewer()
    )
    assert created.name in [j.name for j in listed.judges]
    assert all(pb.DOMAIN_LIFE_HEALTH in j.domains for j in listed.judges)
    updated = await competition_stub.UpdateJudge(
        pb.UpdateJudgeRequest(
            judge=pb.Judge(name=created.name, etag=created.etag, affiliations=["温州医科大学"]),
            update_mask=FieldMask(paths=["affiliations"]),
        ),
        metadata=admin(),
    )
    assert list(updated.affiliations) == ["温州医科大学"]
    assert updated.display_name == created.display_name
    reason, _, _ = await expect_error(
        competition_stub.CreateJudge(pb.CreateJudgeRequest(judge=judge_message(), judge_id=judge_id), metadata=admin()),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert reason == "JUDGE_EXISTS"
    before = await count(competition_service, "judges")
    _, _, violations = await expect_error(
        competition_stub.CreateJudge(
            pb.CreateJudgeRequest(judge=judge_message(display_name="", domains=[0]), judge_id="9bad"),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {f for f, _ in violations} == {"judge_id", "judge.display_name", "judge.domains[0]"}
    assert await count(competition_service, "judges") == before
    await expect_error(
        competition_stub.CreateJudge(pb.CreateJudgeRequest(judge=judge_message()), metadata=auth(*ADMIN[:1])),
        grpc.StatusCode.PERMISSION_DENIED,
    )


# --- judge panels -------------------------------------------------------------------------------


async def new_judges(stub: Any, n: int) -> list[str]:
    """Names of ``n`` new judges."""
    return [
        (
            await stub.CreateJudge(pb.CreateJudgeRequest(judge=judge_message(), judge_id=slug("j")), metadata=admin())
        ).name
        for _ in range(n)
    ]


async def test_contest_panel_is_created_returned_and_updated(
    competition_stub: Any, competition_service: RunningService
) -> None:
    a, b, c = await new_judges(competition_stub, 3)
    created = await competition_stub.CreateContest(
        pb.CreateContestRequest(contest=contest_message(judges=[c, a]), contest_id=slug("c")), metadata=admin()
    )
    assert list(created.judges) == [c, a]  # in the order given
    fetched = await competition_stub.GetContest(pb.GetContestRequest(name=created.name), metadata=viewer())
    assert list(fetched.judges) == [c, a]
    # An update that does not name the panel keeps it.
    renamed = await competition_stub.UpdateContest(
        pb.UpdateContestRequest(
            contest=pb.Contest(name=created.name, etag=created.etag, display_name="改名"),
            update_mask=FieldMask(paths=["display_name"]),
        ),
        metadata=admin(),
    )
    assert list(renamed.judges) == [c, a]
    updated = await competition_stub.UpdateContest(
        pb.UpdateContestRequest(
            contest=pb.Contest(name=created.name, etag=renamed.etag, judges=[b, c, a]),
            update_mask=FieldMask(paths=["judges"]),
        ),
        metadata=admin(),
    )
    assert list(updated.judges) == [b, c, a]
    assert updated.display_name == "改名"
    contest_id = created.name.removeprefix("contests/")
    payloads = await competition_service.pool.fetch(
        "SELECT action, payload::jsonb AS payload FROM audit_log WHERE payload::jsonb ->> 'contest' = $1 ORDER BY id",
        contest_id,
    )
    assert [r["action"] for r in payloads] == ["contest.created", "contest.updated", "contest.updated"]
    assert payloads[-1]["payload"]["judges"] == [j.removeprefix("judges/") for j in (b, c, a)]
    # An empty panel means every judge again.
    emptied = await competition_stub.UpdateContest(
        pb.UpdateContestRequest(
            contest=pb.Contest(name=created.name, etag=updated.etag), update_mask=FieldMask(paths=["judges"])
        ),
        metadata=admin(),
    )
    assert list(emptied.judges) == []


BAD_PANELS: list[tuple[str, list[str], str, str]] = [
    ("bad name", ["{a}", "j-1"], "contest.judges[1]", "judges/{id}"),
    ("nested name", ["judges/x/y"], "contest.judges[0]", "judges/{id}"),
    ("unknown judge", ["{a}", "judges/nobody-{seed}"], "contest.judges[1]", "no such judge"),
    ("duplicate", ["{a}", "{b}", "{a}"], "contest.judges[2]", "duplicates contest.judges[0]"),
]


@pytest.mark.parametrize(("case", "panel", "field", "says"), BAD_PANELS, ids=[c[0] for c in BAD_PANELS])
async def test_bad_panel_is_invalid_argument_and_writes_nothing(
    competition_stub: Any, competition_service: RunningService, case: str, panel: list[str], field: str, says: str
) -> None:
    a, b = await new_judges(competition_stub, 2)
    judges = [p.format(a=a, b=b, seed=slug("x")) for p in panel]
    contests_before = await count(competition_service, "contests")
    audit_before = await count(competition_service, "audit_log")
    _, _, violations = await expect_error(
        competition_stub.CreateContest(
            pb.CreateContestRequest(contest=contest_message(judges=judges), contest_id=slug("c"), request_id=slug("r")),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [(f, says in d) for f, d in violations] == [(field, True)]
    assert await count(competition_service, "contests") == contests_before
    assert await count(competition_service, "audit_log") == audit_before

    existing = await competition_stub.CreateContest(
        pb.CreateContestRequest(contest=contest_message(judges=[b]), contest_id=slug("c")), metadata=admin()
    )
    audit_before = await count(competition_service, "audit_log")
    _, _, violations = await expect_error(
        competition_stub.UpdateContest(
            pb.UpdateContestRequest(
                contest=pb.Contest(name=existing.name, etag=existing.etag, judges=judges),
                update_mask=FieldMask(paths=["judges"]),
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [(f, says in d) for f, d in violations] == [(field, True)]
    assert await competition_stub.GetContest(pb.GetContestRequest(name=existing.name), metadata=admin()) == existing
    assert await count(competition_service, "audit_log") == audit_before


# --- round order, deadlines and the panel (review fixes) ------------------------------------------


async def test_a_round_cannot_be_created_before_a_round_that_has_opened(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=1, judges=1, round_=round_message(sequence=5))
    # Before a DRAFT round is fine: nothing has been judged on its entries yet.
    earlier = await competition_stub.CreateRound(
        pb.CreateRoundRequest(parent=c.contest.name, round_id="warmup", round=round_message(sequence=2)),
        metadata=admin(),
    )
    assert earlier.sequence == 2
    await competition_stub.OpenRound(pb.OpenRoundRequest(name=earlier.name), metadata=admin())
    reason, _, violations = await expect_error(
        competition_stub.CreateRound(
            pb.CreateRoundRequest(parent=c.contest.name, round_id="extra", round=round_message(sequence=1)),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert reason == "SEQUENCE_BEFORE_STARTED_ROUND"
    assert [field for field, _ in violations] == ["round.sequence"]
    # After the opened round (and before the DRAFT one) is still allowed.
    between = await competition_stub.CreateRound(
        pb.CreateRoundRequest(parent=c.contest.name, round_id="extra", round=round_message(sequence=3)),
        metadata=admin(),
    )
    assert between.sequence == 3


async def test_an_out_of_range_judging_deadline_is_a_field_violation(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=1, judges=1)
    for bad in (Timestamp(seconds=10**13), Timestamp(seconds=-(10**12)), Timestamp(seconds=0, nanos=-1)):
        _, _, violations = await expect_error(
            competition_stub.CreateRound(
                pb.CreateRoundRequest(
                    parent=c.contest.name, round_id="late", round=round_message(sequence=9, judging_deadline=bad)
                ),
                metadata=admin(),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert [field for field, _ in violations] == ["round.judging_deadline"]
    current = await competition_stub.GetRound(pb.GetRoundRequest(name=c.round.name), metadata=admin())
    change = pb.Round(name=current.name, etag=current.etag, display_name="初赛（改）")
    change.judging_deadline.CopyFrom(Timestamp(seconds=10**13))
    _, _, violations = await expect_error(
        competition_stub.UpdateRound(
            pb.UpdateRoundRequest(round=change, update_mask=FieldMask(paths=["judging_deadline"])), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [field for field, _ in violations] == ["round.judging_deadline"]
    # Not in the mask: not decoded into the update, so not an error.
    renamed = await competition_stub.UpdateRound(
        pb.UpdateRoundRequest(round=change, update_mask=FieldMask(paths=["display_name"])), metadata=admin()
    )
    assert renamed.display_name == "初赛（改）"
    assert not renamed.HasField("judging_deadline")
    # The edges of the range are accepted.
    edge = await competition_stub.CreateRound(
        pb.CreateRoundRequest(
            parent=c.contest.name,
            round_id="edge",
            round=round_message(sequence=9, judging_deadline=Timestamp(seconds=253_402_300_799, nanos=999_999_999)),
        ),
        metadata=admin(),
    )
    assert edge.judging_deadline.seconds == 253_402_300_799


async def test_judges_leaving_the_panel_lose_their_open_assignments(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c = await make_contest(competition_stub, entries=3, judges=4, round_=round_message(judges_per_entry=2))
    stub = competition_stub
    await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    leaving = c.judge_id(0)
    theirs = [e for j, e in await assigned_pairs(stub, c.round.name) if j == leaving]
    assert theirs
    await stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=theirs[0], scores=scores()), metadata=judge_auth(leaving)
    )
    contest = await stub.GetContest(pb.GetContestRequest(name=c.contest.name), metadata=admin())
    staying = [j.name for j in c.judges[1:]]
    await stub.UpdateContest(
        pb.UpdateContestRequest(
            contest=pb.Contest(name=contest.name, etag=contest.etag, judges=staying),
            update_mask=FieldMask(paths=["judges"]),
        ),
        metadata=admin(),
    )
    assert [e for j, e in await assigned_pairs(stub, c.round.name) if j == leaving] == []
    # The current sheet leaves with the assignment; its version history stays.
    assert await count(competition_service, "score_sheets", "contest_id = $1 AND judge_id = $2", c.id, leaving) == 0
    assert (
        await count(competition_service, "score_sheet_versions", "contest_id = $1 AND judge_id = $2", c.id, leaving)
        == 1
    )
    await seal_audit(competition_service)
    # Every page: the shared service's log holds the events of every test before this one.
    events: list[pb.AuditEvent] = []
    token = ""
    while True:
        page = await stub.ListAuditEvents(pb.ListAuditEventsRequest(page_size=500, page_token=token), metadata=admin())
        events += page.events
        token = page.next_page_token
        if not token:
            break
    withdrawn = [
        e
        for e in events
        if e.action == "assignments.withdrawn" and c.id in e.payload_json and leaving in e.payload_json
    ]
    assert len(withdrawn) == 1
    assert "judges removed from the panel" in withdrawn[0].payload_json
    # AutoAssign refills from the panel: exactly k judges per entry, none of them the judge who left.
    refill = await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    pairs = await assigned_pairs(stub, c.round.name)
    assert refill.assignments_total == len(pairs) == 3 * 2
    assert {j for j, _ in pairs} <= {j.removeprefix("judges/") for j in staying}
    for entry in c.entries:
        assert sum(1 for _, e in pairs if e == entry.name) == 2


async def test_a_closed_round_keeps_the_assignments_of_a_judge_leaving_the_panel(competition_stub: Any) -> None:
    stub = competition_stub
    c = await make_contest(stub, entries=2, judges=3, round_=round_message(judges_per_entry=1))
    await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    before = await assigned_pairs(stub, c.round.name)
    for judge_id, entry in before:
        await stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
        )
    await stub.CloseRound(pb.CloseRoundRequest(name=c.round.name), metadata=admin())
    contest = await stub.GetContest(pb.GetContestRequest(name=c.contest.name), metadata=admin())
    await stub.UpdateContest(
        pb.UpdateContestRequest(
            contest=pb.Contest(name=contest.name, etag=contest.etag, judges=[f"judges/{c.judge_id(2)}"]),
            update_mask=FieldMask(paths=["judges"]),
        ),
        metadata=admin(),
    )
    assert await assigned_pairs(stub, c.round.name) == before
