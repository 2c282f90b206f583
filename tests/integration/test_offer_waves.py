"""Waves on moto tables made from template.yaml and moto's Scheduler: the listing a slot of
no named service reads (the no-preference entries alone, in one Query), and the wave a
slot backing off gets soon when someone joins the list."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import boto3
from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.wave_scheduler import wave_schedule_name
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import Customer
from rendezvous.domain.vacancy import Opening, OpeningSource, WaitlistEntry, WaitlistStatus
from rendezvous.runtime import Runtime
from tests.integration.test_offers import send_all, wave
from tests.integration.test_vacancy_api import ANA, call, dynamodb_calls, vacancies
from tests.support.aws import at
from tests.support.events import invoke

LISTED = at("2030-01-09T09:00:00-08:00")


def test_the_no_preference_listing_is_one_query_of_those_entries_alone(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    wants = {"w-0": "Cleaning", "w-1": None, "w-2": "Whitening", "w-3": None, "w-4": None}
    for n, (entry_id, service) in enumerate(wants.items()):
        vacancies(runtime).put_entry(
            WaitlistEntry(
                tenant_id="clinic-1",
                entry_id=entry_id,
                customer=Customer(phone=f"+1415555{n:04d}", name=f"Customer {n}"),
                service=service,
                listed_at=LISTED + timedelta(minutes=n),
                status=WaitlistStatus.OFFERED if entry_id == "w-4" else WaitlistStatus.WAITING,
            ),
            expected_version=None,
        )

    with dynamodb_calls(runtime) as calls:
        first, cursor = vacancies(runtime).waiting_without_preference("clinic-1", 1, None)
    rest, end = vacancies(runtime).waiting_without_preference("clinic-1", 5, cursor)

    assert [e.entry_id for e in first] == ["w-1"]
    assert [e.entry_id for e in rest] == ["w-3"]  # w-4 has an offer open
    assert end is None
    assert calls == Counter({"Query": 1})


def test_someone_joining_through_the_api_hurries_a_slot_backing_off(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    opening = Opening(
        tenant_id="clinic-1",
        opening_id="op-visit-1-v2",
        starts_at=clock.now() + timedelta(days=3),
        source=OpeningSource.CANCELLATION,
        replaces="visit-1",
        created_at=clock.now(),
    )
    assert vacancies(runtime).create_opening(opening)
    assert wave(1) == {"outcome": "offered", "offers_sent": 0}  # nobody yet: backs off

    status, _ = call("PUT", "/v1/waitlist/w-1", {"customer": ANA})

    assert status == 201
    hurried = boto3.client("scheduler").get_schedule(
        Name=wave_schedule_name("clinic-1", opening.opening_id, 2) + "-soon",
        GroupName=runtime.settings.fill_wave_group,
    )
    assert hurried["ScheduleExpression"] == "at(2030-01-10T17:01:00)"
    assert wave(2) == {"outcome": "offered", "offers_sent": 1}


def test_the_queue_watcher_frees_entries_a_broken_wave_chain_left_held(
    store: DynamoAppointmentStore,
    runtime: Runtime,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    for n in (1, 2):
        vacancies(runtime).put_entry(
            WaitlistEntry(
                tenant_id="clinic-1",
                entry_id=f"e{n}",
                customer=Customer(phone=f"+1415555{n:04d}", name=f"Customer {n}"),
                listed_at=LISTED + timedelta(minutes=n),
            ),
            expected_version=None,
        )
    opening = Opening(
        tenant_id="clinic-1",
        opening_id="op-visit-1-v2",
        starts_at=clock.now() + timedelta(days=1),
        source=OpeningSource.CANCELLATION,
        created_at=clock.now(),
    )
    assert vacancies(runtime).create_opening(opening)
    assert wave(1) == {"outcome": "offered", "offers_sent": 2}
    send_all(runtime, outbound)
    # Wave 2 never runs: its schedule ended in SchedulerDeadLetterQueue.
    clock.advance(minutes=30)

    swept = invoke("QueueWatcherFunction", {"source": "aws.scheduler"})

    assert swept["waitlist_entries_freed"] == 2
    for n in (1, 2):
        freed = vacancies(runtime).get_entry("clinic-1", f"e{n}")
        assert freed is not None
        assert freed.status is WaitlistStatus.WAITING
        number = store.get_recipient("clinic-1", f"+1415555{n:04d}")
        assert number is not None
        assert number.waitlist_offer is not None
        assert number.waitlist_offer.ended_at == clock.now()
    again = invoke("QueueWatcherFunction", {"source": "aws.scheduler"})
    assert again["waitlist_entries_freed"] == 0
