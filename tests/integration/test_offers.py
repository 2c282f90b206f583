"""Waves and takes on moto tables made from template.yaml, through the vacancy filler's and
the inbound webhook's real handlers, texts through the sender to the Twilio sandbox. The
DynamoDB calls of one offer and of one fill are counted call by call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.adapters.wave_scheduler import wave_schedule_name
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import (
    Customer,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    RescheduleOptions,
    TextRequest,
)
from rendezvous.domain.vacancy import (
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.phone import recipient_key
from rendezvous.runtime import Runtime
from tests.integration.test_twilio_inbound import inbound
from tests.support.events import invoke

OPENING = "op-visit-1-v2"


def phone(n: int) -> str:
    return f"+1415555{n:04d}"


@pytest.fixture
def vacancies(runtime: Runtime, store: DynamoAppointmentStore) -> DynamoVacancies:
    found = runtime.vacancy_store()
    assert isinstance(found, DynamoVacancies)
    return found


def wait(vacancies: DynamoVacancies, clock: FixedClock, n: int) -> WaitlistEntry:
    entry = WaitlistEntry(
        tenant_id="clinic-1",
        entry_id=f"e{n}",
        customer=Customer(phone=phone(n), name=f"Customer {n}"),
        listed_at=clock.now() - timedelta(days=1, minutes=-n),
    )
    vacancies.put_entry(entry, expected_version=None)
    return entry


def open_slot(vacancies: DynamoVacancies, clock: FixedClock) -> Opening:
    opening = Opening(
        tenant_id="clinic-1",
        opening_id=OPENING,
        starts_at=clock.now() + timedelta(days=1, hours=1, minutes=30),
        source=OpeningSource.CANCELLATION,
        replaces="visit-1",
        created_at=clock.now(),
    )
    assert vacancies.create_opening(opening)
    return opening


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """The DynamoDB operations made inside the block (every client), by name."""
    from rendezvous.adapters import aws as aws_clients

    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = aws_clients.client("dynamodb").meta.events
    events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", count)


def queued(outbound: Any) -> list[TextRequest]:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[TextRequest] = TypeAdapter(TextRequest)
    return [adapter.validate_json(m["Body"]) for m in outbound()]


def send_all(runtime: Runtime, outbound: Any) -> None:
    for request in queued(outbound):
        runtime.sender().deliver(request)


def texts_to(twilio: Client, number: str) -> list[str]:
    return [m.body or "" for m in twilio.messages.list(to=number)]


def wave(n: int) -> Any:
    return invoke(
        "VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": OPENING, "wave": n}
    )


def test_a_wave_offers_the_first_listed_and_plans_the_next_wave(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    for n in range(1, 8):
        wait(vacancies, clock, n)
    open_slot(vacancies, clock)

    answer = wave(1)
    requests = queued(outbound)
    for request in requests:
        runtime.sender().deliver(request)

    assert answer == {"outcome": "offered", "offers_sent": 5}
    assert sorted(r.entry_id for r in requests if isinstance(r, OfferSendRequest)) == [
        "e1",
        "e2",
        "e3",
        "e4",
        "e5",
    ]
    assert texts_to(twilio, phone(1))[0].startswith("Harbor Clinic: a slot opened tomorrow at")
    assert not texts_to(twilio, phone(6))
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert (detail.opening.status, detail.opening.waves_sent) == (OpeningStatus.OFFERED, 1)
    assert {o.message_status for o in detail.offers} == {"queued"}
    group = runtime.settings.fill_wave_group
    planned = boto3.client("scheduler").get_schedule(
        Name=wave_schedule_name("clinic-1", OPENING, 2), GroupName=group
    )
    assert planned["ScheduleExpression"] == "at(2030-01-10T17:15:00)"


def test_the_same_wave_twice_sends_nothing_twice(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)

    wave(1)
    send_all(runtime, outbound)
    again = wave(1)
    send_all(runtime, outbound)

    assert again["outcome"] == "repeated"
    assert len(texts_to(twilio, phone(1))) == 1


def test_y_takes_the_opening_and_a_later_y_hears_it_is_gone(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    wait(vacancies, clock, 2)
    open_slot(vacancies, clock)
    wave(1)
    send_all(runtime, outbound)

    with dynamodb_calls() as fill_calls:
        invoke("TwilioInboundFunction", inbound("Y", sender=phone(2)))
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    send_all(runtime, outbound)

    found = runtime.store().get_appointment("clinic-1", f"fill-{OPENING}")
    assert found is not None
    appointment, messages = found
    assert (appointment.customer.phone, appointment.replaces) == (phone(2), "visit-1")
    # A day ahead: the confirmation and the short reminder (the 48-hour one has passed).
    assert {m.kind for m in messages} == {"confirmation", "reminder_2h"}
    assert texts_to(twilio, phone(2))[0].startswith("Harbor Clinic: Customer, booked tomorrow")
    gone = [t for t in texts_to(twilio, phone(1)) if "is taken. You stay on the waitlist" in t]
    assert len(gone) == 1
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert (detail.opening.status, detail.opening.filled_by_entry) == (OpeningStatus.FILLED, "e2")
    assert {o.entry_id: o.status for o in detail.offers} == {
        "e1": OfferStatus.LOST,
        "e2": OfferStatus.TAKEN,
    }
    entries = {e: vacancies.get_entry("clinic-1", e) for e in ("e1", "e2")}
    assert {e: x.status for e, x in entries.items() if x} == {
        "e1": WaitlistStatus.WAITING,
        "e2": WaitlistStatus.FILLED,
    }
    # The take: the inbound guard and recipient reads, the opening's Query, the entry, one
    # TransactWriteItems, the conversation's texts and the log (see the report's figures).
    assert fill_calls["TransactWriteItems"] >= 1
    print("DynamoDB calls of one fill (inbound Y, winner):", dict(fill_calls))


def test_dynamodb_calls_of_one_offer(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    for n in range(1, 6):
        wait(vacancies, clock, n)
    open_slot(vacancies, clock)

    with dynamodb_calls() as calls:
        answer = wave(1)
    first, *_ = queued(outbound)
    with dynamodb_calls() as sending:
        runtime.sender().deliver(first)

    assert answer["offers_sent"] == 5
    assert "Scan" not in calls
    # A wave reads once (the tenant, the opening with its offers, the waiting entries and
    # their numbers) and counts itself once; each offer is one transaction (offer, text,
    # entry, open offer).
    assert calls["TransactWriteItems"] == 5
    assert calls["PutItem"] == 1
    # The sender: one BatchGetItem, the claim, the result, the offer's message status, and
    # the log entry (`offer_sent`) of a text Twilio took.
    assert dict(sending) == {"BatchGetItem": 1, "UpdateItem": 3, "PutItem": 1}
    print("DynamoDB calls of a wave of 5 offers:", dict(calls))
    print("DynamoDB calls of sending one offer text:", dict(sending))


def test_a_y_after_the_next_wave_closed_the_offers_hears_once_that_it_is_gone(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    wait(vacancies, clock, 2)
    open_slot(vacancies, clock)
    wave(1)
    send_all(runtime, outbound)
    won_at = clock.now()
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(2)))
    clock.advance(minutes=15)
    assert wave(2)["outcome"] == "filled"
    ended = store.get_recipient("clinic-1", phone(1))
    clock.advance(minutes=20)

    late = inbound("Y", sender=phone(1))
    invoke("TwilioInboundFunction", late)
    invoke("TwilioInboundFunction", late)  # Twilio's retry of the same webhook
    invoke("TwilioInboundFunction", inbound("y", sender=phone(1)))
    send_all(runtime, outbound)
    after = store.get_recipient("clinic-1", phone(1))

    # The win ended the number's offer at once (the next wave found it ended) without
    # forgetting it: the late Y is known.
    assert ended is not None
    assert ended.waitlist_offer is not None
    assert ended.waitlist_offer.opening_id == OPENING
    assert ended.waitlist_offer.ended_at == won_at
    assert after is not None
    assert after.waitlist_offer == ended.waitlist_offer
    assert [t for t in texts_to(twilio, phone(1)) if "is taken. You stay" in t] == [
        "Harbor Clinic: sorry, tomorrow at 10:30am is taken. You stay on the waitlist. "
        "Questions? Reply."
    ]
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert {o.entry_id: o.status for o in detail.offers} == {
        "e1": OfferStatus.LOST,
        "e2": OfferStatus.TAKEN,
    }


def _offer_and_a_visit(
    runtime: Runtime, vacancies: DynamoVacancies, clock: FixedClock
) -> tuple[Opening, datetime]:
    """phone(1) waits for a slot (offered in wave 1) and has a visit of its own that R
    could move to a sooner opening, "op-r" (digit 1; the offered slot is digit 2)."""
    runtime.appointment_service().upsert(
        "clinic-1",
        "visit-own",
        AppointmentDraft(
            Customer(phone=phone(1), name="Customer 1"), clock.now() + timedelta(days=3)
        ),
    )
    wait(vacancies, clock, 1)
    opening = open_slot(vacancies, clock)
    r_slot = clock.now() + timedelta(hours=6)
    assert vacancies.create_opening(
        Opening(
            tenant_id="clinic-1",
            opening_id="op-r",
            starts_at=r_slot,
            source=OpeningSource.BOOKING,
            created_at=clock.now(),
        )
    )
    wave(1)
    return opening, r_slot


def test_a_digit_for_r_leaves_the_open_waitlist_offer_for_y(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
) -> None:
    opening, r_slot = _offer_and_a_visit(runtime, vacancies, clock)
    offered = store.get_recipient("clinic-1", phone(1))

    invoke("TwilioInboundFunction", inbound("R", sender=phone(1)))
    with_options = store.get_recipient("clinic-1", phone(1))
    invoke("TwilioInboundFunction", inbound("1", sender=phone(1)))
    moved = store.get_recipient("clinic-1", phone(1))
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))

    assert offered is not None
    assert offered.waitlist_offer is not None
    assert with_options is not None
    assert with_options.reschedule_options is not None
    assert with_options.reschedule_options.digits == {"1": "op-r", "2": OPENING}
    assert with_options.waitlist_offer == offered.waitlist_offer
    own = store.get_appointment("clinic-1", "visit-own")
    assert own is not None
    assert own[0].starts_at == r_slot
    assert moved is not None
    assert moved.reschedule_options is None
    assert moved.waitlist_offer == offered.waitlist_offer
    taken = store.get_appointment("clinic-1", f"fill-{OPENING}")
    assert taken is not None
    assert taken[0].starts_at == opening.starts_at


def test_y_takes_the_waitlist_offer_and_leaves_r_options_for_their_digit(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
) -> None:
    opening, r_slot = _offer_and_a_visit(runtime, vacancies, clock)

    invoke("TwilioInboundFunction", inbound("R", sender=phone(1)))
    with_options = store.get_recipient("clinic-1", phone(1))
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    after_y = store.get_recipient("clinic-1", phone(1))
    invoke("TwilioInboundFunction", inbound("1", sender=phone(1)))

    assert with_options is not None
    assert with_options.reschedule_options is not None
    taken = store.get_appointment("clinic-1", f"fill-{OPENING}")
    assert taken is not None
    assert taken[0].starts_at == opening.starts_at
    assert after_y is not None
    assert after_y.waitlist_offer is None
    assert after_y.reschedule_options == with_options.reschedule_options
    own = store.get_appointment("clinic-1", "visit-own")
    assert own is not None
    assert own[0].starts_at == r_slot


def test_ending_an_offer_leaves_r_options_and_a_newer_offer_alone(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
) -> None:
    wait(vacancies, clock, 1)
    first = open_slot(vacancies, clock)
    wave(1)
    options = RescheduleOptions(
        appointment_id="visit-own",
        appointment_version=1,
        digits={"1": "op-r"},
        expires_at=clock.now() + timedelta(hours=2),
    )
    store.set_reschedule_options("clinic-1", phone(1), options)
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    [offer] = detail.offers
    book = runtime.offer_book()

    book.release(offer, clock.now())
    ended = store.get_recipient("clinic-1", phone(1))
    assert vacancies.create_opening(
        first.model_copy(update={"opening_id": "op-later", "created_at": clock.now()})
    )
    invoke("VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": "op-later", "wave": 1})
    newer = store.get_recipient("clinic-1", phone(1))
    # A late answer to the first offer, written after the newer offer was made.
    text = OfferText(
        tenant_id="clinic-1",
        opening_id=OPENING,
        entry_id="e1",
        recipient_key=recipient_key("clinic-1", phone(1)),
        kind="offer_taken",
        status=MessageStatus.PLANNED,
        send_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    assert book.lose(offer, text, clock.now())
    after = store.get_recipient("clinic-1", phone(1))

    assert ended is not None
    assert ended.waitlist_offer is not None
    assert (ended.waitlist_offer.opening_id, ended.waitlist_offer.ended_at) == (
        OPENING,
        clock.now(),
    )
    assert ended.reschedule_options == options
    assert newer is not None
    assert newer.waitlist_offer is not None
    assert (newer.waitlist_offer.opening_id, newer.waitlist_offer.ended_at) == ("op-later", None)
    assert newer.reschedule_options == options
    assert after is not None
    assert after.waitlist_offer == newer.waitlist_offer
