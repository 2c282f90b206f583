"""The sender through its real handler: moto for AWS, the Twilio sandbox over real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from twilio.rest import Client

from infra.local.sandbox import SandboxServer
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.twilio_gateway import TwilioSmsGateway
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.identity import claim_key
from rendezvous.domain.models import Recipient, SendRequest
from rendezvous.domain.ports import RecipientClaim
from rendezvous.phone import recipient_key
from tests.support.aws import at
from tests.support.events import appointment_event, invoke, response_json, sample

SENDER = "MessageSenderFunction"
API = "AppointmentsFunction"
CUSTOMER = "+14155550123"


def booking(phone: str = CUSTOMER, starts_at: str = "2030-01-15T10:30:00-08:00") -> dict[str, Any]:
    return {
        "customer": {"phone": phone, "name": "Ana María López"},
        "starts_at": starts_at,
        "location": "Harbor Clinic",
    }


def book(appointment_id: str, **kwargs: Any) -> dict[str, Any]:
    response = invoke(API, appointment_event("PUT", appointment_id, booking(**kwargs)))
    assert response["statusCode"] in {200, 201}, response
    body: dict[str, Any] = response_json(response)
    return body


def sqs_event(messages: list[dict[str, Any]], receive_count: int = 1) -> dict[str, Any]:
    template = sample("sqs_outbound.json")["Records"][0]
    attributes = {**template["attributes"], "ApproximateReceiveCount": str(receive_count)}
    return {
        "Records": [
            {**template, "messageId": m["MessageId"], "body": m["Body"], "attributes": attributes}
            for m in messages
        ]
    }


def reminder_request(
    appointment_id: str, kind: str, version: int = 1, phone: str = CUSTOMER
) -> dict[str, Any]:
    """What a reminder's schedule puts on the outbound queue."""
    request = sample("scheduler_reminder.json")
    request.update(
        appointment_id=appointment_id,
        kind=kind,
        version=version,
        recipient_key=recipient_key("clinic-1", phone),
    )
    return request


def reminder_event(
    appointment_id: str, kind: str, version: int = 1, phone: str = CUSTOMER
) -> dict[str, Any]:
    """The reminder as the sender receives it: one record of the outbound queue."""
    body = json.dumps(reminder_request(appointment_id, kind, version, phone))
    return sqs_event([{"MessageId": f"{appointment_id}-{kind}-{version}", "Body": body}])


def texts_to(twilio: Client, phone: str = CUSTOMER) -> list[Any]:
    return list(twilio.messages.list(to=phone))


def messages_of(appointment_id: str) -> dict[str, dict[str, Any]]:
    body = response_json(invoke(API, appointment_event("GET", appointment_id)))
    return {f"{m['kind']}@{m['version']}": m for m in body["messages"]}


def test_a_booking_texts_its_confirmation_once_with_the_stop_line(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    book("appt-1")

    result = invoke(SENDER, sqs_event(outbound()))

    assert result == {"batchItemFailures": []}
    [text] = texts_to(twilio)
    assert text.from_ == "+14155550100"
    assert "Harbor Clinic" in text.body
    assert "STOP" in text.body
    assert "C" in text.body
    assert "X" in text.body
    record = messages_of("appt-1")["confirmation@1"]
    assert record["status"] in {"queued", "sent", "delivered"}
    assert record["sid"] == text.sid


def test_the_same_queue_event_twice_sends_one_text(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    book("appt-1")
    event = sqs_event(outbound())

    invoke(SENDER, event)
    invoke(SENDER, event)

    assert len(texts_to(twilio)) == 1


def test_the_same_put_twice_gives_one_confirmation(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    book("appt-1")
    book("appt-1")

    invoke(SENDER, sqs_event(outbound()))

    assert len(texts_to(twilio)) == 1


def test_a_reminder_fires_from_its_schedule_without_a_second_stop_line(
    store: DynamoAppointmentStore,
    outbound: Any,
    twilio: Client,
    clock: FixedClock,
) -> None:
    book("appt-1")
    invoke(SENDER, sqs_event(outbound()))
    clock.set(at("2030-01-13T10:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))

    texts = texts_to(twilio)
    assert len(texts) == 2
    reminder = next(t for t in texts if "STOP" not in t.body)
    assert "Harbor Clinic" in reminder.body
    assert messages_of("appt-1")["reminder_48h@1"]["status"] in {"queued", "sent", "delivered"}


def test_the_same_schedule_event_twice_sends_one_reminder(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    book("appt-1")
    clock.set(at("2030-01-13T10:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))
    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))

    assert len(texts_to(twilio)) == 1


def test_a_reminder_racing_a_cancellation_is_not_sent(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    book("appt-1")
    invoke(API, appointment_event("DELETE", "appt-1"))
    clock.set(at("2030-01-13T10:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))

    assert texts_to(twilio) == []
    assert messages_of("appt-1")["reminder_48h@1"]["status"] == "cancelled"


def test_a_reminder_for_an_older_version_is_suppressed_with_its_reason(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    book("appt-1")
    # The appointment moves on without the message being retired: the version check at
    # send time is the last line of defence.
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    appointment, _ = found
    store._db.update_item(
        TableName=store._table,
        Key={"pk": {"S": "T#clinic-1#A#appt-1"}, "sk": {"S": "A"}},
        UpdateExpression="SET version = :v",
        ExpressionAttributeValues={":v": {"N": str(appointment.version + 1)}},
    )
    clock.set(at("2030-01-13T10:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))

    assert texts_to(twilio) == []
    record = messages_of("appt-1")["reminder_48h@1"]
    assert (record["status"], record["reason"]) == ("suppressed", "appointment_changed")


def test_a_paused_tenant_sends_nothing_and_holds_the_text_for_the_resume(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    book("appt-1")
    store.put_tenant(tenant.model_copy(update={"paused": True, "paused_by": "owner"}))

    invoke(SENDER, sqs_event(outbound()))

    assert texts_to(twilio) == []
    record = messages_of("appt-1")["confirmation@1"]
    # Held, not dropped (CONTRACT.md, Pause): a resume decides.
    assert (record["status"], record["reason"]) == ("deferred", "tenant_paused")


def test_an_opted_out_number_gets_nothing_automated(
    store: DynamoAppointmentStore,
    outbound: Any,
    twilio: Client,
    clock: FixedClock,
) -> None:
    book("appt-1")
    store.mark_recipient("clinic-1", CUSTOMER, now=clock.now(), opted_out=True)

    invoke(SENDER, sqs_event(outbound()))

    assert texts_to(twilio) == []
    record = messages_of("appt-1")["confirmation@1"]
    assert (record["status"], record["reason"]) == ("suppressed", "opted_out")


def test_a_reminder_due_at_night_is_deferred_to_the_morning_with_a_new_schedule(
    store: DynamoAppointmentStore,
    twilio: Client,
    clock: FixedClock,
    schedules: Any,
) -> None:
    book("appt-1")
    # Scheduler delivered late (a retry): it is now 23:30 at the customer's.
    clock.set(at("2030-01-13T23:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))

    assert texts_to(twilio) == []
    record = messages_of("appt-1")["reminder_48h@1"]
    assert (record["status"], record["reason"]) == ("deferred", "quiet_hours")
    assert record["send_at"] == "2030-01-14T16:00:00Z"
    deferred = [s for n, s in schedules().items() if n.endswith("-d1")]
    assert [s["ScheduleExpression"] for s in deferred] == ["at(2030-01-14T16:00:00)"]


def test_the_fourth_automated_text_of_a_day_is_held_back_by_the_cap(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    for n in range(4):
        book(f"appt-{n}", starts_at=f"2030-01-2{n}T10:30:00-08:00")

    invoke(SENDER, sqs_event(outbound()))

    assert len(texts_to(twilio)) == 3
    reasons = [messages_of(f"appt-{n}")["confirmation@1"].get("reason") for n in range(4)]
    assert reasons.count("frequency_cap") == 1


def test_a_carrier_opt_out_21610_is_recorded_and_stops_later_reminders(
    store: DynamoAppointmentStore,
    outbound: Any,
    twilio: Client,
    clock: FixedClock,
) -> None:
    blocked = "+15005550004"
    book("appt-1", phone=blocked)
    invoke(SENDER, sqs_event(outbound()))
    clock.set(at("2030-01-13T10:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h", phone=blocked))

    records = messages_of("appt-1")
    assert (records["confirmation@1"]["status"], records["confirmation@1"]["error_code"]) == (
        "failed",
        21610,
    )
    assert (records["reminder_48h@1"]["status"], records["reminder_48h@1"]["reason"]) == (
        "suppressed",
        "opted_out",
    )
    recipient = store.get_recipient("clinic-1", blocked)
    assert recipient is not None
    assert recipient.opted_out


@pytest.mark.parametrize(("phone", "code"), [("+15005550001", 21211), ("+15005550009", 21614)])
def test_an_undeliverable_number_is_marked_and_not_retried(
    store: DynamoAppointmentStore, outbound: Any, sandbox: SandboxServer, phone: str, code: int
) -> None:
    book("appt-1", phone=phone)

    result = invoke(SENDER, sqs_event(outbound()))

    assert result == {"batchItemFailures": []}
    record = messages_of("appt-1")["confirmation@1"]
    assert (record["status"], record["error_code"]) == ("failed", code)
    recipient = store.get_recipient("clinic-1", phone)
    assert recipient is not None
    assert recipient.undeliverable_code == code


def test_twilio_errors_are_retried_within_the_send_then_succeed(
    store: DynamoAppointmentStore,
    outbound: Any,
    twilio: Client,
    sandbox: SandboxServer,
) -> None:
    book("appt-1")
    requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"status": 500, "count": 2}, timeout=5
    ).raise_for_status()

    invoke(SENDER, sqs_event(outbound()))

    assert len(texts_to(twilio)) == 1


def test_a_twilio_outage_hands_the_event_back_for_a_later_retry(
    store: DynamoAppointmentStore,
    outbound: Any,
    twilio: Client,
    sandbox: SandboxServer,
) -> None:
    book("appt-1")
    event = sqs_event(outbound())
    requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"status": 503, "count": 3}, timeout=5
    ).raise_for_status()

    first = invoke(SENDER, event)
    record = messages_of("appt-1")["confirmation@1"]
    second = invoke(SENDER, event)

    assert first["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert (record["status"], record["reason"]) == ("deferred", "gateway_unavailable")
    assert second == {"batchItemFailures": []}
    assert len(texts_to(twilio)) == 1


def test_a_malformed_queue_message_fails_alone_without_blocking_the_batch(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    book("appt-1")
    good = outbound()
    bad = {"MessageId": "bad-1", "Body": json.dumps({"tenant_id": "clinic-1"})}

    result = invoke(SENDER, sqs_event([bad, *good]))

    assert result == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}
    assert len(texts_to(twilio)) == 1


def test_a_reminder_after_the_start_time_is_suppressed_as_too_late(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    book("appt-1")
    clock.set(at("2030-01-15T10:30:00-08:00") + timedelta(minutes=5))

    invoke(SENDER, reminder_event("appt-1", "reminder_2h"))

    assert texts_to(twilio) == []
    assert messages_of("appt-1")["reminder_2h@1"]["reason"] == "too_late"


def test_an_event_redelivered_after_a_crash_mid_send_is_recorded_unknown_not_resent(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    book("appt-1")
    clock.set(at("2030-01-13T10:30:00-08:00"))
    request = reminder_request("appt-1", "reminder_48h")
    event = reminder_event("appt-1", "reminder_48h")
    # The first delivery claimed the send and then stopped before recording Twilio's answer.
    context = store.load_send_context(SendRequest.model_validate(request))
    assert context.message is not None
    recipient = Recipient(
        tenant_id="clinic-1", recipient_key=request["recipient_key"], phone=CUSTOMER
    )
    store.claim_message(
        recipient,
        RecipientClaim(
            expected_rev=0,
            cap_day="2030-01-13",
            cap_count=1,
            first_contact_at=clock.now(),
            claims={claim_key(context.message): "2030-01-13"},
        ),
    )

    invoke(SENDER, event)

    assert texts_to(twilio) == []
    record = messages_of("appt-1")["reminder_48h@1"]
    assert (record["status"], record["reason"]) == ("unknown", "claimed_without_result")


def test_a_gateway_outage_gives_the_daily_cap_slot_back(
    store: DynamoAppointmentStore, outbound: Any, sandbox: SandboxServer
) -> None:
    book("appt-1")
    requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"status": 503, "count": 3}, timeout=5
    ).raise_for_status()

    invoke(SENDER, sqs_event(outbound()))

    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.cap_count == 0
    assert recipient.claims == {}


def test_moving_a_confirmed_appointment_sends_one_moved_text_naming_both_times(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client, schedules: Any
) -> None:
    book("appt-1")
    invoke(SENDER, sqs_event(outbound()))

    book("appt-1", starts_at="2030-01-16T15:00:00-08:00")
    book("appt-1", starts_at="2030-01-16T15:00:00-08:00")
    invoke(SENDER, sqs_event(outbound()))

    texts = texts_to(twilio)
    assert len(texts) == 2
    moved = next(t for t in texts if "moved" in t.body)
    assert "(was Tue 10:30am)" in moved.body
    assert "Wed 16 Jan 3:00pm" in moved.body
    assert messages_of("appt-1")["moved@2"]["status"] in {"queued", "sent", "delivered"}


def outage(sandbox: SandboxServer, count: int = 3) -> None:
    """Twilio answers 503 to the next `count` requests (the gateway tries 3 times a send)."""
    requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"status": 503, "count": count}, timeout=5
    ).raise_for_status()


def test_the_last_receive_in_an_outage_records_the_text_failed_with_retries_exhausted(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client, sandbox: SandboxServer
) -> None:
    book("appt-1")
    [queued] = outbound()
    outage(sandbox)

    # The fifth receive of the message: the queue's redrive policy moves it on after this.
    result = invoke(SENDER, sqs_event([queued], receive_count=5))

    # Still reported failed, so SQS moves it to the dead-letter queue for a redrive.
    assert result == {"batchItemFailures": [{"itemIdentifier": queued["MessageId"]}]}
    record = messages_of("appt-1")["confirmation@1"]
    assert (record["status"], record["reason"], record["error_code"]) == (
        "failed",
        "retries_exhausted",
        20503,
    )
    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.claims == {}
    assert texts_to(twilio) == []


def test_an_earlier_receive_in_an_outage_stays_deferred_for_the_next_retry(
    store: DynamoAppointmentStore, outbound: Any, sandbox: SandboxServer
) -> None:
    book("appt-1")
    [queued] = outbound()
    outage(sandbox)

    invoke(SENDER, sqs_event([queued], receive_count=4))

    record = messages_of("appt-1")["confirmation@1"]
    assert (record["status"], record["reason"]) == ("deferred", "gateway_unavailable")


def test_a_redriven_text_whose_retries_ran_out_is_sent_once(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client, sandbox: SandboxServer
) -> None:
    book("appt-1")
    [queued] = outbound()
    outage(sandbox)
    invoke(SENDER, sqs_event([queued], receive_count=5))

    # StartMessageMoveTask puts it back as a new message; moved twice, it arrives twice.
    first = invoke(SENDER, sqs_event([queued]))
    second = invoke(SENDER, sqs_event([queued]))

    assert first == second == {"batchItemFailures": []}
    assert len(texts_to(twilio)) == 1
    assert messages_of("appt-1")["confirmation@1"]["status"] in {"queued", "sent", "delivered"}


def test_a_redriven_reminder_past_half_its_lead_time_is_suppressed_too_late(
    store: DynamoAppointmentStore, twilio: Client, sandbox: SandboxServer, clock: FixedClock
) -> None:
    book("appt-1")
    clock.set(at("2030-01-13T10:30:00-08:00"))
    outage(sandbox)
    last = reminder_event("appt-1", "reminder_48h")
    last["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"
    invoke(SENDER, last)
    assert messages_of("appt-1")["reminder_48h@1"]["status"] == "failed"
    # 23 hours before the visit: a "48-hour" reminder now would only be noise.
    clock.set(at("2030-01-14T11:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))

    assert texts_to(twilio) == []
    record = messages_of("appt-1")["reminder_48h@1"]
    assert (record["status"], record["reason"]) == ("suppressed", "too_late")


def test_a_schedule_made_before_reminders_used_the_queue_is_handed_to_the_queue(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    book("appt-1")
    outbound()
    legacy = reminder_request("appt-1", "reminder_48h")

    result = invoke(SENDER, legacy)

    assert result == {"status": "queued"}
    assert [json.loads(m["Body"]) for m in outbound()] == [legacy]
    assert texts_to(twilio) == []


def test_two_moves_overnight_send_one_moved_text_from_the_time_the_customer_was_told(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client, clock: FixedClock
) -> None:
    book("appt-1")
    invoke(SENDER, sqs_event(outbound()))
    clock.set(at("2030-01-10T22:30:00-08:00"))  # quiet hours hold the moved texts

    book("appt-1", starts_at="2030-01-16T15:00:00-08:00")
    clock.advance(minutes=20)
    moved = book("appt-1", starts_at="2030-01-17T11:00:00-08:00")
    clock.set(at("2030-01-11T08:00:00-08:00"))
    invoke(SENDER, reminder_event("appt-1", "moved", version=3))

    notice = next(m for m in moved["messages"] if m["version"] == 3 and m["kind"] == "moved")
    assert notice["status"] == "deferred"
    texts = [t.body for t in texts_to(twilio)]
    assert len(texts) == 2
    moved_text = next(t for t in texts if "moved" in t)
    assert "(was Tue 10:30am)" in moved_text
    assert "Thu 17 Jan 11:00am" in moved_text
    assert "16 Jan" not in moved_text


def test_a_copy_that_arrives_mid_send_does_not_strand_a_text_the_outage_kept_from_leaving(
    store: DynamoAppointmentStore,
    outbound: Any,
    twilio: Client,
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two copies of one text at once (a redrive route and a dead-letter move; two resumes):
    # the second finds the first's claim and records `unknown`, then the first's send meets
    # an outage, so nothing left us. Its retry must still send the text.
    book("appt-1")
    [queued] = outbound()
    original = TwilioSmsGateway.send
    copies: list[Any] = []

    def second_copy_then_outage(self: TwilioSmsGateway, sms: Any) -> Any:
        if not copies:
            copies.append(invoke(SENDER, sqs_event([queued])))
            outage(sandbox)
        return original(self, sms)

    monkeypatch.setattr(TwilioSmsGateway, "send", second_copy_then_outage)
    first = invoke(SENDER, sqs_event([queued]))
    retried = invoke(SENDER, sqs_event([queued], receive_count=2))

    assert first == {"batchItemFailures": [{"itemIdentifier": queued["MessageId"]}]}
    assert copies == [{"batchItemFailures": []}]
    assert retried == {"batchItemFailures": []}
    assert len(texts_to(twilio)) == 1
    assert messages_of("appt-1")["confirmation@1"]["status"] in {"queued", "sent", "delivered"}


def test_the_short_reminder_of_a_confirmed_visit_is_suppressed_with_its_reason(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    from tests.integration.test_twilio_inbound import inbound

    book("appt-1")
    invoke("TwilioInboundFunction", inbound("C"))
    twilio_before = len(texts_to(twilio))
    clock.set(at("2030-01-15T08:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_2h"))

    assert len(texts_to(twilio)) == twilio_before
    record = messages_of("appt-1")["reminder_2h@1"]
    assert (record["status"], record["reason"]) == ("suppressed", "appointment_confirmed")


def test_the_short_reminder_of_an_unconfirmed_visit_goes(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    book("appt-1")
    clock.set(at("2030-01-15T08:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_2h"))

    assert messages_of("appt-1")["reminder_2h@1"]["status"] in {"queued", "sent", "delivered"}


def test_a_reminder_after_a_confirmation_thanks_and_says_when_at_send_time(
    store: DynamoAppointmentStore, twilio: Client, clock: FixedClock
) -> None:
    from tests.integration.test_twilio_inbound import inbound

    book("appt-1")
    invoke("TwilioInboundFunction", inbound("C"))
    clock.set(at("2030-01-13T10:30:00-08:00"))

    invoke(SENDER, reminder_event("appt-1", "reminder_48h"))

    reminder = next(t for t in texts_to(twilio) if "Thanks for confirming" in t.body)
    assert "See you in 2 days, Tue 10:30am" in reminder.body
    assert "C to confirm" not in reminder.body
