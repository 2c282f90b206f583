"""Nothing lost, for a waitlist offer too: its text meets a Twilio outage on every retry,
shows in the outbox as a waitlist offer's (failed, retries_exhausted), and the manager's
redrive sends it once when the outage is over."""

from __future__ import annotations

from datetime import datetime

import pytest
from twilio.rest import Client

from tests.e2e.conftest import Api, in_days, texts_to, wait_for_texts
from tests.e2e.test_nothing_lost import advance_slowly, faults
from tests.e2e.vacancy import isolated_service, phones, waitlist
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e


def test_an_offer_text_failed_in_an_outage_shows_in_the_outbox_and_a_redrive_sends_it(
    stack: LocalStackProcess, api: Api, twilio: Client, clinic: Tenant, morning: datetime
) -> None:
    service = isolated_service()
    [number] = phones(300, 1)
    entry_id = waitlist(api, clinic, number, service, name="Lee Offer")
    faults(stack, "POST", {"status": 503, "count": 100_000})
    try:
        published = api.request(
            "POST",
            "/v1/openings",
            clinic.booking_token,
            json={"starts_at": in_days(morning, clinic, 3).isoformat(), "service": service},
        )
        assert published.status_code == 201, published.text
        opening_id = published.json()["opening_id"]
        # Past every retry of the offer's text (5 receives, 90 s apart).
        advance_slowly(stack, 100)
        box = api.request("GET", "/v1/outbox?hours=1", clinic.staff_token)
    finally:
        faults(stack, "DELETE")
    redriven = api.request("POST", "/v1/outbox/redrive", clinic.manager_token)
    [text] = wait_for_texts(twilio, number, 1)
    api.advance(5)

    assert box.status_code == 200, box.text
    mine = [m for m in box.json()["messages"] if m.get("opening_id") == opening_id]
    assert [(m["kind"], m["status"], m["reason"]) for m in mine] == [
        ("offer", "failed", "retries_exhausted")
    ]
    assert (mine[0]["entry_id"], mine[0]["phone"], "appointment_id" in mine[0]) == (
        entry_id,
        number,
        False,
    )
    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["redrive"]["queued"] >= 1
    assert text.body.startswith(f"{clinic.name}: a slot opened")
    assert len(texts_to(twilio, number)) == 1
