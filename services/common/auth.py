"""Bearer-JWT authentication. Identity and roles come from the verified token, never from a
request field. Roles are ``<service>.<role>``, e.g. ``talent.editor``; ``<service>.admin`` may do all.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jwt

from services.common.errors import Code, DomainError


@dataclass(frozen=True)
class Caller:
    subject: str
    roles: frozenset[str]

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles.intersection(roles))


current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)


def unauthenticated(message: str) -> DomainError:
    return DomainError(Code.UNAUTHENTICATED, "UNAUTHENTICATED", message)


class TokenVerifier:
    def __init__(self, key: str, algorithm: str) -> None:
        self.key = key
        self.algorithm = algorithm

    def verify(self, values: Sequence[str]) -> Caller:
        """The caller of every ``authorization`` metadata value of a call (two of them are refused:
        which one a proxy or a server would honour is ambiguous)."""
        if len(values) > 1:
            raise unauthenticated("more than one authorization metadata value")
        authorization = values[0] if values else ""
        if not authorization:
            raise unauthenticated("missing bearer token in the authorization metadata")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated("the authorization metadata must be 'Bearer <token>'")
        try:
            claims = jwt.decode(
                token.strip(), self.key, algorithms=[self.algorithm], options={"require": ["sub", "exp"]}
            )
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"invalid token: {exc}") from None
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise unauthenticated("invalid token: the roles claim must be a list of strings")
        return Caller(subject=str(claims["sub"]), roles=frozenset(roles))


def mint_token(
    key: str, subject: str, roles: Sequence[str], *, ttl_seconds: int = 30 * 86400, algorithm: str = "HS256"
) -> str:
    """A token for development and tests; production tokens come from the identity provider."""
    now = int(time.time())
    return jwt.encode(
        {"sub": subject, "roles": list(roles), "iat": now, "exp": now + ttl_seconds}, key, algorithm=algorithm
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
