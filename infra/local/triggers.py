"""What invokes functions besides HTTP: EventBridge Scheduler schedules and SQS event sources.

Both read moto, so whatever the functions create (schedules, messages) is what runs.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from infra.local.functions import FunctionInvoker
from infra.local.pipes import PipeRunner
from infra.template import ACCOUNT_ID, REGION, LocalStack, resources_of, sqs_sources

log = logging.getLogger("infra.local.triggers")

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def due_time(expression: str, timezone: str | None) -> datetime | None:
    """When a one-time `at(...)` schedule fires; None for rate()/cron() (not emulated)."""
    match = _AT.match(expression.strip())
    if match is None:
        return None
    local = datetime.fromisoformat(match.group(1))
    return local.replace(tzinfo=ZoneInfo(timezone or "UTC")).astimezone(UTC)


@dataclass(frozen=True)
class DueSchedule:
    name: str
    group: str
    due_at: datetime


@dataclass(frozen=True)
class FiredSchedule:
    name: str
    group: str
    due_at: datetime
    target: str  # the function's logical id, or the target ARN when it is not a function
    outcome: str  # "invoked", "failed" (after retries, sent to the DLQ), "unknown_target"

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "group": self.group,
            "due_at": self.due_at.isoformat(),
            "target": self.target,
            "outcome": self.outcome,
        }


class ScheduleRunner:
    """Fires one-time schedules that have fallen due, as EventBridge Scheduler would."""

    def __init__(
        self,
        stack: LocalStack,
        invoker: FunctionInvoker,
        scheduler: Any,
        sqs: Any,
    ) -> None:
        self._stack = stack
        self._invoker = invoker
        self._scheduler = scheduler
        self._sqs = sqs
        # Completed schedules kept by ActionAfterCompletion NONE: never fire twice.
        self._completed: set[tuple[str, str]] = set()
        self._details: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def _summaries(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self._scheduler.list_schedules(**kwargs)
            found.extend(page.get("Schedules", []))
            token = page.get("NextToken")
            if not token:
                return found
            kwargs["NextToken"] = token

    def _get(self, name: str, group: str) -> dict[str, Any] | None:
        try:
            details: dict[str, Any] = self._scheduler.get_schedule(Name=name, GroupName=group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
        return details

    def _expression(self, summary: dict[str, Any]) -> tuple[str, str | None] | None:
        if "ScheduleExpression" in summary:  # moto's summaries carry it; AWS's do not
            return summary["ScheduleExpression"], summary.get("ScheduleExpressionTimezone")
        key = (summary["Arn"], str(summary.get("LastModificationDate")))
        if key not in self._details:
            details = self._get(summary["Name"], summary.get("GroupName") or "default")
            if details is None:
                return None
            self._details[key] = details
        details = self._details[key]
        return details["ScheduleExpression"], details.get("ScheduleExpressionTimezone")

    def due(self, until: datetime) -> list[DueSchedule]:
        """Enabled one-time schedules due at or before `until`, earliest first."""
        found: list[DueSchedule] = []
        for summary in self._summaries():
            if summary.get("State", "ENABLED") != "ENABLED":
                continue
            expression = self._expression(summary)
            if expression is None:
                continue
            when = due_time(*expression)
            key = (summary["Arn"], expression[0])
            if when is None or when > until or key in self._completed:
                continue
            found.append(DueSchedule(summary["Name"], summary.get("GroupName") or "default", when))
        found.sort(key=lambda d: (d.due_at, d.group, d.name))
        return found

    def fire(self, due: DueSchedule) -> FiredSchedule | None:
        """Invoke the schedule's target with its input, then complete the schedule."""
        details = self._get(due.name, due.group)
        if details is None:  # deleted meanwhile (a cancellation raced us)
            return None
        target = details.get("Target") or {}
        raw = target.get("Input")
        payload: Any = json.loads(raw) if raw else {}
        arn = str(target.get("Arn", ""))
        logical = self._invoker.logical_for_arn(arn)
        if logical is not None:
            outcome = "invoked" if self._invoke_async(logical, payload) else "failed"
        elif (queue_url := self._queue_url_for_arn(arn)) is not None:
            self._sqs.send_message(QueueUrl=queue_url, MessageBody=raw or "{}")
            outcome, logical = "invoked", arn
        else:
            log.warning("schedule %s/%s targets %s, which is not local", due.group, due.name, arn)
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
            self._dead_letter(dead_letter, raw or "{}", "unknown target")
            outcome, logical = "unknown_target", arn
        if details.get("ActionAfterCompletion") == "DELETE":
            try:
                self._scheduler.delete_schedule(Name=due.name, GroupName=due.group)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
        else:
            self._completed.add((details["Arn"], details["ScheduleExpression"]))
        log.info("schedule %s fired (due %s): %s %s", due.name, due.due_at, logical, outcome)
        return FiredSchedule(due.name, due.group, due.due_at, logical, outcome)

    def fire_due(
        self, until: Callable[[], datetime], max_rounds: int = 1000
    ) -> list[FiredSchedule]:
        """Fire everything due by `until()` (asked again each round: firing may schedule more)."""
        fired: list[FiredSchedule] = []
        for _ in range(max_rounds):
            pending = self.due(until())
            if not pending:
                return fired
            for due in pending:
                result = self.fire(due)
                if result is not None:
                    fired.append(result)
        log.warning("schedules keep falling due; stopped after %d rounds", max_rounds)
        return fired

    def _invoke_async(self, logical: str, payload: Any) -> bool:
        """Lambda's asynchronous invocation: retries, then the function's dead-letter queue."""
        spec = self._invoker.specs[logical]
        error: BaseException | None = None
        for attempt in range(1 + spec.max_retries):
            try:
                self._invoker.invoke(logical, payload)
            except Exception as exc:
                error = exc
                log.exception("%s failed (attempt %d)", logical, attempt + 1)
            else:
                return True
        self._dead_letter(spec.dead_letter_arn, json.dumps(payload), repr(error))
        return False

    def _queue_url_for_arn(self, arn: str | None) -> str | None:
        if not arn:
            return None
        for logical, url in self._stack.queue_urls.items():
            if self._stack.resolver.attributes.get((logical, "Arn")) == arn:
                return url
        return None

    def _dead_letter(self, arn: str | None, body: str, error: str) -> None:
        url = self._queue_url_for_arn(arn)
        if url is None:
            log.error("dropped an event with nowhere to go (%s)", error)
            return
        self._sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"ErrorMessage": {"DataType": "String", "StringValue": error[:256]}},
        )


@dataclass(frozen=True)
class QueueSubscription:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_item_failures: bool
    visibility_timeout: timedelta


def queue_subscriptions(stack: LocalStack) -> list[QueueSubscription]:
    subscriptions = []
    functions = resources_of(stack.template, "AWS::Serverless::Function")
    queues = resources_of(stack.template, "AWS::SQS::Queue")
    for source in sqs_sources(stack.template):
        report = False
        for event in (functions[source.function]["Properties"].get("Events") or {}).values():
            props = event.get("Properties") or {}
            if event["Type"] == "SQS" and props["Queue"]["Fn::GetAtt"][0] == source.queue:
                report = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        subscriptions.append(
            QueueSubscription(
                function=source.function,
                queue_url=stack.queue_urls[source.queue],
                queue_arn=stack.resolver.attributes[(source.queue, "Arn")],
                batch_size=max(1, min(source.batch_size, 10)),
                report_item_failures=report,
                visibility_timeout=timedelta(
                    seconds=int(
                        (queues[source.queue].get("Properties") or {}).get("VisibilityTimeout", 30)
                    )
                ),
            )
        )
    return subscriptions


def _lambda_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for name, value in attributes.items():
        binary = value.get("BinaryValue")
        converted[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if binary is not None else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [
                base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])
            ],
            "dataType": value.get("DataType", "String"),
        }
    return converted


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One message as Lambda's SQS poller hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": _lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


@dataclass(frozen=True)
class PendingRetry:
    queue_url: str
    receipt_handle: str
    due_at: datetime  # virtual time


class QueuePoller:
    """Lambda's SQS event source mappings: receive, invoke, delete what succeeded.

    A message that failed comes back when its visibility timeout has passed on the virtual
    clock (`release_due`), so a clock advance reaches every retry, and the queue's redrive
    policy (moto counts the receives) moves it to the dead-letter queue after the last.
    """

    def __init__(
        self,
        invoker: FunctionInvoker,
        sqs: Any,
        subscriptions: list[QueueSubscription],
        now: Callable[[], datetime],
        pipes: PipeRunner | None = None,
    ) -> None:
        self._invoker = invoker
        self._sqs = sqs
        self._now = now
        self._pipes = pipes
        self.subscriptions = subscriptions
        self.lock = threading.Lock()
        self._retries: dict[str, PendingRetry] = {}  # by message id

    def next_retry(self) -> datetime | None:
        with self.lock:
            return min((r.due_at for r in self._retries.values()), default=None)

    def release_due(self, now: datetime) -> int:
        """Make the failed messages whose visibility timeout has passed visible again."""
        with self.lock:
            due = {k: r for k, r in self._retries.items() if r.due_at <= now}
            for message_id, retry in due.items():
                del self._retries[message_id]
                try:
                    self._sqs.change_message_visibility(
                        QueueUrl=retry.queue_url,
                        ReceiptHandle=retry.receipt_handle,
                        VisibilityTimeout=0,
                    )
                except ClientError:
                    log.warning("message %s is gone; nothing to retry", message_id)
            return len(due)

    def _retry_later(self, subscription: QueueSubscription, messages: list[dict[str, Any]]) -> None:
        due_at = self._now() + subscription.visibility_timeout
        for m in messages:
            self._retries[m["MessageId"]] = PendingRetry(
                subscription.queue_url, m["ReceiptHandle"], due_at
            )

    def poll_once(self, subscription: QueueSubscription) -> int:
        """One batch (short poll). Returns how many messages it received."""
        got = self._sqs.receive_message(
            QueueUrl=subscription.queue_url,
            MaxNumberOfMessages=subscription.batch_size,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = got.get("Messages", [])
        if not messages:
            return 0
        for m in messages:
            # Back before its retry was due (the wall clock passed the timeout too).
            self._retries.pop(m["MessageId"], None)
        event = {"Records": [sqs_record(m, subscription.queue_arn) for m in messages]}
        try:
            result = self._invoker.invoke(subscription.function, event)
        except Exception:
            # The whole batch comes back after the visibility timeout, as in AWS.
            log.exception("%s failed on a batch of %d", subscription.function, len(messages))
            self._retry_later(subscription, messages)
            return len(messages)
        failed = self._failed_ids(subscription, result, {m["MessageId"] for m in messages})
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=subscription.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        if failed:
            log.warning("%s reported %d failed item(s)", subscription.function, len(failed))
            self._retry_later(subscription, [m for m in messages if m["MessageId"] in failed])
        return len(messages)

    @staticmethod
    def _failed_ids(subscription: QueueSubscription, result: Any, ids: set[str]) -> set[str]:
        if not subscription.report_item_failures:
            return set()
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return set()
        failed: set[str] = set()
        for item in failures:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(identifier, str) or identifier not in ids:
                return ids  # a malformed report fails the whole batch, as in AWS
            failed.add(identifier)
        return failed

    def poll_all(self) -> int:
        """The pipes first (what the last invocations wrote reaches its queue), then one
        batch of each queue. Returns records forwarded and messages received."""
        with self.lock:
            forwarded = self._pipes.pump() if self._pipes is not None else 0
            return forwarded + sum(self.poll_once(s) for s in self.subscriptions)

    def drain(self, max_rounds: int = 1000) -> int:
        """Poll until every queue is empty (of visible messages). Returns messages handled."""
        total = 0
        for _ in range(max_rounds):
            got = self.poll_all()
            total += got
            if got == 0:
                break
        return total


_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    """The period of `rate(N unit)`; None for anything else (cron() is not emulated)."""
    match = _RATE.match(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _RATE_UNITS[match.group(2).rstrip("s")]


@dataclass
class RecurringSchedule:
    """A function's `Schedule`/`ScheduleV2` event of the template, on the virtual clock."""

    function: str
    event: str
    kind: str  # "Schedule" (an EventBridge rule) or "ScheduleV2" (EventBridge Scheduler)
    expression: str
    period: timedelta
    payload: str | None
    next_at: datetime

    @property
    def rule_name(self) -> str:
        return f"{self.function}-{self.event}"

    def event_payload(self, now: datetime) -> Any:
        if self.payload is not None:
            return json.loads(self.payload)
        if self.kind == "ScheduleV2":
            return {}
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [
                f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{self.function}-{self.event}"
            ],
            "detail": {},
        }


def recurring_schedules(template: dict[str, Any], start: datetime) -> list[RecurringSchedule]:
    found: list[RecurringSchedule] = []
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        for event_name, event in (fn["Properties"].get("Events") or {}).items():
            if event["Type"] not in ("Schedule", "ScheduleV2"):
                continue
            props = event.get("Properties") or {}
            expression = str(props.get("Schedule") or props.get("ScheduleExpression") or "")
            if props.get("Enabled") is False or props.get("State") == "DISABLED":
                continue
            seconds = rate_seconds(expression)
            if seconds is None:
                log.warning("%s.%s: %r is not emulated locally", name, event_name, expression)
                continue
            period = timedelta(seconds=seconds)
            payload = props.get("Input")
            found.append(
                RecurringSchedule(
                    name,
                    event_name,
                    event["Type"],
                    expression,
                    period,
                    payload if isinstance(payload, str) else None,
                    start + period,
                )
            )
    return found


class RecurringRunner:
    """Fires the template's rate() schedules as virtual time passes. Occurrences skipped by
    a jump of the clock are coalesced into one, as a catch-up of hundreds would be noise."""

    def __init__(self, invoker: FunctionInvoker, schedules: list[RecurringSchedule]) -> None:
        self._invoker = invoker
        self.schedules = schedules

    def fire_due(self, now: datetime) -> list[FiredSchedule]:
        fired: list[FiredSchedule] = []
        for schedule in self.schedules:
            if schedule.next_at > now:
                continue
            due_at = schedule.next_at
            missed = (now - schedule.next_at) // schedule.period
            schedule.next_at += schedule.period * (missed + 1)
            try:
                self._invoker.invoke(schedule.function, schedule.event_payload(now))
                outcome = "invoked"
            except Exception:
                log.exception(
                    "%s failed on its %s schedule", schedule.function, schedule.expression
                )
                outcome = "failed"
            fired.append(
                FiredSchedule(
                    schedule.rule_name,
                    "template",
                    due_at,
                    schedule.function,
                    outcome,
                )
            )
        return fired
