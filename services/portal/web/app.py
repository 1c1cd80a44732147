"""The portal's aiohttp application: routes, the security middleware, and the server."""

from __future__ import annotations

import asyncio
import hmac
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import grpc
from aiohttp import web
from multidict import MultiDictProxy

from services.common.logs import configure_logging
from services.common.metrics import MetricsEndpoint
from services.common.signals import until_stopped
from services.portal import sessions
from services.portal.grpc_client import CompetitionClient, ServiceError
from services.portal.settings import PortalSettings
from services.portal.web.admin import AdminPages
from services.portal.web.base import PACKAGE, SESSION_KEY, PageError, Portal
from services.portal.web.judge import JudgePages

log = logging.getLogger("portal")
PORTAL_KEY = web.AppKey("portal", Portal)

# No inline script or style anywhere, nothing from another origin: the bureau's network may have no
# internet, and an injected <script> cannot run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    # The sign-in code never sits in a URL the server sees, and no page ever sends its URL onwards.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

FormHandler = Callable[[web.Request, MultiDictProxy[Any]], Awaitable[web.StreamResponse]]


def route_of(request: web.Request) -> str:
    """The route template ("/r/{contest}/{round}/e/{entry}"): metric labels and logs never hold ids
    typed by users, query strings or fragments."""
    info = request.match_info
    route = getattr(info, "route", None)
    resource = getattr(route, "resource", None)
    if resource is None:
        return "unmatched"
    canonical: str = resource.canonical
    return "/static" if canonical.startswith("/static") else canonical


def make_middleware(portal: Portal) -> Any:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        route = route_of(request)
        response: web.StreamResponse
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if 300 <= exc.status < 400:
                response = web.Response(status=exc.status, headers={"Location": exc.location or "/"})  # type: ignore[attr-defined]
            elif exc.status == 413:
                response = portal.error_page(request, 413, "error.too_large")
            elif exc.status == 404:
                response = portal.error_page(request, 404, "error.not_found")
            else:
                response = portal.error_page(request, exc.status, "error.bad_request")
        except PageError as error:
            response = portal.error_page(request, error.status, error.message_key)
        except ServiceError as error:
            response = service_failure(portal, request, error)
        except Exception:
            log.exception("unexpected error", extra={"fields": {"route": route}})
            response = portal.error_page(request, 500, "error.service")
        if route != "/static":
            portal.store_session(request, response)
            response.headers["Cache-Control"] = "no-store"
        else:
            response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers.update(SECURITY_HEADERS)
        if portal.secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        elapsed = time.perf_counter() - started
        portal.metrics.requests.labels(route, request.method, str(response.status)).inc()
        portal.metrics.latency.labels(route).observe(elapsed)
        session = request.get(SESSION_KEY)
        log.info(
            "http",
            extra={
                "fields": {
                    "method": request.method,
                    "route": route,
                    "status": response.status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "subject": session.subject if session is not None and session.subject else None,
                }
            },
        )
        return response

    return middleware


def service_failure(portal: Portal, request: web.Request, error: ServiceError) -> web.StreamResponse:
    if error.code is grpc.StatusCode.UNAUTHENTICATED:
        portal.replace_session(request, sessions.anonymous(time.time(), portal.codec.absolute))
        portal.flash(request, "signin.ended")
        return web.Response(status=303, headers={"Location": "/signin"})
    if error.code is grpc.StatusCode.PERMISSION_DENIED:
        return portal.error_page(request, 403, "error.forbidden")
    if error.code is grpc.StatusCode.NOT_FOUND:
        return portal.error_page(request, 404, "error.not_found")
    if error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return portal.error_page(request, 503, "error.unavailable")
    log.warning("service refused", extra={"fields": {"code": error.code.name, "reason": error.reason}})
    return portal.error_page(request, 502, "error.service")


def with_form(portal: Portal, handler: FormHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Every form: same origin, the session's CSRF secret, and a body within the limit (else 413)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.host:
            raise PageError(403, "error.csrf")
        form = await request.post()
        session = portal.session(request)
        sent = form.get("csrf", "")
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise PageError(403, "error.csrf")
        return await handler(request, form)

    return handle


async def set_language(request: web.Request) -> web.StreamResponse:
    lang = request.match_info["lang"]
    target = request.query.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = web.Response(status=303, headers={"Location": target})
    if lang in ("zh", "en"):
        portal = request.app[PORTAL_KEY]
        response.set_cookie(
            "portal-lang", lang, path="/", httponly=True, secure=portal.secure, samesite="Strict", max_age=365 * 86400
        )
    return response


def create_app(settings: PortalSettings, client: CompetitionClient) -> web.Application:
    portal = Portal(settings, client)
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[make_middleware(portal)])
    app[PORTAL_KEY] = portal
    judge, admin = JudgePages(portal), AdminPages(portal)

    async def healthz(request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    async def readyz(request: web.Request) -> web.StreamResponse:
        ready = await client.ready()
        return web.Response(text="ready" if ready else "competition service not serving", status=200 if ready else 503)

    entry = "/r/{contest}/{round}/e/{entry}"
    app.add_routes(
        [
            web.get("/", judge.root),
            web.get("/signin", judge.signin_form),
            web.post("/signin", with_form(portal, judge.signin)),
            web.post("/signout", with_form(portal, judge.signout)),
            web.get("/assignments", judge.assignments),
            web.get("/sheets", judge.sheets),
            web.get(entry, judge.score_form),
            web.post(entry, with_form(portal, judge.score_post)),
            web.get(entry + "/conflict", judge.conflict_form),
            web.post(entry + "/conflict", with_form(portal, judge.conflict_post)),
            web.get("/admin", admin.index),
            web.get("/admin/r/{contest}/{round}", admin.round_page),
            web.post("/admin/r/{contest}/{round}/invitations", with_form(portal, admin.invite)),
            web.post("/admin/r/{contest}/{round}/invitations/{invitation}/revoke", with_form(portal, admin.revoke)),
            web.get("/lang/{lang}", set_language),
            web.get("/healthz", healthz),
            web.get("/readyz", readyz),
            web.static("/static", PACKAGE / "static", show_index=False, follow_symlinks=False),
        ]
    )
    return app


@dataclass
class RunningPortal:
    runner: web.AppRunner
    client: CompetitionClient
    metrics: MetricsEndpoint
    port: int
    metrics_port: int
    app: web.Application

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.client.close()
        self.metrics.close()


async def start_portal(settings: PortalSettings) -> RunningPortal:
    client = CompetitionClient(
        settings.competition_address,
        tls=settings.competition_tls,
        timeout=settings.competition_timeout_seconds,
        service_token=settings.service_token.get_secret_value(),
    )
    app = create_app(settings, client)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=settings.shutdown_grace_seconds)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    port = sockets[0].getsockname()[1] if sockets else settings.http_port
    metrics = MetricsEndpoint(app[PORTAL_KEY].metrics.registry, settings.metrics_port, host=settings.http_host)
    return RunningPortal(runner, client, metrics, port, metrics.port, app)


async def serve(settings: PortalSettings) -> None:
    running = await start_portal(settings)
    print(
        f"portal: http://127.0.0.1:{running.port}/ (public URL {settings.public_url}), "
        f"metrics on http://127.0.0.1:{running.metrics_port}/metrics",
        file=sys.stderr,
        flush=True,
    )
    await until_stopped()
    await running.stop()


def main() -> None:
    from services.portal.settings import load_settings

    settings = load_settings()
    configure_logging("portal", settings.log_level)
    asyncio.run(serve(settings))
