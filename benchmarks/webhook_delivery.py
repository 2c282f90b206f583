"""Webhook delivery: what one deliverer sustains, and what at-least-once costs.

One WebhookDeliverer (the domain service the Lambda runs) posts signed events over real
HTTP to the sandbox's booking-system receiver on 127.0.0.1, with the real adapter (resolve,
check, pin, sign with standardwebhooks, 10 s timeout). The delivery log, endpoints and
sealer are in-memory ports whose calls are counted, one per AWS call their DynamoDB/KMS/
Scheduler adapters make; retries fire in order of their planned time on a virtual clock.

  1. A healthy receiver: events per second, share delivered on the first attempt.
  2. A receiver answering 503 to 50% of attempts (at random), with every queue message
     received a second time in 10% of cases (SQS is at-least-once): events lost (neither
     delivered nor kept as failed; target 0), POSTs the receiver saw per event, and events
     acknowledged (2xx) more than once.
  3. Calls and cost per event at list prices, beside the SMS cost per reminder.

    python -m benchmarks.webhook_delivery [--events 500]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from infra.local.sandbox import SandboxConfig, SandboxServer
from infra.local.sandbox.app import receivers_of
from rendezvous.adapters.webhook_http import HttpWebhookPoster
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.events import EventType, WebhookEvent
from rendezvous.domain.ports import PostOutcome
from rendezvous.domain.webhook_delivery import DeliveryRef, WebhookDeliverer
from rendezvous.domain.webhooks import Delivery, WebhookEndpoint
from tests.support.webhooks_memory import MemoryDeliveryLog, MemoryEndpoints, PlainSealer

from .calls_per_reminder import (
    DDB_PER_RRU,
    DDB_PER_WRU,
    LAMBDA_ARM_PER_GB_SECOND,
    LAMBDA_PER_REQUEST,
    SCHEDULER_PER_INVOCATION,
    SQS_PER_REQUEST,
    TWILIO_US_SMS_PER_SEGMENT,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 (a test secret)
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PIPES_PER_REQUEST = 0.40 / 1e6
KMS_PER_REQUEST = 0.03 / 1e4
# Reminders' infrastructure per reminder, from benchmarks/results/calls_per_reminder.txt.
REMINDER_INFRA = 0.0611 / 1e4
BATCH_SIZE = 1  # the deliverer's SQS batch size in template.yaml
# A real endpoint's answer takes far longer than loopback's; the estimate bills this.
ASSUMED_SECONDS_PER_ATTEMPT = 0.3
MEMORY_GB = 0.25

# The port calls and what each costs as the adapters make them.
PORT_CALLS = {
    "endpoints_for": ("dynamodb.Query", DDB_PER_RRU * 0.5),
    "get_endpoint": ("dynamodb.GetItem", DDB_PER_RRU * 0.5),
    "begin": ("dynamodb.PutItem", DDB_PER_WRU * 2),
    "get": ("dynamodb.GetItem", DDB_PER_RRU * 0.5),
    "claim_attempt": ("dynamodb.UpdateItem", DDB_PER_WRU * 2),
    "record_attempt": ("dynamodb.UpdateItem", DDB_PER_WRU * 2),
    "open": ("kms.Decrypt", KMS_PER_REQUEST),
    "schedule_retry": ("scheduler.CreateSchedule", 0.0),
}


class Counted:
    """Counts each call of the wrapped port's methods."""

    def __init__(self, inner: Any, calls: Counter[str]) -> None:
        self._inner = inner
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return method(*args, **kwargs)

        return call


class Retries:
    """The retry schedules, fired earliest first (what Scheduler does on time)."""

    def __init__(self, calls: Counter[str]) -> None:
        self.planned: dict[tuple[str, int], tuple[datetime, DeliveryRef]] = {}
        self.fired = 0
        self._calls = calls

    def schedule_retry(self, delivery: Delivery, attempt: int, at: datetime) -> None:
        self._calls["schedule_retry"] += 1
        ref = DeliveryRef(delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id, attempt)
        self.planned.setdefault((delivery.delivery_id, attempt), (at, ref))

    def pop_earliest(self) -> tuple[datetime, DeliveryRef] | None:
        if not self.planned:
            return None
        key = min(self.planned, key=lambda k: self.planned[k][0])
        self.fired += 1
        return self.planned.pop(key)


class Answers:
    """The poster, keeping each answer by webhook-id."""

    def __init__(self, inner: HttpWebhookPoster) -> None:
        self._inner = inner
        self.posts: Counter[str] = Counter()
        self.acknowledged: Counter[str] = Counter()
        self.first_attempt_ok = 0

    def post(self, url: str, webhook_id: str, body: str, secret: str) -> PostOutcome:
        outcome = self._inner.post(url, webhook_id, body, secret)
        self.posts[webhook_id] += 1
        if outcome.delivered:
            self.acknowledged[webhook_id] += 1
            if self.posts[webhook_id] == 1:
                self.first_attempt_ok += 1
        return outcome


def run(
    base_url: str, events: int, redelivery: float, seed: int
) -> tuple[Answers, MemoryDeliveryLog, Counter[str], int, int, float]:
    calls: Counter[str] = Counter()
    endpoint = WebhookEndpoint(
        "bench",
        "crm",
        f"{base_url}/sandbox/webhooks/crm",
        ("appointment.confirmed",),
        "",
        PlainSealer().seal(SECRET, {"tenant_id": "bench", "endpoint_id": "crm"}),
        T0,
        T0,
        1,
    )
    log = MemoryDeliveryLog()
    answers = Answers(HttpWebhookPoster(allow_loopback=True))
    retries = Retries(calls)
    clock = FixedClock(T0)
    draw = random.Random(seed)
    deliverer = WebhookDeliverer(
        Counted(MemoryEndpoints([endpoint]), calls),
        Counted(log, calls),
        Counted(PlainSealer(), calls),
        answers,
        retries,
        clock,
        draw.random,
    )
    messages = 0
    started = time.perf_counter()
    for n in range(events):
        event = WebhookEvent(
            f"evt_{n:026d}",
            "bench",
            EventType.APPOINTMENT_CONFIRMED,
            clock.now(),
            {"appointment_id": f"a-{n}", "by": "customer"},
            f"a-{n}",
        )
        for _ in range(2 if draw.random() < redelivery else 1):
            messages += 1
            deliverer.fan_out(event)
    while (due := retries.pop_earliest()) is not None:
        at, ref = due
        clock.set(max(at, clock.now()))
        for _ in range(2 if draw.random() < redelivery else 1):
            messages += 1
            deliverer.retry(ref)
    return answers, log, calls, messages, retries.fired, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    events = max(1, min(args.events, 20_000))
    config = SandboxConfig(account_sid="AC" + "0" * 32, auth_token="b" * 32)
    with SandboxServer(config).start("127.0.0.1", 0) as server:
        receivers = receivers_of(server.app)
        receivers.configure("crm", {"secret": SECRET})
        healthy, _, healthy_calls, _, _, seconds = run(server.base_url, events, 0.0, args.seed)
        verified = all(a["verified"] for a in receivers.receiver("crm")["arrivals"])
        receivers.clear()
        receivers.configure("crm", {"secret": SECRET, "fail_ratio": 0.5, "status": 503})
        flaky, log, calls, messages, retries_fired, _ = run(server.base_url, events, 0.1, args.seed)
    print(f"webhook delivery, {events:,} events to one receiver on 127.0.0.1, one deliverer\n")
    print("healthy receiver:")
    print(f"  {events / seconds:,.0f} events/s ({seconds * 1000 / events:.2f} ms per event)")
    print(f"  delivered on the first attempt: {healthy.first_attempt_ok / events:.1%}")
    print(f"  every arrival verified by standardwebhooks: {verified}")
    states = Counter(d.state for d in log.stored.values())
    lost = events - states["delivered"] - states["failed"]
    attempts = sum(flaky.posts.values())
    twice = sum(1 for n in flaky.acknowledged.values() if n > 1)
    print("\nreceiver failing 50% of attempts (503), 10% of queue messages received twice:")
    print(f"  delivered {states['delivered']:,}, kept as failed {states['failed']:,}, lost {lost}")
    print(f"  delivered on the first attempt: {flaky.first_attempt_ok / events:.1%}")
    print(f"  POSTs the receiver saw per event: {attempts / events:.2f} (same webhook-id each)")
    print(f"  events acknowledged (2xx) more than once: {twice}")
    print(f"  queue messages handled: {messages:,} for {attempts:,} attempts")

    print("\ncalls per event (flaky run), as the adapters make them:")
    for port, n in sorted(calls.items()):
        print(f"  {PORT_CALLS[port][0]:<26} {n / events:6.2f}   ({port})")
    print(f"  {'pipes.request':<26} {1:6.2f}")
    print(f"  {'scheduler.invocation':<26} {retries_fired / events:6.2f}")
    sqs = sqs_requests(events, retries_fired, messages)
    print(f"  {'sqs (send, receive, delete)':<26} {sqs / events:6.2f}")
    print(
        f"  {'lambda.invoke':<26} {messages / BATCH_SIZE / events:6.2f}   (batches of {BATCH_SIZE})"
    )
    print(
        "\ncost at list prices (us-east-1), Lambda billed "
        f"{ASSUMED_SECONDS_PER_ATTEMPT * 1000:.0f} ms per attempt at 256 MB:"
    )
    for label, (c, m, r, a) in {
        "healthy receiver": (healthy_calls, events, 0, events),
        "failing 50%, 10% received twice": (calls, messages, retries_fired, attempts),
    }.items():
        per_event = cost(c, events, m, r, a) / events
        print(f"  {label:<32} ${per_event:.7f} per event, ${per_event * 1e4:.4f} per 10,000")
    print(
        f"  beside a reminder: infrastructure ${REMINDER_INFRA:.7f} + "
        f"SMS ${TWILIO_US_SMS_PER_SEGMENT:.4f} (1 segment)"
    )


def sqs_requests(events: int, retries_fired: int, messages: int) -> float:
    """The pipe's and the schedules' sends, and Lambda's receive and delete per batch."""
    return events + retries_fired + 2 * messages / BATCH_SIZE


def cost(
    calls: Counter[str], events: int, messages: int, retries_fired: int, attempts: int
) -> float:
    total = sum(n * PORT_CALLS[port][1] for port, n in calls.items())
    total += events * PIPES_PER_REQUEST + retries_fired * SCHEDULER_PER_INVOCATION
    total += sqs_requests(events, retries_fired, messages) * SQS_PER_REQUEST
    total += messages / BATCH_SIZE * LAMBDA_PER_REQUEST
    total += attempts * ASSUMED_SECONDS_PER_ATTEMPT * MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND
    return total + events * DDB_PER_WRU * 2  # the event item, in the action's transaction


if __name__ == "__main__":
    main()
