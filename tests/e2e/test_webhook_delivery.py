"""Outbound webhooks through the local stack: a customer's C reaches the sandbox's
booking-system receiver as an event `standardwebhooks` verifies; a receiver that fails
twice gets it a third time, same webhook-id, as the virtual clock reaches each retry; a
text Twilio refuses reaches it as message.failed; a private address is refused at
registration."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook
from twilio.rest import Client

from tests.e2e.conftest import HTTP_TIMEOUT, Api, book, in_days, wait_for_texts
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = pytest.mark.e2e

DELIVERY_TIMEOUT = 20.0
INVALID_NUMBER = "+15005550001"


class Receiver:
    def __init__(self, stack: LocalStackProcess) -> None:
        self.name = f"crm-{uuid.uuid4().hex[:8]}"
        self.base = f"{stack.twilio_base_url}/sandbox/webhooks/{self.name}"

    def configure(self, **config: object) -> None:
        answer = requests.put(f"{self.base}/config", json=config, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, answer.text

    def arrivals(self) -> list[dict[str, Any]]:
        answer = requests.get(self.base, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["arrivals"]
        return found

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        return wait_for(
            lambda: found if len(found := self.arrivals()) >= count else None,
            timeout=DELIVERY_TIMEOUT,
            what=f"{count} webhook(s) at {self.name}",
        )


def register(api: Api, tenant: Tenant, receiver: Receiver, events: list[str]) -> str:
    answer = api.request(
        "PUT",
        f"/v1/webhooks/{receiver.name}",
        tenant.manager_token,
        json={"url": receiver.base, "events": events, "description": "e2e receiver"},
    )
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


def customer_replies(stack: LocalStackProcess, tenant: Tenant, customer: str, body: str) -> None:
    sent = requests.post(
        f"{stack.twilio_base_url}/sandbox/phone/send",
        json={"from": customer, "to": tenant.phone_number, "body": body},
        timeout=HTTP_TIMEOUT,
    )
    assert sent.status_code == 200, sent.text


def booked_and_confirmed_by_c(
    stack: LocalStackProcess, api: Api, twilio: Client, tenant: Tenant, customer: str
) -> str:
    appointment = book(api, tenant, customer, in_days(api.clock(), tenant, 3))
    wait_for_texts(twilio, customer, 1)
    customer_replies(stack, tenant, customer, "C")
    appointment_id: str = appointment["appointment_id"]
    return appointment_id


def test_a_c_reply_reaches_the_receiver_as_a_verified_signed_event(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: object,
) -> None:
    receiver = Receiver(stack)
    secret = register(api, clinic, receiver, ["appointment.confirmed"])
    receiver.configure(secret=secret)

    appointment_id = booked_and_confirmed_by_c(stack, api, twilio, clinic, customer)

    (arrival,) = receiver.wait_for(1)
    assert arrival["verified"] is True
    body = Webhook(secret).verify(arrival["body"], arrival["headers"])
    assert body["type"] == "appointment.confirmed"
    assert body["data"]["appointment_id"] == appointment_id
    assert arrival["webhook_id"].startswith("evt_")
    assert json.loads(arrival["body"]) == body


def test_a_receiver_failing_twice_gets_the_event_a_third_time_with_the_same_id(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: object,
) -> None:
    receiver = Receiver(stack)
    secret = register(api, clinic, receiver, ["appointment.confirmed"])
    receiver.configure(secret=secret, fail_next=2, status=503)

    booked_and_confirmed_by_c(stack, api, twilio, clinic, customer)
    receiver.wait_for(1)
    api.advance(1)  # the first retry is due within 30 s
    receiver.wait_for(2)
    api.advance(3)  # the second within 2 minutes of the first
    arrivals = receiver.wait_for(3)

    assert [a["answered"] for a in arrivals] == [503, 503, 200]
    assert len({a["webhook_id"] for a in arrivals}) == 1
    assert all(a["verified"] for a in arrivals)
    api.advance(60)
    assert len(receiver.arrivals()) == 3


@pytest.mark.parametrize(
    ("reply", "event_type"),
    [
        ("X", "appointment.cancelled"),
        ("R", "appointment.reschedule_requested"),
        ("STOP", "recipient.opted_out"),
    ],
)
def test_each_reply_reaches_the_receiver_as_its_verified_event(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: object,
    reply: str,
    event_type: str,
) -> None:
    receiver = Receiver(stack)
    secret = register(api, clinic, receiver, [event_type])
    receiver.configure(secret=secret)
    book(api, clinic, customer, in_days(api.clock(), clinic, 3))
    wait_for_texts(twilio, customer, 1)

    customer_replies(stack, clinic, customer, reply)

    (arrival,) = receiver.wait_for(1)
    body = Webhook(secret).verify(arrival["body"], arrival["headers"])
    assert arrival["verified"] is True
    assert body["type"] == event_type


def test_a_text_twilio_refuses_reaches_the_receiver_as_a_verified_message_failed_event(
    stack: LocalStackProcess, api: Api, clinic: Tenant, morning: object
) -> None:
    receiver = Receiver(stack)
    secret = register(api, clinic, receiver, ["message.failed"])
    receiver.configure(secret=secret)

    # Twilio's test number for an invalid "To": the sandbox refuses the confirmation, 21211.
    appointment = book(api, clinic, INVALID_NUMBER, in_days(api.clock(), clinic, 3))

    (arrival,) = receiver.wait_for(1)
    body = Webhook(secret).verify(arrival["body"], arrival["headers"])
    assert arrival["verified"] is True
    assert body["type"] == "message.failed"
    assert body["data"]["appointment_id"] == appointment["appointment_id"]
    assert (body["data"]["kind"], body["data"]["error_code"]) == ("confirmation", 21211)


@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.7/hooks", "https://169.254.169.254/latest", "https://[fd00:ec2::254]/"],
)
def test_a_private_address_is_refused_at_registration(api: Api, clinic: Tenant, url: str) -> None:
    answer = api.request(
        "PUT",
        f"/v1/webhooks/private-{uuid.uuid4().hex[:8]}",
        clinic.manager_token,
        json={"url": url, "events": ["appointment.confirmed"], "description": ""},
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"]
