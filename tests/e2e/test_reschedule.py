"""R through the sandbox phone (CONTRACT.md, Vacancy fill): with openings that fit, up to
three come back by digit and the digit moves the appointment (the old slot opens); with
none, a person takes it as before. Each test books a service of its own, so the openings
other tests make never fit."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.rest import Client

from tests.e2e.conftest import Api, in_days, new_appointment_id, wait_for_texts
from tests.e2e.test_replies import phone_sends
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e


def _service() -> str:
    return f"Cleaning {uuid.uuid4().hex[:6]}"


def _book(api: Api, clinic: Tenant, phone: str, starts_at: datetime, service: str) -> str:
    appointment_id = new_appointment_id()
    answer = api.request(
        "PUT",
        f"/v1/appointments/{appointment_id}",
        clinic.booking_token,
        json={
            "customer": {"phone": phone, "name": "Ana López"},
            "starts_at": starts_at.isoformat(),
            "duration_minutes": 30,
            "service": service,
        },
    )
    assert answer.status_code == 201, answer.text
    return appointment_id


def _publish(api: Api, clinic: Tenant, starts_at: datetime, service: str) -> str:
    answer = api.request(
        "POST",
        "/v1/openings",
        clinic.booking_token,
        json={"starts_at": starts_at.isoformat(), "duration_minutes": 30, "service": service},
    )
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["opening_id"])


def _open_items(api: Api, clinic: Tenant, phone: str) -> list[dict[str, Any]]:
    page = api.request("GET", "/v1/queue?status=open&limit=100", clinic.staff_token).json()
    return [i for i in page["items"] if i["phone"] == phone]


def test_r_with_fitting_openings_offers_digits_and_the_digit_moves_the_visit(
    api: Api,
    twilio: Client,
    stack: LocalStackProcess,
    clinic: Tenant,
    customer: str,
    morning: datetime,
) -> None:
    service = _service()
    visit = in_days(morning, clinic, 4)
    appointment_id = _book(api, clinic, customer, visit, service)
    wait_for_texts(twilio, customer, 1)  # the confirmation
    sooner = in_days(morning, clinic, 1, time(11, 0))
    later = in_days(morning, clinic, 2, time(9, 0))
    first = _publish(api, clinic, sooner, service)
    second = _publish(api, clinic, later, service)

    [options] = phone_sends(stack, customer, clinic, "R")["replies"]

    assert options["body"].startswith(f"{clinic.name}: free times: reply 1 for ")
    assert ", 2 for " in options["body"]
    assert ", 3 for " not in options["body"]
    [item] = _open_items(api, clinic, customer)
    assert item["intent"] == "reschedule"

    chosen = phone_sends(stack, customer, clinic, "2")

    assert chosen["replies"] == []
    moved = api.request("GET", f"/v1/appointments/{appointment_id}", clinic.booking_token).json()
    assert datetime.fromisoformat(moved["starts_at"]) == later
    texts = wait_for_texts(twilio, customer, 2)
    assert any("9:00am" in t.body and t.body.startswith(clinic.name) for t in texts)
    taken = api.request("GET", f"/v1/openings/{second}", clinic.staff_token).json()
    assert taken["status"] == "filled"
    assert taken["filled_appointment_id"] == appointment_id
    still = api.request("GET", f"/v1/openings/{first}", clinic.staff_token).json()
    assert still["status"] in ("open", "offered")
    # The old slot is an opening now, offered in turn; the R needs no person any more.
    day = visit - timedelta(hours=1)
    listed = api.request(
        "GET",
        "/v1/openings?" + _range(day, day + timedelta(hours=2)),
        clinic.staff_token,
    ).json()["openings"]
    [freed] = [o for o in listed if o.get("replaces") == appointment_id]
    assert (freed["source"], freed["service"]) == ("reschedule", service)
    assert datetime.fromisoformat(freed["starts_at"]) == visit
    assert _open_items(api, clinic, customer) == []


def test_r_without_a_fitting_opening_goes_to_a_person_as_before(
    api: Api, stack: LocalStackProcess, clinic: Tenant, customer: str
) -> None:
    # Nothing is sent here but answers to texts: any hour will do, the clock stays put.
    _book(api, clinic, customer, in_days(api.clock(), clinic, 4), _service())

    [ack] = phone_sends(stack, customer, clinic, "R")["replies"]

    assert ack["body"].startswith(f"{clinic.name}: thanks, we will find you a new time")
    [item] = _open_items(api, clinic, customer)
    assert item["intent"] == "reschedule"
    # No choice is open: a digit is words for that person.
    assert phone_sends(stack, customer, clinic, "1")["replies"] == []
    [item] = _open_items(api, clinic, customer)
    assert item["message_count"] == 2


def _range(start: datetime, end: datetime) -> str:
    return urlencode({"from": start.isoformat(), "to": end.isoformat()})
