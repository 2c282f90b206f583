"""Through the inbound webhook's real handler on moto tables: C answers the reminder that
asks for it, even while a waitlist offer to the number is open; Y then takes the offer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import Customer
from rendezvous.domain.vacancy import OfferStatus
from rendezvous.runtime import Runtime
from tests.integration.test_offers import (
    OPENING,
    open_slot,
    phone,
    send_all,
    texts_to,
    wait,
    wave,
)
from tests.integration.test_twilio_inbound import inbound, replies
from tests.support.events import invoke


@pytest.fixture
def vacancies(runtime: Runtime, store: DynamoAppointmentStore) -> DynamoVacancies:
    found = runtime.vacancy_store()
    assert isinstance(found, DynamoVacancies)
    return found


def test_c_confirms_the_visit_while_an_offer_is_open_and_y_then_takes_the_offer(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    # phone(1)'s own visit two weeks out, its confirmation sent ("Reply C to confirm"),
    # and tomorrow's slot offered to it.
    runtime.appointment_service().upsert(
        "clinic-1",
        "visit-own",
        AppointmentDraft(
            Customer(phone=phone(1), name="Customer 1"), clock.now() + timedelta(days=14)
        ),
    )
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)
    wave(1)
    send_all(runtime, outbound)
    sent = texts_to(twilio, phone(1))
    assert any("Reply C to confirm" in t for t in sent)
    assert any(t.startswith("Harbor Clinic: a slot opened tomorrow") for t in sent)

    [answer] = replies(invoke("TwilioInboundFunction", inbound("C", sender=phone(1))))
    after_c = store.get_recipient("clinic-1", phone(1))
    detail = vacancies.get_opening("clinic-1", OPENING)

    own = store.get_appointment("clinic-1", "visit-own")
    assert own is not None
    assert own[0].confirmed_at == clock.now()
    assert answer.startswith("Harbor Clinic: thanks Customer, you are confirmed for ")
    assert store.get_appointment("clinic-1", f"fill-{OPENING}") is None
    assert detail is not None
    assert [o.status for o in detail.offers] == [OfferStatus.SENT]
    assert after_c is not None
    assert after_c.waitlist_offer is not None
    assert after_c.waitlist_offer.is_open(clock.now())

    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))

    filled = store.get_appointment("clinic-1", f"fill-{OPENING}")
    assert filled is not None
    assert filled[0].customer.phone == phone(1)
    still = store.get_appointment("clinic-1", "visit-own")
    assert still is not None
    assert still[0].confirmed_at == clock.now()
