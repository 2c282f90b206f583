"""The winner's appointment of an opening whose id is long (a cancel of a 64-character
appointment id): its id keeps to the appointments routes' rule, and a second take makes
no second appointment."""

from __future__ import annotations

import re
from typing import Any

from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.api.http import RESOURCE_ID_PATTERN
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.offers import TakeOutcome
from rendezvous.runtime import Runtime
from tests.integration.test_offers import phone, send_all, vacancies, wait
from tests.integration.test_twilio_inbound import inbound
from tests.integration.test_vacancy_api import ANA, call
from tests.support.events import invoke

__all__ = ["vacancies"]  # the fixture, shared

LONG_ID = "calcom-" + "b" * 57  # 64 characters, the most an appointment id may have


def test_a_long_opening_id_still_books_the_winner_under_a_valid_reachable_id(
    runtime: Runtime,
    store: DynamoAppointmentStore,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    booked = {"customer": ANA, "starts_at": "2030-01-12T10:00:00-08:00"}
    assert call("PUT", f"/v1/appointments/{LONG_ID}", booked)[0] == 201
    assert call("DELETE", f"/v1/appointments/{LONG_ID}")[0] == 200
    opening_id = f"op-{LONG_ID}-v2"
    assert len(opening_id) == 70
    invoke("VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": opening_id, "wave": 1})
    send_all(runtime, outbound)
    clock.advance(minutes=5)

    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    invoke("TwilioInboundFunction", inbound("Yes", sender=phone(1)))  # now a confirm

    detail = vacancies.get_opening("clinic-1", opening_id)
    assert detail is not None
    appointment_id = detail.opening.filled_appointment_id
    assert appointment_id is not None
    assert len(appointment_id) <= 64
    assert re.fullmatch(RESOURCE_ID_PATTERN, appointment_id)
    status, found = call("GET", f"/v1/appointments/{appointment_id}")
    assert status == 200, found
    assert found["customer"]["phone"] == phone(1)
    # The take again (a retried invocation): answered with the same appointment.
    tenant = runtime.store().get_tenant("clinic-1")
    recipient = runtime.store().get_recipient("clinic-1", phone(1))
    assert tenant is not None
    assert recipient is not None
    again = runtime.offer_service().take(tenant, recipient, opening_id)
    assert again is not None
    assert (again.outcome, again.appointment_id) == (TakeOutcome.REPEATED, appointment_id)
    listed, day = call(
        "GET",
        "/v1/appointments",
        query={"from": "2030-01-12T00:00:00-08:00", "to": "2030-01-13T00:00:00-08:00"},
    )
    assert listed == 200, day
    # The cancelled one and the winner's: the second take made none.
    assert sorted(a["appointment_id"] for a in day["appointments"]) == sorted(
        [LONG_ID, appointment_id]
    )
