"""WaveScheduler on EventBridge Scheduler: a one-time schedule per opening and wave that
invokes the vacancy filler at its time, then deletes itself."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from rendezvous.adapters.scheduler import create_one_time_schedule

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient


class WaveRequest(BaseModel):
    """What a wave's schedule hands the vacancy filler. No phone numbers, no names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(min_length=1, max_length=64)
    opening_id: str = Field(min_length=1, max_length=100)
    wave: int = Field(ge=1, le=10_000)


def wave_schedule_name(tenant_id: str, opening_id: str, wave: int) -> str:
    """Deterministic, so planning the same wave again is a ConflictException: done."""
    digest = hashlib.sha256(f"{tenant_id}/{opening_id}".encode()).hexdigest()[:24]
    return f"fill-{digest}-w{wave}"


class SchedulerWaves:
    def __init__(
        self,
        client: EventBridgeSchedulerClient,
        *,
        group: str,
        target_arn: str,
        role_arn: str,
        dead_letter_arn: str,
    ) -> None:
        self._client = client
        self._group = group
        self._target_arn = target_arn
        self._role_arn = role_arn
        self._dead_letter_arn = dead_letter_arn

    def schedule_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        self._create(
            wave_schedule_name(tenant_id, opening_id, wave), tenant_id, opening_id, wave, at
        )

    def hurry_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        # Its own name: the wave's own schedule stays, and runs as a repeat.
        name = wave_schedule_name(tenant_id, opening_id, wave) + "-soon"
        self._create(name, tenant_id, opening_id, wave, at)

    def _create(self, name: str, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        # at() has whole seconds; rounding up keeps a wave no earlier than planned.
        due = at + timedelta(seconds=1) if at.microsecond else at
        request = WaveRequest(tenant_id=tenant_id, opening_id=opening_id, wave=wave)
        create_one_time_schedule(
            self._client,
            name=name,
            group=self._group,
            due=due,
            target_arn=self._target_arn,
            role_arn=self._role_arn,
            dead_letter_arn=self._dead_letter_arn,
            payload=json.dumps(request.model_dump(), separators=(",", ":")),
        )
