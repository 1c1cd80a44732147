"""Bearer tokens as a client sees them, over real gRPC calls to a real talent service: subjects,
repeated headers, issuer and audience, lifetime, algorithm confusion, the verified-token cache,
local issuers, and the settings that govern them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.auth import LocalIssuer, TokenVerifier, local_issuer, mint_token
from services.common.server import RunningService
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.support import JWT_KEY, create_database, start

ISSUER = "https://id.bureau.example/realms/ouhai"
LOCAL = "urn:talent-suite:talent:test-local"
LOCAL_KEY = "local-issuer-key-0123456789abcdef-0123456789"


def header(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def claims_token(claims: dict[str, Any], key: Any = JWT_KEY, algorithm: str = "HS256", **headers: Any) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers or None)


def now() -> int:
    return int(time.time())


def viewer(**claims: Any) -> dict[str, Any]:
    """Claims of a valid viewer token for the configured service, overridden by ``claims``."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "talent",
        "sub": "hr-portal",
        "roles": ["talent.viewer"],
        "iat": now(),
        "exp": now() + 600,
    }
    base.update(claims)
    return {k: v for k, v in base.items() if v is not None}


async def call(port: int, metadata: Sequence[tuple[str, str]]) -> grpc.StatusCode:
    """The code of a cheap read (ListProgrammes, any reader role) made with ``metadata``."""
    async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        try:
            await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=tuple(metadata))
        except aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


@pytest.fixture(scope="module")
async def configured(postgres_url: str) -> AsyncIterator[RunningService]:
    """A talent service as production configures it: issuer, audience, 1 h maximum lifetime, no
    leeway (so that expiry is exact), and a local issuer that may grant talent.viewer only."""
    running = await start(
        TalentSettings,
        DEFINITION,
        await create_database(postgres_url),
        jwt_issuer=ISSUER,
        jwt_audience="talent",
        jwt_max_lifetime_seconds=3600,
        jwt_leeway_seconds=0,
        jwt_local_issuer=LOCAL,
        jwt_local_key=LOCAL_KEY,
        jwt_local_roles=["talent.viewer"],
    )
    yield running
    await running.stop(grace=0)


# --- the subject and the header ------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["", "   ", "\t", "judge\x00-1", "x" * 300, 42, None])
async def test_a_blank_or_malformed_subject_is_unauthenticated(talent_service: RunningService, subject: Any) -> None:
    claims = {"sub": subject, "roles": ["talent.viewer"], "iat": now(), "exp": now() + 600}
    if subject is None:
        del claims["sub"]
    assert await call(talent_service.grpc_port, header(claims_token(claims))) == grpc.StatusCode.UNAUTHENTICATED


async def test_two_authorization_headers_are_unauthenticated(talent_service: RunningService) -> None:
    good = header(mint_token(JWT_KEY, "analyst", ["talent.viewer"]))[0]
    bad = ("authorization", "Bearer not-a-token")
    assert await call(talent_service.grpc_port, [good]) == grpc.StatusCode.OK
    # Whichever comes last, and even when both are valid: a proxy that appends its own header must
    # not let a caller pick the identity that wins.
    for metadata in ([bad, good], [good, bad], [good, good]):
        assert await call(talent_service.grpc_port, metadata) == grpc.StatusCode.UNAUTHENTICATED, metadata


# --- issuer, audience, lifetime ------------------------------------------------------------------


async def test_issuer_and_audience_are_checked(configured: RunningService) -> None:
    port = configured.grpc_port
    assert await call(port, header(claims_token(viewer()))) == grpc.StatusCode.OK
    assert await call(port, header(claims_token(viewer(aud=["hr", "talent"])))) == grpc.StatusCode.OK
    for claims in (
        viewer(iss="https://evil.example"),  # unknown issuer
        viewer(iss=None),  # none at all: development tokens do not pass here
        viewer(aud="competition"),
        viewer(aud=None),
    ):
        assert await call(port, header(claims_token(claims))) == grpc.StatusCode.UNAUTHENTICATED, claims
    # A development token (no iss, no aud) signed with the same key is refused too.
    development = mint_token(JWT_KEY, "analyst", ["talent.viewer"], ttl_seconds=600)
    assert await call(port, header(development)) == grpc.StatusCode.UNAUTHENTICATED


async def test_a_token_living_longer_than_the_maximum_is_unauthenticated(configured: RunningService) -> None:
    port = configured.grpc_port
    assert await call(port, header(claims_token(viewer(exp=now() + 3600)))) == grpc.StatusCode.OK
    too_long = viewer(iat=now() - 10, exp=now() + 3600)  # 3610 s > 3600 s although 1 h is left
    assert await call(port, header(claims_token(too_long))) == grpc.StatusCode.UNAUTHENTICATED
    # Without iat the lifetime cannot be checked: refused.
    assert await call(port, header(claims_token(viewer(iat=None)))) == grpc.StatusCode.UNAUTHENTICATED


async def test_time_claims_are_honoured(configured: RunningService) -> None:
    port = configured.grpc_port
    for claims in (
        viewer(nbf=now() + 120),  # not yet valid
        viewer(iat=now() + 120, exp=now() + 600),  # issued in the future
        viewer(exp=now() - 1),
        viewer(exp=str(now() + 600)),  # a number as a string
    ):
        assert await call(port, header(claims_token(claims))) == grpc.StatusCode.UNAUTHENTICATED, claims


async def test_an_expired_token_is_refused_even_after_it_was_cached(configured: RunningService) -> None:
    expires = now() + 4  # 3 to 4 s from now
    token = claims_token(viewer(exp=expires))
    for _ in range(3):  # the first call verifies it, the next ones come from the cache
        assert await call(configured.grpc_port, header(token)) == grpc.StatusCode.OK
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.2)
    assert await call(configured.grpc_port, header(token)) == grpc.StatusCode.UNAUTHENTICATED


# --- algorithms ----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header_: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A token built by hand (PyJWT refuses to build these): HS256 over ``secret``, or unsigned."""
    signing_input = f"{_b64(json.dumps(header_).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = b"" if secret is None else hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def test_algorithm_confusion_and_none_are_refused(postgres_url: str) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    running = await start(
        TalentSettings,
        DEFINITION,
        await create_database(postgres_url),
        jwt_algorithm="RS256",
        jwt_key=public_pem.decode(),
        jwt_issuer=ISSUER,
        jwt_audience="talent",
    )
    try:
        port = running.grpc_port
        assert await call(port, header(claims_token(viewer(), private, "RS256"))) == grpc.StatusCode.OK
        # The classic confusion: HS256 with the (public) PEM as the HMAC secret.
        confused = hand_signed({"alg": "HS256", "typ": "JWT"}, viewer(), public_pem)
        unsigned = hand_signed({"alg": "none", "typ": "JWT"}, viewer(), None)
        other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        for token in (confused, unsigned, claims_token(viewer(), other_rsa, "RS256")):
            assert await call(port, header(token)) == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await running.stop(grace=0)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_an_hmac_service_refuses_tokens_declaring_another_algorithm(configured: RunningService) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for token in (
        claims_token(viewer(), rsa_key, "RS256"),
        claims_token(viewer(), JWT_KEY, "HS512"),  # the right secret, another algorithm
        hand_signed({"alg": "none"}, viewer(), None),
    ):
        assert await call(configured.grpc_port, header(token)) == grpc.StatusCode.UNAUTHENTICATED


# --- a local issuer next to the identity provider ------------------------------------------------


async def test_a_local_issuer_is_trusted_for_its_own_roles_only(configured: RunningService) -> None:
    port = configured.grpc_port
    issuer = local_issuer(configured.settings)
    assert issuer is not None
    assert await call(port, header(issuer.mint("judge-7", ["talent.viewer"], ttl_seconds=600))) == grpc.StatusCode.OK
    # The IdP's tokens keep working next to it.
    assert await call(port, header(claims_token(viewer()))) == grpc.StatusCode.OK
    local = {"iss": LOCAL, "aud": "talent", "sub": "judge-7", "iat": now(), "exp": now() + 600}
    for claims, key in (
        ({**local, "roles": ["talent.admin"]}, LOCAL_KEY),  # more than it may grant
        ({**local, "roles": ["talent.viewer"], "aud": "competition"}, LOCAL_KEY),
        ({**local, "roles": ["talent.viewer"]}, JWT_KEY),  # the IdP's key does not sign for it
        ({**local, "roles": ["talent.viewer"], "exp": now() + 9 * 3600}, LOCAL_KEY),  # beyond its 8 h
    ):
        assert await call(port, header(claims_token(claims, key))) == grpc.StatusCode.UNAUTHENTICATED, claims
    # And an IdP-issued token signed with the local key is not an IdP token.
    assert await call(port, header(claims_token(viewer(), LOCAL_KEY))) == grpc.StatusCode.UNAUTHENTICATED


async def test_an_eddsa_local_issuer_mints_what_its_verifier_accepts() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    issuer = LocalIssuer(LOCAL, pem, algorithm="EdDSA", audience="competition", roles=["competition.judge"])
    verifier = TokenVerifier([issuer.trusted])
    token = issuer.mint("judges/j-li", ["competition.judge"], ttl_seconds=3600)
    caller = await verifier.verify([f"Bearer {token}"])
    assert (caller.subject, caller.roles, caller.issuer) == ("judges/j-li", frozenset({"competition.judge"}), LOCAL)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {"iss", "aud", "sub", "roles", "iat", "exp", "jti"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 3600
    for subject, roles, ttl in (("", ["competition.judge"], 60), ("j", ["competition.admin"], 60), ("j", [], 86400)):
        with pytest.raises(ValueError):
            issuer.mint(subject, roles, ttl_seconds=ttl)


# --- the verified-token cache --------------------------------------------------------------------


async def test_a_token_seen_before_is_not_verified_again_and_the_cache_is_bounded() -> None:
    verifier = TokenVerifier.static(JWT_KEY, cache_size=2)
    tokens = [mint_token(JWT_KEY, f"user-{i}", ["talent.viewer"], ttl_seconds=600) for i in range(3)]
    for _ in range(3):
        assert (await verifier.verify([f"Bearer {tokens[0]}"])).subject == "user-0"
    assert (verifier.verifications, verifier.cache_hits) == (1, 2)
    await verifier.verify([f"Bearer {tokens[1]}"])
    await verifier.verify([f"Bearer {tokens[2]}"])  # evicts the least recently used: tokens[0]
    assert verifier.verifications == 3
    await verifier.verify([f"Bearer {tokens[0]}"])
    assert verifier.verifications == 4
    # A refused token is never remembered.
    for _ in range(2):
        with pytest.raises(Exception, match="invalid token"):
            await verifier.verify(["Bearer " + tokens[1][:-4] + "AAAA"])
    assert verifier.verifications == 6


async def test_a_cached_caller_expires_with_the_token_on_the_verifiers_clock() -> None:
    clock = [1_000_000.0]
    verifier = TokenVerifier.static(JWT_KEY, leeway_seconds=0, cache_seconds=60, clock=lambda: clock[0])
    # PyJWT checks exp against the real clock; mint relative to it and move the verifier's clock.
    real = time.time()
    clock[0] = real
    token = mint_token(JWT_KEY, "analyst", ["talent.viewer"], ttl_seconds=30, now=real)
    await verifier.verify([f"Bearer {token}"])
    clock[0] = real + 29
    await verifier.verify([f"Bearer {token}"])
    assert verifier.cache_hits == 1
    clock[0] = real + 30  # exp reached: the cache answers no more, the full check runs again
    await verifier.verify([f"Bearer {token}"])
    assert verifier.verifications == 2
