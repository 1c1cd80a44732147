"""Bearer-JWT authentication. Identity and roles come from the verified token, never from a
request field. Roles are ``<service>.<role>``, e.g. ``talent.editor``; ``<service>.admin`` may do all.

A service trusts one or more issuers, chosen by the token's ``iss``: the bureau's identity provider
(a static key, or its JWKS endpoint with rotating keys) and, optionally, a local issuer of the
service's own (e.g. short-lived judge tokens minted after an invitation is redeemed). A token
verified once is remembered in a bounded cache until its ``exp`` (at most ``cache_seconds``), so that
the usual call costs a dictionary lookup and no cryptography.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from services.common.errors import Code, DomainError
from services.common.text import control_character

if TYPE_CHECKING:
    from services.common.settings import ServiceSettings

log = logging.getLogger(__name__)

#: Algorithms of public keys: what a JWKS may serve. HS* never comes from a JWKS and "none" never
#: verifies anything, so neither an HMAC secret nor an unsigned token can pass for an IdP token.
ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
STATIC_ALGORITHMS: Final = frozenset({"HS256", "HS384", "HS512"} | ASYMMETRIC_ALGORITHMS)
# gRPC refuses metadata above 8 KiB by default; anything longer is not a token of ours.
MAX_TOKEN_LENGTH: Final = 8192
MAX_SUBJECT_LENGTH: Final = 256


@dataclass(frozen=True)
class Caller:
    subject: str
    roles: frozenset[str]
    #: The ``iss`` of the token (None for development tokens without one).
    issuer: str | None = None

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles.intersection(roles))


current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)


def unauthenticated(message: str) -> DomainError:
    return DomainError(Code.UNAUTHENTICATED, "UNAUTHENTICATED", message)


# --- key sets ------------------------------------------------------------------------------------


class KeySet(Protocol):
    #: The algorithms a token verified with these keys may declare.
    algorithms: tuple[str, ...]

    async def key(self, kid: str | None) -> Any:
        """The key that verifies a token whose header names ``kid``; UNAUTHENTICATED if none."""
        ...


class StaticKey:
    """One configured key of one algorithm: an HMAC secret, or a PEM public key."""

    def __init__(self, key: str | bytes | Any, algorithm: str) -> None:
        if algorithm not in STATIC_ALGORITHMS:
            raise ValueError(f"unsupported JWT algorithm {algorithm!r}")
        self.algorithms: tuple[str, ...] = (algorithm,)
        # Parsed once, so that a wrong key (a PEM given as an HMAC secret, a secret given as a
        # public key) stops start-up instead of failing every call.
        self._key = jwt.PyJWS().get_algorithm_by_name(algorithm).prepare_key(key)

    async def key(self, kid: str | None) -> Any:
        return self._key


class JwksKeys:
    """The public keys of an identity provider's JWKS endpoint, cached by ``kid``.

    The set is fetched (in a thread: the event loop never waits on the network) when it is older
    than ``cache_seconds`` or when a token names an unknown ``kid`` — but at most once per
    ``min_refresh_seconds``, so that a flood of tokens with made-up kids cannot flood the IdP.
    While the IdP cannot be reached the cached keys keep verifying. A key the IdP no longer
    publishes is dropped at the next fetch, and so are the cached tokens it signed.
    """

    def __init__(
        self,
        url: str,
        *,
        algorithms: Collection[str] = ("RS256", "ES256", "EdDSA"),
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        unsafe = set(algorithms) - ASYMMETRIC_ALGORITHMS
        if unsafe or not algorithms:
            raise ValueError(f"a JWKS serves public keys only; not allowed: {sorted(unsafe) or 'no algorithm'}")
        self.url = url
        self.algorithms = tuple(sorted(algorithms))
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._client = jwt.PyJWKClient(url, cache_jwk_set=False, timeout=timeout_seconds)
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0
        #: Called with the kids a fetch no longer found (the verifier forgets their tokens).
        self.on_removed: Callable[[set[str]], None] | None = None

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    async def key(self, kid: str | None) -> Any:
        if not kid:
            raise unauthenticated("invalid token: its header names no signing key (kid)")
        requested = self._clock()
        if self._fetched_at is None or requested - self._fetched_at >= self.cache_seconds:
            await self.refresh(requested)
        found = self._keys.get(kid)
        if found is None:
            await self.refresh(requested)
            found = self._keys.get(kid)
        if found is None:
            raise unauthenticated("invalid token: signed with a key the identity provider does not publish")
        return found

    async def refresh(self, requested: float | None = None) -> None:
        """Fetch the set unless another call did since ``requested`` or the last attempt is too recent."""
        requested = self._clock() if requested is None else requested
        async with self._lock:
            last = self._attempted_at
            if last is not None and (last >= requested or self._clock() - last < self.min_refresh_seconds):
                return
            self._attempted_at = self._clock()
            self.fetches += 1
            try:
                jwk_set = await asyncio.to_thread(self._client.get_jwk_set)
            except Exception as error:  # unreachable, not JSON, no usable key: keep what we have
                log.warning(
                    "could not fetch the JWKS; cached keys stay in use",
                    extra={"fields": {"url": self.url, "error": str(error), "cached_keys": len(self._keys)}},
                )
                return
            keys = {
                k.key_id: k
                for k in jwk_set.keys
                if k.key_id and k.public_key_use in ("sig", None) and k.algorithm_name in self.algorithms
            }
            removed = set(self._keys) - set(keys)
            self._keys = keys
            self._fetched_at = self._clock()
            if removed and self.on_removed is not None:
                self.on_removed(removed)


# --- issuers and the verifier --------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """A trusted token issuer."""

    #: The ``iss`` its tokens carry; None: tokens without ``iss`` (development only).
    name: str | None
    keys: KeySet
    #: Checked when set: the token's ``aud`` must contain it.
    audience: str | None = None
    #: When set, ``iat`` is required and ``exp - iat`` may not exceed it.
    max_lifetime_seconds: float | None = None
    #: When set, the only roles its tokens may carry (a local issuer never grants more).
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class _Remembered:
    caller: Caller
    expires_at: float  # wall clock, like exp
    key: tuple[str | None, str] | None  # (issuer, kid) of a JWKS key


class TokenVerifier:
    """Verifies the bearer token of a call against the trusted issuers."""

    def __init__(
        self,
        issuers: Sequence[Issuer],
        *,
        leeway_seconds: float = 30.0,
        cache_size: int = 10_000,
        cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuers = {issuer.name: issuer for issuer in issuers}
        if len(self._issuers) != len(issuers):
            raise ValueError("two trusted issuers have the same name")
        self.leeway_seconds = leeway_seconds
        self.cache_size = cache_size
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._cache: OrderedDict[bytes, _Remembered] = OrderedDict()
        self.cache_hits = 0
        self.verifications = 0
        for issuer in issuers:
            if isinstance(issuer.keys, JwksKeys):
                issuer.keys.on_removed = lambda kids, name=issuer.name: self._forget_keys(name, kids)

    @classmethod
    def static(cls, key: str, algorithm: str = "HS256", **options: Any) -> TokenVerifier:
        """One issuer with one static key and no ``iss``/``aud`` checks (development and tests)."""
        return cls([Issuer(None, StaticKey(key, algorithm))], **options)

    async def verify(self, values: Sequence[str]) -> Caller:
        """The caller of a call whose ``authorization`` metadata values are ``values`` (in order)."""
        if not values:
            raise unauthenticated("missing bearer token in the authorization metadata")
        if len(values) > 1:
            raise unauthenticated("exactly one authorization header is allowed")
        scheme, _, token = values[0].partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated("the authorization metadata must be 'Bearer <token>'")
        if len(token) > MAX_TOKEN_LENGTH:
            raise unauthenticated(f"invalid token: longer than {MAX_TOKEN_LENGTH} characters")
        # The cache keeps digests, never tokens. BLAKE2b is CPython's own code; hashlib's SHA-256
        # goes through OpenSSL 3, whose per-call set-up costs several µs under load.
        digest = hashlib.blake2b(token.encode(), digest_size=32).digest()
        now = self._clock()
        remembered = self._cache.get(digest)
        if remembered is not None:
            if now < remembered.expires_at:
                self._cache.move_to_end(digest)
                self.cache_hits += 1
                return remembered.caller
            del self._cache[digest]
        caller, expires, key = await self._verify(token, now)
        expires_at = min(expires, now + self.cache_seconds)
        if expires_at > now and self.cache_size > 0:
            self._cache[digest] = _Remembered(caller, expires_at, key)
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return caller

    def _forget_keys(self, issuer: str | None, kids: set[str]) -> None:
        gone = [d for d, r in self._cache.items() if r.key is not None and r.key[0] == issuer and r.key[1] in kids]
        for digest in gone:
            del self._cache[digest]

    async def _verify(self, token: str, now: float) -> tuple[Caller, float, tuple[str | None, str] | None]:
        self.verifications += 1
        try:
            # Unverified, only to pick the issuer and the key; nothing of it is trusted before the
            # signature check below.
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"invalid token: {exc}") from None
        header, iss = unverified["header"], unverified["payload"].get("iss")
        if iss is not None and not isinstance(iss, str):
            raise unauthenticated("invalid token: the iss claim must be a string")
        issuer = self._issuers.get(iss)
        if issuer is None:
            raise unauthenticated("invalid token: its issuer is not trusted" if iss else "invalid token: no iss claim")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise unauthenticated("invalid token: the kid header must be a string")
        key = await issuer.keys.key(kid)
        required = ["sub", "exp"]
        if issuer.max_lifetime_seconds is not None:
            required.append("iat")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(issuer.keys.algorithms),
                audience=issuer.audience,
                issuer=issuer.name,
                leeway=self.leeway_seconds,
                options={"require": required, "verify_aud": issuer.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"invalid token: {exc}") from None
        caller = _caller_of(claims, issuer)
        expires = float(claims["exp"])
        return caller, expires, ((issuer.name, kid) if isinstance(issuer.keys, JwksKeys) and kid else None)


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise unauthenticated(f"invalid token: the {name} claim must be a number of seconds")
    return float(value)


def _caller_of(claims: dict[str, Any], issuer: Issuer) -> Caller:
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.strip():
        raise unauthenticated("invalid token: the sub claim must be a non-blank string")
    if len(subject) > MAX_SUBJECT_LENGTH or control_character(subject) is not None:
        raise unauthenticated(
            f"invalid token: the sub claim must be at most {MAX_SUBJECT_LENGTH} characters without control characters"
        )
    expires, issued = _number(claims, "exp"), _number(claims, "iat")
    _number(claims, "nbf")
    limit = issuer.max_lifetime_seconds
    if limit is not None and expires is not None and issued is not None and expires - issued > limit:
        raise unauthenticated(
            f"invalid token: valid for {expires - issued:.0f} s, more than the allowed {limit:.0f} s (exp - iat)"
        )
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise unauthenticated("invalid token: the roles claim must be a list of strings")
    if issuer.roles is not None and not issuer.roles.issuperset(roles):
        raise unauthenticated("invalid token: it carries roles its issuer may not grant")
    return Caller(subject=subject, roles=frozenset(roles), issuer=issuer.name)


# --- minting ------------------------------------------------------------------------------------


def mint_token(
    key: str,
    subject: str,
    roles: Sequence[str],
    *,
    ttl_seconds: int = 30 * 86400,
    algorithm: str = "HS256",
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
) -> str:
    """A token for development and tests; production tokens come from the identity provider."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"sub": subject, "roles": list(roles), "iat": issued, "exp": issued + ttl_seconds}
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, key, algorithm=algorithm)


class LocalIssuer:
    """Tokens a service mints itself and trusts: e.g. the competition service gives a judge who
    redeemed an invitation a short-lived token for the judges' portal. Its tokens carry its own
    ``iss``, the service as ``aud``, and only the roles it was configured to grant."""

    def __init__(
        self,
        name: str,
        key: str,
        *,
        algorithm: Literal["HS256", "EdDSA"] = "HS256",
        audience: str,
        roles: Iterable[str],
        max_lifetime_seconds: int = 8 * 3600,
    ) -> None:
        self.name = name
        self.audience = audience
        self.algorithm = algorithm
        self.roles = frozenset(roles)
        self.max_lifetime_seconds = max_lifetime_seconds
        if not self.roles:
            raise ValueError("a local issuer needs the roles it may grant")
        signing: Any
        verifying: Any
        if algorithm == "HS256":
            if len(key) < 32:
                raise ValueError("an HS256 key of a local issuer needs at least 32 characters")
            signing = verifying = key
        else:
            signing = load_pem_private_key(key.encode(), password=None)
            if not isinstance(signing, Ed25519PrivateKey):
                raise ValueError("an EdDSA local issuer needs an Ed25519 private key (PEM)")
            verifying = signing.public_key()
        self._signing = signing
        self.trusted = Issuer(name, StaticKey(verifying, algorithm), audience, float(max_lifetime_seconds), self.roles)

    def mint(self, subject: str, roles: Sequence[str], ttl_seconds: int, *, now: float | None = None) -> str:
        """A token for ``subject`` (e.g. the judge's resource id) with ``roles``, valid ``ttl_seconds``."""
        if not subject.strip() or control_character(subject) is not None or len(subject) > MAX_SUBJECT_LENGTH:
            raise ValueError("the subject must be a non-blank id without control characters")
        if not set(roles) <= self.roles:
            raise ValueError(f"this issuer grants only {', '.join(sorted(self.roles))}")
        if not 0 < ttl_seconds <= self.max_lifetime_seconds:
            raise ValueError(f"the lifetime must be between 1 and {self.max_lifetime_seconds} seconds")
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.name,
            "aud": self.audience,
            "sub": subject,
            "roles": list(roles),
            "iat": issued,
            "exp": issued + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._signing, algorithm=self.algorithm)


# --- from settings ------------------------------------------------------------------------------


def local_issuer(settings: ServiceSettings) -> LocalIssuer | None:
    """The service's own issuer, when ``*_JWT_LOCAL_ISSUER`` is set."""
    if settings.jwt_local_issuer is None or settings.jwt_local_key is None:
        return None
    return LocalIssuer(
        settings.jwt_local_issuer,
        settings.jwt_local_key.get_secret_value(),
        algorithm=settings.jwt_local_algorithm,
        audience=settings.service_name,
        roles=settings.jwt_local_roles,
        max_lifetime_seconds=settings.jwt_local_max_lifetime_seconds,
    )


def identity_provider(settings: ServiceSettings) -> Issuer:
    """The bureau's identity provider: its JWKS endpoint, or one static key."""
    keys: KeySet
    if settings.jwt_jwks_url is not None:
        keys = JwksKeys(
            settings.jwt_jwks_url,
            algorithms=settings.jwt_jwks_algorithms,
            cache_seconds=settings.jwt_jwks_cache_seconds,
            min_refresh_seconds=settings.jwt_jwks_min_refresh_seconds,
        )
    else:
        assert settings.jwt_key is not None  # the settings require one of the two
        keys = StaticKey(settings.jwt_key.get_secret_value(), settings.jwt_algorithm)
    lifetime = settings.jwt_max_lifetime_seconds
    return Issuer(settings.jwt_issuer, keys, settings.jwt_audience, None if lifetime is None else float(lifetime))


def verifier_from_settings(settings: ServiceSettings, *, extra: Sequence[Issuer] = ()) -> TokenVerifier:
    """The verifier of a service: the identity provider, the local issuer if any, and ``extra``."""
    issuers = [identity_provider(settings)]
    local = local_issuer(settings)
    if local is not None:
        issuers.append(local.trusted)
    return TokenVerifier(
        [*issuers, *extra],
        leeway_seconds=settings.jwt_leeway_seconds,
        cache_size=settings.jwt_cache_size,
        cache_seconds=settings.jwt_cache_seconds,
    )


def require_role(*roles: str) -> Caller:
    """The caller, if it holds one of ``roles``; else PERMISSION_DENIED. Call it first in a
    method, before any lookup, so that a caller without the role learns nothing about existence."""
    caller = current_caller.get()
    if caller is None:
        raise unauthenticated("no authenticated caller")
    if not caller.has_any(roles):
        raise DomainError(
            Code.PERMISSION_DENIED,
            "MISSING_ROLE",
            f"this method needs one of the roles {', '.join(sorted(roles))}",
            metadata={"required_roles": ",".join(sorted(roles))},
        )
    return caller
