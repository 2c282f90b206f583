"""R13: a number's waitlist offer texts (the offer, the "just taken") are in its
conversation (GET /v1/recipients/{phone}), found through `by_recipient` on moto: one Query
and one BatchGetItem more per conversation, nothing more per offer (the listing keys are
attributes of the text's own Put)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.clock import FixedClock
from rendezvous.runtime import Runtime
from tests.integration.test_offers import (
    dynamodb_calls,
    open_slot,
    phone,
    send_all,
    wait,
    wave,
)
from tests.integration.test_staff_api import call
from tests.integration.test_twilio_inbound import inbound
from tests.support.events import invoke


def test_the_loser_s_conversation_shows_the_offer_and_just_taken_texts(
    runtime: Runtime,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    vacancies = runtime.vacancy_store()
    assert isinstance(vacancies, DynamoVacancies)
    wait(vacancies, clock, 1)
    wait(vacancies, clock, 2)
    open_slot(vacancies, clock)
    wave(1)
    send_all(runtime, outbound)
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(2)))
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    send_all(runtime, outbound)

    status, loser = call("GET", f"/v1/recipients/{quote(phone(1))}")
    with dynamodb_calls() as calls:
        _, winner = call("GET", f"/v1/recipients/{quote(phone(2))}")

    assert status == 200, loser
    automated = [
        (m["message_kind"], m["status"]) for m in loser["messages"] if m["kind"] == "automated"
    ]
    assert [kind for kind, _ in automated] == ["offer", "offer_taken"]
    assert {s for _, s in automated} == {"queued"}
    # (The test's clock stands still: every text has the same instant, so no order here.)
    bodies = [m["body"] for m in loser["messages"]]
    assert any(b.startswith("Harbor Clinic: a slot opened tomorrow at") for b in bodies)
    assert "Y" in bodies
    assert any("is taken. You stay on the waitlist" in b for b in bodies)
    # The winner's: their own offer, none of the loser's texts.
    offers = [m for m in winner["messages"] if m.get("message_kind") in ("offer", "offer_taken")]
    assert [m["message_kind"] for m in offers] == ["offer"]
    # The offer texts: one keys-only Query of `by_recipient` and this one BatchGetItem.
    assert calls["BatchGetItem"] == 1
    print("DynamoDB calls of one conversation with offer texts:", dict(calls))
