"""One open waitlist offer per number on moto tables made from template.yaml: the offer's
transaction holds it on condition, so two waves for different openings at once offer the
number one slot, through the vacancy filler's and the inbound webhook's real handlers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import (
    Customer,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    Recipient,
    WaitlistOffer,
)
from rendezvous.domain.vacancy import (
    Offer,
    OfferStatus,
    Opening,
    OpeningSource,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.phone import recipient_key
from rendezvous.runtime import Runtime
from tests.integration.test_offers import phone, queued
from tests.integration.test_twilio_inbound import inbound
from tests.support.events import invoke

FIRST, SECOND = "op-cleaning", "op-whitening"


@pytest.fixture
def vacancies(runtime: Runtime, store: DynamoAppointmentStore) -> DynamoVacancies:
    found = runtime.vacancy_store()
    assert isinstance(found, DynamoVacancies)
    return found


def listed(vacancies: DynamoVacancies, clock: FixedClock, n: int, service: str) -> WaitlistEntry:
    """Entry e<n>: the same customer, phone(1), waiting for `service`."""
    entry = WaitlistEntry(
        tenant_id="clinic-1",
        entry_id=f"e{n}",
        customer=Customer(phone=phone(1), name="Customer 1"),
        service=service,
        listed_at=clock.now() - timedelta(days=1, minutes=-n),
    )
    vacancies.put_entry(entry, expected_version=None)
    return entry


def open_slot(
    vacancies: DynamoVacancies, clock: FixedClock, opening_id: str, service: str, hours: int
) -> Opening:
    opening = Opening(
        tenant_id="clinic-1",
        opening_id=opening_id,
        starts_at=clock.now() + timedelta(hours=hours),
        service=service,
        source=OpeningSource.BOOKING,
        created_at=clock.now(),
    )
    assert vacancies.create_opening(opening)
    return opening


def wave(opening_id: str, n: int = 1) -> Any:
    return invoke(
        "VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": opening_id, "wave": n}
    )


def test_two_waves_at_once_offer_the_number_one_slot_and_its_y_takes_that_one(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed(vacancies, clock, 1, "Cleaning")
    listed(vacancies, clock, 2, "Whitening")
    open_slot(vacancies, clock, FIRST, "Cleaning", 26)
    open_slot(vacancies, clock, SECOND, "Whitening", 30)
    read = DynamoAppointmentStore.recipients_by_key
    inner: list[Any] = []

    def stale(self: DynamoAppointmentStore, tenant_id: str, keys: list[str]) -> Any:
        # FIRST's wave has read the number free; SECOND's wave runs whole before it writes.
        found = read(self, tenant_id, keys)
        if not inner:
            inner.append(None)
            inner[0] = wave(SECOND)
        return found

    monkeypatch.setattr(DynamoAppointmentStore, "recipients_by_key", stale)
    outer = wave(FIRST)
    monkeypatch.undo()

    assert outer == {"outcome": "offered", "offers_sent": 0}
    assert inner == [{"outcome": "offered", "offers_sent": 1}]
    first = vacancies.get_opening("clinic-1", FIRST)
    second = vacancies.get_opening("clinic-1", SECOND)
    assert first is not None
    assert second is not None
    assert first.offers == []
    assert [(o.entry_id, o.status) for o in second.offers] == [("e2", OfferStatus.SENT)]
    # FIRST's lost offer wrote nothing and handed nothing to the sender.
    assert texts_of(runtime, FIRST) == []
    handed = [r for r in queued(outbound) if isinstance(r, OfferSendRequest)]
    assert [(r.opening_id, r.entry_id) for r in handed] == [(SECOND, "e2")]
    assert {e: x.status for e in ("e1", "e2") if (x := vacancies.get_entry("clinic-1", e))} == {
        "e1": WaitlistStatus.WAITING,
        "e2": WaitlistStatus.OFFERED,
    }
    number = store.get_recipient("clinic-1", phone(1))
    assert number is not None
    assert number.waitlist_offer is not None
    assert number.waitlist_offer.opening_id == SECOND

    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))

    assert store.get_appointment("clinic-1", f"fill-{SECOND}") is not None
    assert store.get_appointment("clinic-1", f"fill-{FIRST}") is None


def texts_of(runtime: Runtime, opening_id: str) -> list[OfferText]:
    found = runtime.offer_book().opening_texts("clinic-1", opening_id)
    assert found is not None
    return found.texts


# The clinic's own zone: a stored instant in any offset compares as the instant it is.
LOCAL = ZoneInfo("America/Los_Angeles")


def made(
    runtime: Runtime, entry: WaitlistEntry, opening_id: str, offered_at: datetime, until: datetime
) -> bool:
    offer = Offer(
        tenant_id="clinic-1",
        opening_id=opening_id,
        entry_id=entry.entry_id,
        phone=entry.customer.phone,
        name=entry.customer.name,
        wave=1,
        sent_at=offered_at,
        message_status=MessageStatus.PLANNED.value,
    )
    text = OfferText(
        tenant_id="clinic-1",
        opening_id=opening_id,
        entry_id=entry.entry_id,
        recipient_key=recipient_key("clinic-1", entry.customer.phone),
        kind="offer",
        status=MessageStatus.PLANNED,
        send_at=offered_at,
        created_at=offered_at,
        updated_at=offered_at,
    )
    choice = WaitlistOffer(opening_id=opening_id, offered_at=offered_at, expires_at=until)
    return runtime.offer_book().make_offer(offer, text, entry, choice)


@pytest.mark.parametrize(
    ("held", "makes"),
    [
        pytest.param("open", False, id="open-a-microsecond-more"),
        pytest.param("expired", True, id="expired-at-this-instant"),
        pytest.param("ended", True, id="ended-before-it-expired"),
    ],
)
def test_an_offer_is_made_only_while_the_number_holds_no_open_one(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    held: str,
    makes: bool,
) -> None:
    now = clock.now().astimezone(UTC)
    before = listed(vacancies, clock, 1, "Cleaning")
    entry = listed(vacancies, clock, 2, "Whitening")
    open_slot(vacancies, clock, FIRST, "Cleaning", 26)
    open_slot(vacancies, clock, SECOND, "Whitening", 30)
    # The number's earlier offer stops at `until`, written in the clinic's offset.
    until = {
        "open": now + timedelta(microseconds=1),
        "expired": now,
        "ended": now + timedelta(hours=1),
    }[held]
    assert made(runtime, before, FIRST, now - timedelta(minutes=5), until.astimezone(LOCAL))
    if held == "ended":
        earlier = vacancies.get_opening("clinic-1", FIRST)
        assert earlier is not None
        runtime.offer_book().release(earlier.offers[0], now - timedelta(minutes=1))
    held_by: Recipient | None = store.get_recipient("clinic-1", phone(1))

    answer = made(runtime, entry, SECOND, now, now + timedelta(hours=20))

    assert answer is makes
    after = store.get_recipient("clinic-1", phone(1))
    detail = vacancies.get_opening("clinic-1", SECOND)
    stored = vacancies.get_entry("clinic-1", entry.entry_id)
    assert after is not None
    assert detail is not None
    assert stored is not None
    if makes:
        assert after.waitlist_offer is not None
        assert after.waitlist_offer.opening_id == SECOND
        assert stored.status is WaitlistStatus.OFFERED
        return
    # Nothing written: no offer, no text, the entry waiting as it was, the number's offer
    # the earlier one.
    assert detail.offers == []
    assert texts_of(runtime, SECOND) == []
    assert (stored.status, stored.version) == (WaitlistStatus.WAITING, entry.version)
    assert after == held_by
