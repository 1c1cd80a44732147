"""Application commands and reads."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.common.errors import not_found
from services.common.idempotency import RequestKey, replay, replayed
from services.talent.app.replies import ATTEMPTS, R, Reply, contention, now
from services.talent.domain import applications as rules
from services.talent.domain.models import Application, ApplicationEvent, Stage
from services.talent.store import applications as store
from services.talent.store.keys import Outcome, Remember


def resource(application_id: str) -> str:
    return f"applications/{application_id}"


def _decide(
    context: store.ApplicationContext, candidate_id: str, programme_id: str, year: int, stage: Stage
) -> Application:
    if context.candidate_kind is None:
        raise not_found("candidate", f"candidates/{candidate_id}")
    if context.programme is None:
        raise not_found("programme", f"programmes/{programme_id}")
    rules.check_application(context.candidate_kind, context.programme, year)
    application = rules.new_application(candidate_id, programme_id, year, stage, now())
    if context.existing_application is not None:
        raise store.duplicate(application, context.existing_application)
    return application


async def check_new_application(
    pool: asyncpg.Pool, candidate_id: str, programme_id: str, year: int, stage: Stage
) -> Application:
    """The application a create would make, or the error it would answer; nothing is written."""
    context = await store.context_for_new(pool, candidate_id, programme_id, year, None)
    return _decide(context, candidate_id, programme_id, year, stage)


async def create_application(
    pool: asyncpg.Pool,
    candidate_id: str,
    programme_id: str,
    year: int,
    stage: Stage,
    actor: str,
    key: RequestKey | None,
    reply: Reply[Application, R],
) -> R:
    """One read (candidate kind, programme, an existing application, the request key), the rules,
    one write (application, first history row, request key) guarded by the candidate being live."""
    for _ in range(ATTEMPTS):
        context = await store.context_for_new(pool, candidate_id, programme_id, year, key)
        earlier = replayed(key, context.stored.request_hash, context.stored.response, reply.type) if key else None
        if earlier is not None:
            return earlier
        application = _decide(context, candidate_id, programme_id, year, stage)
        response = reply.encode(application)
        remember = Remember(key, response, resource(application.id)) if key else None
        outcome = await store.insert(pool, application, actor, rules.CREATED_NOTE, remember)
        if outcome is Outcome.WRITTEN:
            return response
        if outcome is Outcome.KEY_TAKEN and (earlier := await replay(pool, key, reply.type)) is not None:
            return earlier
        # STALE: the candidate was deleted since the read; the next read says so.
    raise contention("application")


async def transition_application(
    pool: asyncpg.Pool,
    application_id: str,
    expected: Stage,
    target: Stage,
    actor: str,
    note: str,
    key: RequestKey | None,
    reply: Reply[Application, R],
) -> R:
    """One read (the application and the request key), the stage machine, one write (the move, its
    history row, the request key) guarded by the version read."""
    for _ in range(ATTEMPTS):
        current, stored = await store.get_with_key(pool, application_id, key)
        earlier = replayed(key, stored.request_hash, stored.response, reply.type) if key else None
        if earlier is not None:
            return earlier
        if current is None:
            raise not_found("application", resource(application_id))
        moved = rules.moved(current, expected, target, now())
        response = reply.encode(moved)
        remember = Remember(key, response, resource(current.id)) if key else None
        outcome = await store.move(pool, current, moved, actor, note, remember)
        if outcome is Outcome.WRITTEN:
            return response
        if outcome is Outcome.KEY_TAKEN and (earlier := await replay(pool, key, reply.type)) is not None:
            return earlier
        # STALE: another move won since the read; the next read decides again (usually STAGE_MISMATCH).
    raise contention("application")


async def get_application(pool: asyncpg.Pool, application_id: str) -> Application:
    return await store.get(pool, application_id)


async def list_applications(
    pool: asyncpg.Pool, query: store.ApplicationFilter, after: list[Any] | None, limit: int
) -> tuple[list[Application], list[Any] | None]:
    return await store.list_page(pool, query, after, limit)


async def application_history(pool: asyncpg.Pool, application_id: str) -> list[ApplicationEvent]:
    return await store.history(pool, application_id)
