"""Settings read from the environment once, at cold start, and validated."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=1)
    twilio_account_sid: str = ""
    twilio_auth_token_param: str = ""
    # Where the official client sends its requests; a local sandbox stands in for Twilio.
    twilio_api_base_url: str | None = None
    # The first pause between the gateway's own tries (the gateway's default). Only the
    # local stack shortens it: its outages play out on a virtual clock, these pauses do not.
    twilio_backoff_seconds: float = Field(default=0.25, ge=0)
    public_base_url_param: str = ""
    outbound_queue_url: str = ""
    schedule_group: str = ""
    # What reminder schedules invoke: the outbound queue, so every send shares its retries.
    schedule_target_arn: str = ""
    # The outbound queue's redrive maxReceiveCount: the sender's last attempt.
    outbound_max_receive_count: int = 0
    scheduler_role_arn: str = ""
    scheduler_dlq_arn: str = ""
    idempotency_table: str = ""
    tenant_claim: str = "custom:tenant_id"
    # Outbound webhooks: the KMS key that seals signing secrets (webhook endpoints' and,
    # for integrations in, Cal.com's), the queue the deliverer takes deliveries from, and
    # (the local stack alone) whether http://127.0.0.1:PORT endpoints are accepted.
    webhook_secrets_key_id: str = ""
    webhook_deliveries_queue_url: str = ""
    # The deliverer's retries: one-time schedules in this group put a delivery on the
    # deliveries queue (the target) through this role.
    webhook_retry_group: str = ""
    webhook_retry_target_arn: str = ""
    webhook_retry_role_arn: str = ""
    webhook_allow_loopback: bool = False
    # Vacancy fill's waves: one-time schedules in this group invoke the vacancy filler (the
    # target) through this role.
    fill_wave_group: str = ""
    fill_wave_target_arn: str = ""
    fill_wave_role_arn: str = ""
    max_body_bytes: int = 16_384

    @classmethod
    def from_env(cls) -> Settings:
        fields = {name: os.environ.get(name.upper()) for name in cls.model_fields}
        return cls.model_validate({k: v for k, v in fields.items() if v not in (None, "")})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
