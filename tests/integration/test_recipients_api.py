"""The people routes through the Staff API's handler on moto: a number opted out or in on
the customer's spoken wish, its history, and every text both ways in a queue item's thread;
with the DynamoDB calls a conversation and a queue page cost."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from infra.local.sandbox import SandboxServer
from rendezvous.adapters.aws import client
from rendezvous.adapters.dynamodb.conversations import DynamoConversations
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import ConversationMessage
from rendezvous.phone import recipient_key
from rendezvous.runtime import Runtime
from tests.integration.test_message_sender import sqs_event
from tests.integration.test_staff_api import call, message_of
from tests.integration.test_twilio_inbound import CUSTOMER, inbound, replies
from tests.support.events import appointment_event, invoke

ENCODED = CUSTOMER.replace("+", "%2B")


def items(runtime: Runtime, **match: str) -> list[dict[str, Any]]:
    """The table's items whose attributes equal `match` (a test may scan; the code never)."""
    from boto3.dynamodb.types import TypeDeserializer

    found = []
    paginator = boto3.client("dynamodb").get_paginator("scan")
    for page in paginator.paginate(TableName=runtime.settings.table_name):
        for raw in page["Items"]:
            item = {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
            if all(item.get(k) == v for k, v in match.items()):
                found.append(item)
    return found


def book(appointment_id: str = "appt-1", starts_at: str = "2030-01-15T10:30:00-08:00") -> None:
    response = invoke(
        "AppointmentsFunction",
        appointment_event(
            "PUT",
            appointment_id,
            {"customer": {"phone": CUSTOMER, "name": "Ana López"}, "starts_at": starts_at},
        ),
    )
    assert response["statusCode"] == 201


def text(body: str, sid: str | None = None) -> list[str]:
    return replies(invoke("TwilioInboundFunction", inbound(body, sid=sid)))


# -- opt-out and opt-in --------------------------------------------------------------------


def test_a_staff_opt_out_answers_changed_once_and_writes_one_event_and_one_audit_entry(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    first = call("POST", f"/v1/recipients/{ENCODED}/opt-out", {"reason": "phoned"})
    clock.advance(minutes=1)
    again = call("POST", f"/v1/recipients/{ENCODED}/opt-out")

    assert first == (
        200,
        {"phone": CUSTOMER, "opted_out": True, "changed": True, "carrier_block": False},
    )
    assert again[1]["changed"] is False
    [event] = items(runtime, kind="webhook_event", type="recipient.opted_out")
    assert json.loads(event["data"]) == {"by": "staff", "phone": CUSTOMER, "source": "staff"}
    [audit] = items(runtime, event="opted_out_by_staff")
    assert audit["actor"] == "staff-maria"
    assert audit["reason"] == "on the customer's request by phone: phoned"


def test_a_staff_opt_out_suppresses_the_pending_confirmation_as_stop_does(
    store: DynamoAppointmentStore, outbound: Any
) -> None:
    book()
    call("POST", f"/v1/recipients/{ENCODED}/opt-out")

    invoke("MessageSenderFunction", sqs_event(outbound()))

    assert message_of("appt-1", "confirmation") == ("suppressed", "opted_out")


def test_a_staff_opt_in_after_the_customers_stop_answers_carrier_block(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    text("STOP")

    status, body = call("POST", f"/v1/recipients/{ENCODED}/opt-in", {"reason": "asked to"})

    assert (status, body["opted_out"], body["changed"], body["carrier_block"]) == (
        200,
        False,
        True,
        True,
    )
    [event] = items(runtime, kind="webhook_event", type="recipient.opted_in")
    assert json.loads(event["data"])["by"] == "staff"


def test_the_customers_stop_after_a_staff_opt_out_still_sets_the_carrier_block(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    call("POST", f"/v1/recipients/{ENCODED}/opt-out")
    text("STOP")

    _, body = call("POST", f"/v1/recipients/{ENCODED}/opt-in")

    assert (body["changed"], body["carrier_block"]) == (True, True)
    # The STOP changed no wish: the staff opt-out's event is the only one.
    assert len(items(runtime, kind="webhook_event", type="recipient.opted_out")) == 1


def test_a_start_from_a_number_never_seen_writes_no_recipient(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    text("START")

    assert store.get_recipient("clinic-1", CUSTOMER) is None


def test_national_digits_are_read_in_the_tenants_country(store: DynamoAppointmentStore) -> None:
    status, body = call("POST", "/v1/recipients/4155550123/opt-out")

    assert (status, body["phone"]) == (200, CUSTOMER)


@pytest.mark.parametrize("phone", ["abc", "12", "%2B1", "%2B999999999999999", "1" * 300])
def test_a_bad_number_is_a_422_naming_the_phone_and_writes_nothing(
    store: DynamoAppointmentStore, runtime: Runtime, phone: str
) -> None:
    status, body = call("POST", f"/v1/recipients/{phone}/opt-out")

    assert status == 422
    assert body["error"]["details"][0]["field"] == "phone"
    assert items(runtime, kind="webhook_event") == []


def test_a_reason_over_300_characters_is_a_422(store: DynamoAppointmentStore) -> None:
    status, body = call("POST", f"/v1/recipients/{ENCODED}/opt-out", {"reason": "x" * 301})

    assert status == 422
    assert body["error"]["details"][0]["field"] == "reason"


def test_booking_systems_may_not_opt_numbers_out(store: DynamoAppointmentStore) -> None:
    status, _ = call("POST", f"/v1/recipients/{ENCODED}/opt-out", role="booking")

    assert status == 403


# -- a number's history --------------------------------------------------------------------


def test_an_unknown_number_has_an_empty_history_not_a_404(store: DynamoAppointmentStore) -> None:
    status, body = call("GET", "/v1/recipients/%2B14155550999")

    assert status == 200
    assert body == {
        "phone": "+14155550999",
        "opted_out": False,
        "undeliverable": False,
        "appointments": [],
        "messages": [],
    }


def test_every_text_both_ways_shows_in_the_history_and_the_items_thread(
    store: DynamoAppointmentStore,
    sandbox: SandboxServer,
    outbound: Any,
    clock: FixedClock,
) -> None:
    book()
    invoke("MessageSenderFunction", sqs_event(outbound()))
    clock.advance(minutes=5)
    [confirmed] = text("C")
    clock.advance(minutes=5)
    [ack] = text("Can I bring my daughter?")
    _, page = call("GET", "/v1/queue")
    [item] = page["items"]
    call("POST", f"/v1/queue/{item['item_id']}/claim")
    clock.advance(minutes=1)
    call("POST", f"/v1/queue/{item['item_id']}/reply", {"body": "Of course!"})

    _, history = call("GET", f"/v1/recipients/{ENCODED}")
    _, detail = call("GET", f"/v1/queue/{item['item_id']}")

    expected = [
        ("automated", "confirmation", None),
        ("keyword", None, "C"),
        ("auto_reply", None, confirmed),
        ("text", None, "Can I bring my daughter?"),
        ("auto_reply", None, ack),
        ("staff", None, "Harbor Clinic: Of course!"),
    ]
    for shown in (history["messages"], detail["messages"]):
        got = [(m["kind"], m.get("message_kind"), m["body"]) for m in shown]
        assert [(k, mk, None if k == "automated" else b) for k, mk, b in got] == expected
    assert detail["messages"][0]["status"] == "queued"
    assert detail["messages"][1]["keyword"] == "C"
    assert history["name"] == "Ana López"
    assert history["open_item_id"] == item["item_id"]
    assert [(a["appointment_id"], a["status"]) for a in history["appointments"]] == [
        ("appt-1", "confirmed")
    ]


def test_a_text_is_kept_once_however_often_it_is_recorded(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    texts = DynamoConversations(client("dynamodb"), runtime.settings.table_name)
    rkey = recipient_key("clinic-1", CUSTOMER)
    message = ConversationMessage(
        item_id="", at=clock.now(), direction="inbound", body="hi", author="customer", sid="SM1"
    )

    first = texts.record_texts("clinic-1", rkey, "SM1", [message], 90)
    clock.advance(seconds=30)
    later = message.model_copy(update={"at": clock.now()})
    second = texts.record_texts("clinic-1", rkey, "SM1", [later], 90)

    assert (first, second) == (True, False)
    assert [m.body for m in texts.texts("clinic-1", rkey, 100)] == ["hi"]


# -- queue items name the customer and the appointment's state ----------------------------


def test_queue_cards_carry_the_name_and_the_appointments_current_status(
    store: DynamoAppointmentStore, sandbox: SandboxServer, clock: FixedClock
) -> None:
    book()
    text("Can I come earlier?")
    clock.advance(minutes=10)
    invoke("AppointmentsFunction", appointment_event("DELETE", "appt-1"))

    _, page = call("GET", "/v1/queue")

    [card] = page["items"]
    assert card["customer_name"] == "Ana López"
    assert card["appointment_status"] == "cancelled"
    assert card["appointment_changed_at"] > card["last_message_at"]


def test_status_names_the_tenants_locale_and_country(store: DynamoAppointmentStore) -> None:
    status, body = call("GET", "/v1/status", tenant="salon-1")

    assert (status, body["locale"], body["country"]) == (200, "fr", "FR")


# -- what it costs -------------------------------------------------------------------------


class DynamoCalls:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.counting = False

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        if self.counting:
            self.calls[event_name.split(".", 2)[2]] += 1

    def measure(self, action: Callable[[], object]) -> Counter[str]:
        self.calls, self.counting = Counter(), True
        try:
            action()
        finally:
            self.counting = False
        return self.calls


def test_a_conversation_and_a_queue_page_cost_bounded_reads_and_no_scan(
    store: DynamoAppointmentStore, sandbox: SandboxServer, clock: FixedClock
) -> None:
    for n in range(12):
        book(f"appt-{n}", f"2030-01-{11 + n}T10:30:00-08:00")
    text("Can I come earlier?")
    for n in range(3):
        replies(invoke("TwilioInboundFunction", inbound("Parking?", sender=f"+1415555020{n}")))
    counter = DynamoCalls()
    client("dynamodb").meta.events.register("before-call.dynamodb", counter)
    _, page = call("GET", "/v1/queue")
    item_id = next(i["item_id"] for i in page["items"] if i["phone"] == CUSTOMER)

    detail = counter.measure(lambda: call("GET", f"/v1/queue/{item_id}"))
    history = counter.measure(lambda: call("GET", f"/v1/recipients/{ENCODED}"))
    listing = counter.measure(lambda: call("GET", "/v1/queue"))

    print(f"DynamoDB calls: item {dict(detail)}, number {dict(history)}, page {dict(listing)}")
    # The item; 2 queries of by_recipient, one per appointment partition read (5 next here,
    # at most 5 + 5), the number's texts, its offer texts (by_recipient; none here, so no
    # BatchGetItem) and the item's thread. The item's appointment is among those read. The
    # number: the tenant and the recipient instead of the item.
    assert detail == Counter({"GetItem": 1, "Query": 2 + 5 + 1 + 1 + 1})
    assert history == Counter({"GetItem": 2, "Query": 2 + 5 + 1 + 1 + 1})
    assert listing == Counter({"Query": 1, "BatchGetItem": 1})


def test_another_tenant_sees_nothing_of_the_number_and_opts_it_out_for_itself_only(
    store: DynamoAppointmentStore,
) -> None:
    book()
    text("Can I bring my daughter?")
    call("POST", f"/v1/recipients/{ENCODED}/opt-out")

    status, theirs = call("GET", f"/v1/recipients/{ENCODED}", tenant="salon-1")
    _, out = call("POST", f"/v1/recipients/{ENCODED}/opt-in", tenant="salon-1")
    _, mine = call("GET", f"/v1/recipients/{ENCODED}")

    # The same number at another business: no name, no visit, no text, not opted out.
    assert status == 200
    assert theirs == {
        "phone": CUSTOMER,
        "opted_out": False,
        "undeliverable": False,
        "appointments": [],
        "messages": [],
    }
    assert (out["changed"], out["opted_out"]) == (False, False)
    assert (mine["opted_out"], mine["name"]) == (True, "Ana López")
    assert [a["appointment_id"] for a in mine["appointments"]] == ["appt-1"]
    assert mine["open_item_id"]
