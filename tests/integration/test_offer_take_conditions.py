"""The take's DynamoDB conditions on moto, write by write: what the domain checks before a
write, the write itself refuses too (a read can be stale by the time it lands)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from twilio.rest import Client

from rendezvous.adapters.dynamodb.offers import DynamoOffers
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.freed_slot import slot_item_id
from rendezvous.domain.models import (
    Appointment,
    Customer,
    MessageKind,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    QueueIntent,
    QueueItem,
    QueueStatus,
    WaitlistOffer,
)
from rendezvous.domain.offers import TakeOutcome
from rendezvous.domain.vacancy import (
    Offer,
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistStatus,
    fill_appointment_id,
)
from rendezvous.phone import recipient_key
from rendezvous.runtime import Runtime
from tests.integration.test_message_sender import sqs_event
from tests.integration.test_offers import OPENING, open_slot, phone, wait, wave
from tests.integration.test_staff_api import call
from tests.integration.test_twilio_inbound import inbound
from tests.support.events import invoke


@pytest.fixture
def vacancies(runtime: Runtime, store: DynamoAppointmentStore) -> DynamoVacancies:
    found = runtime.vacancy_store()
    assert isinstance(found, DynamoVacancies)
    return found


def offered(vacancies: DynamoVacancies, clock: FixedClock, *numbers: int) -> Opening:
    for n in numbers:
        wait(vacancies, clock, n)
    open_slot(vacancies, clock)
    wave(1)
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert len(detail.offers) == len(numbers)
    return detail.opening


def offer_of(vacancies: DynamoVacancies, entry_id: str) -> Offer:
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    return next(o for o in detail.offers if o.entry_id == entry_id)


def fill(runtime: Runtime, opening: Opening, offer: Offer, not_before: datetime) -> bool:
    now = runtime.clock.now()
    appointment = Appointment(
        tenant_id="clinic-1",
        appointment_id=fill_appointment_id(opening.opening_id),
        customer=Customer(phone=offer.phone, name=offer.name),
        starts_at=opening.starts_at,
        created_at=now,
        updated_at=now,
        replaces=opening.replaces,
    )
    return runtime.offer_book().fill(
        opening,
        offer=offer,
        appointment=appointment,
        messages=[],
        events=[],
        not_before=not_before,
        now=now,
    )


def test_a_late_write_of_lost_never_overwrites_the_winners_taken_offer(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
) -> None:
    """The same number's second Y read its offer open before its first Y won."""
    offered(vacancies, clock, 1, 2)
    stale = offer_of(vacancies, "e1")
    tenant = store.get_tenant("clinic-1")
    first = store.get_recipient("clinic-1", phone(1))
    assert tenant is not None
    assert first is not None
    won = runtime.offer_service().take(tenant, first, OPENING)
    assert won is not None
    assert won.outcome is TakeOutcome.WON
    now = clock.now()
    text = OfferText(
        tenant_id="clinic-1",
        opening_id=OPENING,
        entry_id="e1",
        recipient_key=recipient_key("clinic-1", phone(1)),
        kind=MessageKind.OFFER_TAKEN.value,
        status=MessageStatus.PLANNED,
        send_at=now,
        created_at=now,
        updated_at=now,
    )

    assert runtime.offer_book().lose(stale, text, now) is False

    assert offer_of(vacancies, "e1").status is OfferStatus.TAKEN
    request = OfferSendRequest(
        tenant_id="clinic-1",
        opening_id=OPENING,
        entry_id="e1",
        kind="offer_taken",
        recipient_key=text.recipient_key,
    )
    assert runtime.offer_book().load_offer_send_context(request).text is None


def test_a_loser_whose_offer_the_winner_closes_meanwhile_is_still_told_just_taken(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The winner closes the other offers at once (release: the offer `expired`, the entry
    waiting again). Landing between the loser's read of its entry and its own write, it
    used to fail that write: the loser got no "just taken" text (a flaky race test)."""
    offered(vacancies, clock, 1, 2)
    loser = offer_of(vacancies, "e2")
    book = runtime.offer_book()
    assert isinstance(book, DynamoOffers)
    real = DynamoOffers._waiting_again
    raced: list[bool] = []

    def waiting_then_released(self: Any, offer: Offer) -> Any:
        read = real(self, offer)
        if not raced:
            raced.append(True)
            book.release(offer, clock.now())  # the winner's close, just after the read
        return read

    monkeypatch.setattr(DynamoOffers, "_waiting_again", waiting_then_released)
    now = clock.now()
    text = OfferText(
        tenant_id="clinic-1",
        opening_id=OPENING,
        entry_id="e2",
        recipient_key=recipient_key("clinic-1", phone(2)),
        kind=MessageKind.OFFER_TAKEN.value,
        status=MessageStatus.PLANNED,
        send_at=now,
        created_at=now,
        updated_at=now,
    )

    assert book.lose(loser, text, now) is True

    assert raced == [True]
    assert offer_of(vacancies, "e2").status is OfferStatus.LOST
    entry = vacancies.get_entry("clinic-1", "e2")
    assert entry is not None
    assert entry.status is WaitlistStatus.WAITING
    request = OfferSendRequest(
        tenant_id="clinic-1",
        opening_id=OPENING,
        entry_id="e2",
        kind="offer_taken",
        recipient_key=text.recipient_key,
    )
    assert book.load_offer_send_context(request).text is not None


def test_an_offer_whose_entry_was_removed_cannot_fill_the_opening(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
) -> None:
    opening = offered(vacancies, clock, 1)
    entry = vacancies.get_entry("clinic-1", "e1")
    assert entry is not None
    vacancies.put_entry(
        entry.model_copy(update={"status": WaitlistStatus.REMOVED, "version": entry.version + 1}),
        expected_version=entry.version,
    )
    not_before = clock.now() + timedelta(minutes=120)

    assert fill(runtime, opening, offer_of(vacancies, "e1"), not_before) is False

    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert detail.opening.status is OpeningStatus.OFFERED
    assert store.get_appointment("clinic-1", fill_appointment_id(OPENING)) is None


def test_an_opening_starting_exactly_at_the_notice_limit_cannot_be_filled(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
) -> None:
    """The domain takes only a slot that starts strictly after now plus the notice; the
    write's condition is no looser."""
    opening = offered(vacancies, clock, 1)
    offer = offer_of(vacancies, "e1")

    assert fill(runtime, opening, offer, opening.starts_at) is False
    assert store.get_appointment("clinic-1", fill_appointment_id(OPENING)) is None
    assert fill(runtime, opening, offer, opening.starts_at - timedelta(seconds=1)) is True


def test_a_fill_through_the_inbound_webhook_resolves_the_slot_freed_item(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
) -> None:
    now = clock.now()
    item = QueueItem(
        tenant_id="clinic-1",
        item_id=slot_item_id("clinic-1", "visit-1"),
        intent=QueueIntent.SLOT_FREED,
        phone=phone(9),
        recipient_key=recipient_key("clinic-1", phone(9)),
        appointment_id="visit-1",
        created_at=now,
        updated_at=now,
        due_by=now + timedelta(hours=1),
        last_message_at=now,
        preview="Slot freed: Fri 11 Jan 10:30am",
        acknowledged=True,
    )
    runtime.queue_store().put_item(item, 30)
    offered(vacancies, clock, 1)  # the opening replaces visit-1

    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))

    settled = runtime.queue_store().get("clinic-1", item.item_id)
    assert settled is not None
    assert settled.status is QueueStatus.RESOLVED
    assert settled.resolved_by == "automation"
    assert (
        settled.preview == "Slot freed: Fri 11 Jan 10:30am · filled from the waitlist by Customer 1"
    )


def test_a_fill_tells_whoever_holds_the_slot_freed_item_in_its_thread_once(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
) -> None:
    now = clock.now()
    item = QueueItem(
        tenant_id="clinic-1",
        item_id=slot_item_id("clinic-1", "visit-1"),
        intent=QueueIntent.SLOT_FREED,
        phone=phone(9),
        recipient_key=recipient_key("clinic-1", phone(9)),
        appointment_id="visit-1",
        created_at=now,
        updated_at=now,
        due_by=now + timedelta(hours=1),
        last_message_at=now,
        preview="Slot freed: Fri 11 Jan 10:30am",
        acknowledged=True,
    )
    queue = runtime.queue_store()
    queue.put_item(item, 30)
    assert queue.claim("clinic-1", item.item_id, "desk-bea", now, now + timedelta(hours=1))
    offered(vacancies, clock, 1)

    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    filled = vacancies.get_opening("clinic-1", OPENING)
    assert filled is not None
    runtime.offer_service().filled(filled.opening, "from the waitlist by Customer 1")  # a retry

    held = queue.get("clinic-1", item.item_id)
    assert held is not None
    assert (held.status, held.claimed_by) == (QueueStatus.CLAIMED, "desk-bea")
    thread = queue.messages("clinic-1", item.item_id)
    assert [(m.author, m.body) for m in thread] == [
        ("automation", "Filled from the waitlist by Customer 1")
    ]
    _, shown = call("GET", f"/v1/queue/{item.item_id}")
    assert [m["body"] for m in shown["messages"]] == ["Filled from the waitlist by Customer 1"]


def test_removing_an_offered_entry_ends_its_offer_in_the_same_write(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
) -> None:
    offered(vacancies, clock, 1, 2)
    before = store.get_recipient("clinic-1", phone(1))
    assert before is not None
    assert before.waitlist_offer is not None

    removed = runtime.vacancy_service().remove_entry("clinic-1", "e1")

    assert removed.status is WaitlistStatus.REMOVED
    assert offer_of(vacancies, "e1").status is OfferStatus.EXPIRED
    after = store.get_recipient("clinic-1", phone(1))
    assert after is not None
    assert after.waitlist_offer is None
    assert after.rev > before.rev  # a send claim read before must read again
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    assert store.get_appointment("clinic-1", fill_appointment_id(OPENING)) is None
    # The other entry's offer is untouched, and it can still take the slot.
    assert offer_of(vacancies, "e2").status is OfferStatus.SENT
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(2)))
    found = store.get_appointment("clinic-1", fill_appointment_id(OPENING))
    assert found is not None
    assert found[0].customer.phone == phone(2)


def test_a_late_y_for_one_slot_cannot_fill_it_once_a_wave_offered_its_entry_another(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    """The Y read slot A's ended offer; a wave offering slot B to the same entry landed
    before its fill. The fill must not take A with an entry B holds, nor wipe the number's
    waitlist offer of B while B's offer stays sent."""
    slot_a = offered(vacancies, clock, 1)
    late = offer_of(vacancies, "e1")
    invoke("MessageSenderFunction", sqs_event(outbound()))
    clock.advance(minutes=15)
    wave(2)  # A's hold ends: e1 waits again
    slot_b = Opening(
        tenant_id="clinic-1",
        opening_id="op-b",
        starts_at=clock.now() + timedelta(days=2),
        source=OpeningSource.BOOKING,
        created_at=clock.now(),
    )
    assert vacancies.create_opening(slot_b)
    invoke("VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": "op-b", "wave": 1})
    entry = vacancies.get_entry("clinic-1", "e1")
    assert entry is not None
    assert (entry.status, entry.offered_opening_id) == (WaitlistStatus.OFFERED, "op-b")

    assert fill(runtime, slot_a, late, clock.now()) is False

    a = vacancies.get_opening("clinic-1", OPENING)
    b = vacancies.get_opening("clinic-1", "op-b")
    assert a is not None
    assert b is not None
    assert a.opening.status is not OpeningStatus.FILLED
    assert [(o.entry_id, o.status) for o in b.offers] == [("e1", OfferStatus.SENT)]
    after = vacancies.get_entry("clinic-1", "e1")
    assert after is not None
    assert (after.status, after.offered_opening_id) == (WaitlistStatus.OFFERED, "op-b")
    number = store.get_recipient("clinic-1", phone(1))
    assert number is not None
    assert number.waitlist_offer is not None
    assert number.waitlist_offer.opening_id == "op-b"
    assert number.waitlist_offer.ended_at is None


def test_a_late_y_cannot_take_its_slot_from_under_another_slots_open_offer_on_the_number(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    """A number listed twice: its entry e1's hold of slot A ended; its other entry holds
    slot B's open offer. A fill of A by e1 may not remove B's offer from the number."""
    slot_a = offered(vacancies, clock, 1)
    late = offer_of(vacancies, "e1")
    invoke("MessageSenderFunction", sqs_event(outbound()))
    clock.advance(minutes=15)
    wave(2)
    number = store.get_recipient("clinic-1", phone(1))
    assert number is not None
    now = clock.now()
    held = WaitlistOffer(opening_id="op-b", offered_at=now, expires_at=now + timedelta(minutes=15))
    book = runtime.offer_book()
    assert isinstance(book, DynamoOffers)
    hold = book._waitlist_offer("clinic-1", number.recipient_key, phone(1), held)["Update"]
    book._db.update_item(**hold)  # as a wave offering B to the same number writes it

    assert fill(runtime, slot_a, late, clock.now()) is False

    after = store.get_recipient("clinic-1", phone(1))
    assert after is not None
    assert after.waitlist_offer == held
    a = vacancies.get_opening("clinic-1", OPENING)
    assert a is not None
    assert a.opening.status is not OpeningStatus.FILLED
