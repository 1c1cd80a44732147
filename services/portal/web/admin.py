"""The administrator's read-mostly pages: per-round progress with judge names and their sign-in links
("copy the link again"), creating and revoking links, and the leaderboard once FINALIZED. Everything
else stays in the CLI."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from protos.competition.v1 import competition_pb2 as pb
from services.portal.domain import RESOURCE_ID, deadline, utc
from services.portal.grpc_client import ServiceError
from services.portal.web.base import PageError, Portal, new_request_id, redirect, resource_id
from services.portal.web.judge import when


@dataclass
class JudgeRow:
    judge_id: str
    name: str
    expected: int
    submitted: int
    missing: int
    link: str = ""
    invitation: str = ""
    invitation_state: int = 0
    expires: str = ""


class AdminPages:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.client = portal.client

    def link(self, code: str) -> str:
        return f"{self.portal.settings.public_url.rstrip('/')}/signin#t={code}" if code else ""

    async def index(self, request: web.Request) -> web.StreamResponse:
        session = self.portal.admin_session(request)
        token = session.access_token
        contests = await self.client.paged("ListContests", pb.ListContestsRequest(page_size=100), "contests", token)
        rounds = await asyncio.gather(
            *(
                self.client.paged("ListRounds", pb.ListRoundsRequest(parent=c.name, page_size=100), "rounds", token)
                for c in contests
            )
        )
        listing = [
            (c, [(r, r.name.rsplit("/", 1)[-1]) for r in found]) for c, found in zip(contests, rounds, strict=True)
        ]
        return self.portal.render(request, "admin_index.html", contests=listing)

    async def round_page(self, request: web.Request) -> web.StreamResponse:
        session = self.portal.admin_session(request)
        token = session.access_token
        contest_id, round_id = resource_id(request, "contest"), resource_id(request, "round")
        name = f"contests/{contest_id}/rounds/{round_id}"
        try:
            round_ = await self.client.call("GetRound", pb.GetRoundRequest(name=name), token)
        except ServiceError as error:
            raise PageError(404, "error.not_found") from error
        progress, judges, invitations = await asyncio.gather(
            self.client.call("GetJudgingProgress", pb.GetJudgingProgressRequest(round=name), token),
            self.client.paged("ListJudges", pb.ListJudgesRequest(page_size=500), "judges", token),
            self.client.paged(
                "ListJudgeInvitations", pb.ListJudgeInvitationsRequest(round=name, page_size=500), "invitations", token
            ),
        )
        names = {j.name: j.display_name for j in judges}
        links = {i.judge: i for i in invitations}
        rows = []
        for judge in progress.judges:
            row = JudgeRow(
                judge.judge.removeprefix("judges/"),
                names.get(judge.judge, ""),
                judge.expected,
                judge.submitted,
                judge.missing,
            )
            invitation = links.pop(judge.judge, None)
            if invitation is not None:
                row.link, row.invitation = self.link(invitation.code), invitation.name
                row.invitation_state, row.expires = invitation.state, when(invitation.expire_time)
            rows.append(row)
        for judge_name, invitation in sorted(links.items()):  # invited, nothing assigned (yet)
            rows.append(
                JudgeRow(
                    judge_name.removeprefix("judges/"),
                    invitation.judge_display_name,
                    0,
                    0,
                    0,
                    self.link(invitation.code),
                    invitation.name,
                    invitation.state,
                    when(invitation.expire_time),
                )
            )
        board = None
        if round_.state == pb.ROUND_STATE_FINALIZED:
            board = await self.client.call("GetLeaderboard", pb.GetLeaderboardRequest(round=name, page_size=100), token)
        return self.portal.render(
            request,
            "admin_round.html",
            round=round_,
            contest_id=contest_id,
            round_id=round_id,
            progress=progress,
            percent=f"{progress.ratio * 100:.0f}",
            rows=rows,
            board=board,
            request_id=new_request_id(),
            deadline=deadline(utc(round_.judging_deadline.seconds, round_.judging_deadline.nanos), datetime.now(UTC)),
        )

    async def invite(self, request: web.Request, form: MultiDictProxy[str | Any]) -> web.StreamResponse:
        session = self.portal.admin_session(request)
        contest_id, round_id = resource_id(request, "contest"), resource_id(request, "round")
        request_id = str(form.get("request_id", ""))
        if not request_id.startswith("portal-") or len(request_id) > 64:
            raise PageError(400, "error.bad_request")
        response = await self.client.call(
            "CreateJudgeInvitations",
            pb.CreateJudgeInvitationsRequest(round=f"contests/{contest_id}/rounds/{round_id}", request_id=request_id),
            session.access_token,
        )
        self.portal.flash(request, "admin.invited", created=response.created)
        raise redirect(request, f"/admin/r/{contest_id}/{round_id}")

    async def revoke(self, request: web.Request, form: MultiDictProxy[str | Any]) -> web.StreamResponse:
        session = self.portal.admin_session(request)
        contest_id, round_id = resource_id(request, "contest"), resource_id(request, "round")
        invitation_id = request.match_info.get("invitation", "")
        if not RESOURCE_ID.match(invitation_id):
            raise PageError(404, "error.not_found")
        await self.client.call(
            "RevokeJudgeInvitation",
            pb.RevokeJudgeInvitationRequest(
                name=f"contests/{contest_id}/rounds/{round_id}/invitations/{invitation_id}",
                request_id=new_request_id(),
            ),
            session.access_token,
        )
        self.portal.flash(request, "admin.revoked")
        raise redirect(request, f"/admin/r/{contest_id}/{round_id}")
