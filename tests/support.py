"""Test support: tokens, settings for services on ephemeral ports, fresh databases, error details."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
import grpc

from services.common.auth import mint_token
from services.common.embedded_pg import free_port
from services.common.grpc_errors import error_details
from services.common.server import RunningService, ServiceDefinition, start_service
from services.common.settings import ServiceSettings

JWT_KEY = "test-jwt-key-0123456789abcdef-0123456789"
PAGE_TOKEN_SECRET = "test-page-token-secret-0123456789"
PII_HASH_KEY = "test-pii-hash-key-0123456789abcdef"


def token(subject: str, *roles: str) -> str:
    return mint_token(JWT_KEY, subject, roles)


def auth(subject: str, *roles: str) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying a bearer token for ``subject`` with ``roles``."""
    return (("authorization", f"Bearer {token(subject, *roles)}"),)


async def create_database(admin_url: str) -> str:
    """A fresh, empty database on the test server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = admin_url.rpartition("/")
    query = admin_url.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")


async def talent_process_environment(postgres_url: str, grpc_port: int, **settings: str) -> dict[str, str]:
    """The environment of a talent service run as its own process (``python -m services.talent``) on
    ``grpc_port`` and a fresh database; ``settings`` are further TALENT_* values, named without it."""
    return {
        **os.environ,
        "TALENT_DATABASE_URL": await create_database(postgres_url),
        "TALENT_GRPC_HOST": "127.0.0.1",
        "TALENT_GRPC_PORT": str(grpc_port),
        "TALENT_METRICS_PORT": str(free_port()),
        "TALENT_JWT_KEY": JWT_KEY,
        "TALENT_PAGE_TOKEN_SECRET": PAGE_TOKEN_SECRET,
        "TALENT_PII_HASH_KEY": PII_HASH_KEY,
        **{f"TALENT_{name.upper()}": value for name, value in settings.items()},
    }


def settings_for(cls: type[ServiceSettings], database_url: str, **overrides: object) -> ServiceSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "grpc_host": "127.0.0.1",
        "grpc_port": 0,
        "metrics_port": 0,
        "jwt_key": JWT_KEY,
        "page_token_secret": PAGE_TOKEN_SECRET,
        "shutdown_grace_seconds": 2,
        "health_check_interval_seconds": 0.2,
        "metrics_cache_seconds": 0,
        "data_dir": Path(".data-test"),
    }
    if "pii_hash_key" in cls.model_fields:
        values["pii_hash_key"] = PII_HASH_KEY
    values.update(overrides)
    return cls(**values)  # type: ignore[arg-type]


async def start(
    cls: type[ServiceSettings], definition: ServiceDefinition, database_url: str, **overrides: object
) -> RunningService:
    return await start_service(settings_for(cls, database_url, **overrides), definition)


def status_details(error: grpc.aio.AioRpcError) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """(ErrorInfo.reason, ErrorInfo.metadata, [(field, description)]) of a failed call."""
    details = error_details(error.trailing_metadata())
    assert details is not None, f"no google.rpc.Status details on {error.code()}: {error.details()}"
    return details.reason, details.metadata, details.violations
