"""The landing RPCs against a real server and PostgreSQL: the stage machine, the details each stage
records, history and audit in the same transaction, idempotency, every bad input (right code, field
violation, nothing written), and GetLandingStatus including its edge cases (empty pool, shrinking
pool, DROPPED entries).

The landing pool is seeded by SQL (tests.competition.landing_seed); the landing moves go through the
API."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import asyncpg
import grpc
import pytest

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from services.competition.api.landing import district_today
from tests.competition.landing_seed import SeededContest, seed_contest
from tests.support import auth, status_details

ADMIN = auth("landing-admin", "competition.admin")
VIEWER = auth("landing-viewer", "competition.viewer")
JUDGE = auth("landing-judge", "competition.judge")

# Real unified social credit codes (published on the companies' licences) and a worked example.
ALIBABA = "91330100716105852F"
HUAWEI = "914403001922038216"
TENCENT = "9144030071526726XG"

S = pb.LandingStage


def company(code: str = ALIBABA, **overrides: Any) -> pb.Company:
    values: dict[str, Any] = {
        "display_name": "温州瓯海智造科技有限公司",
        "credit_code": code,
        "registration_date": "2024-05-20",
        "registered_capital_wan_cny": 500.0,
    }
    values.update(overrides)
    return pb.Company(**values)


async def move(stub: Any, entry: str, expected: Any, target: Any, metadata: Any = ADMIN, **fields: Any) -> pb.Landing:
    """``expected``/``target`` are LandingStage values (plain ints too, to send unknown ones)."""
    request = pb.TransitionLandingRequest(entry=entry, expected_stage=expected, target_stage=target, **fields)
    moved: pb.Landing = await stub.TransitionLanding(request, metadata=metadata)
    return moved


async def land(stub: Any, entry: str, code: str = ALIBABA) -> pb.Landing:
    await move(stub, entry, S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    await move(stub, entry, S.LANDING_STAGE_INTENT, S.LANDING_STAGE_SIGNED, agreement_date="2024-04-01")
    return await move(stub, entry, S.LANDING_STAGE_SIGNED, S.LANDING_STAGE_REGISTERED, company=company(code))


async def status(stub: Any, contest: SeededContest, metadata: Any = VIEWER) -> pb.LandingStatus:
    result: pb.LandingStatus = await stub.GetLandingStatus(
        pb.GetLandingStatusRequest(contest=contest.name), metadata=metadata
    )
    return result


async def written(pool: asyncpg.Pool, contest_id: str) -> tuple[int, int, int]:
    """(landing records, history events, audit rows): what a refused call must leave unchanged."""
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM landings WHERE contest_id = $1) AS landings,"
        " (SELECT count(*) FROM landing_events WHERE contest_id = $1) AS events,"
        " (SELECT count(*) FROM audit_log) AS audit",
        contest_id,
    )
    assert row is not None
    return row["landings"], row["events"], row["audit"]


def stage_counts(result: pb.LandingStatus) -> dict[str, int]:
    return {pb.LandingStage.Name(c.stage).removeprefix("LANDING_STAGE_"): c.count for c in result.stage_counts}


@pytest.fixture
async def contest(competition_service: RunningService) -> SeededContest:
    """8 entries, 6 finalists, 5 awarded (the default pool), landing deadline in 30 days."""
    return await seed_contest(competition_service.pool, deadline=district_today() + timedelta(days=30))


# --- transitions -----------------------------------------------------------------------------------


async def test_a_landing_moves_through_every_stage_with_history_and_audit(
    competition_service: RunningService, competition_stub: Any, contest: SeededContest
) -> None:
    entry = contest.awarded[0]
    created = await move(competition_stub, entry, S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT, note="意向")
    assert created.entry == entry and created.stage == S.LANDING_STAGE_INTENT
    assert created.HasField("update_time") and not created.HasField("company")

    signed = await move(
        competition_stub, entry, S.LANDING_STAGE_INTENT, S.LANDING_STAGE_SIGNED, agreement_date="2024-04-01"
    )
    assert signed.agreement_date == "2024-04-01"
    # Full-width digits and lower case, as a Chinese input method may type them, are normalised.
    registered = await move(
        competition_stub,
        entry,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        company=company("９１３３０１００７１６１０５８５２ｆ", registered_capital_wan_cny=1200.5),
        note="营业执照已领取",
    )
    assert registered.company.credit_code == ALIBABA
    assert registered.company.registration_date == "2024-05-20"
    assert registered.company.registered_capital_wan_cny == 1200.5
    assert registered.agreement_date == "2024-04-01", "the agreement date stays after registering"
    operating = await move(competition_stub, entry, S.LANDING_STAGE_REGISTERED, S.LANDING_STAGE_OPERATING)
    assert operating.stage == S.LANDING_STAGE_OPERATING and operating.company.display_name

    read = await competition_stub.GetLanding(pb.GetLandingRequest(entry=entry), metadata=VIEWER)
    assert read == operating

    pool = competition_service.pool
    _, entry_id = entry.rsplit("/", 1)
    events = await pool.fetch(
        "SELECT from_stage, to_stage, actor, note, time FROM landing_events"
        " WHERE contest_id = $1 AND entry_id = $2 ORDER BY id",
        contest.id,
        entry_id,
    )
    assert [(e["from_stage"], e["to_stage"]) for e in events] == [
        (None, "INTENT"),
        ("INTENT", "SIGNED"),
        ("SIGNED", "REGISTERED"),
        ("REGISTERED", "OPERATING"),
    ]
    assert {e["actor"] for e in events} == {"landing-admin"}
    assert [e["note"] for e in events] == ["意向", "", "营业执照已领取", ""]
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)

    audit = await pool.fetch(
        "SELECT actor, payload FROM audit_log WHERE action = 'landing.transition' AND payload LIKE $1 ORDER BY id",
        f'%"entry":"{entry}"%',
    )
    assert len(audit) == 4 and {a["actor"] for a in audit} == {"landing-admin"}
    assert '"credit_code":"91330100716105852F"' in audit[2]["payload"]
    verified = await competition_service.pool.fetchval("SELECT count(*) FROM audit_log")
    assert verified >= 4


async def test_a_landing_can_be_dropped_from_any_open_stage_with_a_reason(
    competition_stub: Any, contest: SeededContest
) -> None:
    entry = contest.awarded[1]
    await move(competition_stub, entry, S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    dropped = await move(
        competition_stub, entry, S.LANDING_STAGE_INTENT, S.LANDING_STAGE_DROPPED, drop_reason="团队迁往外地"
    )
    assert dropped.stage == S.LANDING_STAGE_DROPPED and dropped.drop_reason == "团队迁往外地"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await move(competition_stub, entry, S.LANDING_STAGE_DROPPED, S.LANDING_STAGE_INTENT)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert status_details(raised.value)[0] == "TRANSITION_NOT_ALLOWED"


async def test_a_repeated_request_id_returns_the_first_result_and_writes_once(
    competition_service: RunningService, competition_stub: Any, contest: SeededContest
) -> None:
    entry = contest.awarded[2]
    request = pb.TransitionLandingRequest(
        entry=entry,
        expected_stage=S.LANDING_STAGE_UNSPECIFIED,
        target_stage=S.LANDING_STAGE_INTENT,
        request_id="landing-retry-1",
    )
    first = await competition_stub.TransitionLanding(request, metadata=ADMIN)
    before = await written(competition_service.pool, contest.id)
    again = await competition_stub.TransitionLanding(request, metadata=ADMIN)
    assert again == first
    assert await written(competition_service.pool, contest.id) == before
    request.note = "a different request"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await competition_stub.TransitionLanding(request, metadata=ADMIN)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[0] == "REQUEST_ID_REUSED"


async def test_concurrent_first_moves_create_one_record(
    competition_service: RunningService, competition_stub: Any, contest: SeededContest
) -> None:
    entry = contest.awarded[3]
    results = await asyncio.gather(
        *(move(competition_stub, entry, S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT) for _ in range(10)),
        return_exceptions=True,
    )
    ok = [r for r in results if isinstance(r, pb.Landing)]
    failed = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(ok) == 1 and len(failed) == 9, results
    assert {f.code() for f in failed} == {grpc.StatusCode.ABORTED}
    assert {status_details(f)[0] for f in failed} == {"STAGE_MISMATCH"}
    events = await competition_service.pool.fetchval(
        "SELECT count(*) FROM landing_events WHERE contest_id = $1 AND entry_id = $2", contest.id, entry[-4:]
    )
    assert events == 1


# --- bad input: the right code, the field, and nothing written ----------------------------------

FUTURE = (district_today() + timedelta(days=3)).isoformat()

# (id, entry index into awarded, expected, target, fields, code, reason, violated field or None)
BAD: list[tuple[str, int, int, int, dict[str, Any], grpc.StatusCode, str, str | None]] = [
    *(
        (
            f"credit code {label}",
            0,
            S.LANDING_STAGE_SIGNED,
            S.LANDING_STAGE_REGISTERED,
            {"company": company(code)},
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
            "company.credit_code",
        )
        for label, code in [
            ("wrong check character", "91330100716105852G"),
            ("typo in the body", "91330100716105853F"),
            ("letter I not in the charset", "9133010071610585IF"),
            ("too short", "9133010071610585"),
            ("too long", "91330100716105852FF"),
            ("missing", ""),
        ]
    ),
    (
        "company missing",
        0,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        {},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "company",
    ),
    (
        "company name missing",
        0,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        {"company": company(display_name="  ")},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "company.display_name",
    ),
    (
        "registration date missing",
        0,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        {"company": company(registration_date="")},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "company.registration_date",
    ),
    (
        "registration date not ISO",
        0,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        {"company": company(registration_date="20/05/2024")},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "company.registration_date",
    ),
    (
        "negative capital",
        0,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        {"company": company(registered_capital_wan_cny=-1.0)},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "company.registered_capital_wan_cny",
    ),
    (
        "capital not a number",
        0,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        {"company": company(registered_capital_wan_cny=float("nan"))},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "company.registered_capital_wan_cny",
    ),
    (
        "agreement date missing",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_SIGNED,
        {},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "agreement_date",
    ),
    (
        "agreement date impossible",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_SIGNED,
        {"agreement_date": "2024-02-30"},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "agreement_date",
    ),
    (
        "agreement date in the future",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_SIGNED,
        {"agreement_date": FUTURE},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "agreement_date",
    ),
    (
        "company on a move to SIGNED",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_SIGNED,
        {"agreement_date": "2024-04-01", "company": company()},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "company",
    ),
    (
        "drop reason missing",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_DROPPED,
        {"drop_reason": "   "},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "drop_reason",
    ),
    (
        "target stage missing",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_UNSPECIFIED,
        {},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "target_stage",
    ),
    (
        "unknown target stage",
        1,
        S.LANDING_STAGE_INTENT,
        99,
        {},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "target_stage",
    ),
    (
        "note too long",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_SIGNED,
        {"agreement_date": "2024-04-01", "note": "x" * 2001},
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "note",
    ),
    (
        "wrong expected stage",
        1,
        S.LANDING_STAGE_SIGNED,
        S.LANDING_STAGE_REGISTERED,
        {"company": company()},
        grpc.StatusCode.ABORTED,
        "STAGE_MISMATCH",
        None,
    ),
    (
        "expected no record but there is one",
        1,
        S.LANDING_STAGE_UNSPECIFIED,
        S.LANDING_STAGE_INTENT,
        {},
        grpc.StatusCode.ABORTED,
        "STAGE_MISMATCH",
        None,
    ),
    (
        "a skipped stage",
        1,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_REGISTERED,
        {"company": company()},
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSITION_NOT_ALLOWED",
        None,
    ),
    (
        "a record born past INTENT",
        2,
        S.LANDING_STAGE_UNSPECIFIED,
        S.LANDING_STAGE_SIGNED,
        {"agreement_date": "2024-04-01"},
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSITION_NOT_ALLOWED",
        None,
    ),
]


@pytest.fixture
async def staged(competition_stub: Any, contest: SeededContest) -> SeededContest:
    """awarded[0] at SIGNED, awarded[1] at INTENT, awarded[2] without a record."""
    await move(competition_stub, contest.awarded[0], S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    await move(
        competition_stub,
        contest.awarded[0],
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_SIGNED,
        agreement_date="2024-04-01",
    )
    await move(competition_stub, contest.awarded[1], S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    return contest


@pytest.mark.parametrize(
    ("index", "expected", "target", "fields", "code", "reason", "field"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
async def test_a_bad_transition_is_refused_and_writes_nothing(
    competition_service: RunningService,
    competition_stub: Any,
    staged: SeededContest,
    index: int,
    expected: int,
    target: int,
    fields: dict[str, Any],
    code: grpc.StatusCode,
    reason: str,
    field: str | None,
) -> None:
    before = await written(competition_service.pool, staged.id)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await move(competition_stub, staged.awarded[index], expected, target, request_id=f"bad-{index}", **fields)
    assert raised.value.code() == code, raised.value.details()
    got_reason, _, violations = status_details(raised.value)
    assert got_reason == reason
    if field is not None:
        assert field in [f for f, _ in violations], violations
    assert await written(competition_service.pool, staged.id) == before
    # The refused request_id was not consumed: the same id may carry a corrected request.
    claimed = await competition_service.pool.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE request_id = $1",
        f"bad-{index}",
    )
    assert claimed == 0


async def test_every_bad_field_is_reported_at_once(competition_stub: Any, staged: SeededContest) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await move(
            competition_stub,
            staged.awarded[0],
            S.LANDING_STAGE_SIGNED,
            S.LANDING_STAGE_REGISTERED,
            company=pb.Company(credit_code="91330100716105852G", registered_capital_wan_cny=-5),
        )
    fields = {f for f, _ in status_details(raised.value)[2]}
    assert fields == {
        "company.display_name",
        "company.credit_code",
        "company.registration_date",
        "company.registered_capital_wan_cny",
    }
    check = next(d for f, d in status_details(raised.value)[2] if f == "company.credit_code")
    assert "'G'" in check and "'F'" in check, "say which check character was expected"


async def test_entries_outside_the_pool_and_unknown_names(
    competition_service: RunningService, competition_stub: Any, contest: SeededContest
) -> None:
    finalist_without_award = contest.finalists[-1]
    eliminated = contest.entries[-1]
    before = await written(competition_service.pool, contest.id)
    for entry in (finalist_without_award, eliminated):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await move(competition_stub, entry, S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
        assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        reason, metadata, _ = status_details(raised.value)
        assert reason == "NOT_IN_LANDING_POOL" and metadata["entry"] == entry
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await competition_stub.GetLanding(pb.GetLandingRequest(entry=entry), metadata=ADMIN)
        assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    cases = [
        (f"{contest.name}/entries/nope", grpc.StatusCode.NOT_FOUND, "ENTRY_NOT_FOUND"),
        ("contests/no-such-contest/entries/e001", grpc.StatusCode.NOT_FOUND, "CONTEST_NOT_FOUND"),
        (f"{contest.name}/rounds/final", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        ("e001", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
    ]
    for entry, code, reason in cases:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await move(competition_stub, entry, S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
        assert (raised.value.code(), status_details(raised.value)[0]) == (code, reason), entry
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            assert [f for f, _ in status_details(raised.value)[2]] == ["entry"]
    assert await written(competition_service.pool, contest.id) == before


async def test_roles_and_tokens(
    competition_service: RunningService, competition_stub: Any, contest: SeededContest
) -> None:
    entry = contest.awarded[0]
    before = await written(competition_service.pool, contest.id)
    for metadata, code in [
        (VIEWER, grpc.StatusCode.PERMISSION_DENIED),
        (JUDGE, grpc.StatusCode.PERMISSION_DENIED),
        (auth("hr", "talent.admin"), grpc.StatusCode.PERMISSION_DENIED),
        ((), grpc.StatusCode.UNAUTHENTICATED),
        ((("authorization", "Bearer not-a-token"),), grpc.StatusCode.UNAUTHENTICATED),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await move(competition_stub, entry, S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT, metadata)
        assert raised.value.code() == code
        # The role is checked before anything else: an unknown contest gives the same answer.
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await move(competition_stub, "contests/x/entries/y", 0, 0, metadata)
        assert raised.value.code() == code
    assert await written(competition_service.pool, contest.id) == before
    # Judges read no landing data; viewers read it all.
    reads = [
        ("GetLanding", pb.GetLandingRequest(entry=entry)),
        ("ListLandings", pb.ListLandingsRequest(parent=contest.name)),
        ("GetLandingStatus", pb.GetLandingStatusRequest(contest=contest.name)),
    ]
    for method, request in reads:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await getattr(competition_stub, method)(request, metadata=JUDGE)
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await getattr(competition_stub, method)(request)
        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await getattr(competition_stub, method)(request, metadata=VIEWER)


# --- reading ---------------------------------------------------------------------------------------


async def test_list_landings_walks_the_pool_with_a_stage_filter(competition_stub: Any, contest: SeededContest) -> None:
    await land(competition_stub, contest.awarded[0])
    await move(competition_stub, contest.awarded[3], S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    seen: list[pb.Landing] = []
    token = ""
    while True:
        page = await competition_stub.ListLandings(
            pb.ListLandingsRequest(parent=contest.name, page_size=2, page_token=token), metadata=VIEWER
        )
        assert len(page.landings) <= 2
        seen.extend(page.landings)
        token = page.next_page_token
        if not token:
            break
    assert [landing.entry for landing in seen] == contest.awarded
    assert [landing.stage for landing in seen] == [
        S.LANDING_STAGE_REGISTERED,
        S.LANDING_STAGE_UNSPECIFIED,
        S.LANDING_STAGE_UNSPECIFIED,
        S.LANDING_STAGE_INTENT,
        S.LANDING_STAGE_UNSPECIFIED,
    ]
    assert seen[0].company.credit_code == ALIBABA
    intent = await competition_stub.ListLandings(
        pb.ListLandingsRequest(parent=contest.name, stage=S.LANDING_STAGE_INTENT), metadata=VIEWER
    )
    assert [landing.entry for landing in intent.landings] == [contest.awarded[3]]

    first = await competition_stub.ListLandings(
        pb.ListLandingsRequest(parent=contest.name, page_size=2), metadata=VIEWER
    )
    bad_requests = [
        (pb.ListLandingsRequest(parent=contest.name, page_size=-1), grpc.StatusCode.INVALID_ARGUMENT, "page_size"),
        (pb.ListLandingsRequest(parent="contests/"), grpc.StatusCode.INVALID_ARGUMENT, "parent"),
        (pb.ListLandingsRequest(parent=contest.name, stage=cast(Any, 42)), grpc.StatusCode.INVALID_ARGUMENT, "stage"),
        (
            pb.ListLandingsRequest(parent=contest.name, page_token=first.next_page_token + "x"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "page_token",
        ),
        (
            pb.ListLandingsRequest(parent=contest.name, stage=S.LANDING_STAGE_INTENT, page_token=first.next_page_token),
            grpc.StatusCode.INVALID_ARGUMENT,
            "page_token",
        ),
        (pb.ListLandingsRequest(parent="contests/nope"), grpc.StatusCode.NOT_FOUND, None),
    ]
    for request, code, field in bad_requests:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await competition_stub.ListLandings(request, metadata=VIEWER)
        assert raised.value.code() == code, request
        if field:
            assert field in [f for f, _ in status_details(raised.value)[2]]


async def test_landing_status_counts_stages_projects_and_counts_days(
    competition_stub: Any, contest: SeededContest
) -> None:
    a = contest.awarded
    await land(competition_stub, a[0])
    await land(competition_stub, a[1], HUAWEI)
    await move(competition_stub, a[1], S.LANDING_STAGE_REGISTERED, S.LANDING_STAGE_OPERATING)
    await move(competition_stub, a[2], S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    await move(competition_stub, a[2], S.LANDING_STAGE_INTENT, S.LANDING_STAGE_SIGNED, agreement_date="2024-06-01")
    await move(competition_stub, a[3], S.LANDING_STAGE_UNSPECIFIED, S.LANDING_STAGE_INTENT)
    await move(competition_stub, a[3], S.LANDING_STAGE_INTENT, S.LANDING_STAGE_DROPPED, drop_reason="放弃")
    result = await status(competition_stub, contest)
    assert result.contest == contest.name
    assert (result.pool_size, result.landed, result.unrecorded) == (5, 2, 1)
    # DROPPED stays in the pool: 2 of 5, not 2 of 4.
    assert result.HasField("landing_ratio") and result.landing_ratio == pytest.approx(0.4)
    assert stage_counts(result) == {"INTENT": 0, "SIGNED": 1, "REGISTERED": 1, "OPERATING": 1, "DROPPED": 1}
    # landed + SIGNED 0.6 + one unrecorded 0.05; DROPPED counts 0.
    assert result.projected_landed == pytest.approx(2.65)
    assert result.min_landed_entries == 5 and result.min_landing_ratio == pytest.approx(0.6)
    assert not result.landed_target_met and not result.ratio_target_met
    assert result.landing_deadline == (district_today() + timedelta(days=30)).isoformat()
    assert result.HasField("days_left") and result.days_left == 30
    assert result.status == pb.LANDING_TARGET_STATUS_AT_RISK


async def test_landing_status_of_an_empty_pool_has_no_ratio(
    competition_service: RunningService, competition_stub: Any
) -> None:
    # No final round yet: nobody is awarded, the pool is empty, the ratio is undefined (absent, not 0).
    contest = await seed_contest(competition_service.pool, final_round=False)
    result = await status(competition_stub, contest)
    assert (result.pool_size, result.landed, result.unrecorded) == (0, 0, 0)
    assert not result.HasField("landing_ratio")
    assert not result.HasField("days_left") and result.landing_deadline == ""
    assert result.projected_landed == 0
    assert not result.ratio_target_met and not result.landed_target_met
    assert result.status == pb.LANDING_TARGET_STATUS_AT_RISK
    assert set(stage_counts(result).values()) == {0} and len(result.stage_counts) == 5
    listed = await competition_stub.ListLandings(pb.ListLandingsRequest(parent=contest.name), metadata=VIEWER)
    assert list(listed.landings) == [] and listed.next_page_token == ""
    # An empty pool past its deadline has missed the targets.
    past = await seed_contest(competition_service.pool, awarded=0, deadline=district_today() - timedelta(days=1))
    missed = await status(competition_stub, past)
    assert missed.pool_size == 0 and not missed.HasField("landing_ratio")
    assert missed.days_left == -1 and missed.status == pb.LANDING_TARGET_STATUS_MISSED


async def test_the_pool_follows_the_contest_setting_and_revoked_awards(
    competition_service: RunningService, competition_stub: Any
) -> None:
    pool = competition_service.pool
    contest = await seed_contest(
        pool, entries=8, finalists=6, awarded=3, landing_pool="FINALISTS", min_landed=3, min_ratio=0.5
    )
    finalist_only = contest.finalists[4]
    await land(competition_stub, contest.finalists[0])
    await land(competition_stub, finalist_only, TENCENT)
    await land(competition_stub, contest.finalists[5], HUAWEI)
    wide = await status(competition_stub, contest)
    assert (wide.pool_size, wide.landed) == (6, 3) and wide.landing_ratio == pytest.approx(0.5)
    assert wide.status == pb.LANDING_TARGET_STATUS_MET

    # Switch the pool to the awarded entries: the two landed finalists without an award leave it.
    await pool.execute("UPDATE contests SET landing_pool = 'AWARDED' WHERE id = $1", contest.id)
    narrow = await status(competition_stub, contest)
    assert (narrow.pool_size, narrow.landed, narrow.unrecorded) == (3, 1, 2)
    assert narrow.landing_ratio == pytest.approx(1 / 3)
    assert stage_counts(narrow)["REGISTERED"] == 1
    assert narrow.status == pb.LANDING_TARGET_STATUS_AT_RISK
    # Their records stay readable, but they can no longer move.
    kept = await competition_stub.GetLanding(pb.GetLandingRequest(entry=finalist_only), metadata=VIEWER)
    assert kept.stage == S.LANDING_STAGE_REGISTERED
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await move(competition_stub, finalist_only, S.LANDING_STAGE_REGISTERED, S.LANDING_STAGE_OPERATING)
    assert status_details(raised.value)[0] == "NOT_IN_LANDING_POOL"

    # An award revoked (the final round's results corrected): the pool shrinks again.
    await pool.execute(
        "UPDATE round_results SET award_tier = NULL WHERE contest_id = $1 AND round_id = 'final' AND entry_id = $2",
        contest.id,
        contest.awarded[0].rsplit("/", 1)[1],
    )
    shrunk = await status(competition_stub, contest)
    assert (shrunk.pool_size, shrunk.landed, shrunk.unrecorded) == (2, 0, 2)
    assert shrunk.landing_ratio == 0.0 and shrunk.HasField("landing_ratio")

    # A final round that is the first round: every entry is a finalist.
    await pool.execute("UPDATE contests SET landing_pool = 'FINALISTS' WHERE id = $1", contest.id)
    await pool.execute("DELETE FROM round_results WHERE contest_id = $1 AND round_id = 'prelim'", contest.id)
    await pool.execute("DELETE FROM rounds WHERE contest_id = $1 AND id = 'prelim'", contest.id)
    everyone = await status(competition_stub, contest)
    assert (everyone.pool_size, everyone.landed) == (8, 3)


async def test_landing_status_met_and_missed(competition_service: RunningService, competition_stub: Any) -> None:
    yesterday = district_today() - timedelta(days=1)
    contest = await seed_contest(competition_service.pool, awarded=5, deadline=yesterday, min_landed=3, min_ratio=0.6)
    for entry in contest.awarded[:2]:
        await land(competition_stub, entry)
    missed = await status(competition_stub, contest)
    assert missed.days_left == -1 and missed.status == pb.LANDING_TARGET_STATUS_MISSED
    await land(competition_stub, contest.awarded[2])
    met = await status(competition_stub, contest)
    assert met.landed_target_met and met.ratio_target_met
    assert met.status == pb.LANDING_TARGET_STATUS_MET, "MET wins even after the deadline"


async def test_landing_status_bad_names(competition_stub: Any) -> None:
    for name, code in [
        ("", grpc.StatusCode.INVALID_ARGUMENT),
        ("contests/a/b", grpc.StatusCode.INVALID_ARGUMENT),
        ("contests/missing", grpc.StatusCode.NOT_FOUND),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await competition_stub.GetLandingStatus(pb.GetLandingStatusRequest(contest=name), metadata=VIEWER)
        assert raised.value.code() == code
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            assert [f for f, _ in status_details(raised.value)[2]] == ["contest"]


def test_landing_probabilities_are_configurable_and_checked() -> None:
    from pydantic import ValidationError

    from services.competition.domain.landing import LandingStage
    from services.competition.settings import CompetitionSettings
    from tests.support import settings_for

    settings = settings_for(CompetitionSettings, "postgresql://unused", landing_stage_probabilities={"SIGNED": 0.9})
    assert isinstance(settings, CompetitionSettings)
    assert settings.landing_stage_probabilities == {LandingStage.INTENT: 0.2, LandingStage.SIGNED: 0.9}
    for bad in ({"REGISTERED": 0.5}, {"DROPPED": 0.1}, {"INTENT": 1.5}):
        with pytest.raises(ValidationError):
            settings_for(CompetitionSettings, "postgresql://unused", landing_stage_probabilities=bad)
    with pytest.raises(ValidationError):
        settings_for(CompetitionSettings, "postgresql://unused", landing_unrecorded_probability=-0.1)
