"""Service settings from environment variables, one prefix per service (e.g. ``TALENT_``).

Invalid settings stop start-up with one clear line naming the variable (see ``load_settings``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    grpc_host: str = "[::]"
    grpc_port: int = Field(ge=0, le=65535)
    metrics_port: int = Field(ge=0, le=65535)
    # In-flight RPCs get this long to finish after SIGTERM; Kubernetes' terminationGracePeriodSeconds
    # must stay above it.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    # After SIGTERM the server reports NOT_SERVING and keeps accepting calls this long, so that load
    # balancers and readiness probes take it out of rotation before the listener closes.
    shutdown_drain_seconds: float = Field(default=5.0, ge=0, le=60)
    health_check_interval_seconds: float = Field(default=2.0, gt=0, le=60)

    # HS256: the shared secret. RS256/EdDSA: the PEM public key.
    jwt_algorithm: Literal["HS256", "RS256", "EdDSA"] = "HS256"
    jwt_key: SecretStr = Field(min_length=16)
    # Signs page tokens so that clients cannot forge keyset positions.
    page_token_secret: SecretStr = Field(min_length=16)

    # Business gauges are read from PostgreSQL at scrape time and cached this long.
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # How long a request_id is honoured (AIP-155): older keys are deleted.
    request_id_retention_hours: float = Field(default=7 * 24, gt=0, le=24 * 365)

    # --- Platform: per-call cost, load bounds (services/common/interceptors.py, logs.py) ---
    # Share of the INFO access-log lines written (0..1; e.g. 0.1 keeps one call in ten). Calls that end
    # with a server-fault code (Unknown, Internal, Unavailable, DataLoss, DeadlineExceeded) are always
    # logged, whatever the rate.
    access_log_sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    # Calls of the service's own API served at once by one replica (health and reflection are exempt).
    # Further calls wait up to rpc_queue_timeout_seconds for a slot, then answer RESOURCE_EXHAUSTED with
    # a RetryInfo: the event loop never holds more work than it can turn around quickly.
    max_concurrent_rpcs: int = Field(default=32, ge=1, le=10000)
    rpc_queue_timeout_seconds: float = Field(default=2.0, ge=0, le=60)
    # asyncio's event loop implementation: uvloop is measurably cheaper per call with grpc.aio.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"

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
