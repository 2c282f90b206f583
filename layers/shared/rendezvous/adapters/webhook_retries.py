"""DeliveryRetries on EventBridge Scheduler: a one-time schedule per delivery and attempt
that puts the delivery on the deliveries queue at its time, then deletes itself."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rendezvous.adapters.scheduler import create_one_time_schedule
from rendezvous.domain.webhooks import Delivery

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient


def retry_schedule_name(delivery_id: str, attempt: int) -> str:
    """Deterministic, so planning the same attempt again is a ConflictException: done."""
    return f"whk-{delivery_id}-{attempt}"[:64]


def retry_message(delivery: Delivery, attempt: int) -> str:
    """The deliveries queue's message: which delivery, and which attempt is due."""
    return json.dumps(
        {
            "tenant_id": delivery.tenant_id,
            "endpoint_id": delivery.endpoint_id,
            "delivery_id": delivery.delivery_id,
            "attempt": attempt,
        },
        separators=(",", ":"),
    )


class SchedulerDeliveryRetries:
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

    def schedule_retry(self, delivery: Delivery, attempt: int, at: datetime) -> None:
        # at() has whole seconds; rounding up keeps the retry no earlier than planned.
        due = at + timedelta(seconds=1) if at.microsecond else at
        create_one_time_schedule(
            self._client,
            name=retry_schedule_name(delivery.delivery_id, attempt),
            group=self._group,
            due=due,
            target_arn=self._target_arn,
            role_arn=self._role_arn,
            dead_letter_arn=self._dead_letter_arn,
            payload=retry_message(delivery, attempt),
        )
