"""Service settings from environment variables, one prefix per service (e.g. ``TALENT_``).

Invalid settings stop start-up with one clear line naming the variable (see ``load_settings``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar, Literal, TypeVar

import jwt
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.auth import LocalIssuer, StaticKey

JwksAlgorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
StaticAlgorithm = Literal[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
]
DEFAULT_JWKS_ALGORITHMS: tuple[JwksAlgorithm, ...] = ("RS256", "ES256", "EdDSA")
PROD_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``env_prefix`` and the defaults that differ."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    #: The service's name: its PostgreSQL schema, its ErrorInfo domain, its log and metric label.
    service_name: ClassVar[str]

    environment: Literal["dev", "prod"] = "dev"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Unset means: start the embedded PostgreSQL under ``data_dir`` (development only).
    database_url: SecretStr | None = None
    data_dir: Path = Path(".data")
    db_pool_min_size: int = Field(default=2, ge=1, le=100)
    db_pool_max_size: int = Field(default=10, ge=1, le=200)
    db_command_timeout_seconds: float = Field(default=10.0, gt=0, le=600)

    grpc_port: int = Field(ge=0, le=65535)
    metrics_port: int = Field(ge=0, le=65535)
    # In-flight RPCs get this long to finish after SIGTERM; Kubernetes' terminationGracePeriodSeconds
    # must stay above it.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    # After SIGTERM the server reports NOT_SERVING and keeps accepting calls this long, so that load
    # balancers and readiness probes take it out of rotation before the listener closes.
    shutdown_drain_seconds: float = Field(default=5.0, ge=0, le=60)
    health_check_interval_seconds: float = Field(default=2.0, gt=0, le=60)

    # --- identity: tokens, binding, reflection (owned with services/common/auth.py) ---------------
    # Where the server listens. Empty: loopback in dev (127.0.0.1), every interface in prod ([::] for
    # gRPC, 0.0.0.0 for metrics), as the Kubernetes manifests need.
    grpc_host: str = Field(default="", validate_default=True)
    metrics_host: str = Field(default="", validate_default=True)
    # Server reflection (grpcurl and other tools). Unset: on in dev, off in prod.
    reflection_enabled: bool = Field(default=None, validate_default=True)

    # The bureau's identity provider. Its tokens must carry this iss and aud (both required in prod).
    jwt_issuer: str | None = Field(default=None, validate_default=True)
    jwt_audience: str | None = Field(default=None, validate_default=True)
    # Its keys: the JWKS endpoint (keys rotated by the IdP, cached by kid) or one static key.
    jwt_jwks_url: str | None = Field(default=None, validate_default=True)
    jwt_jwks_algorithms: list[JwksAlgorithm] = Field(
        default_factory=lambda: list(DEFAULT_JWKS_ALGORITHMS), min_length=1
    )
    jwt_jwks_cache_seconds: float = Field(default=300.0, ge=10, le=86400)
    # An unknown kid refetches the JWKS at most this often (a flood of made-up kids cannot flood the IdP).
    jwt_jwks_min_refresh_seconds: float = Field(default=30.0, ge=1, le=3600)
    # The static key: HS256/384/512 the shared secret; the others the PEM public key.
    jwt_algorithm: StaticAlgorithm = "HS256"
    jwt_key: SecretStr | None = Field(default=None, min_length=16, validate_default=True)
    # exp - iat may not exceed this. Unset: 24 h in prod, no limit in dev (development tokens last days).
    jwt_max_lifetime_seconds: int | None = Field(default=None, ge=60, le=90 * 86400, validate_default=True)
    # Clock skew allowed on exp, nbf and iat.
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    # Verified tokens are remembered (by hash) until exp, at most this long, so that the usual call
    # verifies no signature.
    jwt_cache_size: int = Field(default=10_000, ge=0, le=1_000_000)
    jwt_cache_seconds: float = Field(default=60.0, ge=0, le=3600)
    # The service's own issuer (e.g. judge tokens for the judges' portal): its iss, key (HS256 secret
    # of 32+ characters, or an Ed25519 private key PEM for EdDSA), the roles it may grant and the
    # longest lifetime it mints. Its tokens carry the service's name as aud.
    jwt_local_issuer: str | None = Field(default=None, validate_default=True)
    jwt_local_algorithm: Literal["HS256", "EdDSA"] = "HS256"
    jwt_local_roles: list[str] = Field(default_factory=list)
    jwt_local_max_lifetime_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 86400)
    jwt_local_key: SecretStr | None = Field(default=None, validate_default=True)

    # Signs page tokens so that clients cannot forge keyset positions.
    page_token_secret: SecretStr = Field(min_length=16)

    # Business gauges are read from PostgreSQL at scrape time and cached this long.
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # How long a request_id is honoured (AIP-155): older keys are deleted.
    request_id_retention_hours: float = Field(default=7 * 24, gt=0, le=24 * 365)

    # --- Platform: per-call cost, load bounds (services/common/interceptors.py, logs.py) ---
    # Share of the successful reads (Get*, List*, Search*, Verify*) that get an access-log line (0..1;
    # 0.1 keeps one in ten). Every call that fails is always logged, whatever the rate; Prometheus
    # counts every call. A line costs the service about as much CPU as a read's
    # own platform work (README, Operating at scale): 1 logs every read.
    access_log_sample_rate: float = Field(default=0.1, ge=0.0, le=1.0)
    # The same for the successful writes (every other method). 1, the default, logs each: in talent
    # the line is the only per-call record of who wrote. A line costs a write about 0.05 ms of
    # service CPU under load (README, Operating at scale), so where writes come by the thousand a
    # second and Prometheus' counts suffice, a lower rate buys capacity; failures stay logged.
    access_log_write_sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    # Calls of the service's own API served at once by one replica (health and reflection are exempt).
    # Further calls wait up to rpc_queue_timeout_seconds for a slot, then answer RESOURCE_EXHAUSTED with
    # a RetryInfo: the event loop never holds more work than it can turn around quickly.
    max_concurrent_rpcs: int = Field(default=32, ge=1, le=10000)
    rpc_queue_timeout_seconds: float = Field(default=2.0, ge=0, le=60)
    # asyncio's event loop implementation: uvloop is measurably cheaper per call with grpc.aio.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"

    # --- identity validators: one error per bad variable, naming it (see load_settings) ---------

    @classmethod
    def _prefix(cls) -> str:
        return str(cls.model_config.get("env_prefix", "")).upper()

    @staticmethod
    def _prod(info: ValidationInfo) -> bool:
        return bool(info.data.get("environment") == "prod")

    @field_validator("grpc_host", "metrics_host", mode="before")
    @classmethod
    def _bind_by_environment(cls, value: object, info: ValidationInfo) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            if not cls._prod(info):
                return "127.0.0.1"
            return "[::]" if info.field_name == "grpc_host" else "0.0.0.0"
        return value

    @field_validator("reflection_enabled", mode="before")
    @classmethod
    def _reflection_by_environment(cls, value: object, info: ValidationInfo) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return not cls._prod(info)
        return value

    @field_validator("jwt_issuer", "jwt_audience", mode="after")
    @classmethod
    def _required_in_prod(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        if value is None and cls._prod(info):
            raise PydanticCustomError(
                "missing", "Field required when {prefix}ENVIRONMENT is prod", {"prefix": cls._prefix()}
            )
        return value

    @field_validator("jwt_jwks_url", mode="after")
    @classmethod
    def _jwks_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        if value is None:
            return None
        scheme = value.partition("://")[0].lower()
        if scheme != "https" and (scheme != "http" or cls._prod(info)):
            raise ValueError("must be an https:// URL" + ("" if cls._prod(info) else " (or http:// in dev)"))
        return value

    @field_validator("jwt_key", mode="after")
    @classmethod
    def _one_key_source(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        prefix = cls._prefix()
        jwks = info.data.get("jwt_jwks_url")
        if value is None and jwks is None:
            if "jwt_jwks_url" not in info.data:  # the URL itself is invalid and reported
                return None
            raise PydanticCustomError(
                "missing", "Field required unless {prefix}JWT_JWKS_URL is set", {"prefix": prefix}
            )
        if value is not None and jwks is not None:
            raise ValueError(f"set {prefix}JWT_KEY (a static key) or {prefix}JWT_JWKS_URL, not both")
        algorithm = info.data.get("jwt_algorithm")
        if value is not None and algorithm is not None:
            try:
                StaticKey(value.get_secret_value(), algorithm)
            except (jwt.PyJWTError, ValueError, TypeError):
                kind = "a shared secret (not a PEM key)" if algorithm.startswith("HS") else "a PEM public key"
                raise ValueError(
                    f"is not a valid {algorithm} key: {prefix}JWT_ALGORITHM={algorithm} needs {kind}"
                ) from None
        return value

    @field_validator("jwt_max_lifetime_seconds", mode="after")
    @classmethod
    def _lifetime_by_environment(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and cls._prod(info):
            return PROD_MAX_TOKEN_LIFETIME_SECONDS
        return value

    @field_validator("jwt_local_issuer", mode="after")
    @classmethod
    def _local_issuer_is_another(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        if value is not None and value == info.data.get("jwt_issuer"):
            raise ValueError(f"must differ from {cls._prefix()}JWT_ISSUER (the identity provider)")
        return value

    @field_validator("jwt_local_roles", mode="after")
    @classmethod
    def _local_roles(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("jwt_local_issuer") is not None:
            if not value:
                raise ValueError(
                    f"required when {cls._prefix()}JWT_LOCAL_ISSUER is set, e.g. '[\"{cls.service_name}.judge\"]'"
                )
            foreign = [r for r in value if not r.startswith(f"{cls.service_name}.")]
            if foreign:
                raise ValueError(f"a local issuer grants only {cls.service_name}.* roles, not {', '.join(foreign)}")
        return value

    @field_validator("jwt_local_key", mode="after")
    @classmethod
    def _local_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        issuer = info.data.get("jwt_local_issuer")
        if issuer is None:
            return value
        if value is None:
            raise PydanticCustomError(
                "missing", "Field required when {prefix}JWT_LOCAL_ISSUER is set", {"prefix": cls._prefix()}
            )
        algorithm = info.data.get("jwt_local_algorithm")
        if algorithm is not None:
            try:
                LocalIssuer(
                    issuer, value.get_secret_value(), algorithm=algorithm, audience=cls.service_name, roles=["x"]
                )
            except (ValueError, TypeError) as error:
                wanted = "a secret of 32+ characters" if algorithm == "HS256" else "an Ed25519 private key (PEM)"
                raise ValueError(f"is not a valid {algorithm} key: {wanted}") from error
        return value

    @model_validator(mode="after")
    def _pool_sizes_in_order(self) -> ServiceSettings:
        if self.db_pool_min_size > self.db_pool_max_size:
            prefix = str(self.model_config.get("env_prefix", "")).upper()
            raise ValueError(
                f"{prefix}DB_POOL_MIN_SIZE ({self.db_pool_min_size}) exceeds "
                f"{prefix}DB_POOL_MAX_SIZE ({self.db_pool_max_size})"
            )
        return self


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Read settings from the environment or exit with one line per bad variable."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        for error in exc.errors():
            if error["loc"]:
                variable = (prefix + "_".join(str(p) for p in error["loc"])).upper()
                print(f"invalid setting {variable}: {error['msg']}", file=sys.stderr)
            else:  # a rule across several variables names them in its message
                print(f"invalid settings: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
