from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings
from services.competition.domain.landing import (
    DEFAULT_STAGE_PROBABILITIES,
    DEFAULT_UNRECORDED_PROBABILITY,
    LANDED_STAGES,
    LandingStage,
)


class CompetitionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMPETITION_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "competition"

    grpc_port: int = Field(default=50052, ge=0, le=65535)
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    # Rank robustness: bootstrap resamples of the score sheets (fixed seed, reproducible).
    bootstrap_resamples: int = Field(default=1000, ge=1000, le=100000)
    # Probability that a pool entry at a stage ends landed, for the projected landed count, e.g.
    # '{"INTENT": 0.3, "SIGNED": 0.7}' (JSON). Landed stages count 1 and DROPPED 0 whatever is set.
    landing_stage_probabilities: dict[LandingStage, float] = Field(
        default_factory=lambda: dict(DEFAULT_STAGE_PROBABILITIES)
    )
    # The same for pool entries without a landing record yet.
    landing_unrecorded_probability: float = Field(default=DEFAULT_UNRECORDED_PROBABILITY, ge=0.0, le=1.0)
    # Judges' portal: the key of the invitation links' HMAC (unset: derived from the page-token secret,
    # so changing either invalidates every link), and the lifetime of the access tokens that redeeming
    # an invitation mints (the portal refreshes them; a revoked invitation ends access within it).
    invitation_secret: SecretStr | None = Field(default=None, min_length=16)
    judge_access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)

    # The audit log (services.competition.app.audit): how often each replica tries to seal, how many
    # records a pass seals at most, and when the sealer signs a checkpoint of the chain's head (after
    # this many records, or this long after the last checkpoint, whichever comes first).
    audit_seal_interval_seconds: float = Field(default=0.5, gt=0, le=60)
    audit_seal_batch: int = Field(default=1000, ge=1, le=100_000)
    audit_checkpoint_every_records: int = Field(default=1000, ge=1, le=1_000_000)
    audit_checkpoint_every_seconds: float = Field(default=5.0, gt=0, le=3600)
    # Tests stop the sealer to look at unsealed records; production never does.
    audit_sealer_enabled: bool = True
    # The Ed25519 seed (64 hex characters) that signs checkpoints. Unset: derived from the page-token
    # secret (every replica has it). Set it to sign with a key of its own and publish its public key.
    audit_signing_key: SecretStr | None = None

    @field_validator("audit_signing_key")
    @classmethod
    def _ed25519_seed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            text = value.get_secret_value()
            if len(text) != 64 or any(c not in "0123456789abcdefABCDEF" for c in text):
                raise ValueError("must be 64 hexadecimal characters (a 32-byte Ed25519 seed)")
        return value

    @field_validator("landing_stage_probabilities")
    @classmethod
    def _open_stages_between_0_and_1(cls, value: dict[LandingStage, float]) -> dict[LandingStage, float]:
        for stage, probability in value.items():
            if stage in LANDED_STAGES or stage is LandingStage.DROPPED:
                raise ValueError(f"{stage} is not an open landing stage (only INTENT and SIGNED are projected)")
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"the probability of {stage} must be between 0 and 1")
        return {**DEFAULT_STAGE_PROBABILITIES, **value}
