from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings
from services.talent.domain.models import Stage
from services.talent.domain.stages import OPEN_STAGES
from services.talent.domain.targets import DEFAULT_STAGE_PROBABILITIES


class TalentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TALENT_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "talent"

    grpc_port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    # Keys the hash of identity documents, so that a leaked table cannot be brute-forced offline.
    pii_hash_key: SecretStr = Field(min_length=16)
    # Probability that an open application ends SELECTED, by stage, e.g. '{"APPLIED": 0.5}' (JSON).
    stage_probabilities: dict[Stage, float] = Field(default_factory=lambda: dict(DEFAULT_STAGE_PROBABILITIES))

    @field_validator("stage_probabilities")
    @classmethod
    def _open_stages_between_0_and_1(cls, value: dict[Stage, float]) -> dict[Stage, float]:
        for stage, probability in value.items():
            if stage not in OPEN_STAGES:
                raise ValueError(f"{stage} is not an open stage")
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"the probability of {stage} must be between 0 and 1")
        return {**DEFAULT_STAGE_PROBABILITIES, **value}
