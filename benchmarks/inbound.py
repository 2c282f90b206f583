"""The inbound webhook in-process: p50 and p99 over 1,000 texts, and DynamoDB calls per text.

Each webhook is a signed, base64 API Gateway event through the real handler, against moto
made from template.yaml. The mix is what a clinic's inbox sees: questions (new
conversations and follow-ups), confirmations, reschedule requests, HELP and STOP.

    python -m benchmarks.inbound [--texts 1000]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from typing import Any

import boto3

from rendezvous.domain.clock import FixedClock
from tests.integration.test_twilio_inbound import inbound
from tests.support.aws import at, clinic, make_runtime, moto_stack
from tests.support.events import appointment_event, invoke

MIX = [
    ("question", 45),
    ("follow-up", 15),
    ("C", 20),
    ("R", 10),
    ("HELP", 5),
    ("STOP", 5),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument(
        "--per-stack",
        type=int,
        default=200,
        help="texts per fresh moto stack: moto's in-memory index queries copy the whole "
        "table, so a long run would measure moto, not the handler",
    )
    args = parser.parse_args()
    plan = [kind for kind, weight in MIX for _ in range(weight)]

    calls: Counter[str] = Counter()
    current = {"kind": ""}

    in_aws = {"started": 0.0, "total": 0.0}

    def count(event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        if service == "dynamodb":
            calls[f"{current['kind']}|{operation}"] += 1
        in_aws["started"] = time.perf_counter()

    def finished(**kwargs: Any) -> None:
        in_aws["total"] += time.perf_counter() - in_aws["started"]

    latencies: dict[str, list[float]] = defaultdict(list)
    own_time: list[float] = []
    for first in range(0, args.texts, args.per_stack):
        texts = min(args.per_stack, args.texts - first)
        with moto_stack() as stack:
            boto3.setup_default_session(region_name="us-east-1")
            assert boto3.DEFAULT_SESSION is not None
            boto3.DEFAULT_SESSION.events.register("before-call", count)
            boto3.DEFAULT_SESSION.events.register("after-call", finished)
            current["kind"] = "setup"
            clock = FixedClock(at("2030-01-10T09:00:00-08:00"))
            runtime = make_runtime(stack, clock)
            runtime.store().put_tenant(clinic())
            customers = [f"+1415555{n:04d}" for n in range(texts)]
            for n, phone in enumerate(customers[: texts // 2]):
                invoke(
                    "AppointmentsFunction",
                    appointment_event(
                        "PUT",
                        f"b-{n}",
                        {
                            "customer": {"phone": phone, "name": "Ana"},
                            "starts_at": "2030-01-15T10:30:00-08:00",
                        },
                    ),
                )
            for n in range(texts):
                kind = plan[(first + n) % len(plan)]
                phone = customers[n - 1] if kind == "follow-up" else customers[n]
                body = {"question": "Where do I park?", "follow-up": "And is it free?"}.get(
                    kind, kind
                )
                current["kind"] = kind
                event = inbound(body, sender=phone)
                in_aws["total"] = 0.0
                started = time.perf_counter()
                response = invoke("TwilioInboundFunction", event)
                elapsed = time.perf_counter() - started
                latencies[kind].append(elapsed)
                own_time.append(elapsed - in_aws["total"])
                assert response["statusCode"] == 200, response

    every = sorted(x for values in latencies.values() for x in values)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000

    print(
        f"inbound webhook, in-process, {len(every)} signed texts against moto "
        f"({args.per_stack} per fresh stack)"
    )
    print(f"all: p50 {pct(every, 0.5):.1f} ms, p99 {pct(every, 0.99):.1f} ms")
    own = sorted(own_time)
    print(
        f"outside DynamoDB calls (moto's own time removed): p50 {pct(own, 0.5):.1f} ms, "
        f"p99 {pct(own, 0.99):.1f} ms"
    )
    print(f"\n{'text':<12}{'count':>6}{'p50 ms':>9}{'p99 ms':>9}{'DynamoDB calls each':>22}")
    for kind, _ in MIX:
        values = sorted(latencies[kind])
        per = {
            op.split("|")[1]: n / len(values)
            for op, n in calls.items()
            if op.startswith(f"{kind}|")
        }
        detail = ", ".join(f"{op} {n:.1f}" for op, n in sorted(per.items()))
        print(
            f"{kind:<12}{len(values):>6}{pct(values, 0.5):>9.1f}{pct(values, 0.99):>9.1f}"
            f"{sum(per.values()):>22.1f}   ({detail})"
        )
    measured = sum(n for op, n in calls.items() if not op.startswith("setup|"))
    print(
        f"\nmean DynamoDB calls per inbound text: {measured / len(every):.2f}"
        f" (idempotency record included)"
    )


if __name__ == "__main__":
    main()
