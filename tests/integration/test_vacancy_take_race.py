"""Twenty takers of one opening at the same moment, truly concurrent: twenty threads call
the take (OfferService.take) against moto's server on 127.0.0.1, each over its own HTTP
requests, so their reads interleave as they would in twenty Lambda containers. Exactly one
wins, through the take's conditional write; the nineteen others lose and are each told once.

The local stack runs one function invocation at a time, so its race
(tests/e2e/test_vacancy_race.py) cannot show this. moto's own writes are not isolated from
each other between threads; moto_server_stack makes them so, as DynamoDB's are.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from pydantic import TypeAdapter

from infra.template import LocalStack
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import Customer, TextRequest
from rendezvous.domain.offers import TakeOutcome, TakeResult
from rendezvous.domain.vacancy import (
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.phone import recipient_key
from rendezvous.runtime import Runtime, reset_runtime
from tests.support.aws import at, clinic, make_runtime, moto_server_stack, seed_tenant
from tests.support.events import invoke

TAKERS = 20
OPENING = "op-visit-1-v2"
TAKE_TIMEOUT_SECONDS = 60.0


def phone(n: int) -> str:
    return f"+1415555{3000 + n:04d}"


@pytest.fixture(scope="module")
def server_stack() -> Iterator[LocalStack]:
    with moto_server_stack() as (stack, _url):
        yield stack


@pytest.fixture
def runtime(server_stack: LocalStack) -> Iterator[Runtime]:
    clock = FixedClock(at("2030-01-10T09:00:00-08:00"))
    # Sends never leave: the sandbox is not needed to count what was handed to the sender.
    runtime = make_runtime(server_stack, clock, twilio_api_base_url="http://127.0.0.1:9")
    seed_tenant(runtime.store(), clinic(fill_wave_size=TAKERS))
    try:
        yield runtime
    finally:
        reset_runtime()


def queued(runtime: Runtime) -> list[TextRequest]:
    """Everything on the outbound queue, taken off it."""
    sqs = boto3.client("sqs")
    adapter: TypeAdapter[TextRequest] = TypeAdapter(TextRequest)
    found: list[TextRequest] = []
    url = runtime.settings.outbound_queue_url
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            found.append(adapter.validate_json(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def reminder_schedules(runtime: Runtime) -> dict[str, str]:
    """The fill appointment's schedules: name -> the number its send request names."""
    client = boto3.client("scheduler")
    group = runtime.settings.schedule_group
    found: dict[str, str] = {}
    for listed in client.list_schedules(GroupName=group)["Schedules"]:
        target = client.get_schedule(Name=listed["Name"], GroupName=group)["Target"]
        request = json.loads(target["Input"])
        if request.get("appointment_id") == f"fill-{OPENING}":
            found[listed["Name"]] = request["recipient_key"]
    return found


def test_twenty_concurrent_takers_make_exactly_one_winner(runtime: Runtime) -> None:
    clock = runtime.clock
    vacancies = runtime.vacancy_store()
    for n in range(TAKERS):
        vacancies.put_entry(
            WaitlistEntry(
                tenant_id="clinic-1",
                entry_id=f"e{n:02d}",
                customer=Customer(phone=phone(n), name=f"Customer {n}"),
                listed_at=clock.now() - timedelta(days=1, minutes=-n),
            ),
            expected_version=None,
        )
    assert vacancies.create_opening(
        Opening(
            tenant_id="clinic-1",
            opening_id=OPENING,
            starts_at=clock.now() + timedelta(days=2),
            source=OpeningSource.CANCELLATION,
            replaces="visit-1",
            created_at=clock.now(),
        )
    )
    wave = {"tenant_id": "clinic-1", "opening_id": OPENING, "wave": 1}
    assert invoke("VacancyFillerFunction", wave) == {"outcome": "offered", "offers_sent": TAKERS}
    assert Counter(r.kind for r in queued(runtime)) == {"offer": TAKERS}

    store = runtime.store()
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    recipients = [store.get_recipient("clinic-1", phone(n)) for n in range(TAKERS)]
    service = runtime.offer_service()  # built once, before the threads share it
    barrier = threading.Barrier(TAKERS)
    results: list[TakeResult | BaseException | None] = [None] * TAKERS
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * TAKERS

    def take(n: int) -> None:
        recipient = recipients[n]
        try:
            assert recipient is not None
            barrier.wait(timeout=TAKE_TIMEOUT_SECONDS)
            began = time.monotonic()
            results[n] = service.take(tenant, recipient, OPENING)
            spans[n] = (began, time.monotonic())
        except BaseException as exc:  # reported below with the others
            results[n] = exc

    threads = [threading.Thread(target=take, args=(n,)) for n in range(TAKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TAKE_TIMEOUT_SECONDS)
        assert not thread.is_alive(), "a take did not finish in time"

    failures = [r for r in results if not isinstance(r, TakeResult)]
    assert not failures, failures
    outcomes = Counter(r.outcome for r in results if isinstance(r, TakeResult))
    assert outcomes == {TakeOutcome.WON: 1, TakeOutcome.TAKEN: TAKERS - 1}
    # They raced: the takes were all in flight together (each is several HTTP requests).
    assert max(began for began, _ in spans) < min(ended for _, ended in spans), spans

    winner = next(
        n
        for n, r in enumerate(results)
        if isinstance(r, TakeResult) and r.outcome is TakeOutcome.WON
    )
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert detail.opening.status is OpeningStatus.FILLED
    assert detail.opening.filled_by_entry == f"e{winner:02d}"
    assert Counter(o.status for o in detail.offers) == {
        OfferStatus.TAKEN: 1,
        OfferStatus.LOST: TAKERS - 1,
    }
    found = store.get_appointment("clinic-1", f"fill-{OPENING}")
    assert found is not None
    assert found[0].customer.phone == phone(winner)
    assert found[0].replaces == "visit-1"
    # Every reminder of the winner's appointment has its schedule, naming the winner's
    # number: no loser's schedule stands in for it, and no loser took it back.
    planned = {m.schedule_name for m in found[1] if m.schedule_name is not None}
    assert planned, found[1]
    assert reminder_schedules(runtime) == dict.fromkeys(
        planned, recipient_key("clinic-1", phone(winner))
    )
    statuses = {
        n: entry.status
        for n in range(TAKERS)
        if (entry := vacancies.get_entry("clinic-1", f"e{n:02d}")) is not None
    }
    assert statuses == {
        n: WaitlistStatus.FILLED if n == winner else WaitlistStatus.WAITING for n in range(TAKERS)
    }
    # One confirmation for the winner, one "just taken" for each other number, nothing twice.
    handed: list[Any] = queued(runtime)
    assert Counter(r.kind for r in handed) == {"confirmation": 1, "offer_taken": TAKERS - 1}
    assert len({r.recipient_key for r in handed if r.kind == "offer_taken"}) == TAKERS - 1
