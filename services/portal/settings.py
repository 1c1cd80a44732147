"""Portal settings from ``PORTAL_*`` environment variables (invalid ones stop start-up with one line each)."""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", frozen=True)

    environment: Literal["dev", "prod"] = "dev"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    http_host: str = "0.0.0.0"
    http_port: int = Field(default=8080, ge=0, le=65535)
    metrics_port: int = Field(default=9103, ge=0, le=65535)
    # The address judges type: used in the links an administrator copies from the progress page.
    public_url: str = "http://127.0.0.1:8080"

    # The competition service, with TLS unless it is plain-text inside the cluster.
    competition_address: str = "127.0.0.1:50052"
    competition_tls: bool = False
    competition_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The portal's own service identity (role competition.portal): it may redeem judge invitations.
    service_token: SecretStr = Field(min_length=16)

    # AES-256-GCM key of the session cookies (any string of >= 32 characters; SHA-256 derives the key).
    # Every replica has the same key, so any replica reads any session. Rotate by moving the old key
    # to session_previous_key: sessions it sealed keep working until they expire.
    session_key: SecretStr = Field(min_length=32)
    session_previous_key: SecretStr | None = Field(default=None, min_length=32)
    session_idle_seconds: int = Field(default=30 * 60, ge=60, le=24 * 3600)
    session_absolute_seconds: int = Field(default=12 * 3600, ge=300, le=14 * 24 * 3600)
    # Secure cookies (and the __Host- prefix): on wherever the portal is reached over TLS (prod).
    secure_cookies: bool | None = None
    # Largest request body (forms are small; anything bigger is refused with a clear page).
    max_body_bytes: int = Field(default=64 * 1024, ge=4096, le=1024 * 1024)
    # Sign-in attempts per client address and minute (forged codes are cheap to try; links are not).
    signin_attempts_per_minute: int = Field(default=20, ge=1, le=1000)
    # Behind an ingress every request comes from it: count failures per X-Forwarded-For client instead.
    trust_forwarded_for: bool = False
    # Administrators may sign in with their own bearer token in a link (dev; prod: OIDC in front).
    admin_token_signin: bool = True

    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.environment == "prod" or self.public_url.startswith("https://")


def load_settings() -> PortalSettings:
    try:
        return PortalSettings()
    except ValidationError as exc:
        for error in exc.errors():
            variable = ("PORTAL_" + "_".join(str(p) for p in error["loc"])).upper()
            print(f"invalid setting {variable}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
