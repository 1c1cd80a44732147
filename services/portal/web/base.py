"""What every handler shares: settings, the gRPC client, the session cookie, the templates, words."""

from __future__ import annotations

import json
import secrets
import time
from collections import defaultdict, deque
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import grpc
import jinja2
from aiohttp import web

from services.portal import sessions
from services.portal.domain import RESOURCE_ID, stamp_text
from services.portal.grpc_client import CompetitionClient, ServiceError
from services.portal.i18n import LANGS, Lang, Translator
from services.portal.sessions import Session, SessionCodec
from services.portal.settings import PortalSettings
from services.portal.web.metrics import PortalMetrics

PACKAGE = Path(__file__).resolve().parents[1]
SESSION_KEY = web.RequestKey("session", Session)
SESSION_LOST = web.RequestKey("session_lost", bool)
# Refresh a judge's access token this long before it expires.
REFRESH_MARGIN_SECONDS = 120


class PageError(Exception):
    """Ends a request with a clear page in the user's language (and changes nothing)."""

    def __init__(self, status: int, message_key: str) -> None:
        super().__init__(message_key)
        self.status = status
        self.message_key = message_key


class FailedAttempts:
    """Failed sign-ins per client address in a sliding minute (per replica; successes never count)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def _window(self, address: str, now: float) -> deque[float]:
        window = self._seen[address]
        while window and now - window[0] > 60:
            window.popleft()
        if not window:
            self._seen.pop(address, None)
            return deque()
        return window

    def blocked(self, address: str, now: float) -> bool:
        return len(self._window(address, now)) >= self.limit

    def failed(self, address: str, now: float) -> None:
        self._window(address, now)
        self._seen[address].append(now)


class Portal:
    def __init__(self, settings: PortalSettings, client: CompetitionClient) -> None:
        self.settings = settings
        self.client = client
        self.metrics = PortalMetrics()
        self.codec = SessionCodec(
            settings.session_key.get_secret_value(),
            settings.session_previous_key.get_secret_value() if settings.session_previous_key else None,
            settings.session_idle_seconds,
            settings.session_absolute_seconds,
        )
        self.attempts = FailedAttempts(settings.signin_attempts_per_minute)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
            autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals["beijing_of"] = lambda sheet: stamp_text(sheet.submit_time)
        secure = settings.cookies_secure
        # __Host-: only over HTTPS, no Domain, Path=/ — the browser refuses anything else for it.
        self.cookie_name = "__Host-portal-session" if secure else "portal-session"
        self.secure = secure

    # --- session -----------------------------------------------------------------------------

    def session(self, request: web.Request) -> Session:
        """The request's session (an anonymous one when the cookie is missing, forged or over)."""
        found: Session | None = request.get(SESSION_KEY)
        if found is not None:
            return found
        now = time.time()
        cookie = request.cookies.get(self.cookie_name, "")
        opened = self.codec.open(cookie, now)
        if opened is None:
            opened = sessions.anonymous(now, self.codec.absolute)
            request[SESSION_LOST] = bool(cookie)
        else:
            opened = opened.touched(now)
        request[SESSION_KEY] = opened
        return opened

    def replace_session(self, request: web.Request, session: Session) -> None:
        request[SESSION_KEY] = session

    def store_session(self, request: web.Request, response: web.StreamResponse) -> None:
        session: Session | None = request.get(SESSION_KEY)
        if session is None:
            return
        response.set_cookie(
            self.cookie_name,
            self.codec.seal(session),
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="Strict",
            max_age=max(0, int(session.expires - time.time())),
        )

    def flash(self, request: web.Request, key: str, **values: object) -> None:
        session = self.session(request)
        self.replace_session(request, replace(session, flash=json.dumps([key, values], ensure_ascii=False)))

    def pop_flash(self, request: web.Request, t: Translator) -> str:
        session = self.session(request)
        if not session.flash:
            return ""
        self.replace_session(request, replace(session, flash=""))
        try:
            key, values = json.loads(session.flash)
            return t(str(key), **dict(values))
        except (ValueError, KeyError, TypeError):
            return ""

    async def judge_session(self, request: web.Request) -> Session:
        """The signed-in judge, with a fresh access token; else to the sign-in page."""
        session = self.session(request)
        if session.kind != "judge":
            self.to_signin(request, "signin.ended" if request.get(SESSION_LOST) or session.kind == "admin" else "")
        if session.access_expires - time.time() < REFRESH_MARGIN_SECONDS:
            session = await self._refresh(request, session)
        return session

    async def _refresh(self, request: web.Request, session: Session) -> Session:
        try:
            redeemed = await self.client.redeem(session.refresh)
        except ServiceError as error:
            if error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise PageError(503, "error.unavailable") from None
            # Revoked or expired: the session ends here, whatever its cookie says.
            self.replace_session(request, sessions.anonymous(time.time(), self.codec.absolute))
            self.to_signin(request, "signin.ended")
        fresh = replace(
            session,
            access_token=redeemed.access_token,
            access_expires=float(redeemed.access_token_expire_time.seconds),
        )
        self.replace_session(request, fresh)
        return fresh

    def admin_session(self, request: web.Request) -> Session:
        session = self.session(request)
        if session.kind != "admin" or session.access_expires <= time.time():
            self.to_signin(request, "signin.ended" if session.signed_in or request.get(SESSION_LOST) else "")
        return session

    def to_signin(self, request: web.Request, message_key: str) -> NoReturn:
        if message_key:
            self.flash(request, message_key)
        raise redirect(request, "/signin")

    # --- pages -------------------------------------------------------------------------------

    def lang(self, request: web.Request) -> Lang:
        value = request.cookies.get("portal-lang", "zh")
        return value if value in LANGS else "zh"

    def translator(self, request: web.Request) -> Translator:
        return Translator(self.lang(request))

    def render(self, request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
        t = self.translator(request)
        session = self.session(request)
        context = {
            "t": t,
            "lang": t.lang,
            "session": session,
            "csrf": session.csrf,
            "path": request.path,
            "flash": self.pop_flash(request, t),
            "page": template.removesuffix(".html"),
            **values,
        }
        text = self.templates.get_template(template).render(context)
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")

    def error_page(self, request: web.Request, status: int, message_key: str) -> web.Response:
        return self.render(request, "error.html", status=status, message_key=message_key)


def redirect(request: web.Request, location: str) -> web.HTTPSeeOther:
    """303 after a POST (the browser then GETs); the response keeps the session cookie (middleware)."""
    return web.HTTPSeeOther(location)


def resource_id(request: web.Request, name: str) -> str:
    value = request.match_info.get(name, "")
    if not RESOURCE_ID.match(value):
        raise PageError(404, "error.not_found")
    return value


def new_request_id() -> str:
    return f"portal-{secrets.token_hex(16)}"
