"""Identity settings: what prod requires, the defaults that differ between dev and prod (binding,
reflection, token lifetime), and one clear line per bad variable at start-up; plus the effect of
the binding and reflection settings on a real server."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.common.server import start_service
from services.common.settings import load_settings
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.support import create_database, settings_for, start

BASE = {"TALENT_JWT_KEY": "k" * 32, "TALENT_PAGE_TOKEN_SECRET": "s" * 32, "TALENT_PII_HASH_KEY": "p" * 32}
PROD = {
    **BASE,
    "TALENT_ENVIRONMENT": "prod",
    "TALENT_JWT_ISSUER": "https://id.bureau.example/realms/ouhai",
    "TALENT_JWT_AUDIENCE": "talent",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in list(os.environ):
        if name.startswith("TALENT_"):
            monkeypatch.delenv(name)
    yield monkeypatch


def errors_of(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]) -> list[str]:
    """The lines load_settings prints for ``env`` (it must exit 2)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        load_settings(TalentSettings)
    assert exited.value.code == 2
    return capsys.readouterr().err.strip().splitlines()


def test_prod_without_issuer_and_audience_stops_start_up_naming_both() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TALENT_")}
    environment.update({**BASE, "TALENT_ENVIRONMENT": "prod"})
    result = subprocess.run(
        [sys.executable, "-m", "services.talent"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "invalid setting TALENT_JWT_ISSUER: Field required when TALENT_ENVIRONMENT is prod",
        "invalid setting TALENT_JWT_AUDIENCE: Field required when TALENT_ENVIRONMENT is prod",
    ]


def test_blank_issuer_counts_as_unset(environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert errors_of(environment, capsys, {**PROD, "TALENT_JWT_ISSUER": " "}) == [
        "invalid setting TALENT_JWT_ISSUER: Field required when TALENT_ENVIRONMENT is prod"
    ]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {**PROD, "TALENT_JWT_JWKS_URL": "https://id.bureau.example/certs"},
            "invalid setting TALENT_JWT_KEY: Value error, set TALENT_JWT_KEY (a static key) or TALENT_JWT_JWKS_URL, "
            "not both",
        ),
        (
            {**PROD, "TALENT_JWT_KEY": "", "TALENT_JWT_JWKS_URL": "http://id.bureau.example/certs"},
            "invalid setting TALENT_JWT_JWKS_URL: Value error, must be an https:// URL",
        ),
        (
            {**PROD, "TALENT_JWT_ALGORITHM": "RS256"},
            "invalid setting TALENT_JWT_KEY: Value error, is not a valid RS256 key: TALENT_JWT_ALGORITHM=RS256 needs "
            "a PEM public key",
        ),
        (
            {**PROD, "TALENT_JWT_JWKS_ALGORITHMS": '["RS256", "HS256"]'},
            "invalid setting TALENT_JWT_JWKS_ALGORITHMS_1: Input should be 'RS256', 'RS384', 'RS512', 'PS256', "
            "'PS384', 'PS512', 'ES256', 'ES384', 'ES512' or 'EdDSA'",
        ),
        (
            {**PROD, "TALENT_JWT_LOCAL_ISSUER": "urn:local"},
            "invalid setting TALENT_JWT_LOCAL_ROLES: Value error, required when TALENT_JWT_LOCAL_ISSUER is set, "
            "e.g. '[\"talent.judge\"]'",
        ),
        (
            {**PROD, "TALENT_JWT_LOCAL_ISSUER": "urn:local", "TALENT_JWT_LOCAL_ROLES": '["talent.viewer"]'},
            "invalid setting TALENT_JWT_LOCAL_KEY: Field required when TALENT_JWT_LOCAL_ISSUER is set",
        ),
        (
            {
                **PROD,
                "TALENT_JWT_LOCAL_ISSUER": "urn:local",
                "TALENT_JWT_LOCAL_ROLES": '["competition.admin"]',
            },
            "invalid setting TALENT_JWT_LOCAL_ROLES: Value error, a local issuer grants only talent.* roles, not "
            "competition.admin",
        ),
        (
            {
                **PROD,
                "TALENT_JWT_LOCAL_ISSUER": "urn:local",
                "TALENT_JWT_LOCAL_ROLES": '["talent.viewer"]',
                "TALENT_JWT_LOCAL_KEY": "short-secret-0123",
            },
            "invalid setting TALENT_JWT_LOCAL_KEY: Value error, is not a valid HS256 key: a secret of 32+ characters",
        ),
        (
            {**PROD, "TALENT_JWT_LOCAL_ISSUER": PROD["TALENT_JWT_ISSUER"], "TALENT_JWT_LOCAL_ROLES": '["talent.x"]'},
            "invalid setting TALENT_JWT_LOCAL_ISSUER: Value error, must differ from TALENT_JWT_ISSUER "
            "(the identity provider)",
        ),
    ],
)
def test_bad_identity_settings_are_named(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], line: str
) -> None:
    env = {k: v for k, v in env.items() if v != ""}
    assert line in errors_of(environment, capsys, env)


def test_neither_key_nor_jwks_is_named(environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in PROD.items() if k != "TALENT_JWT_KEY"}
    assert errors_of(environment, capsys, env) == [
        "invalid setting TALENT_JWT_KEY: Field required unless TALENT_JWT_JWKS_URL is set"
    ]


def test_good_prod_settings(environment: pytest.MonkeyPatch) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    ed_pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for name, value in {
        **PROD,
        "TALENT_JWT_ALGORITHM": "RS256",
        "TALENT_JWT_KEY": pem.decode(),
        "TALENT_JWT_LOCAL_ISSUER": "urn:talent-suite:talent",
        "TALENT_JWT_LOCAL_ALGORITHM": "EdDSA",
        "TALENT_JWT_LOCAL_KEY": ed_pem.decode(),
        "TALENT_JWT_LOCAL_ROLES": '["talent.viewer"]',
    }.items():
        environment.setenv(name, value)
    settings = load_settings(TalentSettings)
    assert settings.jwt_local_roles == ["talent.viewer"]
    for name in ("TALENT_JWT_KEY", "TALENT_JWT_ALGORITHM"):
        environment.delenv(name)
    environment.setenv("TALENT_JWT_JWKS_URL", "https://id.bureau.example/realms/ouhai/protocol/openid-connect/certs")
    assert load_settings(TalentSettings).jwt_key is None


def test_defaults_differ_between_dev_and_prod(environment: pytest.MonkeyPatch) -> None:
    for name, value in BASE.items():
        environment.setenv(name, value)
    dev = load_settings(TalentSettings)
    assert (dev.grpc_host, dev.metrics_host, dev.reflection_enabled) == ("127.0.0.1", "127.0.0.1", True)
    assert dev.jwt_max_lifetime_seconds is None  # development tokens last days
    for name, value in PROD.items():
        environment.setenv(name, value)
    prod = load_settings(TalentSettings)
    assert (prod.grpc_host, prod.metrics_host, prod.reflection_enabled) == ("[::]", "0.0.0.0", False)
    assert prod.jwt_max_lifetime_seconds == 24 * 3600
    environment.setenv("TALENT_REFLECTION_ENABLED", "true")
    environment.setenv("TALENT_GRPC_HOST", "10.0.0.7")
    environment.setenv("TALENT_JWT_MAX_LIFETIME_SECONDS", "3600")
    chosen = load_settings(TalentSettings)
    assert (chosen.grpc_host, chosen.reflection_enabled, chosen.jwt_max_lifetime_seconds) == ("10.0.0.7", True, 3600)


# --- on a real server ------------------------------------------------------------------------------


def non_loopback_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: no packet is sent, the route picks the interface
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def health(address: str, port: int) -> grpc.StatusCode:
    async with aio.insecure_channel(f"{address}:{port}") as channel:
        try:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
        except aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


async def test_dev_listens_on_loopback_only(postgres_url: str) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address other than loopback")
    # grpc_host left to its default (tests.support sets 127.0.0.1 otherwise).
    settings = settings_for(TalentSettings, await create_database(postgres_url), grpc_host="")
    running = await start_service(settings, DEFINITION)
    try:
        assert await health("127.0.0.1", running.grpc_port) == grpc.StatusCode.OK
        assert await health(address, running.grpc_port) == grpc.StatusCode.UNAVAILABLE
        # Off the event loop: the scrape reads business gauges through the service's loop.
        await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{running.metrics_port}/metrics", timeout=10).close()
        )
        with pytest.raises(OSError):
            await asyncio.to_thread(lambda: socket.create_connection((address, running.metrics_port), 3).close())
    finally:
        await running.stop(grace=0)


async def test_reflection_can_be_switched_off(postgres_url: str) -> None:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url), reflection_enabled=False)
    try:
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
            with pytest.raises(aio.AioRpcError) as raised:
                async for _ in responses:
                    pass
        assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert await health("127.0.0.1", running.grpc_port) == grpc.StatusCode.OK
    finally:
        await running.stop(grace=0)
