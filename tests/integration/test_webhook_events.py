"""The outbox on moto: each action writes its webhook event in the same transaction as its
state change, a repeated action writes no second one, a failed transaction writes neither,
and the template's pipe (run by the local stack's pipe runner on moto's stream) forwards
exactly the new event items to WebhookEventsQueue."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend

from infra.local.functions import FunctionInvoker
from infra.local.moto_patches import dynamodb as dynamodb_patch
from infra.local.pipes import PipeRunner, stream_pipes
from infra.local.triggers import QueuePoller
from infra.template import LocalStack
from rendezvous.adapters.dynamodb.events import event_from_stream_record, event_item
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import event_key, serialize
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import (
    EventType,
    WebhookEvent,
    appointment_cancelled,
    appointment_confirmed,
)
from rendezvous.domain.models import AppointmentStatus, MessageStatus
from tests.integration.test_staff_api import call, text_in
from tests.integration.test_twilio_inbound import CUSTOMER, book, inbound
from tests.integration.test_twilio_status import callback
from tests.support.events import appointment_event, invoke

INBOUND = "TwilioInboundFunction"


@pytest.fixture
def pipe(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> PipeRunner:
    """The template's pipe from now on: the module's stack keeps earlier tests' records in
    its stream, so this one starts at LATEST rather than the template's TRIM_HORIZON.

    On moto as the local stack runs it: moto as shipped rolls a failed transaction back by
    swapping in a copy of the table, stream shard included, so an open shard iterator goes
    on reading the old shard (the failed writes' records, and none of the later ones). The
    local stack's patch takes back the failed records in place.
    """
    monkeypatch.setattr(
        DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items
    )
    dynamodb_patch.apply()
    pipes = [replace(p, starting_position="LATEST") for p in stream_pipes(stack)]
    runner = PipeRunner(pipes, boto3.client("dynamodbstreams"), boto3.client("sqs"))
    assert runner.pump() == 0
    return runner


@pytest.fixture
def delivered(pipe: PipeRunner, stack: LocalStack) -> Any:
    """What reached WebhookEventsQueue since the last call: the pipe's messages, parsed."""
    sqs = boto3.client("sqs")
    url = stack.queue_urls["WebhookEventsQueue"]

    def take() -> list[dict[str, Any]]:
        pipe.pump()
        bodies: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    return take


def events_in(records: list[dict[str, Any]]) -> list[WebhookEvent]:
    return [event_from_stream_record(r) for r in records]


def stored(store: DynamoAppointmentStore, event: WebhookEvent) -> dict[str, Any] | None:
    return store._get(event_key(event.tenant_id, event.event_id))


def sid(n: int) -> str:
    return f"SM{n:032x}"


# -- the pipe -------------------------------------------------------------------------------


def test_the_pipe_forwards_new_event_items_and_nothing_else(
    store: DynamoAppointmentStore, clock: FixedClock, delivered: Any
) -> None:
    book("appt-1")  # an appointment and its messages: not events
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    event = appointment_confirmed(found[0], clock.now())
    item = serialize(event_item(event))
    db, table = store._db, store._table

    db.put_item(TableName=table, Item=item)  # INSERT
    db.put_item(TableName=table, Item=item)  # the same event again: MODIFY
    db.put_item(TableName=table, Item={**item, **serialize(event_key("clinic-1", "other"))})
    db.delete_item(TableName=table, Key=serialize(event_key("clinic-1", event.event_id)))
    db.put_item(
        TableName=table,
        Item={**item, **serialize({**event_key("clinic-1", "x"), "kind": "something_else"})},
    )

    records = delivered()
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", f"T#clinic-1#EVT#{event.event_id}"),
        ("INSERT", "T#clinic-1#EVT#other"),
    ]


def test_a_forwarded_record_is_the_stream_record_as_pipes_sends_it(
    store: DynamoAppointmentStore, stack: LocalStack, delivered: Any
) -> None:
    book("appt-1")
    invoke(INBOUND, inbound("C", sid=sid(1)))

    [record] = delivered()

    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == stack.resolver.attributes[("DataTable", "StreamArn")]
    assert record["dynamodb"]["StreamViewType"] == "NEW_IMAGE"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    image = record["dynamodb"]["NewImage"]
    assert image["kind"] == {"S": "webhook_event"}
    assert json.loads(image["data"]["S"])["appointment_id"] == "appt-1"


def test_the_local_stack_pumps_the_pipe_with_its_queues(
    stack: LocalStack,
    store: DynamoAppointmentStore,
    clock: FixedClock,
    pipe: PipeRunner,
    delivered: Any,
) -> None:
    poller = QueuePoller(FunctionInvoker(stack), boto3.client("sqs"), [], clock.now, pipe)
    book("appt-1")
    invoke(INBOUND, inbound("C", sid=sid(1)))

    assert poller.drain() == 1  # forwarded, with no function subscribed to the queue here

    [event] = events_in(delivered())
    assert event.type is EventType.APPOINTMENT_CONFIRMED


def test_an_event_read_back_from_the_stream_is_the_event_written(
    store: DynamoAppointmentStore, clock: FixedClock, delivered: Any
) -> None:
    book("appt-1")
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    cancelled = found[0].model_copy(update={"version": 2, "status": AppointmentStatus.CANCELLED})
    written = appointment_cancelled(cancelled, clock.now(), "booking")

    store.save_appointment(
        cancelled,
        expected_version=1,
        retire=[],
        retire_as=MessageStatus.CANCELLED,
        new_messages=[],
        now=clock.now(),
        events=[written],
    )

    assert events_in(delivered()) == [written]


# -- each action, its event, once -------------------------------------------------------------


def test_c_confirms_and_records_its_event_in_one_write_and_a_retry_records_none(
    store: DynamoAppointmentStore, delivered: Any
) -> None:
    book("appt-1")

    invoke(INBOUND, inbound("C", sid=sid(1)))
    [event] = events_in(delivered())
    invoke(INBOUND, inbound("C", sid=sid(1)))  # Twilio's retry
    invoke(INBOUND, inbound("C", sid=sid(2)))  # a second C

    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    assert found[0].status is AppointmentStatus.CONFIRMED
    assert (event.type, event.appointment_id) == (EventType.APPOINTMENT_CONFIRMED, "appt-1")
    assert stored(store, event) is not None
    assert delivered() == []


def test_x_records_the_cancellation_by_the_customer_and_the_freed_slot(
    store: DynamoAppointmentStore, delivered: Any
) -> None:
    book("appt-1")

    invoke(INBOUND, inbound("X", sid=sid(1)))
    invoke(INBOUND, inbound("X", sid=sid(1)))

    cancelled, opened = events_in(delivered())
    assert (cancelled.type, cancelled.data["by"]) == (EventType.APPOINTMENT_CANCELLED, "customer")
    assert (opened.type, opened.data["intent"]) == (EventType.QUEUE_ITEM_OPENED, "slot_freed")


@pytest.mark.parametrize(
    ("role", "by"), [("booking", "booking"), ("staff", "staff"), ("manager", "staff")]
)
def test_delete_records_who_cancelled_from_the_token_role_once(
    store: DynamoAppointmentStore, delivered: Any, role: str, by: str
) -> None:
    book("appt-1")

    for _ in range(2):
        response = invoke("AppointmentsFunction", appointment_event("DELETE", "appt-1", role=role))
        assert response["statusCode"] == 200

    [event] = events_in(delivered())
    assert (event.type, event.data["by"]) == (EventType.APPOINTMENT_CANCELLED, by)


def test_r_records_the_request_and_the_conversation_it_opened(
    store: DynamoAppointmentStore, delivered: Any
) -> None:
    book("appt-1")

    invoke(INBOUND, inbound("R", sid=sid(1)))
    invoke(INBOUND, inbound("R", sid=sid(1)))

    opened, requested = events_in(delivered())
    assert opened.type is EventType.QUEUE_ITEM_OPENED
    assert requested.type is EventType.APPOINTMENT_RESCHEDULE_REQUESTED
    assert requested.data["queue_item_id"] == opened.data["queue_item_id"]
    assert requested.appointment_id == "appt-1"


def test_stop_and_start_record_each_change_once(
    store: DynamoAppointmentStore, delivered: Any
) -> None:
    invoke(INBOUND, inbound("STOP", sid=sid(1)))
    invoke(INBOUND, inbound("STOP", sid=sid(2)))  # already out
    invoke(INBOUND, inbound("START", sid=sid(3)))

    events = events_in(delivered())
    assert [e.type for e in events] == [
        EventType.RECIPIENT_OPTED_OUT,
        EventType.RECIPIENT_OPTED_IN,
    ]
    assert {e.data["phone"] for e in events} == {CUSTOMER}
    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert not recipient.opted_out


def _sent_confirmation_ref(store: DynamoAppointmentStore, clock: FixedClock) -> str:
    from rendezvous.domain.identity import status_callback_ref

    book("appt-1")
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    confirmation = next(m for m in found[1] if m.kind == "confirmation")
    store.update_message(confirmation, status=MessageStatus.QUEUED, now=clock.now(), sid=sid(9))
    return status_callback_ref(confirmation)


def test_a_delivered_callback_records_message_delivered_once(
    store: DynamoAppointmentStore, clock: FixedClock, delivered: Any
) -> None:
    ref = _sent_confirmation_ref(store, clock)

    for status in ("sent", "delivered", "delivered"):
        assert invoke("TwilioStatusFunction", callback(ref, status))["statusCode"] in (200, 204)

    [event] = events_in(delivered())
    assert event.type is EventType.MESSAGE_DELIVERED
    assert (event.data["kind"], event.data["version"]) == ("confirmation", 1)


def test_a_carrier_opt_out_records_the_failure_and_the_opt_out(
    store: DynamoAppointmentStore, clock: FixedClock, delivered: Any
) -> None:
    ref = _sent_confirmation_ref(store, clock)

    invoke("TwilioStatusFunction", callback(ref, "undelivered", error_code="21610"))
    invoke("TwilioStatusFunction", callback(ref, "undelivered", error_code="21610"))

    failed, opted_out = events_in(delivered())
    assert (failed.type, failed.data["error_code"]) == (EventType.MESSAGE_FAILED, 21610)
    assert (opted_out.type, opted_out.data["source"]) == (
        EventType.RECIPIENT_OPTED_OUT,
        "carrier",
    )


def test_resolving_records_its_event_once(store: DynamoAppointmentStore, delivered: Any) -> None:
    item_id = text_in()
    assert call("POST", f"/v1/queue/{item_id}/claim")[0] == 200
    [opened] = events_in(delivered())

    first, resolved = call("POST", f"/v1/queue/{item_id}/resolve")
    again, _ = call("POST", f"/v1/queue/{item_id}/resolve")

    assert (first, again) == (200, 409)
    assert resolved["item"]["status"] == "resolved"
    [event] = events_in(delivered())
    assert event.type is EventType.QUEUE_ITEM_RESOLVED
    assert event.data["queue_item_id"] == opened.data["queue_item_id"] == item_id
    assert event.data["resolved_by"] == "staff-maria"


# -- a failed transaction writes neither ---------------------------------------------------


def test_a_cancellation_on_a_stale_version_writes_neither_state_nor_event(
    store: DynamoAppointmentStore, clock: FixedClock, delivered: Any
) -> None:
    book("appt-1")
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    cancelled = found[0].model_copy(update={"version": 9, "status": AppointmentStatus.CANCELLED})
    event = appointment_cancelled(cancelled, clock.now(), "booking")

    with pytest.raises(ConcurrentModification):
        store.save_appointment(
            cancelled,
            expected_version=8,
            retire=[],
            retire_as=MessageStatus.CANCELLED,
            new_messages=[],
            now=clock.now(),
            events=[event],
        )

    after = store.get_appointment("clinic-1", "appt-1")
    assert after is not None
    assert after[0].status is AppointmentStatus.SCHEDULED
    assert stored(store, event) is None
    assert delivered() == []


def test_a_confirmation_of_a_version_no_longer_current_writes_neither(
    store: DynamoAppointmentStore, clock: FixedClock, delivered: Any
) -> None:
    book("appt-1")
    moved = appointment_event(
        "PUT",
        "appt-1",
        {"customer": {"phone": CUSTOMER, "name": "Ana"}, "starts_at": "2030-01-16T10:30:00-08:00"},
    )
    assert invoke("AppointmentsFunction", moved)["statusCode"] == 200  # now version 2
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    stale = found[0].model_copy(update={"version": 1})
    event = appointment_confirmed(stale, clock.now())

    assert not store.confirm_appointment(stale, clock.now(), event)

    after = store.get_appointment("clinic-1", "appt-1")
    assert after is not None
    assert after[0].status is AppointmentStatus.SCHEDULED
    assert stored(store, event) is None
    assert delivered() == []
