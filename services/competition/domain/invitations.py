"""Judge invitations: the rules of a personal sign-in link, pure (no I/O).

An invitation is stored as its identity (contest, round, id, judge), its expiry and its revocation;
the link's code is ``v1.<id>.<mac>`` where ``mac`` is HMAC-SHA256, keyed by the service's invitation
secret, over the identity and the expiry. So the code can be shown again at any time ("copy the
link again") without a secret in the database, a changed expiry or judge invalidates the code, and a
leaked database cannot mint links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from enum import Enum

from services.competition.domain.models import Frozen

CODE_VERSION = "v1"
DEFAULT_TTL = timedelta(days=14)
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=90)
_ID = re.compile(r"^inv-[0-9a-f]{24}$")
_MAC = re.compile(r"^[A-Za-z0-9_-]{43}$")


class InvitationState(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class Invitation(Frozen):
    contest_id: str
    round_id: str
    id: str
    judge_id: str
    created_by: str
    create_time: datetime
    expire_time: datetime
    revoke_time: datetime | None = None
    revoked_by: str = ""

    def state(self, now: datetime) -> InvitationState:
        if self.revoke_time is not None:
            return InvitationState.REVOKED
        if now >= self.expire_time:
            return InvitationState.EXPIRED
        return InvitationState.ACTIVE


def new_invitation_id() -> str:
    return f"inv-{secrets.token_hex(12)}"


def _mac(secret: bytes, invitation: Invitation) -> str:
    message = "\x1f".join(
        (
            CODE_VERSION,
            invitation.contest_id,
            invitation.round_id,
            invitation.id,
            invitation.judge_id,
            str(int(invitation.expire_time.timestamp())),
        )
    ).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def code_of(secret: bytes, invitation: Invitation) -> str:
    """The sign-in code of the invitation's link (the same every time it is asked for)."""
    return f"{CODE_VERSION}.{invitation.id}.{_mac(secret, invitation)}"


def invitation_id_of(code: str) -> str | None:
    """The invitation id a well-formed code names, or None (nothing to look up)."""
    version, _, rest = code.strip().partition(".")
    invitation_id, _, mac = rest.partition(".")
    if version != CODE_VERSION or not _ID.match(invitation_id) or not _MAC.match(mac):
        return None
    return invitation_id


def code_matches(secret: bytes, invitation: Invitation, code: str) -> bool:
    return hmac.compare_digest(code.strip().encode(), code_of(secret, invitation).encode())


def access_token_lifetime(now: datetime, invitation: Invitation, ttl: timedelta) -> timedelta:
    """An access token never outlives its invitation."""
    return max(timedelta(0), min(ttl, invitation.expire_time - now))
