"""AWS and Twilio calls per reminder sent, and what 10,000 reminders cost to run.

Books appointments through the real Appointments handler, sends the confirmations through
the real sender (SQS-shaped events), then fires every reminder schedule as EventBridge
Scheduler does (its input becomes an outbound queue message the sender receives), all
against moto made from template.yaml and the Twilio sandbox over
real HTTP on 127.0.0.1. Every AWS call is counted with a botocore `before-call` hook;
Twilio calls are the messages the sandbox received.

    python -m benchmarks.calls_per_reminder [--reminders 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import boto3

from infra.local.sandbox import SandboxConfig, SandboxServer
from rendezvous.adapters.dynamodb.table import deserialize
from rendezvous.domain.clock import FixedClock
from tests.support.aws import ACCOUNT_SID, AUTH_TOKEN, at, clinic, make_runtime, moto_stack
from tests.support.events import appointment_event, invoke, sample

# List prices, us-east-1, as used for this estimate.
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
DDB_PER_WRU = 0.625 / 1e6
DDB_PER_RRU = 0.125 / 1e6
SCHEDULER_PER_INVOCATION = 1.00 / 1e6
SQS_PER_REQUEST = 0.40 / 1e6
TWILIO_US_SMS_PER_SEGMENT = 0.0083
API_GATEWAY_HTTP_PER_REQUEST = 1.00 / 1e6
# A send's billed duration on Lambda is dominated by Twilio's API latency, which a local
# sandbox cannot show; 400 ms at 256 MB is the assumption the estimate uses.
ASSUMED_SEND_SECONDS = 0.4
MEMORY_GB = 0.25


class CallCounter:
    def __init__(self) -> None:
        self.phase = "setup"
        self.calls: Counter[tuple[str, str, str]] = Counter()

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[(self.phase, service, operation)] += 1

    def in_phase(self, phase: str) -> Counter[str]:
        return Counter({f"{s}.{o}": n for (p, s, o), n in self.calls.items() if p == phase})


def attribute_size(value: Any) -> int:
    """DynamoDB's item size rules, closely enough for capacity units."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        return math.ceil(len(str(value).lstrip("-").replace(".", "")) / 2) + 1
    if isinstance(value, dict):
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(attribute_size(v) + 1 for v in value)
    return len(str(value).encode())


def item_size(item: dict[str, Any]) -> int:
    return sum(len(k.encode()) + attribute_size(v) for k, v in item.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=1000)
    args = parser.parse_args()
    tenant = clinic()
    per_booking = len(tenant.reminder_offsets_minutes)
    bookings = math.ceil(args.reminders / per_booking)

    counter = CallCounter()
    with (
        moto_stack() as stack,
        SandboxServer(SandboxConfig(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)) as sandbox,
    ):
        boto3.setup_default_session(region_name="us-east-1")
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", counter)
        clock = FixedClock(at("2030-01-10T09:00:00-08:00"))
        runtime = make_runtime(stack, clock, twilio_api_base_url=sandbox.base_url)
        store = runtime.store()
        store.put_tenant(tenant)
        sqs = boto3.client("sqs")
        scheduler = boto3.client("scheduler")
        group = runtime.settings.schedule_group

        counter.phase = "booking"
        for n in range(bookings):
            event = appointment_event(
                "PUT",
                f"bench-{n}",
                {
                    "customer": {"phone": f"+1415555{n % 10000:04d}", "name": "Ana María López"},
                    "starts_at": "2030-01-15T10:30:00-08:00",
                    "location": "Harbor Clinic, 2nd floor",
                },
            )
            assert invoke("AppointmentsFunction", event)["statusCode"] == 201

        counter.phase = "drain-queue"
        queued: list[Any] = []
        while got := sqs.receive_message(
            QueueUrl=runtime.settings.outbound_queue_url, MaxNumberOfMessages=10
        ).get("Messages"):
            queued.extend(got)
            sqs.delete_message_batch(
                QueueUrl=runtime.settings.outbound_queue_url,
                Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in got],
            )
        counter.phase = "confirmation"
        template = sample("sqs_outbound.json")["Records"][0]
        for m in queued:
            invoke(
                "MessageSenderFunction",
                {"Records": [{**template, "messageId": m["MessageId"], "body": m["Body"]}]},
            )

        counter.phase = "read-schedules"
        due: list[tuple[str, dict[str, Any]]] = []
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
            for summary in page["Schedules"]:
                detail = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                due.append((detail["ScheduleExpression"], json.loads(detail["Target"]["Input"])))
        due.sort(key=lambda d: d[0])
        due = due[: args.reminders]

        counter.phase = "reminder"
        durations: list[float] = []
        for expression, payload in due:
            clock.set(at(expression[3:-1] + "+00:00"))
            record = {**template, "messageId": f"reminder-{len(durations)}"}
            record["body"] = json.dumps(payload)
            started = time.perf_counter()
            invoke("MessageSenderFunction", {"Records": [record]})
            durations.append(time.perf_counter() - started)

        counter.phase = "report"
        texts = json.loads(
            __import__("urllib.request")
            .request.urlopen(f"{sandbox.base_url}/sandbox/messages", timeout=10)
            .read()
        )
        # Every page: the first megabyte alone may hold no recipient at all.
        pages = boto3.client("dynamodb").get_paginator("scan")
        items = [
            deserialize(i)
            for page in pages.paginate(TableName=runtime.settings.table_name)
            for i in page["Items"]
        ]

    outbound = [t for t in texts["messages"] if t.get("direction") == "outbound-api"]
    # The English confirmation says "booked"; no reminder does (since the wording per
    # reminder, none says "reminder" either).
    confirmations_sent = sum(1 for t in outbound if "booked" in t["body"])
    reminders_sent = len(outbound) - confirmations_sent
    booking_calls = counter.in_phase("booking")
    confirmation_calls = counter.in_phase("confirmation")
    reminder_calls = counter.in_phase("reminder")
    schedules_made = booking_calls["scheduler.CreateSchedule"]

    def show(title: str, calls: Counter[str], per: int, twilio: int) -> float:
        total = sum(calls.values()) + twilio
        print(f"\n{title}: {total / per:.2f} calls each over {per}")
        for name, n in sorted(calls.items()):
            print(f"  {name:<36}{n / per:>6.2f}")
        if twilio:
            print(f"  {'twilio.Messages.create':<36}{twilio / per:>6.2f}")
        return total / per

    print(
        f"{bookings} bookings, {len(due)} reminders fired, "
        f"{confirmations_sent} confirmations and {reminders_sent} reminders texted"
    )
    show("booking (PUT)", booking_calls, bookings, 0)
    show("confirmation send", confirmation_calls, confirmations_sent, confirmations_sent)
    send = show("reminder send", reminder_calls, reminders_sent, reminders_sent)
    scheduling = schedules_made / max(reminders_sent, 1)
    print(
        f"\nper reminder sent: {scheduling:.2f} (CreateSchedule at booking) + {send:.2f} "
        f"(at send) = {scheduling + send:.2f} AWS and Twilio calls"
    )

    # Capacity units from the real item sizes left in the table.
    kind_by_sort_key = {"A": "appointment", "R": "recipient", "TENANT": "tenant"}
    sizes: dict[str, list[int]] = {"appointment": [], "message": [], "recipient": [], "tenant": []}
    for row in items:
        kind = "message" if row["sk"].startswith("M#") else kind_by_sort_key.get(row["sk"])
        if kind:
            sizes[kind].append(item_size(row))
    biggest = {k: max(v) if v else 0 for k, v in sizes.items()}
    # Per reminder, from the calls counted: a strongly consistent BatchGetItem of the
    # tenant, appointment, message and recipient (1 RRU per item up to 4 KB), and
    # UpdateItems of the recipient (the claim) and the message (the result), 1 WRU per KB,
    # and 1 more for the result's copy in the `by_time` index (its status is projected),
    # and of the appointment's `last_text` (not projected in any index: the item alone).
    per_send = {k: v / max(reminders_sent, 1) for k, v in reminder_calls.items()}
    assert set(per_send) == {"dynamodb.BatchGetItem", "dynamodb.UpdateItem"}, per_send
    rru_read = round(per_send["dynamodb.BatchGetItem"]) * sum(
        math.ceil(biggest[k] / 4096) for k in ("tenant", "appointment", "message", "recipient")
    )
    wru_claim = math.ceil(biggest["recipient"] / 1024)
    wru_result = math.ceil(biggest["message"] / 1024) + 1
    wru_last_text = math.ceil(biggest["appointment"] / 1024)
    assert round(per_send["dynamodb.UpdateItem"]) == 3, per_send
    per = 10_000
    lambda_cost = per * (
        LAMBDA_PER_REQUEST + ASSUMED_SEND_SECONDS * MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND
    )
    ddb_cost = per * (
        rru_read * DDB_PER_RRU + (wru_claim + wru_result + wru_last_text) * DDB_PER_WRU
    )
    scheduler_cost = per * SCHEDULER_PER_INVOCATION
    # Reminders go through the outbound queue (one retry path and DLQ for every text):
    # Scheduler's SendMessage, then the event source's ReceiveMessage and DeleteMessage,
    # one each at worst (batches of up to 10 make them fewer).
    sqs_cost = per * 3 * SQS_PER_REQUEST
    infra = lambda_cost + ddb_cost + scheduler_cost + sqs_cost
    segments = statistics.mean(int(t["num_segments"]) for t in outbound) if outbound else 1.0
    sms_cost = per * TWILIO_US_SMS_PER_SEGMENT * segments
    print("\nlargest items (bytes): " + ", ".join(f"{k} {v}" for k, v in biggest.items()))
    print(
        f"capacity per reminder: {rru_read} RRU read, {wru_claim} WRU claim, "
        f"{wru_result} WRU result (table and by_time index), {wru_last_text} WRU last text"
    )
    print(f"\ncost per {per:,} reminders at list prices (us-east-1):")
    print(
        f"  Lambda    ${lambda_cost:.4f}  ({per:,} invocations, "
        f"{ASSUMED_SEND_SECONDS * 1000:.0f} ms "
        f"at {int(MEMORY_GB * 1024)} MB assumed; measured locally: median "
        f"{statistics.median(durations) * 1000:.1f} ms)"
    )
    print(f"  DynamoDB  ${ddb_cost:.4f}")
    print(f"  Scheduler ${scheduler_cost:.4f}")
    print(f"  SQS       ${sqs_cost:.4f}")
    print(
        f"  total     ${infra:.4f}   beside Twilio SMS ${sms_cost:,.2f} "
        f"({segments:.2f} segments at ${TWILIO_US_SMS_PER_SEGMENT}/segment)"
    )
    # Not part of the send path, but paid for every text: Twilio's status callbacks.
    callbacks = 2 * per  # `sent` and `delivered`
    callback_cost = callbacks * (
        API_GATEWAY_HTTP_PER_REQUEST
        + LAMBDA_PER_REQUEST
        + 0.1 * MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND
        + 3 * DDB_PER_WRU  # the record, its by_time copy, the appointment's last text
    )
    print(
        f"  besides: {callbacks:,} status callbacks (API Gateway, Lambda at 100 ms, 3 WRU "
        f"each) ${callback_cost:.4f}"
    )


if __name__ == "__main__":
    main()
