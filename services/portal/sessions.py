"""Sessions in an encrypted, authenticated cookie (AES-256-GCM), so the portal keeps no session store.

A session carries who the user is (the judge id, or an administrator's subject), the bearer token the
portal calls the competition service with, what refreshes that token (the invitation code; an OIDC
refresh token would go in the same place), issue and last-seen times, and the CSRF secret of its
forms. Every replica holds the same key, so two replicas need nothing shared besides it.

Timeouts: idle (no request for ``idle`` seconds) and absolute (``absolute`` seconds after sign-in, and
never after the invitation expires). The cookie is re-sealed on every request with a new last-seen
time. A tampered, truncated or foreign cookie fails authentication and is treated as no session.

Revocation: a sealed cookie cannot be recalled, so access ends through its token instead: judge tokens
live minutes and are refreshed by redeeming the invitation again, which fails once it is revoked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

Kind = Literal["anonymous", "judge", "admin"]
# Where the identity came from. Both sources yield the same judge subject (the judge id), so the rest
# of the portal never looks at this: it only decides how the access token is refreshed.
Source = Literal["none", "invitation", "oidc", "admin-token"]
_AAD = b"judges-portal-session-v1"
_NONCE = 12


@dataclass(frozen=True)
class Session:
    kind: Kind
    csrf: str
    issued: float
    seen: float
    expires: float  # the absolute end
    subject: str = ""
    display_name: str = ""
    source: Source = "none"
    access_token: str = ""
    access_expires: float = 0.0
    refresh: str = ""  # the invitation code (or an OIDC refresh token): never shown, never logged
    flash: str = ""  # one message for the next page (POST → redirect → GET), as JSON [key, {values}]

    @property
    def signed_in(self) -> bool:
        return self.kind != "anonymous"

    def touched(self, now: float) -> Session:
        return replace(self, seen=now)


def anonymous(now: float, absolute: float) -> Session:
    """A session before sign-in: it only carries the CSRF secret of the sign-in form."""
    return Session(kind="anonymous", csrf=secrets.token_urlsafe(24), issued=now, seen=now, expires=now + absolute)


def signed_in(
    now: float,
    absolute: float,
    *,
    kind: Kind,
    subject: str,
    display_name: str,
    source: Source,
    access_token: str,
    access_expires: float,
    refresh: str = "",
    not_after: float | None = None,
) -> Session:
    """A new session (and a new CSRF secret: the sign-in form's secret is never reused)."""
    end = now + absolute if not_after is None else min(now + absolute, not_after)
    return Session(
        kind=kind,
        csrf=secrets.token_urlsafe(24),
        issued=now,
        seen=now,
        expires=end,
        subject=subject,
        display_name=display_name,
        source=source,
        access_token=access_token,
        access_expires=access_expires,
        refresh=refresh,
    )


class SessionCodec:
    def __init__(self, key: str, previous_key: str | None, idle_seconds: int, absolute_seconds: int) -> None:
        self._sealer = AESGCM(hashlib.sha256(key.encode()).digest())
        self._openers = [self._sealer]
        if previous_key:
            self._openers.append(AESGCM(hashlib.sha256(previous_key.encode()).digest()))
        self.idle = idle_seconds
        self.absolute = absolute_seconds

    def seal(self, session: Session) -> str:
        nonce = secrets.token_bytes(_NONCE)
        body = json.dumps(asdict(session), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(nonce + self._sealer.encrypt(nonce, body, _AAD)).decode().rstrip("=")

    def open(self, value: str, now: float | None = None) -> Session | None:
        """The session in the cookie, or None when it is forged, damaged, idle too long or over."""
        now = time.time() if now is None else now
        if not value or len(value) > 4096:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except ValueError:
            return None
        nonce, sealed = raw[:_NONCE], raw[_NONCE:]
        for opener in self._openers:
            try:
                body = opener.decrypt(nonce, sealed, _AAD)
                break
            except (InvalidTag, ValueError):
                continue
        else:
            return None
        try:
            session = Session(**json.loads(body))
        except (TypeError, ValueError):
            return None
        if now - session.seen > self.idle or now >= session.expires:
            return None
        return session
