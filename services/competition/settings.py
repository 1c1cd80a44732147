from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class CompetitionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMPETITION_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "competition"

    grpc_port: int = Field(default=50052, ge=0, le=65535)
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    # Rank robustness: bootstrap resamples of the score sheets (fixed seed, reproducible).
    bootstrap_resamples: int = Field(default=1000, ge=1000, le=100000)
