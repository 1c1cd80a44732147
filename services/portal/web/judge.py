"""A judge's pages: sign-in, assignments, the score sheet with review and confirmation, conflicts,
and the judge's own submitted sheets. Everything is read from the competition service with the
judge's own token on every request: the portal caches nothing, so blind review holds as the
service enforces it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
import jwt
from aiohttp import web
from multidict import MultiDictProxy

from protos.competition.v1 import competition_pb2 as pb
from services.portal import sessions
from services.portal.domain import (
    MAX_COMMENT,
    CriterionView,
    Deadline,
    FormErrors,
    changes,
    check_score,
    deadline,
    fmt,
    service_errors,
    stamp_text,
    total,
    utc,
)
from services.portal.grpc_client import ServiceError
from services.portal.i18n import Translator
from services.portal.sessions import Session
from services.portal.web.base import PageError, Portal, new_request_id, redirect, resource_id

ADMIN_ROLE = "competition.admin"


@dataclass
class EntryCard:
    contest_id: str
    round_id: str
    entry_id: str
    title: str
    leader: str
    members: list[str]
    organisations: list[str]
    domain: int
    summary: str
    version: int = 0
    submitted_at: str = ""

    @property
    def url(self) -> str:
        return f"/r/{self.contest_id}/{self.round_id}/e/{self.entry_id}"


@dataclass
class RoundCard:
    contest_id: str
    round_id: str
    title: str
    contest_title: str
    deadline: Deadline | None
    entries: list[EntryCard] = field(default_factory=list)
    sheets: list[Any] = field(default_factory=list)
    criteria: list[CriterionView] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.contest_id}/{self.round_id}"

    @property
    def submitted(self) -> int:
        return sum(1 for e in self.entries if e.version)


def criteria_of(round_: Any) -> list[CriterionView]:
    return [CriterionView(c.key, c.display_name, c.weight, c.min_value, c.max_value, c.step) for c in round_.criteria]


def entry_card(contest_id: str, round_id: str, entry: Any) -> EntryCard:
    team = entry.team
    return EntryCard(
        contest_id=contest_id,
        round_id=round_id,
        entry_id=entry.name.rsplit("/", 1)[-1],
        title=entry.title,
        leader=team.leader.display_name + (f"（{team.leader.role}）" if team.leader.role else ""),
        members=[m.display_name + (f"（{m.role}）" if m.role else "") for m in team.members],
        organisations=list(team.organisations),
        domain=entry.domain,
        summary=entry.summary,
    )


when = stamp_text


class JudgePages:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.client = portal.client

    # --- sign-in -----------------------------------------------------------------------------

    async def root(self, request: web.Request) -> web.StreamResponse:
        session = self.portal.session(request)
        raise redirect(
            request, "/admin" if session.kind == "admin" else "/assignments" if session.signed_in else "/signin"
        )

    async def signin_form(self, request: web.Request) -> web.StreamResponse:
        # Never a redirect for a signed-in browser: the server cannot see the link's fragment, and a
        # second judge opening their link on the same device must become themselves.
        return self.portal.render(request, "signin.html", error="")

    async def signin(self, request: web.Request, form: MultiDictProxy[str | Any]) -> web.StreamResponse:
        portal = self.portal
        address = client_address(request, portal.settings.trust_forwarded_for)
        now = time.time()
        code = str(form.get("code", "")).strip()
        admin_token = str(form.get("admin_token", "")).strip()
        source = "admin-token" if admin_token and not code else "invitation"
        if portal.attempts.blocked(address, now):
            portal.metrics.signins.labels(source, "throttled").inc()
            return portal.render(request, "signin.html", status=429, error="signin.failed.busy")
        if source == "admin-token":
            return await self._admin_signin(request, admin_token, address, now)
        try:
            redeemed = await self.client.redeem(code)
        except ServiceError as error:
            outcome, message = {
                "INVITATION_EXPIRED": ("expired", "signin.failed.expired"),
                "INVITATION_REVOKED": ("revoked", "signin.failed.revoked"),
            }.get(error.reason, ("invalid", "signin.failed.invalid"))
            if error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                portal.metrics.signins.labels(source, "error").inc()
                raise PageError(503, "error.unavailable") from None
            portal.attempts.failed(address, now)
            portal.metrics.signins.labels(source, outcome).inc()
            return portal.render(request, "signin.html", status=403, error=message)
        portal.metrics.signins.labels(source, "ok").inc()
        session = sessions.signed_in(
            now,
            portal.codec.absolute,
            kind="judge",
            subject=redeemed.judge.removeprefix("judges/"),
            display_name=redeemed.judge_display_name,
            source="invitation",
            access_token=redeemed.access_token,
            access_expires=float(redeemed.access_token_expire_time.seconds),
            refresh=code,
            not_after=float(redeemed.invitation_expire_time.seconds),
        )
        portal.replace_session(request, session)
        raise redirect(request, "/assignments")

    async def _admin_signin(self, request: web.Request, token: str, address: str, now: float) -> web.StreamResponse:
        """An administrator's own bearer token (development; production puts OIDC in front). The
        portal reads the claims only to label the session: the service verifies the token on every call."""
        portal = self.portal
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            roles = claims.get("roles", [])
            if not portal.settings.admin_token_signin or ADMIN_ROLE not in roles:
                raise ValueError("not an admin token")
            await self.client.call("ListContests", pb.ListContestsRequest(page_size=1), token)
        except (jwt.PyJWTError, ValueError, ServiceError):
            portal.attempts.failed(address, now)
            portal.metrics.signins.labels("admin-token", "invalid").inc()
            return portal.render(request, "signin.html", status=403, error="signin.failed.admin")
        portal.metrics.signins.labels("admin-token", "ok").inc()
        expires = float(claims.get("exp", now + 3600))
        session = sessions.signed_in(
            now,
            portal.codec.absolute,
            kind="admin",
            subject=str(claims.get("sub", "")),
            display_name=str(claims.get("sub", "")),
            source="admin-token",
            access_token=token,
            access_expires=expires,
            not_after=expires,
        )
        portal.replace_session(request, session)
        raise redirect(request, "/admin")

    async def signout(self, request: web.Request, form: MultiDictProxy[str | Any]) -> web.StreamResponse:
        self.portal.replace_session(request, sessions.anonymous(time.time(), self.portal.codec.absolute))
        self.portal.flash(request, "signout.done")
        raise redirect(request, "/signin")

    # --- assignments ---------------------------------------------------------------------------

    async def _open_rounds(self, session: Session, states: tuple[int, ...]) -> list[tuple[Any, Any]]:
        token = session.access_token
        contests = await self.client.paged("ListContests", pb.ListContestsRequest(page_size=100), "contests", token)
        mine = [c for c in contests if not c.judges or f"judges/{session.subject}" in c.judges]
        listed = await asyncio.gather(
            *(
                self.client.paged("ListRounds", pb.ListRoundsRequest(parent=c.name, page_size=100), "rounds", token)
                for c in mine
            )
        )
        return [(c, r) for c, rounds in zip(mine, listed, strict=True) for r in rounds if r.state in states]

    async def _round_card(self, session: Session, contest: Any, round_: Any, now: datetime) -> RoundCard:
        token = session.access_token
        contest_id = contest.name.removeprefix("contests/")
        round_id = round_.name.rsplit("/", 1)[-1]
        judge = f"judges/{session.subject}"
        assignments, sheets = await asyncio.gather(
            self.client.paged(
                "ListAssignments",
                pb.ListAssignmentsRequest(round=round_.name, judge=judge, page_size=500),
                "assignments",
                token,
            ),
            self.client.paged(
                "ListScoreSheets",
                pb.ListScoreSheetsRequest(round=round_.name, judge=judge, page_size=500),
                "score_sheets",
                token,
            ),
        )
        entries = await asyncio.gather(
            *(self.client.call("GetEntry", pb.GetEntryRequest(name=a.entry), token) for a in assignments)
        )
        by_entry = {s.entry: s for s in sheets}
        card = RoundCard(
            contest_id,
            round_id,
            round_.display_name,
            contest.display_name,
            deadline(utc(round_.judging_deadline.seconds, round_.judging_deadline.nanos), now),
            sheets=sheets,
            criteria=criteria_of(round_),
        )
        for entry in entries:
            item = entry_card(contest_id, round_id, entry)
            sheet = by_entry.get(entry.name)
            if sheet is not None:
                item.version, item.submitted_at = sheet.version, when(sheet.submit_time)
            card.entries.append(item)
        return card

    async def assignments(self, request: web.Request) -> web.StreamResponse:
        session = await self.portal.judge_session(request)
        now = datetime.now(UTC)
        rounds = await self._open_rounds(session, (pb.ROUND_STATE_OPEN,))
        cards = await asyncio.gather(*(self._round_card(session, c, r, now) for c, r in rounds))
        return self.portal.render(request, "assignments.html", rounds=[c for c in cards if c.entries])

    async def sheets(self, request: web.Request) -> web.StreamResponse:
        session = await self.portal.judge_session(request)
        now = datetime.now(UTC)
        states = (pb.ROUND_STATE_OPEN, pb.ROUND_STATE_CLOSED, pb.ROUND_STATE_FINALIZED)
        rounds = await self._open_rounds(session, states)
        cards = await asyncio.gather(*(self._round_card(session, c, r, now) for c, r in rounds))
        return self.portal.render(request, "sheets.html", rounds=[c for c in cards if c.entries or c.sheets])

    # --- one entry -----------------------------------------------------------------------------

    async def _entry_context(self, request: web.Request, session: Session) -> dict[str, Any]:
        """Round, entry and the judge's current sheet, after checking the entry is the judge's own
        assignment: another judge's entry (or any entry id typed into the URL) ends here."""
        contest_id = resource_id(request, "contest")
        round_id = resource_id(request, "round")
        entry_id = resource_id(request, "entry")
        token = session.access_token
        round_name = f"contests/{contest_id}/rounds/{round_id}"
        entry_name = f"contests/{contest_id}/entries/{entry_id}"
        judge = f"judges/{session.subject}"
        try:
            assigned = await self.client.call(
                "ListAssignments", pb.ListAssignmentsRequest(round=round_name, judge=judge, entry=entry_name), token
            )
        except ServiceError as error:
            if error.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise PageError(404, "error.not_assigned") from None
            raise
        if not assigned.assignments:
            raise PageError(404, "error.not_assigned")
        round_, entry, sheets = await asyncio.gather(
            self.client.call("GetRound", pb.GetRoundRequest(name=round_name), token),
            self.client.call("GetEntry", pb.GetEntryRequest(name=entry_name), token),
            self.client.call(
                "ListScoreSheets", pb.ListScoreSheetsRequest(round=round_name, entry=entry_name, judge=judge), token
            ),
        )
        current = sheets.score_sheets[0] if sheets.score_sheets else None
        return {
            "round": round_,
            "round_key": f"{contest_id}/{round_id}",
            "entry": entry_card(contest_id, round_id, entry),
            "criteria": criteria_of(round_),
            "current": current,
            "current_values": {s.criterion: s.value for s in current.scores} if current else None,
            "current_when": when(current.submit_time) if current else "",
            "open": round_.state == pb.ROUND_STATE_OPEN,
            "deadline": deadline(
                utc(round_.judging_deadline.seconds, round_.judging_deadline.nanos), datetime.now(UTC)
            ),
        }

    async def score_form(self, request: web.Request) -> web.StreamResponse:
        session = await self.portal.judge_session(request)
        context = await self._entry_context(request, session)
        values = {key: fmt(value) for key, value in (context["current_values"] or {}).items()}
        comment = context["current"].comment if context["current"] else ""
        return self._render_form(request, context, values, comment, FormErrors([], {}))

    def _render_form(
        self,
        request: web.Request,
        context: dict[str, Any],
        values: dict[str, str],
        comment: str,
        errors: FormErrors,
        status: int = 200,
    ) -> web.Response:
        return self.portal.render(
            request, "score.html", status=status, values=values, comment=comment, errors=errors, **context
        )

    def _read_sheet(
        self, form: MultiDictProxy[str | Any], criteria: list[CriterionView], t: Translator
    ) -> tuple[dict[str, str], dict[str, float], str, FormErrors]:
        texts: dict[str, str] = {}
        values: dict[str, float] = {}
        fields: dict[str, str] = {}
        for criterion in criteria:
            text = str(form.get(f"score.{criterion.key}", ""))[:32]
            texts[criterion.key] = text
            value, problem = check_score(text, criterion, t)
            if value is None:
                fields[criterion.key] = problem
            else:
                values[criterion.key] = value
        comment = str(form.get("comment", "")).replace("\r\n", "\n")
        if len(comment) > MAX_COMMENT:
            fields["comment"] = t("error.comment_invalid")
        return texts, values, comment, FormErrors([t("error.fix_below")] if fields else [], fields)

    async def score_post(self, request: web.Request, form: MultiDictProxy[str | Any]) -> web.StreamResponse:
        portal = self.portal
        session = await portal.judge_session(request)
        context = await self._entry_context(request, session)
        t = portal.translator(request)
        criteria: list[CriterionView] = context["criteria"]
        texts, values, comment, errors = self._read_sheet(form, criteria, t)
        action = str(form.get("action", "review"))
        if errors or action == "edit":
            return self._render_form(request, context, texts, comment, errors, status=422 if errors else 200)
        if action == "review":
            return self._render_review(request, context, values, comment, new_request_id(), FormErrors([], {}))
        # action == "submit"
        request_id = str(form.get("request_id", ""))
        replaced = str(form.get("replaces", "0"))
        replaces = int(replaced) if replaced.isdigit() and len(replaced) < 6 else 0
        if not request_id.startswith("portal-") or len(request_id) > 64:
            raise PageError(400, "error.bad_request")
        if replaces and form.get("confirm_replace") != str(replaces):
            problem = FormErrors([t("review.confirm_replace", version=replaces)], {"confirm_replace": "1"})
            return self._render_review(request, context, values, comment, request_id, problem, status=422)
        submit = pb.SubmitScoreSheetRequest(
            round=context["round"].name,
            entry=f"contests/{context['entry'].contest_id}/entries/{context['entry'].entry_id}",
            scores=[pb.CriterionScore(criterion=c.key, value=values[c.key]) for c in criteria],
            comment=comment.strip(),
            request_id=request_id,
        )
        try:
            sheet = await self.client.call("SubmitScoreSheet", submit, session.access_token)
        except ServiceError as error:
            if error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                portal.metrics.submissions.labels("error").inc()
                raise PageError(503, "error.unavailable") from None
            portal.metrics.submissions.labels(submission_outcome(error.reason)).inc()
            problem = service_errors(error.reason, error.violations, criteria, t)
            if problem.fields:
                return self._render_form(request, context, texts, comment, problem, status=422)
            return self._render_review(request, context, values, comment, new_request_id(), problem, status=409)
        portal.metrics.submissions.labels("ok").inc()
        portal.flash(
            request, "submitted.flash", title=context["entry"].title, version=sheet.version, total=f"{sheet.total:.2f}"
        )
        raise redirect(request, "/assignments")

    def _render_review(
        self,
        request: web.Request,
        context: dict[str, Any],
        values: dict[str, float],
        comment: str,
        request_id: str,
        errors: FormErrors,
        status: int = 200,
    ) -> web.Response:
        criteria: list[CriterionView] = context["criteria"]
        return self.portal.render(
            request,
            "review.html",
            status=status,
            rows=changes(criteria, context["current_values"], values),
            values={k: fmt(v) for k, v in values.items()},
            total=f"{total(criteria, values):.2f}",
            comment=comment,
            request_id=request_id,
            errors=errors,
            **context,
        )

    # --- conflicts -----------------------------------------------------------------------------

    async def conflict_form(self, request: web.Request) -> web.StreamResponse:
        session = await self.portal.judge_session(request)
        context = await self._entry_context(request, session)
        return self.portal.render(
            request, "conflict.html", reason="", errors=FormErrors([], {}), request_id=new_request_id(), **context
        )

    async def conflict_post(self, request: web.Request, form: MultiDictProxy[str | Any]) -> web.StreamResponse:
        portal = self.portal
        session = await portal.judge_session(request)
        context = await self._entry_context(request, session)
        t = portal.translator(request)
        reason = str(form.get("reason", "")).replace("\r\n", "\n").strip()
        request_id = str(form.get("request_id", ""))
        if not request_id.startswith("portal-") or len(request_id) > 64:
            raise PageError(400, "error.bad_request")
        if not reason or len(reason) > 1000:
            errors = FormErrors([t("error.fix_below")], {"reason": t("error.reason_invalid")})
            return portal.render(
                request, "conflict.html", status=422, reason=reason, errors=errors, request_id=request_id, **context
            )
        entry = context["entry"]
        declare = pb.DeclareConflictRequest(
            entry=f"contests/{entry.contest_id}/entries/{entry.entry_id}", reason=reason, request_id=request_id
        )
        try:
            await self.client.call("DeclareConflict", declare, session.access_token)
        except ServiceError as error:
            if error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise PageError(503, "error.unavailable") from None
            portal.metrics.conflicts.labels("refused").inc()
            errors = service_errors(error.reason, error.violations, context["criteria"], t)
            return portal.render(
                request,
                "conflict.html",
                status=409,
                reason=reason,
                errors=errors,
                request_id=new_request_id(),
                **context,
            )
        portal.metrics.conflicts.labels("ok").inc()
        portal.flash(request, "conflict.flash", title=entry.title)
        raise redirect(request, "/assignments")


def client_address(request: web.Request, trust_forwarded_for: bool) -> str:
    """Who tries to sign in, for the throttle: behind an ingress, the client it forwarded for."""
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.remote or "unknown"


def submission_outcome(reason: str) -> str:
    return {
        "CONFLICT_OF_INTEREST": "conflict",
        "NOT_ASSIGNED": "not_assigned",
        "ROUND_NOT_OPEN": "round_closed",
        "ROUND_FINALIZED": "round_closed",
    }.get(reason, "invalid")
