"""The benchmark's late taker, through the local stack: offered the slot in wave 1, someone
of wave 2 takes it, wave 3 closes the offers, and only then does the first customer's Y
come. They are told once that it is gone (however often they answer, however often
Twilio retries), and their Y confirms no visit of their own."""

from __future__ import annotations

import time
from datetime import time as clock_time
from typing import Any

import pytest
from twilio.rest import Client

from tests.e2e.conftest import Api, in_days, wait_for_texts
from tests.e2e.vacancy import (
    book_with_service,
    fill_settings,
    isolated_service,
    opening,
    opening_replacing,
    phones,
    reply,
    texts_by_number,
    wait_for_each,
    waitlist,
)
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = pytest.mark.e2e

INTERVAL_MINUTES = 15
SETTLE_SECONDS = 1.0  # what a stray send would need to show up


def test_a_y_after_the_next_wave_closed_the_offers_is_told_once_that_it_is_gone(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: object,
) -> None:
    service = isolated_service()
    late, taker = phones(200, 2)
    with fill_settings(
        api,
        clinic,
        fill_wave_size=1,
        fill_wave_interval_minutes=INTERVAL_MINUTES,
        fill_match="service",
    ):
        # The late taker has an unconfirmed visit of their own: a Y must not confirm it.
        own = book_with_service(
            api,
            clinic,
            late,
            in_days(api.clock(), clinic, 4, clock_time(14, 0)),
            isolated_service(),
        )
        wait_for_texts(twilio, late, 1)
        entries = [waitlist(api, clinic, phone, service) for phone in (late, taker)]
        cancelled = book_with_service(
            api, clinic, customer, in_days(api.clock(), clinic, 3), service
        )
        wait_for_texts(twilio, customer, 1)
        reply(stack, clinic, customer, "X")
        opening_id = opening_replacing(api, clinic, cancelled)["opening_id"]
        api.advance(1.1)  # wave 1 is planned a minute ahead (a Scheduler at() in the past)
        wait_for_texts(twilio, late, 2)  # wave 1: the offer
        api.advance(INTERVAL_MINUTES + 1)
        wait_for_each(twilio, [taker], 1)  # wave 2
        reply(stack, clinic, taker, "Y")
        wait_for_each(twilio, [taker], 2)  # the winner's confirmation
        api.advance(INTERVAL_MINUTES + 1)  # wave 3 finds it filled and closes the offers

        def closed() -> dict[str, Any] | None:
            found = opening(api, clinic, opening_id)
            statuses = {o["entry_id"]: o["status"] for o in found["offers"]}
            return found if statuses.get(entries[0]) == "expired" else None

        wait_for(closed, timeout=30.0, what="the first wave's offer closed")

        answers = [reply(stack, clinic, late, "Y") for _ in range(3)]
        wait_for_texts(twilio, late, 3)
        time.sleep(SETTLE_SECONDS)

    texts = texts_by_number(twilio, [late])[late]
    assert [a["replies"] for a in answers] == [[], [], []]
    assert [a["error"] for a in answers] == [None, None, None]
    assert len(texts) == 3
    assert texts[2].body == (
        f"{clinic.name}: sorry, {_when(texts[1].body)} is taken. You stay on the waitlist. "
        "Questions? Reply."
    )
    mine = api.request("GET", f"/v1/appointments/{own['appointment_id']}", clinic.booking_token)
    assert mine.status_code == 200, mine.text
    assert mine.json().get("confirmed_at") is None
    filled = opening(api, clinic, opening_id)
    assert {o["entry_id"]: o["status"] for o in filled["offers"]} == {
        entries[0]: "lost",
        entries[1]: "taken",
    }


def _when(offer: str) -> str:
    """The moment an offer text names: "<business>: a slot opened <when>. Reply Y..."."""
    return offer.split("a slot opened ", 1)[1].split(". Reply Y", 1)[0]
