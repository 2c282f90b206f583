"""ReminderScheduler on EventBridge Scheduler: one-time schedules that put a send request on
the outbound queue at its time (the target ARN is the queue's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from rendezvous.domain.models import SendRequest

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient


class EventBridgeReminderScheduler:
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

    def schedule(self, name: str, at: datetime, request: SendRequest) -> None:
        when = at.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()
        try:
            self._client.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=f"at({when})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self._target_arn,
                    "RoleArn": self._role_arn,
                    "Input": request.model_dump_json(),
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600},
                    "DeadLetterConfig": {"Arn": self._dead_letter_arn},
                },
            )
        except ClientError as exc:
            # Same name, same purpose: a retried request already made it.
            if exc.response.get("Error", {}).get("Code") != "ConflictException":
                raise

    def cancel(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
