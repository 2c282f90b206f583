"""The daily cap and the waitlist: offers count toward it; what answers the customer's own
text (the confirmation of the slot their Y won, "just taken") is neither held back by it
nor counted; and a wave does not offer to a number at its cap (the offer text would be
suppressed while the offer held the person)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.errors import GatewayUnavailable
from rendezvous.domain.models import Customer, MessageStatus, Recipient
from rendezvous.domain.offers import TakeOutcome
from rendezvous.domain.sending import Outcome
from rendezvous.domain.vacancy import Opening, OpeningSource, WaitlistStatus
from rendezvous.phone import recipient_key
from tests.support.aws import at, clinic
from tests.unit.test_offers import NOW, OPENING, SLOT, World, phone
from tests.unit.test_reschedule import RWorld
from tests.unit.test_services import CUSTOMER

SECOND = "op-second"


def second_opening(w: World) -> None:
    opening = Opening(
        tenant_id="clinic-1",
        opening_id=SECOND,
        starts_at=SLOT + timedelta(hours=3),
        source=OpeningSource.BOOKING,
        created_at=w.clock.now(),
    )
    assert w.vacancies.create_opening(opening)


def at_cap(w: World, n: int, count: int) -> None:
    """The number had `count` automated texts today already (its own day: LA, as NOW)."""
    key = recipient_key("clinic-1", phone(n))
    w.store.recipients[("clinic-1", key)] = Recipient(
        tenant_id="clinic-1",
        recipient_key=key,
        phone=phone(n),
        cap_day=NOW.date().isoformat(),
        cap_count=count,
        first_contact_at=NOW - timedelta(days=3),
    )


def test_the_trials_busy_day_offer_just_taken_offer_then_y_wins_and_is_confirmed() -> None:
    """The trial: 08:09 offer, 08:10 "just taken", 08:11 a second offer, her Y wins it.
    With a cap of 3 she has the slot, so she must hear so."""
    w = World()
    w.wait(1)
    w.wait(2)
    w.open()
    w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()  # an offer to each: 1 of 3 for number 1
    w.reply(phone(2), "Y", "1")
    lost = w.reply(phone(1), "Y", "2")
    assert lost.take is not None
    assert lost.take.outcome is TakeOutcome.TAKEN
    w.send_all()  # number 2's confirmation; number 1's "just taken"
    assert [t for t in w.texts_to(phone(1)) if "You stay on the waitlist" in t]

    w.clock.advance(minutes=2)
    second_opening(w)
    w.offers.run_wave("clinic-1", SECOND, 1)
    w.send_all()  # the second offer to number 1
    won = w.reply(phone(1), "Y", "3")
    assert won.take is not None
    assert won.take.outcome is TakeOutcome.WON
    results = w.send_all()

    assert Outcome.SENT in [r.outcome for r in results]
    assert len(w.texts_to(phone(1))) == 4
    [record] = [
        m
        for m in w.store.messages.values()
        if m.appointment_id == f"fill-{SECOND}" and m.kind == "confirmation"
    ]
    assert record.status is MessageStatus.QUEUED  # Twilio took it
    assert record.answers_customer
    # Two offers counted; the answers to her Ys did not.
    number = w.store.get_recipient("clinic-1", phone(1))
    assert number is not None
    assert number.cap_count == 2


def test_just_taken_goes_out_to_a_number_at_its_cap() -> None:
    w = World()
    w.store.put_tenant(clinic(fill_wave_size=2, daily_cap=1))
    w.wait(1)
    w.wait(2)
    w.open()
    w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()  # each number's one text of the day: its offer
    w.reply(phone(2), "Y", "1")

    w.reply(phone(1), "Y", "2")
    results = w.send_all()

    assert [r.reason for r in results if r.outcome is Outcome.SUPPRESSED] == []
    assert [t for t in w.texts_to(phone(1)) if "You stay on the waitlist" in t]
    number = w.store.get_recipient("clinic-1", phone(1))
    assert number is not None
    assert number.cap_count == 1


def test_an_appointments_own_texts_still_stop_at_the_cap() -> None:
    """Only answers pass: an offer to a number at its cap is still held back by it."""
    w = World()
    w.store.put_tenant(clinic(fill_wave_size=2, daily_cap=1))
    w.wait(1)
    w.open()
    w.offers.run_wave("clinic-1", OPENING, 1)
    at_cap(w, 1, 1)  # reached between the wave and the send

    [result] = w.send_all()

    assert (result.outcome, result.reason) == (Outcome.SUPPRESSED, "frequency_cap")


def test_a_wave_skips_a_number_at_its_cap_and_offers_the_next() -> None:
    w = World()
    for n in (1, 2, 3):
        w.wait(n)
    at_cap(w, 1, 3)
    w.open()

    result = w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()

    assert result.offers_sent == 2
    assert w.vacancies.entries_by_id[("clinic-1", "e1")].status is WaitlistStatus.WAITING
    assert w.texts_to(phone(1)) == []
    assert w.texts_to(phone(2))
    assert w.texts_to(phone(3))
    assert w.opening().offered_to == 2


def test_a_wave_counts_the_cap_by_the_numbers_own_day() -> None:
    """Yesterday's count is no count: a number capped yesterday is offered today."""
    w = World()
    w.wait(1)
    at_cap(w, 1, 3)
    key = ("clinic-1", recipient_key("clinic-1", phone(1)))
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    w.store.recipients[key] = w.store.recipients[key].model_copy(update={"cap_day": yesterday})
    w.open()

    result = w.offers.run_wave("clinic-1", OPENING, 1)

    assert result.offers_sent == 1


def test_the_moved_text_of_a_digits_move_goes_out_at_the_cap() -> None:
    """R, then a digit: the moved text answers the digit. A move by the booking system
    is the business's own news and still keeps to the cap."""
    w = RWorld()
    w.book_service()  # its confirmation sent: 1 of 3 today
    w.opening("op-a", "2030-01-11T09:00:00-08:00")
    w.opening("op-b", "2030-01-12T14:15:00-08:00")
    w.text_in("R")
    key = ("clinic-1", recipient_key("clinic-1", CUSTOMER))
    w.store.recipients[key] = w.store.recipients[key].model_copy(update={"cap_count": 3})

    w.text_in("1")

    assert w.send_queued() == [Outcome.SENT]
    assert w.record("appt-1", "moved") == (MessageStatus.QUEUED, None)
    w.appointments.upsert(
        "clinic-1",
        "appt-1",
        AppointmentDraft(
            customer=Customer(phone=CUSTOMER, name="Ana María López"),
            starts_at=at("2030-01-14T10:00:00-08:00"),
            service="Cleaning",
        ),
    )
    assert w.send_queued() == [Outcome.SUPPRESSED]
    found = w.store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    moved = {
        m.version: (m.status, m.reason, m.answers_customer) for m in found[1] if m.kind == "moved"
    }
    assert moved == {
        2: (MessageStatus.QUEUED, None, True),
        3: (MessageStatus.SUPPRESSED, "frequency_cap", False),
    }


def test_an_answer_that_met_a_gateway_outage_gives_back_no_cap_slot_it_never_took() -> None:
    w = World()
    w.store.put_tenant(clinic(fill_wave_size=2, daily_cap=1))
    w.wait(1)
    w.wait(2)
    w.open()
    w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()  # each number's one counted text: its offer
    won = w.reply(phone(2), "Y", "1")
    assert won.take is not None
    assert won.take.outcome is TakeOutcome.WON
    w.gateway.failure = GatewayUnavailable("Twilio is down")

    with pytest.raises(GatewayUnavailable):
        w.send_all()  # the winner's confirmation, an answer: claimed uncounted, given back

    number = w.store.get_recipient("clinic-1", phone(2))
    assert number is not None
    assert number.cap_count == 1
