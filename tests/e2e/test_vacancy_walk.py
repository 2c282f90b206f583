"""The vacancy fill, walked end to end through the local stack: a customer's X opens the
slot, the waitlist is offered it in waves as the virtual clock moves, one entry of the
second wave takes it, the booking system's receiver gets `appointment.created` (with
`replaces`) and `opening.filled` signed as Standard Webhooks, the opening reads as filled
by that entry, and a first-wave customer who answers late is told it is gone."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook
from twilio.rest import Client

from tests.e2e.conftest import Api, in_days, wait_for_texts
from tests.e2e.test_webhook_delivery import Receiver, register
from tests.e2e.vacancy import (
    book_with_service,
    fill_settings,
    first_wave,
    isolated_service,
    opening,
    opening_replacing,
    phones,
    reply,
    texts_by_number,
    wait_for_each,
    waitlist,
)
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e

WAVE = 2
INTERVAL_MINUTES = 15
SETTLE_SECONDS = 1.0  # what a stray send or delivery would need to show up


def test_x_opens_the_slot_a_second_wave_taker_fills_it_and_the_receiver_hears_both_events(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: object,
) -> None:
    receiver = Receiver(stack)
    secret = register(api, clinic, receiver, ["appointment.created", "opening.filled"])
    receiver.configure(secret=secret)
    service = isolated_service()
    first, second, third = waiting = phones(100, 3)
    with fill_settings(
        api,
        clinic,
        fill_wave_size=WAVE,
        fill_wave_interval_minutes=INTERVAL_MINUTES,
        fill_match="service",
    ):
        entries = [waitlist(api, clinic, phone, service) for phone in waiting]
        starts_at = in_days(api.clock(), clinic, 3)
        cancelled = book_with_service(api, clinic, customer, starts_at, service)
        wait_for_texts(twilio, customer, 1)

        reply(stack, clinic, customer, "X")
        opening_id = opening_replacing(api, clinic, cancelled)["opening_id"]
        first_wave(api, twilio, waiting)
        # The first wave: the two listed first, in the order they were listed.
        wait_for_each(twilio, [first, second], 1)
        assert texts_by_number(twilio, [third]) == {third: []}

        api.advance(INTERVAL_MINUTES + 1)
        (offer,) = wait_for_each(twilio, [third], 1)[third]
        assert offer.body == texts_by_number(twilio, [first])[first][0].body

        reply(stack, clinic, third, "Y")
        late = reply(stack, clinic, first, "Y")

    appointment_id = f"fill-{opening_id}"
    arrivals = receiver.wait_for(2)
    assert all(a["verified"] for a in arrivals), arrivals
    events = {
        body["type"]: body["data"]
        for body in (Webhook(secret).verify(a["body"], a["headers"]) for a in arrivals)
    }
    assert set(events) == {"appointment.created", "opening.filled"}
    assert events["appointment.created"]["appointment_id"] == appointment_id
    assert events["appointment.created"]["replaces"] == cancelled["appointment_id"]
    assert events["opening.filled"]["opening_id"] == opening_id
    assert events["opening.filled"]["appointment_id"] == appointment_id

    filled = opening(api, clinic, opening_id)
    assert filled["status"] == "filled"
    assert filled["filled_by_entry"] == entries[2]
    assert filled["filled_appointment_id"] == appointment_id
    assert {o["entry_id"] for o in filled["offers"]} == set(entries)

    created = api.request("GET", f"/v1/appointments/{appointment_id}", clinic.booking_token)
    assert created.status_code == 200, created.text
    assert created.json()["customer"]["phone"] == third
    assert created.json()["starts_at"] == cancelled["starts_at"]
    # The winner's confirmation, and the late first-wave taker's "just taken" text.
    texts = wait_for_each(twilio, [first, third], 2)
    (confirmation,) = [m for m in created.json()["messages"] if m["kind"] == "confirmation"]
    assert texts[third][1].sid == confirmation["sid"]
    assert late["error"] is None, late
    assert texts[first][1].body != texts[first][0].body
    still = api.request("GET", f"/v1/waitlist/{entries[0]}", clinic.booking_token)
    assert still.status_code == 200, still.text
    assert still.json()["status"] != "filled"
    # No third wave and no second event once it is filled, however long the clock runs.
    api.advance(INTERVAL_MINUTES + 1)
    time.sleep(SETTLE_SECONDS)
    assert len(receiver.arrivals()) == 2
    assert {n: len(t) for n, t in texts_by_number(twilio, waiting).items()} == {
        first: 2,
        second: 1,
        third: 2,
    }
