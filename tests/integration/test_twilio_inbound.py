"""POST /twilio/inbound through its handler: signatures, keywords, the human queue."""

from __future__ import annotations

import base64
import itertools
import json
import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from rendezvous.adapters.dynamodb.queue import DynamoConversationQueue
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import serialize
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.events import queue_item_resolved
from rendezvous.domain.models import ConversationMessage, QueueIntent, QueueStatus
from rendezvous.runtime import Runtime
from tests.support.aws import AUTH_TOKEN, PUBLIC_BASE_URL, at, dynamo_queue
from tests.support.events import appointment_event, invoke, response_json, sample

INBOUND = "TwilioInboundFunction"
CLINIC_NUMBER = "+14155550100"
CUSTOMER = "+14155550123"
_sids = itertools.count(1)


def inbound(
    body: str,
    *,
    sender: str = CUSTOMER,
    to: str = CLINIC_NUMBER,
    sid: str | None = None,
    extra: dict[str, str] | None = None,
    base_url: str = PUBLIC_BASE_URL,
    signature: str | None = None,
) -> dict[str, Any]:
    """A webhook as Twilio sends it through API Gateway: form body in base64, lower-case
    headers, blank parameters included, all of them signed."""
    message_sid = sid or f"SM{next(_sids):032x}"
    params = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": message_sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": message_sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": message_sid,
        "AccountSid": "AC" + "0" * 31 + "1",
        "From": sender,
        "ApiVersion": "2010-04-01",
        **(extra or {}),
    }
    event = sample("twilio_inbound.json")
    event["body"] = base64.b64encode(urlencode(params).encode()).decode()
    event["headers"]["x-twilio-signature"] = signature or RequestValidator(
        AUTH_TOKEN
    ).compute_signature(f"{base_url}/twilio/inbound", params)
    return event


def replies(response: dict[str, Any]) -> list[str]:
    import xml.etree.ElementTree as ET

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/xml"
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    root = ET.fromstring(body)  # noqa: S314 - our own TwiML
    assert root.tag == "Response"
    return [m.text or "" for m in root.iter("Message")]


def book(appointment_id: str, starts_at: str = "2030-01-15T10:30:00-08:00") -> None:
    response = invoke(
        "AppointmentsFunction",
        appointment_event(
            "PUT",
            appointment_id,
            {
                "customer": {"phone": CUSTOMER, "name": "Ana López"},
                "starts_at": starts_at,
                "location": "Harbor Clinic",
            },
        ),
    )
    assert response["statusCode"] == 201


def appointment(appointment_id: str) -> dict[str, Any]:
    body: dict[str, Any] = response_json(
        invoke("AppointmentsFunction", appointment_event("GET", appointment_id))
    )
    return body


@pytest.fixture
def queue(runtime: Runtime, store: DynamoAppointmentStore) -> DynamoConversationQueue:
    return dynamo_queue(runtime)


def open_items(store: DynamoAppointmentStore, tenant: str = "clinic-1") -> list[dict[str, Any]]:
    page = store._db.query(
        TableName=store._table,
        IndexName="by_queue",
        KeyConditionExpression="qpk = :q",
        ExpressionAttributeValues=serialize({":q": f"T#{tenant}#QS#open"}),
    )
    from rendezvous.adapters.dynamodb.table import deserialize

    return [deserialize(i) for i in page["Items"]]


# -- signatures ------------------------------------------------------------------------


def test_a_forged_signature_is_refused(store: DynamoAppointmentStore) -> None:
    response = invoke(INBOUND, inbound("hello", signature="Zm9yZ2Vk"))

    assert response["statusCode"] == 403
    assert open_items(store) == []


def test_parameters_twilio_adds_without_notice_are_signed_and_accepted(
    store: DynamoAppointmentStore,
) -> None:
    response = invoke(
        INBOUND,
        inbound("hello", extra={"AddOns": '{"status":"successful"}', "MessagingServiceSid": ""}),
    )

    assert len(replies(response)) == 1


def test_a_public_url_with_a_stage_in_its_path_is_what_gets_signed(
    runtime: Runtime, store: DynamoAppointmentStore
) -> None:
    runtime.override(public_base_url="https://api.example.test/prod")
    event = inbound("hello", base_url="https://api.example.test/prod")
    event["rawPath"] = "/prod/twilio/inbound"

    assert len(replies(invoke(INBOUND, event))) == 1


def test_a_text_to_a_number_no_tenant_owns_gets_empty_twiml(
    store: DynamoAppointmentStore,
) -> None:
    assert replies(invoke(INBOUND, inbound("hello", to="+14155559999"))) == []


# -- opt-out, opt-in, help -------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop! ", "unsubscribe", "Cancel", "QUIT."])
def test_an_opt_out_word_opts_out_at_once_and_leaves_the_answer_to_twilio(
    store: DynamoAppointmentStore, word: str
) -> None:
    assert replies(invoke(INBOUND, inbound(word))) == []

    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.opted_out


def test_a_tenant_that_answers_stop_itself_sends_one_confirmation(
    store: DynamoAppointmentStore,
) -> None:
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    store.put_tenant(tenant.model_copy(update={"answer_stop": True}))

    [answer] = replies(invoke(INBOUND, inbound("STOP")))

    assert "Harbor Clinic" in answer
    assert "START" in answer


def test_after_stop_no_automated_text_goes_out(
    store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    book("appt-1")
    invoke(INBOUND, inbound("stop"))
    clock.set(at("2030-01-13T10:30:00-08:00"))
    rkey = store.get_recipient("clinic-1", CUSTOMER)
    assert rkey is not None

    event = sample("sqs_outbound.json")
    event["Records"][0]["body"] = json.dumps(
        {
            "tenant_id": "clinic-1",
            "appointment_id": "appt-1",
            "kind": "reminder_48h",
            "version": 1,
            "recipient_key": rkey.recipient_key,
        }
    )
    invoke("MessageSenderFunction", event)

    reminder = next(m for m in appointment("appt-1")["messages"] if m["kind"] == "reminder_48h")
    assert (reminder["status"], reminder["reason"]) == ("suppressed", "opted_out")


def answer_stop(store: DynamoAppointmentStore) -> None:
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    store.put_tenant(tenant.model_copy(update={"answer_stop": True}))


@pytest.mark.parametrize("word", ["START", "help", "Info?"])
def test_start_and_help_are_left_to_twilio_when_it_answers_stop(
    store: DynamoAppointmentStore, word: str
) -> None:
    # Twilio's Advanced Opt-Out answers START and HELP too: a second answer would be a double.
    assert replies(invoke(INBOUND, inbound(word))) == []


def test_start_opts_back_in_with_one_confirmation(store: DynamoAppointmentStore) -> None:
    answer_stop(store)
    invoke(INBOUND, inbound("STOP"))

    [answer] = replies(invoke(INBOUND, inbound("start")))

    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert not recipient.opted_out
    assert "Harbor Clinic" in answer


def test_help_answers_with_the_business_its_contact_and_how_to_stop(
    store: DynamoAppointmentStore,
) -> None:
    answer_stop(store)

    [answer] = replies(invoke(INBOUND, inbound("help")))

    assert "Harbor Clinic" in answer
    assert "+14155550100" in answer
    assert "STOP" in answer


# -- confirm, cancel, reschedule -------------------------------------------------------


def test_c_confirms_the_next_appointment_and_says_which(store: DynamoAppointmentStore) -> None:
    book("later", starts_at="2030-01-20T15:00:00-08:00")
    book("sooner", starts_at="2030-01-15T10:30:00-08:00")

    [answer] = replies(invoke(INBOUND, inbound("C")))

    assert appointment("sooner")["status"] == "confirmed"
    assert appointment("later")["status"] == "scheduled"
    assert "15 Jan 10:30" in answer


def test_x_cancels_removes_reminders_and_queues_the_freed_slot(
    store: DynamoAppointmentStore, schedules: Any
) -> None:
    book("appt-1")

    [answer] = replies(invoke(INBOUND, inbound("x")))

    assert appointment("appt-1")["status"] == "cancelled"
    assert schedules() == {}
    [item] = open_items(store)
    assert item["intent"] == QueueIntent.SLOT_FREED
    assert item["appointment_id"] == "appt-1"
    assert "cancelled" in answer


def test_r_is_queued_for_staff_and_acknowledged_with_when_they_will_answer(
    store: DynamoAppointmentStore,
) -> None:
    book("appt-1")

    [answer] = replies(invoke(INBOUND, inbound("R")))

    [item] = open_items(store)
    assert item["intent"] == QueueIntent.RESCHEDULE
    assert item["appointment_id"] == "appt-1"
    # Thursday 09:00 in LA + 2 h of opening hours.
    assert item["due_by"] == "2030-01-10T19:00:00Z"
    assert "Thu 10 Jan 11:00" in answer


def test_confirm_with_no_upcoming_appointment_goes_to_a_person(
    store: DynamoAppointmentStore,
) -> None:
    [answer] = replies(invoke(INBOUND, inbound("C")))

    [item] = open_items(store)
    assert item["intent"] == QueueIntent.UNMATCHED
    assert "no upcoming appointment" in answer


# -- free text and the queue -----------------------------------------------------------


def test_five_texts_in_a_row_get_one_acknowledgement_and_one_conversation(
    store: DynamoAppointmentStore, queue: DynamoConversationQueue
) -> None:
    answers = [replies(invoke(INBOUND, inbound(f"question {n}"))) for n in range(5)]

    assert [len(a) for a in answers] == [1, 0, 0, 0, 0]
    [item] = open_items(store)
    assert item["message_count"] == 5
    conversation = queue.messages("clinic-1", item["item_id"])
    assert [m.direction for m in conversation].count("inbound") == 5
    assert [m.author for m in conversation].count("automation") == 1


def test_a_text_at_night_is_due_after_opening_plus_the_response_target(
    store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    clock.set(at("2030-01-11T22:00:00-08:00"))  # Friday night; closed at the weekend

    invoke(INBOUND, inbound("are you open saturday?"))

    [item] = open_items(store)
    assert item["due_by"] == "2030-01-14T19:00:00Z"  # Monday 11:00 in Los Angeles


def test_free_text_asking_to_stop_is_queued_as_such_without_opting_out(
    store: DynamoAppointmentStore,
) -> None:
    [answer] = replies(invoke(INBOUND, inbound("Please stop texting me")))

    [item] = open_items(store)
    assert item["intent"] == QueueIntent.STOP_REQUEST
    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert not recipient.opted_out
    assert "reply STOP" in answer


def test_cancel_with_a_visit_coming_opts_out_and_queues_a_flagged_item(
    store: DynamoAppointmentStore,
) -> None:
    book("appt-1")

    assert replies(invoke(INBOUND, inbound("Cancel"))) == []

    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.opted_out
    [item] = open_items(store)
    assert (item["flags"], item["appointment_id"]) == (["opted_out_with_appointment"], "appt-1")
    assert appointment("appt-1")["status"] == "scheduled"


def test_a_follow_up_asking_to_stop_flags_the_conversation(store: DynamoAppointmentStore) -> None:
    invoke(INBOUND, inbound("Can I bring my dog?"))

    assert replies(invoke(INBOUND, inbound("stop pls"))) == []

    [item] = open_items(store)
    assert (item["flags"], item["message_count"]) == (["stop_request"], 2)


def test_a_closing_after_a_person_answered_joins_the_resolved_conversation_quietly(
    store: DynamoAppointmentStore, queue: DynamoConversationQueue, clock: FixedClock
) -> None:
    invoke(INBOUND, inbound("Can I bring my dog?"))
    [opened] = open_items(store)
    now = clock.now()
    claimed = queue.claim(
        "clinic-1", opened["item_id"], "staff-maria", now, now + timedelta(minutes=5)
    )
    assert claimed is not None
    answer = ConversationMessage(
        item_id=claimed.item_id, at=now, direction="outbound", body="Yes.", author="staff-maria"
    )
    assert queue.append(claimed, answer, retention_days=90, held_by="staff-maria")
    current = queue.get("clinic-1", claimed.item_id)
    assert current is not None
    assert queue.resolve(
        current, "staff-maria", now, queue_item_resolved(current, "staff-maria", now)
    )
    clock.set(now + timedelta(minutes=1))

    assert replies(invoke(INBOUND, inbound("Thanks!"))) == []

    assert open_items(store) == []
    item = queue.get("clinic-1", claimed.item_id)
    assert item is not None
    assert (item.status, item.preview, item.message_count) == (QueueStatus.RESOLVED, "Thanks!", 2)


def test_the_same_message_sid_twice_does_nothing_twice(
    store: DynamoAppointmentStore, queue: DynamoConversationQueue
) -> None:
    first = replies(invoke(INBOUND, inbound("where do I park?", sid="SM" + "f" * 32)))
    second = replies(invoke(INBOUND, inbound("where do I park?", sid="SM" + "f" * 32)))

    assert first == second
    assert len(first) == 1
    [item] = open_items(store)
    assert item["message_count"] == 1


def test_a_text_is_remembered_under_the_idempotency_key_earlier_deploys_used(
    runtime: Runtime, store: DynamoAppointmentStore
) -> None:
    # Records are keyed by function name and the handler's module path: a retry arriving
    # across a deploy only finds its first delivery if that key never changes.
    invoke(INBOUND, inbound("where do I park?", sid="SM" + "e" * 32))

    table = runtime.settings.idempotency_table
    [record] = store._db.scan(TableName=table)["Items"]
    function_name = os.getenv("AWS_LAMBDA_FUNCTION_NAME", "test-func")
    assert record["id"]["S"].startswith(f"{function_name}.app.handle_text#")


def test_an_opted_out_customer_is_heard_but_not_answered(store: DynamoAppointmentStore) -> None:
    invoke(INBOUND, inbound("stop"))

    answer = replies(invoke(INBOUND, inbound("actually, one question")))

    assert answer == []
    [item] = open_items(store)
    assert item["acknowledged"] is False


def test_the_queue_index_is_sparse_holding_items_not_their_texts(
    store: DynamoAppointmentStore,
) -> None:
    invoke(INBOUND, inbound("hello"))
    invoke(INBOUND, inbound("hello again"))

    items = open_items(store)
    assert len(items) == 1
    assert items[0]["status"] == QueueStatus.OPEN
    assert items[0]["sk"] == "ITEM"


def test_a_body_that_is_not_utf8_is_refused_as_not_from_twilio(
    store: DynamoAppointmentStore,
) -> None:
    event = inbound("hello")
    event["body"] = "/w=="

    assert invoke(INBOUND, event)["statusCode"] == 403
