"""A customer's X frees a slot; the waitlist hears of it on the sandbox phone; the first Y
takes it (a confirmation follows), a later Y is told it is gone."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from twilio.rest import Client

from tests.e2e.conftest import Api, in_days, wait_for_texts
from tests.e2e.test_replies import phone_sends
from tests.e2e.vacancy import first_wave
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e


def listed(api: Api, tenant: Tenant, entry_id: str, phone: str, service: str) -> None:
    answer = api.request(
        "PUT",
        f"/v1/waitlist/{entry_id}",
        tenant.booking_token,
        json={"customer": {"phone": phone, "name": "Wait Lister"}, "service": service},
    )
    assert answer.status_code == 201, answer.text


def test_x_offers_the_slot_to_the_waitlist_and_the_first_y_takes_it(
    stack: LocalStackProcess, api: Api, twilio: Client, clinic: Tenant, morning: datetime
) -> None:
    tag = uuid.uuid4().hex[:8]
    service = f"Cleaning {tag}"
    customer, first, second = "+14155550391", "+14155550392", "+14155550393"
    slot = in_days(morning, clinic, 2)
    answer = api.request(
        "PUT",
        f"/v1/appointments/fill-e2e-{tag}",
        clinic.booking_token,
        json={
            "customer": {"phone": customer, "name": "Ana López"},
            "starts_at": slot.isoformat(),
            "service": service,
        },
    )
    assert answer.status_code == 201, answer.text
    wait_for_texts(twilio, customer, 1)
    listed(api, clinic, f"w-{tag}-1", first, service)
    listed(api, clinic, f"w-{tag}-2", second, service)

    phone_sends(stack, customer, clinic, "X")
    first_wave(api, twilio, [first, second])
    offered = [wait_for_texts(twilio, number, 1)[0].body for number in (first, second)]
    taker = phone_sends(stack, second, clinic, "Y")
    booked = wait_for_texts(twilio, second, 2)
    late = phone_sends(stack, first, clinic, "Y")
    gone = wait_for_texts(twilio, first, 2)

    assert all(o.startswith(f"{clinic.name}: a slot opened") for o in offered)
    assert taker["replies"] == []
    assert late["replies"] == []
    assert any(", booked " in t.body for t in booked)
    assert any("is taken. You stay on the waitlist" in t.body for t in gone)
    opening = api.request("GET", f"/v1/openings/op-fill-e2e-{tag}-v2", clinic.booking_token).json()
    assert opening["status"] == "filled"
    taken = api.request("GET", f"/v1/appointments/fill-op-fill-e2e-{tag}-v2", clinic.booking_token)
    assert taken.status_code == 200, taken.text
    assert taken.json()["customer"]["phone"] == second
