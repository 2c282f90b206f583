"""The daily cap and the waitlist on moto tables, through the real handlers (the vacancy
filler's waves, the inbound webhook's Ys, the sender's SQS batches) to the Twilio sandbox:
the trial's busy day (offer, "just taken", offer, Y wins) ends with the winner told, and a
wave passes over a number at its cap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from twilio.rest import Client

from infra.local.sandbox import SandboxServer
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import MessageStatus
from rendezvous.domain.vacancy import Opening, OpeningSource, WaitlistStatus
from rendezvous.runtime import Runtime
from tests.integration.test_message_sender import SENDER, book, sqs_event
from tests.integration.test_offers import OPENING, open_slot, phone, texts_to, vacancies, wait
from tests.integration.test_twilio_inbound import inbound
from tests.support.aws import clinic, seed_tenant
from tests.support.events import invoke

__all__ = ["vacancies"]

SECOND = "op-second"


def send_queued(outbound: Any) -> None:
    """Every text on the outbound queue, through the sender's own handler."""
    messages = outbound()
    if messages:
        invoke(SENDER, sqs_event(messages))


def wave(opening_id: str) -> Any:
    return invoke(
        "VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": opening_id, "wave": 1}
    )


def test_the_trials_busy_day_ends_with_the_winner_told_and_answers_uncounted(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    wait(vacancies, clock, 2)
    open_slot(vacancies, clock)
    wave(OPENING)
    send_queued(outbound)  # an offer each: 1 of 3 for number 1
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(2)))
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    send_queued(outbound)  # number 2's confirmation, number 1's "just taken"

    clock.advance(minutes=2)
    second = Opening(
        tenant_id="clinic-1",
        opening_id=SECOND,
        starts_at=clock.now() + timedelta(days=1, hours=3),
        source=OpeningSource.BOOKING,
        created_at=clock.now(),
    )
    assert vacancies.create_opening(second)
    assert wave(SECOND)["offers_sent"] == 1
    send_queued(outbound)  # the second offer: 2 counted
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    send_queued(outbound)

    found = runtime.store().get_appointment("clinic-1", f"fill-{SECOND}")
    assert found is not None
    [confirmation] = [m for m in found[1] if m.kind == "confirmation"]
    assert confirmation.status in {MessageStatus.QUEUED, MessageStatus.SENT}
    assert confirmation.reason is None
    assert confirmation.answers_customer
    assert len(texts_to(twilio, phone(1))) == 4
    assert [t for t in texts_to(twilio, phone(1)) if "You stay on the waitlist" in t]
    number = runtime.store().get_recipient("clinic-1", phone(1))
    assert number is not None
    assert number.cap_count == 2


def test_a_wave_passes_over_a_number_at_its_cap(
    store: DynamoAppointmentStore,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    seed_tenant(store, clinic(daily_cap=1))
    book("appt-3", phone=phone(3))
    send_queued(outbound)  # its confirmation: number 3's one text of the day
    assert len(texts_to(twilio, phone(3))) == 1
    wait(vacancies, clock, 3)
    wait(vacancies, clock, 4)
    open_slot(vacancies, clock)

    answer = wave(OPENING)
    send_queued(outbound)

    assert answer == {"outcome": "offered", "offers_sent": 1}
    assert len(texts_to(twilio, phone(3))) == 1
    assert texts_to(twilio, phone(4))
    entry = vacancies.get_entry("clinic-1", "e3")
    assert entry is not None
    assert entry.status is WaitlistStatus.WAITING


def test_an_answer_that_met_an_outage_gives_back_its_claim_but_no_cap_slot(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    sandbox: SandboxServer,
) -> None:
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)
    wave(OPENING)
    send_queued(outbound)  # the offer: 1 counted
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"status": 503, "count": 3}, timeout=5
    ).raise_for_status()

    send_queued(outbound)  # the confirmation meets the outage: back on the queue

    number = runtime.store().get_recipient("clinic-1", phone(1))
    assert number is not None
    assert number.cap_count == 1
    assert list(number.claims) == [f"offer/{OPENING}/e1/offer"]
