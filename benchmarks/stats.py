"""GET /v1/stats (with its results) and GET /v1/stats/export on moto: a tenant with 31
days x 100 appointments x 3 texts (a confirmation and two reminders each, 9,300 texts),
30 customers' texts a day in the activity log, every appointment with a cadence and half
with an outcome. Each call goes through the Staff API's handler; every DynamoDB call is
counted by operation with a botocore `before-call` hook, and a Scan fails the benchmark.
moto is in-process and single-threaded: the wall time is moto's and the code's, not
DynamoDB's; the calls are what DynamoDB would bill. moto's Query lists and sorts the whole
table before keeping one partition, so, as `make bench-vacancy` does, this applies
infra/local/moto_patches/dynamodb_query.py (a Query reads its partition; same answers,
tests/integration/test_moto_query_patch.py); without it a 31-day call took 80-100 s here.

    python -m benchmarks.stats
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from benchmarks.dynamodb_calls_per_action import DynamoCalls
from infra.local.moto_patches import dynamodb_query
from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Customer,
    MessageRecord,
    MessageStatus,
)
from tests.support.aws import clinic, make_runtime, moto_stack
from tests.support.events import invoke, response_json, staff_event

NOW = datetime(2030, 2, 1, 12, 0, tzinfo=UTC)
DAYS, PER_DAY, REPLIES_PER_DAY = 31, 100, 30
ROUNDS = 2
KINDS = (
    ("confirmation", timedelta(days=3)),
    ("reminder_48h", timedelta(hours=48)),
    ("reminder_2h", timedelta(hours=2)),
)
STATUSES = (MessageStatus.DELIVERED,) * 8 + (MessageStatus.SENT, MessageStatus.UNDELIVERED)
OUTCOMES = (AppointmentOutcome.ATTENDED,) * 3 + (AppointmentOutcome.NO_SHOW,)


def seed(store: Any, log: Any) -> None:
    first = NOW - timedelta(days=DAYS)
    for n in range(DAYS * PER_DAY):
        starts = first + timedelta(minutes=n * (DAYS * 24 * 60 // (DAYS * PER_DAY)))
        appointment = Appointment(
            tenant_id="clinic-1",
            appointment_id=f"b-{n:05d}",
            customer=Customer(phone=f"+1415555{n % 10000:04d}", name="Ana"),
            starts_at=starts,
            status=AppointmentStatus.CANCELLED if n % 20 == 0 else AppointmentStatus.SCHEDULED,
            cancelled_at=starts - timedelta(hours=5) if n % 20 == 0 else None,
            confirmed_at=starts - timedelta(days=2) if n % 3 else None,
            outcome=OUTCOMES[n % 4] if n % 2 and n % 20 else None,
            cadence="48h+2h" if n % 5 else "2h",
            created_at=starts - timedelta(days=4),
            updated_at=starts,
        )
        texts = [
            MessageRecord(
                tenant_id="clinic-1",
                appointment_id=appointment.appointment_id,
                kind=kind,
                version=1,
                status=STATUSES[(n + k) % len(STATUSES)],
                send_at=starts - lead,
                segments=1 + (n % 2),
                variant=f"ex1/{'plain' if n % 2 else 'cost'}" if kind == "confirmation" else None,
                created_at=appointment.created_at,
                updated_at=starts - lead,
            )
            for k, (kind, lead) in enumerate(KINDS)
        ]
        store.create_appointment(appointment, texts)
    intents = (Intent.CONFIRM, Intent.CONFIRM, Intent.CANCEL, Intent.OPT_OUT, Intent.HELP)
    for day in range(DAYS):
        for r in range(REPLIES_PER_DAY):
            log.append(
                "clinic-1",
                ActivityEntry(
                    event=ActivityEvent.TEXT_RECEIVED,
                    actor="customer",
                    at=first + timedelta(days=day, minutes=17 + r * 41),
                    intent=intents[r % len(intents)],
                    appointment_id=f"b-{(day * PER_DAY + r) % (DAYS * PER_DAY):05d}",
                    answered_kind=KINDS[r % 3][0],
                    answered_variant="ex1/plain" if r % 3 == 0 else None,
                ),
            )


class MotoTime:
    """Seconds spent inside each DynamoDB operation (between botocore's before-call and
    after-call): on moto, where a call's time goes."""

    def __init__(self) -> None:
        self.spent: defaultdict[str, float] = defaultdict(float)
        self._started: dict[str, float] = {}

    def before(self, event_name: str, **kwargs: Any) -> None:
        self._started[event_name.rsplit(".", 1)[1]] = time.perf_counter()

    def after(self, event_name: str, **kwargs: Any) -> None:
        operation = event_name.rsplit(".", 1)[1]
        self.spent[operation] += time.perf_counter() - self._started.pop(operation)


def measure(counter: DynamoCalls, path: str, days: int) -> tuple[list[float], Counter[str], Any]:
    walls: list[float] = []
    calls: Counter[str] = Counter()
    response: Any = None
    event = staff_event("GET", path, query={"days": str(days)})
    answers: list[Any] = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        calls = counter.measure(lambda: answers.append(invoke("StaffApiFunction", event)))
        walls.append(time.perf_counter() - started)
        response = answers[-1]
        assert response["statusCode"] == 200, response
    assert "Scan" not in calls, f"{path}?days={days} scanned: {dict(calls)}"
    return walls, calls, response


def main() -> None:
    counter = DynamoCalls()
    dynamodb_query.apply()
    with moto_stack() as stack:
        boto3.setup_default_session(region_name="us-east-1")
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", counter)
        timer = MotoTime()
        boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", timer.before)
        boto3.DEFAULT_SESSION.events.register("after-call.dynamodb", timer.after)
        runtime = make_runtime(stack, FixedClock(NOW))
        store = runtime.store()
        store.put_tenant(clinic())
        started = time.perf_counter()
        seed(store, runtime.activity_log())
        print(
            f"seeded {DAYS * PER_DAY} appointments, {DAYS * PER_DAY * len(KINDS)} texts, "
            f"{DAYS * REPLIES_PER_DAY} customers' texts in {time.perf_counter() - started:.1f} s"
        )
        for path, days in (("/v1/stats", 31), ("/v1/stats", 7), ("/v1/stats/export", 31)):
            timer.spent.clear()
            walls, calls, response = measure(counter, path, days)
            ops = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
            inside = ", ".join(
                f"{op} {seconds / ROUNDS:.2f} s" for op, seconds in sorted(timer.spent.items())
            )
            print(
                f"GET {path}?days={days}: {sum(calls.values())} DynamoDB calls ({ops}); "
                f"wall median {statistics.median(walls):.2f} s, min {min(walls):.2f} s "
                f"over {ROUNDS} calls; Scan 0\n  per call inside moto: {inside}"
            )
            if path == "/v1/stats":
                texts = response_json(response)["rates"]["texts"]
                cohort = response_json(response)["rates"]["appointments"]
                print(
                    f"  texts sent {texts['sent']}, segments {texts['segments']}, "
                    f"cost {texts['cost']}; appointments {cohort['appointments']}, "
                    f"no_show_rate {cohort['no_show_rate']}; "
                    f"answer {len(response['body'])} bytes"
                )
            else:
                print(f"  {response['body'].count(chr(10))} CSV lines")


if __name__ == "__main__":
    main()
