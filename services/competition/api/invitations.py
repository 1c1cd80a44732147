"""Judge invitation RPCs: the personal sign-in links of the judges' portal.

Admins create, list (with the re-derived link codes) and revoke invitations. Only the portal's own
service identity (role ``competition.portal``) may redeem a code for a short-lived judge token, so a
random caller of the API cannot probe codes; the portal rate-limits and logs sign-ins itself.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import local_issuer, mint_token, require_role
from services.common.codec import timestamp
from services.common.errors import DomainError, ViolationCollector, failed_precondition, invalid_field
from services.common.pagination import page_size
from services.competition.api import codec
from services.competition.api.base import ADMIN, JUDGE, ServicerBase
from services.competition.api.names import judge_ref, round_ref
from services.competition.app import invitations as use_cases
from services.competition.app.invitations import invitation_name, invitation_to_proto
from services.competition.domain import invitations as rules
from services.competition.domain.invitations import Invitation, InvitationState
from services.competition.store import invitations as invitation_store
from services.competition.store import judges as judge_store
from services.competition.store import rounds as round_store

PORTAL = "competition.portal"
INVITATION_INVALID = "INVITATION_INVALID"


def invitation_ref(name: str, violations: ViolationCollector) -> tuple[str, str, str]:
    round_part, slash, invitation_id = name.rpartition("/invitations/")
    if not slash or not invitation_id or "/" in invitation_id:
        violations.add("name", "must be a resource name like contests/{contest}/rounds/{round}/invitations/{id}")
        return "", "", ""
    contest_id, round_id = round_ref(round_part, "name", violations)
    return contest_id, round_id, invitation_id


def invalid_code() -> DomainError:
    # One answer for unknown, malformed and forged codes: nothing to learn from the difference.
    return invalid_field("code", "is not a valid invitation code", reason=INVITATION_INVALID)


class InvitationMethods(ServicerBase):
    @property
    def _invitation_secret(self) -> bytes:
        explicit = self.settings.invitation_secret
        if explicit is not None:
            return explicit.get_secret_value().encode()
        base = self.settings.page_token_secret.get_secret_value().encode()
        return hmac.new(base, b"judge-invitations", hashlib.sha256).digest()

    def _with_code(self, message: pb.JudgeInvitation) -> pb.JudgeInvitation:
        """The message with its link code, derived from the fields it carries: responses are stored
        for request-id replays without their codes, so no code ever reaches the database."""
        if message.state != pb.JUDGE_INVITATION_STATE_ACTIVE:
            return message
        violations = ViolationCollector()
        contest_id, round_id, invitation_id = invitation_ref(message.name, violations)
        invitation = Invitation(
            contest_id=contest_id,
            round_id=round_id,
            id=invitation_id,
            judge_id=message.judge.removeprefix("judges/"),
            created_by=message.created_by,
            create_time=message.create_time.ToDatetime(tzinfo=UTC),
            expire_time=message.expire_time.ToDatetime(tzinfo=UTC),
        )
        copy = pb.JudgeInvitation()
        copy.CopyFrom(message)
        copy.code = rules.code_of(self._invitation_secret, invitation)
        return copy

    async def CreateJudgeInvitations(
        self, request: pb.CreateJudgeInvitationsRequest, context: aio.ServicerContext
    ) -> pb.CreateJudgeInvitationsResponse:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        ttl = rules.DEFAULT_TTL
        if request.HasField("ttl"):
            ttl = request.ttl.ToTimedelta()
            violations.check(rules.MIN_TTL <= ttl <= rules.MAX_TTL, "ttl", "must be between 1 hour and 90 days")
        violations.raise_if_any()

        response = await use_cases.create_invitations(
            self.app, caller, contest_id, round_id, ttl, self.request_keys.key(request)
        )
        return pb.CreateJudgeInvitationsResponse(
            invitations=[self._with_code(i) for i in response.invitations], created=response.created
        )

    async def ListJudgeInvitations(
        self, request: pb.ListJudgeInvitationsRequest, context: aio.ServicerContext
    ) -> pb.ListJudgeInvitationsResponse:
        require_role(ADMIN)
        limit = page_size(request.page_size)
        violations = ViolationCollector()
        contest_id, round_id = round_ref(request.round, "round", violations)
        judge_id = judge_ref(request.judge, "judge", violations) if request.judge else None
        violations.raise_if_any()
        after = self.tokens.decode(request.page_token, request)
        await round_store.get(self.pool, contest_id, round_id)
        page, last = await invitation_store.list_page(
            self.pool,
            contest_id,
            round_id,
            judge_id,
            request.show_inactive,
            (str(after[0]), str(after[1])) if after else None,
            limit,
        )
        judges = await judge_store.get_many(self.pool, sorted({i.judge_id for i in page}))
        now = datetime.now(UTC)
        return pb.ListJudgeInvitationsResponse(
            invitations=[
                self._with_code(
                    invitation_to_proto(i, now, judges[i.judge_id].display_name if i.judge_id in judges else "")
                )
                for i in page
            ],
            next_page_token=self.tokens.encode(last, request) if last else "",
        )

    async def RevokeJudgeInvitation(
        self, request: pb.RevokeJudgeInvitationRequest, context: aio.ServicerContext
    ) -> pb.JudgeInvitation:
        caller = require_role(ADMIN)
        violations = ViolationCollector()
        contest_id, round_id, invitation_id = invitation_ref(request.name, violations)
        violations.raise_if_any()

        return await use_cases.revoke_invitation(
            self.app, caller, contest_id, round_id, invitation_id, self.request_keys.key(request)
        )

    def _mint_judge_token(self, judge_id: str, seconds: int) -> str:
        """With the service's local issuer (its own key, iss and aud; production); without one, in
        development, with the shared HS256 key the service verifies."""
        issuer = local_issuer(self.settings)
        if issuer is not None:
            return issuer.mint(judge_id, [JUDGE], min(seconds, issuer.max_lifetime_seconds))
        if self.settings.jwt_key is not None and self.settings.jwt_algorithm == "HS256":
            return mint_token(
                self.settings.jwt_key.get_secret_value(),
                judge_id,
                [JUDGE],
                ttl_seconds=seconds,
                issuer=self.settings.jwt_issuer,
                audience=self.settings.jwt_audience,
            )
        raise failed_precondition(
            "LOCAL_ISSUER_UNAVAILABLE",
            "judge tokens need the service's local issuer (COMPETITION_JWT_LOCAL_ISSUER and its key)",
        )

    async def RedeemJudgeInvitation(
        self, request: pb.RedeemJudgeInvitationRequest, context: aio.ServicerContext
    ) -> pb.RedeemJudgeInvitationResponse:
        require_role(PORTAL)
        if len(request.code) > 200:
            raise invalid_code()
        invitation_id = rules.invitation_id_of(request.code)
        if invitation_id is None:
            raise invalid_code()
        invitation = await invitation_store.find(self.pool, invitation_id)
        if invitation is None or not rules.code_matches(self._invitation_secret, invitation, request.code):
            raise invalid_code()
        now = datetime.now(UTC)
        state = invitation.state(now)
        if state is not InvitationState.ACTIVE:
            raise failed_precondition(
                f"INVITATION_{state.value}",
                f"the invitation is {state.value.lower()}; ask the contest administrator for a new link",
                {"invitation": invitation_name(invitation)},
            )
        judges = await judge_store.get_many(self.pool, [invitation.judge_id])
        if invitation.judge_id not in judges:
            raise invalid_code()
        lifetime = rules.access_token_lifetime(
            now, invitation, timedelta(seconds=self.settings.judge_access_token_ttl_seconds)
        )
        seconds = max(1, int(lifetime.total_seconds()))
        token = self._mint_judge_token(invitation.judge_id, seconds)
        return pb.RedeemJudgeInvitationResponse(
            access_token=token,
            access_token_expire_time=timestamp(now + timedelta(seconds=seconds)),
            judge=codec.judge_name(invitation.judge_id),
            judge_display_name=judges[invitation.judge_id].display_name,
            round=codec.round_name(invitation.contest_id, invitation.round_id),
            invitation=invitation_name(invitation),
            invitation_expire_time=timestamp(invitation.expire_time),
        )
