"""Use cases of the judge invitations: create one link per panel judge, revoke one.

The responses they return (and store with the request id, for replays) carry no link code: the
servicer adds the codes, derived from the invitation's fields, on the way out, so no code ever
reaches the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller
from services.common.codec import timestamp
from services.common.errors import failed_precondition
from services.common.idempotency import RequestKey
from services.common.uow import UnitOfWork
from services.competition.app.context import App, run
from services.competition.app.locks import Lock
from services.competition.domain import invitations as rules
from services.competition.domain.invitations import Invitation, InvitationState
from services.competition.domain.stages import RoundState
from services.competition.store import assignments as assignment_store
from services.competition.store import contests as contest_store
from services.competition.store import invitations as invitation_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store

STATE_TO_PROTO = {
    InvitationState.ACTIVE: pb.JUDGE_INVITATION_STATE_ACTIVE,
    InvitationState.EXPIRED: pb.JUDGE_INVITATION_STATE_EXPIRED,
    InvitationState.REVOKED: pb.JUDGE_INVITATION_STATE_REVOKED,
}


def invitation_name(invitation: Invitation) -> str:
    return f"contests/{invitation.contest_id}/rounds/{invitation.round_id}/invitations/{invitation.id}"


def invitation_to_proto(invitation: Invitation, now: datetime, display_name: str = "") -> pb.JudgeInvitation:
    """Without the code (see the module docstring)."""
    return pb.JudgeInvitation(
        name=invitation_name(invitation),
        judge=f"judges/{invitation.judge_id}",
        judge_display_name=display_name,
        state=STATE_TO_PROTO[invitation.state(now)],
        create_time=timestamp(invitation.create_time),
        expire_time=timestamp(invitation.expire_time),
        revoke_time=timestamp(invitation.revoke_time),
        created_by=invitation.created_by,
    )


async def create_invitations(
    app: App, caller: Caller, contest_id: str, round_id: str, ttl: timedelta, key: RequestKey | None
) -> pb.CreateJudgeInvitationsResponse:
    async def work(uow: UnitOfWork) -> pb.CreateJudgeInvitationsResponse:
        # The round FOR UPDATE: two concurrent calls never give a judge two links, and the round
        # cannot close meanwhile.
        current = await round_store.lock_for_state_change(uow.at(Lock.ROUNDS), contest_id, round_id)
        if current.state in (RoundState.CLOSED, RoundState.FINALIZED):
            raise failed_precondition(
                "ROUND_NOT_OPEN_FOR_INVITATIONS",
                f"judges are invited while the round is DRAFT or OPEN (it is {current.state.value})",
                {"state": current.state.value},
            )
        connection = uow.connection
        contest = await contest_store.get(connection, contest_id)
        judge_ids = list(contest.judge_ids) or sorted(
            {a.judge_id for a in await assignment_store.for_round(connection, contest_id, round_id)}
        )
        judges = await judge_store.get_many(connection, judge_ids)
        existing = await invitation_store.active_for_round(connection, contest_id, round_id)
        todo = [(rules.new_invitation_id(), j) for j in sorted(judges) if j not in existing]
        now: datetime = await connection.fetchval("SELECT clock_timestamp()")
        created = await invitation_store.insert_many(connection, contest_id, round_id, todo, caller.subject, now + ttl)
        if created:
            uow.audit(
                caller.subject,
                "invitations.created",
                {
                    "contest": contest_id,
                    "round": round_id,
                    "invitations": [{"id": i.id, "judge": i.judge_id} for i in created],
                    "expire_time": (now + ttl).isoformat(),
                },
            )
        every = {**existing, **{i.judge_id: i for i in created}}
        return pb.CreateJudgeInvitationsResponse(
            invitations=[
                invitation_to_proto(every[j], now, judges[j].display_name) for j in sorted(every) if j in judges
            ],
            created=len(created),
        )

    return await run(app, key, pb.CreateJudgeInvitationsResponse, work)


async def revoke_invitation(
    app: App, caller: Caller, contest_id: str, round_id: str, invitation_id: str, key: RequestKey | None
) -> pb.JudgeInvitation:
    async def work(uow: UnitOfWork) -> pb.JudgeInvitation:
        current = await invitation_store.get(
            uow.at(Lock.EDITED), contest_id, round_id, invitation_id, lock="FOR UPDATE"
        )
        revoked = await invitation_store.revoke(uow.connection, current, caller.subject)
        if current.revoke_time is None:
            uow.audit(
                caller.subject,
                "invitation.revoked",
                {"contest": contest_id, "round": round_id, "invitation": invitation_id, "judge": current.judge_id},
            )
        judges = await judge_store.get_many(uow.connection, [revoked.judge_id])
        name = judges[revoked.judge_id].display_name if revoked.judge_id in judges else ""
        now: datetime = await uow.connection.fetchval("SELECT clock_timestamp()")
        return invitation_to_proto(revoked, now, name)

    return await run(app, key, pb.JudgeInvitation, work)
