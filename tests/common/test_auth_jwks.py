"""Verification against an identity provider's JWKS endpoint: a real HTTP server in a thread serves
the key set, rotates it, and goes down; a real talent service verifies tokens against it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from services.common.auth import Issuer, JwksKeys, TokenVerifier
from services.common.errors import DomainError
from services.common.server import RunningService
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.common.test_auth import ISSUER, call, hand_signed, header, now
from tests.support import create_database, start


@dataclass
class SigningKey:
    kid: str
    private: Any
    algorithm: str

    def jwk(self) -> dict[str, Any]:
        to_jwk = RSAAlgorithm.to_jwk if self.algorithm == "RS256" else OKPAlgorithm.to_jwk
        return {**to_jwk(self.private.public_key(), as_dict=True), "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def token(self, subject: str = "hr-portal", **claims: Any) -> str:
        payload = {
            "iss": ISSUER,
            "aud": "talent",
            "sub": subject,
            "roles": ["talent.viewer"],
            "iat": now(),
            "exp": now() + 600,
            **claims,
        }
        return jwt.encode(payload, self.private, algorithm=self.algorithm, headers={"kid": self.kid})


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")


def ed_key(kid: str) -> SigningKey:
    return SigningKey(kid, ed25519.Ed25519PrivateKey.generate(), "EdDSA")


@dataclass
class IdentityProvider:
    """A JWKS endpoint whose key set the test changes; counts the fetches."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    fetches: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/certs"

    def publish(self, *keys: SigningKey | dict[str, Any]) -> None:
        self.keys = [k.jwk() if isinstance(k, SigningKey) else k for k in keys]

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                body = json.dumps({"keys": provider.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """The IdP goes down: its port refuses connections."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
async def jwks_service(postgres_url: str, idp: IdentityProvider) -> AsyncIterator[RunningService]:
    # No token cache (every call looks its key up) and the shortest refresh interval.
    running = await start(
        TalentSettings,
        DEFINITION,
        await create_database(postgres_url),
        jwt_key=None,
        jwt_jwks_url=idp.url,
        jwt_issuer=ISSUER,
        jwt_audience="talent",
        jwt_jwks_min_refresh_seconds=1,
        jwt_jwks_cache_seconds=3600,
        jwt_cache_size=0,
    )
    yield running
    await running.stop(grace=0)


async def after_the_refresh_interval() -> None:
    await asyncio.sleep(1.2)


async def test_keys_rotate_and_survive_an_outage_of_the_identity_provider(
    jwks_service: RunningService, idp: IdentityProvider
) -> None:
    port = jwks_service.grpc_port
    old, new, stranger = rsa_key("2024-01"), ed_key("2024-07"), rsa_key("2024-01")
    idp.publish(old)
    assert await call(port, header(old.token())) == grpc.StatusCode.OK
    # Same kid, other key: the signature does not verify.
    assert await call(port, header(stranger.token())) == grpc.StatusCode.UNAUTHENTICATED

    # The IdP adds a key: tokens of the new kid verify after one refetch, the old kid keeps working.
    await after_the_refresh_interval()
    idp.publish(old, new)
    assert await call(port, header(new.token())) == grpc.StatusCode.OK
    assert await call(port, header(old.token(subject="another"))) == grpc.StatusCode.OK

    # The IdP retires the old key: once the set is refetched (an unknown kid triggers it) the old
    # kid is refused.
    await after_the_refresh_interval()
    idp.publish(new)
    assert await call(port, header(rsa_key("unknown").token())) == grpc.StatusCode.UNAUTHENTICATED
    assert await call(port, header(old.token())) == grpc.StatusCode.UNAUTHENTICATED
    assert await call(port, header(new.token())) == grpc.StatusCode.OK

    # The IdP goes down: the cached keys keep verifying; unknown kids are still refused.
    idp.stop()
    await after_the_refresh_interval()
    assert await call(port, header(ed_key("unknown-2").token())) == grpc.StatusCode.UNAUTHENTICATED
    assert await call(port, header(new.token(subject="during-the-outage"))) == grpc.StatusCode.OK


async def test_a_jwks_never_supplies_a_symmetric_key(jwks_service: RunningService, idp: IdentityProvider) -> None:
    secret = "a-shared-secret-planted-in-the-jwks-0123456789"
    signing = rsa_key("rsa")
    idp.publish(signing, {"kty": "oct", "kid": "sym", "k": jwt.utils.base64url_encode(secret.encode()).decode()})
    assert await call(jwks_service.grpc_port, header(signing.token())) == grpc.StatusCode.OK
    claims = {"iss": ISSUER, "aud": "talent", "sub": "x", "roles": ["talent.admin"], "iat": now(), "exp": now() + 60}
    forged = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "sym"})
    assert await call(jwks_service.grpc_port, header(forged)) == grpc.StatusCode.UNAUTHENTICATED
    # Nor does the RSA key's kid with HS256 over its public key.
    public_pem = signing.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = hand_signed({"alg": "HS256", "kid": "rsa"}, claims, public_pem)
    assert await call(jwks_service.grpc_port, header(confused)) == grpc.StatusCode.UNAUTHENTICATED


# --- the key cache on its own clock (no sleeping) ------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keys_on(url: str, clock: Clock, **options: Any) -> JwksKeys:
    return JwksKeys(url, clock=clock, **{"cache_seconds": 300.0, "min_refresh_seconds": 30.0, **options})


async def test_a_flood_of_unknown_kids_fetches_at_most_once_per_interval(idp: IdentityProvider) -> None:
    signing = rsa_key("k1")
    idp.publish(signing)
    clock = Clock()
    keys = keys_on(idp.url, clock)
    verifier = TokenVerifier([Issuer(ISSUER, keys, "talent")])
    await verifier.verify([f"Bearer {signing.token()}"])
    assert idp.fetches == 1
    junk = [rsa_key(f"junk-{i}").token() for i in range(3)]
    for i in range(60):
        with pytest.raises(DomainError):
            await verifier.verify([f"Bearer {junk[i % 3]}"])
    assert idp.fetches == 1  # all within the 30 s interval of the first fetch
    clock.now += 31
    for i in range(60):
        with pytest.raises(DomainError):
            await verifier.verify([f"Bearer {junk[i % 3]}"])
    assert idp.fetches == 2
    # Concurrent calls wait for one fetch instead of each starting one.
    clock.now += 31
    results = await asyncio.gather(*(verifier.verify([f"Bearer {t}"]) for t in junk * 10), return_exceptions=True)
    assert all(isinstance(r, DomainError) for r in results)
    assert idp.fetches == 3


async def test_a_stale_set_is_refetched_and_kept_while_the_idp_is_down(idp: IdentityProvider) -> None:
    signing = ed_key("k1")
    idp.publish(signing)
    clock = Clock()
    keys = keys_on(idp.url, clock)
    verifier = TokenVerifier([Issuer(ISSUER, keys, "talent")], cache_size=0)
    await verifier.verify([f"Bearer {signing.token()}"])
    clock.now += 299
    await verifier.verify([f"Bearer {signing.token()}"])
    assert idp.fetches == 1
    clock.now += 2  # older than cache_seconds: refetched
    await verifier.verify([f"Bearer {signing.token()}"])
    assert idp.fetches == 2
    idp.stop()
    clock.now += 301
    caller = await verifier.verify([f"Bearer {signing.token(subject='still-here')}"])
    assert caller.subject == "still-here"
    assert keys.fetches == 3  # it tried, failed, and kept the keys


async def test_cached_tokens_of_a_retired_key_are_forgotten(idp: IdentityProvider) -> None:
    old, new = rsa_key("old"), rsa_key("new")
    idp.publish(old, new)
    clock = Clock()
    verifier = TokenVerifier([Issuer(ISSUER, keys_on(idp.url, clock), "talent")])
    token = old.token()
    await verifier.verify([f"Bearer {token}"])
    await verifier.verify([f"Bearer {token}"])
    assert verifier.cache_hits == 1
    idp.publish(new)
    clock.now += 31
    with pytest.raises(DomainError):  # an unknown kid makes it refetch; "old" is gone
        await verifier.verify([f"Bearer {rsa_key('other').token()}"])
    with pytest.raises(DomainError, match="does not publish"):
        await verifier.verify([f"Bearer {token}"])


def test_a_jwks_issuer_refuses_symmetric_and_none_algorithms() -> None:
    for algorithms in (["HS256"], ["none"], ["RS256", "HS256"], []):
        with pytest.raises(ValueError):
            JwksKeys("https://id.example/certs", algorithms=algorithms)
