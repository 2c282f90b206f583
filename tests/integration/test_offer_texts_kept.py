"""An offer's texts on moto tables made from template.yaml, through the real handlers: in
`by_time` with the appointments' texts (GET /v1/outbox, the queue watcher's sweep, POST
/v1/outbox/redrive), texts through the sender to the Twilio sandbox. The DynamoDB calls the
outbox and a redrive make for offers are counted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from twilio.rest import Client

from infra.local.sandbox import SandboxServer
from rendezvous.adapters.dynamodb.offers import DynamoOffers
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.identity import MessageIdentity, OfferIdentity
from rendezvous.domain.models import MessageStatus, OfferSendRequest
from rendezvous.runtime import Runtime
from tests.integration.test_message_sender import sqs_event
from tests.integration.test_offers import (
    OPENING,
    dynamodb_calls,
    open_slot,
    phone,
    queued,
    texts_to,
    vacancies,
    wait,
    wave,
)
from tests.integration.test_staff_api import book, call
from tests.integration.test_twilio_inbound import inbound
from tests.support.events import invoke

__all__ = ["vacancies"]  # the fixture, used by name

SENDER = "MessageSenderFunction"


def offers(runtime: Runtime) -> DynamoOffers:
    book_ = runtime.offer_book()
    assert isinstance(book_, DynamoOffers)
    return book_


def outage(sandbox: SandboxServer, sends: int) -> None:
    """Twilio answers 503 to the next `sends` sends (a receive tries three times)."""
    requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"status": 503, "count": sends}, timeout=5
    ).raise_for_status()


def text_of(runtime: Runtime, entry_id: str, kind: str = "offer") -> tuple[str, str | None]:
    detail = offers(runtime).opening_texts("clinic-1", OPENING)
    assert detail is not None
    found = next(t for t in detail.texts if (t.entry_id, t.kind) == (entry_id, kind))
    return found.status.value, found.reason


def first_offer_fails_for_good(
    vacancies: DynamoVacancies, clock: FixedClock, outbound: Any, sandbox: SandboxServer
) -> list[dict[str, Any]]:
    """Two offers made; e1's every receive meets an outage (its last one too); e2's is held
    back, to be sent (or not) by the test."""
    wait(vacancies, clock, 1)
    wait(vacancies, clock, 2)
    open_slot(vacancies, clock)
    wave(1)
    messages = outbound()
    first = next(m for m in messages if '"e1"' in m["Body"])
    outage(sandbox, 3)
    invoke(SENDER, sqs_event([first], receive_count=5))
    return [m for m in messages if m is not first]


def test_the_time_index_lists_an_offer_text_under_its_own_key_shape(
    runtime: Runtime,
    store: DynamoAppointmentStore,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
) -> None:
    book("appt-1", "2030-01-15T10:30:00-08:00")
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)
    wave(1)
    request = next(r for r in queued(outbound) if isinstance(r, OfferSendRequest))
    context = offers(runtime).load_offer_send_context(request)
    assert context.text is not None
    later = clock.now() + timedelta(hours=1)

    rows = store.messages_between("clinic-1", clock.now(), clock.now())
    offers(runtime).update_offer_text(
        context.text, status=MessageStatus.DEFERRED, now=clock.now(), send_at=later
    )
    moved = store.messages_between("clinic-1", clock.now(), later)

    assert {type(r.identity) for r in rows} == {MessageIdentity, OfferIdentity}
    [offer_row] = [r for r in rows if isinstance(r.identity, OfferIdentity)]
    assert offer_row.identity == OfferIdentity("clinic-1", OPENING, "e1", "offer")
    assert (offer_row.status, offer_row.send_at) == ("planned", clock.now())
    # Deferred: the one row moves to its new time (no second row at the old one).
    assert [(r.status, r.send_at) for r in moved if isinstance(r.identity, OfferIdentity)] == [
        ("deferred", later)
    ]


def test_an_offer_text_whose_retries_ran_out_shows_in_the_outbox_and_a_redrive_sends_it_once(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    sandbox: SandboxServer,
    twilio: Client,
) -> None:
    first_offer_fails_for_good(vacancies, clock, outbound, sandbox)
    clock.advance(minutes=10)

    with dynamodb_calls() as listing:
        _, box = call("GET", "/v1/outbox", query={"hours": "1"})
    _, stats = call("GET", "/v1/stats", query={"days": "1"})
    with dynamodb_calls() as redriving:
        status, redriven = call("POST", "/v1/outbox/redrive", role="manager")
    invoke(SENDER, sqs_event(outbound()))
    _, again = call("POST", "/v1/outbox/redrive", role="manager")

    failed = [m for m in box["messages"] if m["status"] == "failed"]
    assert failed == [
        {
            "opening_id": OPENING,
            "entry_id": "e1",
            "kind": "offer",
            "send_at": failed[0]["send_at"],
            "status": "failed",
            "reason": "retries_exhausted",
            "customer_name": "Customer 1",
            "phone": phone(1),
        }
    ]
    assert stats["failed"] == 1
    assert (status, redriven) == (200, {"redrive": {"queued": 1, "suppressed": {}}})
    assert text_of(runtime, "e1")[0] in {"queued", "sent", "delivered"}
    assert len(texts_to(twilio, phone(1))) == 1
    assert again == {"redrive": {"queued": 0, "suppressed": {}}}
    print("DynamoDB calls of GET /v1/outbox with offer texts:", dict(listing))
    print("DynamoDB calls of a redrive of one offer text:", dict(redriving))


def test_a_redrive_drops_a_failed_offer_whose_opening_was_filled_meanwhile(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    sandbox: SandboxServer,
    twilio: Client,
) -> None:
    others = first_offer_fails_for_good(vacancies, clock, outbound, sandbox)
    invoke(SENDER, sqs_event(others))
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(2)))
    outbound()

    _, redriven = call("POST", "/v1/outbox/redrive", role="manager")

    assert redriven == {"redrive": {"queued": 0, "suppressed": {"opening_filled": 1}}}
    assert outbound() == []
    assert texts_to(twilio, phone(1)) == []
    assert text_of(runtime, "e1") == ("suppressed", "opening_filled")


def test_the_watcher_marks_a_stuck_offer_text_failed_and_a_redrive_sends_it(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)
    wave(1)
    outbound()  # the sender crashed on every receive: the queue moved it on, unrecorded
    clock.advance(hours=1)
    early = invoke("QueueWatcherFunction", {"source": "aws.scheduler"})
    clock.advance(hours=2)

    result = invoke("QueueWatcherFunction", {"source": "aws.scheduler"})
    failed = text_of(runtime, "e1")
    _, redriven = call("POST", "/v1/outbox/redrive", role="manager")
    invoke(SENDER, sqs_event(outbound()))

    assert early["stuck_texts_failed"] == 0
    assert result["stuck_texts_failed"] == 1
    assert failed == ("failed", "retries_exhausted")
    assert redriven == {"redrive": {"queued": 1, "suppressed": {}}}
    assert len(texts_to(twilio, phone(1))) == 1


def test_the_resume_sends_a_held_offer_text_once_and_the_next_wave_leaves_it_be(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)
    wave(1)
    call("POST", "/v1/pause", {"reason": "Storm closure"}, role="manager")
    invoke(SENDER, sqs_event(outbound()))
    held = text_of(runtime, "e1")
    _, box = call("GET", "/v1/outbox", query={"hours": "1"})

    _, resumed = call("POST", "/v1/resume", {"reason": "Open again"}, role="manager")
    invoke(SENDER, sqs_event(outbound()))
    clock.advance(minutes=15)
    wave(2)

    assert held == ("deferred", "tenant_paused")
    assert [(m.get("opening_id"), m["status"]) for m in box["messages"]] == [(OPENING, "deferred")]
    assert resumed["held"] == {"queued": 1, "suppressed": {}}
    assert outbound() == []
    assert len(texts_to(twilio, phone(1))) == 1


def test_a_redriven_offer_text_shows_sent_on_its_offer_and_the_next_wave_ends_its_hold(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    clock: FixedClock,
    outbound: Any,
    sandbox: SandboxServer,
    twilio: Client,
) -> None:
    first_offer_fails_for_good(vacancies, clock, outbound, sandbox)
    failed = offers(runtime).opening_texts("clinic-1", OPENING)
    clock.advance(minutes=10)
    call("POST", "/v1/outbox/redrive", role="manager")
    invoke(SENDER, sqs_event(outbound()))
    redriven = vacancies.get_opening("clinic-1", OPENING)
    clock.advance(minutes=5)
    wave(2)
    after = vacancies.get_opening("clinic-1", OPENING)

    assert failed is not None
    assert (failed.offers["e1"].message_status, failed.offers["e1"].message_reason) == (
        "failed",
        "retries_exhausted",
    )
    assert redriven is not None
    assert after is not None
    row = next(o for o in redriven.offers if o.entry_id == "e1")
    assert row.message_status in {"queued", "sent", "delivered"}
    assert row.message_reason is None
    assert next(o for o in after.offers if o.entry_id == "e1").status.value == "expired"
    entry = vacancies.get_entry("clinic-1", "e1")
    assert entry is not None
    assert entry.status.value == "waiting"
    assert len(texts_to(twilio, phone(1))) == 1
