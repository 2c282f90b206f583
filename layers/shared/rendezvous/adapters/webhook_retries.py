"""DeliveryRetries on EventBridge Scheduler: a one-time schedule per delivery and attempt
that puts the delivery on the deliveries queue at its time, then deletes itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

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
        due = at.astimezone(UTC).replace(tzinfo=None)
        if due.microsecond:
            due = due.replace(microsecond=0) + timedelta(seconds=1)
        when = due.isoformat()
        try:
            self._client.create_schedule(
                Name=retry_schedule_name(delivery.delivery_id, attempt),
                GroupName=self._group,
                ScheduleExpression=f"at({when})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self._target_arn,
                    "RoleArn": self._role_arn,
                    "Input": retry_message(delivery, attempt),
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600},
                    "DeadLetterConfig": {"Arn": self._dead_letter_arn},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConflictException":
                raise
