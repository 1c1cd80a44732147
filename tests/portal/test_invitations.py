"""The invitation RPCs over gRPC: one link per panel judge, the same link again, revocation, who may
redeem, and no code ever stored."""

from __future__ import annotations

import grpc
import jwt
import pytest
from google.protobuf.duration_pb2 import Duration
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from tests.portal.conftest import LOCAL_ISSUER, LOCAL_KEY
from tests.portal.world import ADMIN, JUDGES, ROUND, World
from tests.support import auth, status_details

PORTAL = auth("judges-portal", "competition.portal")


async def test_one_active_invitation_per_panel_judge_and_the_same_code_again(world: World) -> None:
    again = await world.stub.CreateJudgeInvitations(
        pb.CreateJudgeInvitationsRequest(round=ROUND, ttl=Duration(seconds=3600)), metadata=ADMIN
    )
    # j-revoke's was revoked by another test (or not yet): every other judge keeps their first link.
    assert {i.judge.removeprefix("judges/") for i in again.invitations} == set(JUDGES)
    for invitation in again.invitations:
        judge = invitation.judge.removeprefix("judges/")
        if judge != "j-revoke":
            assert invitation.code == world.codes[judge]
        assert invitation.state == pb.JUDGE_INVITATION_STATE_ACTIVE
    listed = await world.stub.ListJudgeInvitations(pb.ListJudgeInvitationsRequest(round=ROUND), metadata=ADMIN)
    assert {i.judge: i.code for i in listed.invitations} == {i.judge: i.code for i in again.invitations}
    names = {i.judge: i.judge_display_name for i in listed.invitations}
    assert names["judges/j-signin"] == "陈立新"


async def test_codes_are_never_stored(world: World) -> None:
    async with world.competition.pool.acquire() as connection:
        rows = await connection.fetch("SELECT * FROM judge_invitations")
        stored = [str(dict(r)) for r in rows]
        responses = [
            bytes(r["response"] or b"") for r in await connection.fetch("SELECT response FROM idempotency_keys")
        ]
    for code in world.codes.values():
        secret = code.rsplit(".", 1)[-1]
        assert not any(secret in text for text in stored)
        assert not any(secret.encode() in response for response in responses)


async def test_only_the_portal_redeems_and_the_token_is_short_lived_for_the_judge(world: World) -> None:
    code = world.codes["j-signin"]
    for metadata in (ADMIN, auth("j-signin", "competition.judge")):
        with pytest.raises(aio.AioRpcError) as denied:
            await world.stub.RedeemJudgeInvitation(pb.RedeemJudgeInvitationRequest(code=code), metadata=metadata)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    redeemed = await world.stub.RedeemJudgeInvitation(pb.RedeemJudgeInvitationRequest(code=code), metadata=PORTAL)
    claims = jwt.decode(redeemed.access_token, LOCAL_KEY, algorithms=["HS256"], audience="competition")
    assert claims["sub"] == "j-signin" and claims["roles"] == ["competition.judge"]
    assert claims["iss"] == LOCAL_ISSUER  # the service's own issuer, not the identity provider's key
    assert claims["exp"] - claims["iat"] <= 60  # the test service's judge_access_token_ttl_seconds
    assert redeemed.judge == "judges/j-signin" and redeemed.round == ROUND
    own = await world.stub.ListAssignments(
        pb.ListAssignmentsRequest(round=ROUND), metadata=(("authorization", f"Bearer {redeemed.access_token}"),)
    )
    assert {a.judge for a in own.assignments} == {"judges/j-signin"}


@pytest.mark.parametrize("code", ["", "v1.inv-000.abc", "v1.inv-" + "0" * 24 + "." + "A" * 43, "x" * 300])
async def test_bad_codes_are_one_clear_error(world: World, code: str) -> None:
    with pytest.raises(aio.AioRpcError) as refused:
        await world.stub.RedeemJudgeInvitation(pb.RedeemJudgeInvitationRequest(code=code), metadata=PORTAL)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(refused.value)[0] == "INVITATION_INVALID"


async def test_bad_ttl_and_judges_cannot_invite(world: World) -> None:
    with pytest.raises(aio.AioRpcError) as bad:
        await world.stub.CreateJudgeInvitations(
            pb.CreateJudgeInvitationsRequest(round=ROUND, ttl=Duration(seconds=60)), metadata=ADMIN
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(bad.value)[2] == [("ttl", "must be between 1 hour and 90 days")]
    with pytest.raises(aio.AioRpcError) as denied:
        await world.stub.ListJudgeInvitations(
            pb.ListJudgeInvitationsRequest(round=ROUND), metadata=auth("j-signin", "competition.judge")
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
