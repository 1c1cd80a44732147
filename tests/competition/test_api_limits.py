"""Every repeated request field is bounded before its items are looked at: one violation, a small error,
nothing written (issue 9: 10,000 scores made a 0.9 MB error trailer that clients refuse)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from services.competition.api.limits import DEFAULT_MAX_ITEMS, MAX_ITEMS
from tests.competition.helpers import CRITERIA, admin, count, entry_message, judge_auth, judge_message, round_message
from tests.support import status_details

MANY = 10_000
ROUND = "contests/c-none/rounds/r-none"
ENTRY = "contests/c-none/entries/e-none"


def many_criteria() -> list[pb.Criterion]:
    return [pb.Criterion(key=f"c{i}", weight=1, min_value=0, max_value=10, step=1) for i in range(MANY)]


CASES: list[tuple[str, Callable[[], Any], str, int, int, tuple[tuple[str, str], ...]]] = [
    (
        "SubmitScoreSheet",
        lambda: pb.SubmitScoreSheetRequest(
            round=ROUND, entry=ENTRY, scores=[pb.CriterionScore(criterion=f"c{i}", value=1) for i in range(MANY)]
        ),
        "scores",
        20,
        MANY,
        judge_auth("j-any"),
    ),
    (
        "CreateRound",
        lambda: pb.CreateRoundRequest(parent="contests/c-none", round=round_message(criteria=many_criteria())),
        "round.criteria",
        20,
        MANY,
        admin(),
    ),
    (
        "CreateRound",
        lambda: pb.CreateRoundRequest(
            parent="contests/c-none",
            round=round_message(
                kind=pb.ROUND_KIND_FINAL,
                advancement=None,
                award_tiers=[pb.AwardTier(tier=f"T{i}", count=1) for i in range(1000)],
            ),
        ),
        "round.award_tiers",
        20,
        1000,
        admin(),
    ),
    (
        "UpdateRound",
        lambda: pb.UpdateRoundRequest(
            round=pb.Round(name=ROUND, etag="x"), update_mask=FieldMask(paths=["display_name"] * 1000)
        ),
        "update_mask.paths",
        20,
        1000,
        admin(),
    ),
    (
        "CreateEntry",
        lambda: pb.CreateEntryRequest(
            parent="contests/c-none",
            entry=entry_message(team=pb.Team(members=[pb.TeamMember(display_name=f"m{i}") for i in range(MANY)])),
        ),
        "entry.team.members",
        50,
        MANY,
        admin(),
    ),
    (
        "UpdateEntry",
        lambda: pb.UpdateEntryRequest(
            entry=pb.Entry(name=ENTRY, etag="x", team=pb.Team(organisations=[f"Org {i}" for i in range(MANY)])),
            update_mask=FieldMask(paths=["team.organisations"]),
        ),
        "entry.team.organisations",
        50,
        MANY,
        admin(),
    ),
    (
        "BatchCreateEntries",
        lambda: pb.BatchCreateEntriesRequest(
            parent="contests/c-none", requests=[pb.CreateEntryRequest(entry=entry_message()) for _ in range(MANY)]
        ),
        "requests",
        1000,
        MANY,
        admin(),
    ),
    (
        "CreateJudge",
        lambda: pb.CreateJudgeRequest(judge=judge_message(affiliations=[f"University {i}" for i in range(MANY)])),
        "judge.affiliations",
        50,
        MANY,
        admin(),
    ),
    (
        "CreateJudge",
        lambda: pb.CreateJudgeRequest(judge=judge_message(domains=[pb.DOMAIN_OTHER] * 100)),
        "judge.domains",
        4,
        100,
        admin(),
    ),
    (
        "CreateContest",
        lambda: pb.CreateContestRequest(
            contest=pb.Contest(display_name="x", year=2024, judges=[f"judges/j{i}" for i in range(MANY)])
        ),
        "contest.judges",
        500,
        MANY,
        admin(),
    ),
]


@pytest.mark.parametrize(("method", "build", "field", "bound", "got", "metadata"), CASES, ids=[c[2] for c in CASES])
async def test_an_oversized_list_is_one_small_violation(
    competition_stub: Any,
    competition_service: RunningService,
    method: str,
    build: Callable[[], Any],
    field: str,
    bound: int,
    got: int,
    metadata: tuple[tuple[str, str], ...],
) -> None:
    request = build()
    tables = ("contests", "rounds", "entries", "judges", "score_sheets", "audit_log")
    before = [await count(competition_service, t) for t in tables]
    with pytest.raises(aio.AioRpcError) as raised:
        await getattr(competition_stub, method)(request, metadata=metadata)
    error = raised.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    reason, _, violations = status_details(error)
    assert reason == "TOO_MANY_ITEMS"
    assert violations == [(field, f"at most {bound} items (got {got})")]
    trailer = sum(len(value) for _, value in error.trailing_metadata() or ())
    assert trailer < 2048
    assert [await count(competition_service, t) for t in tables] == before


def test_every_repeated_request_field_has_its_own_bound() -> None:
    """A new repeated field must get a bound stated in api.limits (else it falls back to 1000)."""
    found: set[tuple[str, str]] = set()

    def walk(descriptor: Any, seen: frozenset[str]) -> None:
        for f in descriptor.fields:
            if f.is_repeated:
                found.add((descriptor.full_name, f.name))
            if f.message_type is not None and f.message_type.full_name not in seen:
                walk(f.message_type, seen | {f.message_type.full_name})

    for method in pb.DESCRIPTOR.services_by_name["CompetitionService"].methods:
        walk(method.input_type, frozenset({method.input_type.full_name}))
    assert found == set(MAX_ITEMS)
    assert all(bound <= DEFAULT_MAX_ITEMS for bound in MAX_ITEMS.values())


async def test_lists_within_their_bounds_are_validated_as_before(competition_stub: Any) -> None:
    # 20 criteria pass the bound; a bad one among them is still reported by the round rules.
    criteria = [*CRITERIA] + [
        pb.Criterion(key=f"extra{i}", display_name="x", weight=1, min_value=0, max_value=10, step=1) for i in range(16)
    ]
    criteria[5] = pb.Criterion(key="bad", weight=-1, min_value=0, max_value=10, step=1)
    with pytest.raises(aio.AioRpcError) as raised:
        await competition_stub.CreateRound(
            pb.CreateRoundRequest(parent="contests/c-none", round=round_message(criteria=criteria)), metadata=admin()
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, _, violations = status_details(raised.value)
    assert [f for f, _ in violations] == ["round.criteria[5].weight"]


def test_only_requests_that_can_hold_a_list_are_checked() -> None:
    """A request with no repeated field anywhere in it (GetRound's name, say) costs no check per call."""
    from services.competition.api.servicer import CompetitionServicer

    def checked(method: str) -> bool:
        name: str = getattr(CompetitionServicer, method).__code__.co_name
        return name == "checked"

    assert checked("SubmitScoreSheet") and checked("UpdateRound") and checked("BatchCreateEntries")
    assert not checked("GetRound") and not checked("ListAssignments") and not checked("OpenRound")
