"""Bookings, reminders, cancellations and replies, through the API, moto and the sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from twilio.rest import Client

from tests.e2e.conftest import (
    HTTP_TIMEOUT,
    SEND_TIMEOUT,
    Api,
    book,
    in_days,
    texts_to,
    wait_for_texts,
)
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = pytest.mark.e2e


def messages_of(api: Api, tenant: Tenant, appointment_id: str) -> dict[str, dict[str, Any]]:
    answer = api.request("GET", f"/v1/appointments/{appointment_id}", tenant.booking_token)
    assert answer.status_code == 200, answer.text
    return {m["kind"]: m for m in answer.json()["messages"]}


def send_at(appointment: dict[str, Any], kind: str) -> datetime:
    planned = {m["kind"]: m for m in appointment["planned_messages"]}
    return datetime.fromisoformat(planned[kind]["send_at"])


def test_a_booking_texts_its_confirmation(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    appointment = book(api, clinic, customer, in_days(morning, clinic, 3))

    [text] = wait_for_texts(twilio, customer, 1)

    assert text.from_ == clinic.phone_number
    assert clinic.name in text.body
    assert "STOP" in text.body
    assert appointment["status"] == "scheduled"


def test_advancing_past_the_24h_reminder_sends_it(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    appointment = book(api, clinic, customer, in_days(morning, clinic, 3))
    wait_for_texts(twilio, customer, 1)

    advanced = api.advance_to(send_at(appointment, "reminder_24h") + timedelta(minutes=1))

    assert advanced["count"] >= 1
    texts = wait_for_texts(twilio, customer, 2)
    reminder = next(t for t in texts if "your visit is tomorrow at" in t.body)
    assert clinic.name in reminder.body
    assert "STOP" not in reminder.body  # the opt-out line goes with the first text only
    status = messages_of(api, clinic, appointment["appointment_id"])["reminder_24h"]["status"]
    assert status in {"queued", "sent", "delivered"}


def test_a_cancelled_appointment_gets_no_reminder(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    # Five days ahead: both default reminders (3 days and 1 day before) are planned.
    starts_at = in_days(morning, clinic, 5)
    appointment = book(api, clinic, customer, starts_at)
    wait_for_texts(twilio, customer, 1)
    appointment_id = appointment["appointment_id"]

    cancelled = api.request("DELETE", f"/v1/appointments/{appointment_id}", clinic.booking_token)
    assert cancelled.status_code == 200, cancelled.text
    api.advance_to(starts_at + timedelta(hours=1))

    assert len(texts_to(twilio, customer)) == 1
    messages = messages_of(api, clinic, appointment_id)
    assert messages["reminder_72h"]["status"] in {"cancelled", "suppressed"}
    assert messages["reminder_24h"]["status"] in {"cancelled", "suppressed"}


def test_the_confirmation_status_reaches_delivered_through_signed_callbacks(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    appointment = book(api, clinic, customer, in_days(morning, clinic, 3))
    [text] = wait_for_texts(twilio, customer, 1)

    confirmation = wait_for(
        lambda: (
            found
            if (found := messages_of(api, clinic, appointment["appointment_id"])["confirmation"])[
                "status"
            ]
            == "delivered"
            else None
        ),
        timeout=SEND_TIMEOUT,
        interval=0.1,
        what="the confirmation to be recorded as delivered",
    )
    assert confirmation["sid"] == text.sid


def test_a_customer_reply_from_the_sandbox_phone_confirms(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: datetime,
) -> None:
    appointment = book(api, clinic, customer, in_days(morning, clinic, 3))
    wait_for_texts(twilio, customer, 1)

    sent = requests.post(
        f"{stack.twilio_base_url}/sandbox/phone/send",
        json={"from": customer, "to": clinic.phone_number, "body": "C"},
        timeout=HTTP_TIMEOUT,
    )

    assert sent.status_code == 200, sent.text
    result = sent.json()
    assert result["status"] == 200, sent.text
    assert result["content_type"].startswith("text/xml")
    assert result["replies"], "the app answers a confirmation in TwiML"
    answer = api.request(
        "GET", f"/v1/appointments/{appointment['appointment_id']}", clinic.booking_token
    )
    assert answer.json()["status"] == "confirmed"
