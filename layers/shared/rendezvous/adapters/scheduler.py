"""ReminderScheduler on EventBridge Scheduler: one-time schedules that put a send request on
the outbound queue at its time (the target ARN is the queue's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from rendezvous.domain.models import TextRequest

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient


def create_one_time_schedule(
    client: EventBridgeSchedulerClient,
    *,
    name: str,
    group: str,
    due: datetime,
    target_arn: str,
    role_arn: str,
    dead_letter_arn: str,
    payload: str,
) -> None:
    """A one-time schedule (whole seconds of `due`, UTC) that sends `payload` to the target
    queue through the role, then deletes itself. Its name says what it is for, so one that
    exists already (a ConflictException) was made by a retried request: done."""
    when = due.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()
    try:
        client.create_schedule(
            Name=name,
            GroupName=group,
            ScheduleExpression=f"at({when})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": target_arn,
                "RoleArn": role_arn,
                "Input": payload,
                "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600},
                "DeadLetterConfig": {"Arn": dead_letter_arn},
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConflictException":
            raise


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

    def schedule(self, name: str, at: datetime, request: TextRequest) -> None:
        create_one_time_schedule(
            self._client,
            name=name,
            group=self._group,
            due=at,
            target_arn=self._target_arn,
            role_arn=self._role_arn,
            dead_letter_arn=self._dead_letter_arn,
            payload=request.model_dump_json(),
        )

    def cancel(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
