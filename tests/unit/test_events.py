"""Webhook events: their ids and types, and which event each action records (through the
in-memory ports; tests/integration/test_webhook_events.py checks the table's transactions)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rendezvous.domain.delivery import DeliveryReport, record_delivery_report
from rendezvous.domain.errors import RecipientOptedOut, SmsRejected
from rendezvous.domain.events import (
    EventType,
    cancelled_by_role,
    event_id,
    iso_z,
    message_event,
    queue_item_resolved,
)
from rendezvous.domain.identity import MessageIdentity, status_callback_ref
from rendezvous.domain.inbound import InboundText
from rendezvous.domain.redrive import mark_stuck
from rendezvous.domain.roles import Role
from rendezvous.domain.sending import Outcome
from tests.support.aws import at
from tests.unit.test_services import CLINIC_NUMBER, CUSTOMER, MARIA, World

CONTRACT = Path("/work/shared/CONTRACT.md")
EVENT_ID = re.compile(r"^evt_[0-9A-HJKMNP-TV-Z]{26}$")


@pytest.fixture
def world() -> World:
    return World()


def text(world: World, body: str, sid: str) -> None:
    world.inbound.handle(InboundText(sid, CUSTOMER, CLINIC_NUMBER, body))


def types(world: World) -> list[EventType]:
    return [e.type for e in world.store.outbox]


# -- ids and types ------------------------------------------------------------------------


def test_an_event_id_is_evt_and_26_crockford_characters() -> None:
    assert EVENT_ID.match(event_id("clinic-1", EventType.APPOINTMENT_CONFIRMED, "appt-1", 1))


def test_the_same_action_gives_the_same_id_and_any_difference_another() -> None:
    confirmed = EventType.APPOINTMENT_CONFIRMED
    first = event_id("clinic-1", confirmed, "appt-1", 1)

    assert event_id("clinic-1", confirmed, "appt-1", 1) == first
    others = {
        event_id("clinic-2", confirmed, "appt-1", 1),
        event_id("clinic-1", EventType.APPOINTMENT_CANCELLED, "appt-1", 1),
        event_id("clinic-1", confirmed, "appt-1", 2),
        event_id("clinic-1", confirmed, "appt-11"),
    }
    assert first not in others
    assert len(others) == 4


def test_parts_are_separated_so_they_cannot_run_together() -> None:
    confirmed = EventType.APPOINTMENT_CONFIRMED
    assert event_id("t", confirmed, "ab", "c") != event_id("t", confirmed, "a", "bc")


@pytest.mark.skipif(not CONTRACT.exists(), reason="the shared contract is not on this machine")
def test_every_type_the_contract_names_is_declared() -> None:
    section = CONTRACT.read_text().split("## Outbound webhooks (v2)")[1].split("\n## ")[0]
    named = set(re.findall(r"`([a-z]+\.[a-z_]+)`", section))

    assert named == {t.value for t in EventType}


def test_the_body_is_type_timestamp_in_utc_with_z_and_data() -> None:
    event = message_event(
        EventType.MESSAGE_DELIVERED,
        MessageIdentity("clinic-1", "appt-1", "confirmation", 1),
        at("2030-01-10T09:00:00-08:00"),
        sid="SM1",
    )

    assert event.body() == {
        "type": "message.delivered",
        "timestamp": "2030-01-10T17:00:00.000Z",
        "data": {
            "appointment_id": "appt-1",
            "kind": "confirmation",
            "version": 1,
            "message_sid": "SM1",
        },
    }


def test_a_message_event_refuses_a_type_that_is_not_about_a_message() -> None:
    with pytest.raises(ValueError, match="not a message event"):
        message_event(
            EventType.QUEUE_ITEM_OPENED,
            MessageIdentity("clinic-1", "appt-1", "confirmation", 1),
            at("2030-01-10T09:00:00-08:00"),
        )


@pytest.mark.parametrize(
    ("role", "by"), [(Role.BOOKING, "booking"), (Role.STAFF, "staff"), (Role.MANAGER, "staff")]
)
def test_a_cancellation_by_token_says_booking_or_staff(role: Role, by: str) -> None:
    assert cancelled_by_role(role) == by


def test_iso_z_writes_utc_with_milliseconds() -> None:
    assert iso_z(at("2030-01-10T09:00:00.5+01:00")) == "2030-01-10T08:00:00.500Z"


# -- which action records which event -------------------------------------------------------


def test_c_records_appointment_confirmed_once_however_often_it_comes(world: World) -> None:
    world.book()

    text(world, "C", "SM" + "1" * 32)
    text(world, "C", "SM" + "1" * 32)  # Twilio's retry
    text(world, "C", "SM" + "2" * 32)  # a second C

    [event] = world.store.outbox
    assert (event.type, event.appointment_id) == (EventType.APPOINTMENT_CONFIRMED, "appt-1")
    assert event.data == {"appointment_id": "appt-1", "starts_at": event.data["starts_at"]}


def test_a_moved_appointment_can_be_confirmed_again(world: World) -> None:
    world.book()
    text(world, "C", "SM" + "1" * 32)
    world.book(starts_at="2030-01-16T10:30:00-08:00")

    text(world, "C", "SM" + "2" * 32)

    first, second = world.store.events_of(EventType.APPOINTMENT_CONFIRMED)
    assert first.event_id != second.event_id


def test_x_records_appointment_cancelled_by_the_customer_and_the_freed_slot(
    world: World,
) -> None:
    world.book()

    text(world, "X", "SM" + "1" * 32)

    assert types(world) == [EventType.APPOINTMENT_CANCELLED, EventType.QUEUE_ITEM_OPENED]
    cancelled, opened = world.store.outbox
    assert cancelled.data["by"] == "customer"
    assert opened.data["intent"] == "slot_freed"


@pytest.mark.parametrize("by", ["booking", "staff"])
def test_a_cancellation_through_the_api_says_who_and_is_recorded_once(
    world: World, by: str
) -> None:
    world.book()

    world.appointments.cancel("clinic-1", "appt-1", source=by, by="someone")  # type: ignore[arg-type]
    world.appointments.cancel("clinic-1", "appt-1", source=by, by="someone")  # type: ignore[arg-type]

    [event] = world.store.outbox
    assert (event.type, event.data["by"]) == (EventType.APPOINTMENT_CANCELLED, by)


def test_r_records_reschedule_requested_and_the_opened_conversation(world: World) -> None:
    world.book()

    text(world, "R", "SM" + "1" * 32)
    text(world, "R", "SM" + "2" * 32)  # joins the open conversation

    assert types(world) == [
        EventType.QUEUE_ITEM_OPENED,
        EventType.APPOINTMENT_RESCHEDULE_REQUESTED,
        EventType.APPOINTMENT_RESCHEDULE_REQUESTED,
    ]
    opened, first, second = world.store.outbox
    assert first.appointment_id == "appt-1"
    assert first.data["queue_item_id"] == opened.data["queue_item_id"]
    assert first.event_id != second.event_id


def test_a_question_opens_a_queue_item_and_nothing_more(world: World) -> None:
    text(world, "Can I bring my dog?", "SM" + "1" * 32)

    assert types(world) == [EventType.QUEUE_ITEM_OPENED]


def test_stop_and_start_record_each_change_of_wish_once(world: World) -> None:
    text(world, "START", "SM" + "0" * 32)  # never opted out: nothing changes
    text(world, "STOP", "SM" + "1" * 32)
    text(world, "STOP", "SM" + "2" * 32)  # already out
    text(world, "START", "SM" + "3" * 32)
    text(world, "STOP", "SM" + "4" * 32)

    assert types(world) == [
        EventType.RECIPIENT_OPTED_OUT,
        EventType.RECIPIENT_OPTED_IN,
        EventType.RECIPIENT_OPTED_OUT,
    ]
    assert len({e.event_id for e in world.store.outbox}) == 3
    assert {e.data["source"] for e in world.store.outbox} == {"keyword"}


def _sent_confirmation(world: World) -> str:
    world.book()
    assert world.send_queued() == [Outcome.SENT]
    found = world.store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    return status_callback_ref(found[1][0])


def test_a_delivered_callback_records_message_delivered_once(world: World) -> None:
    ref = _sent_confirmation(world)
    report = DeliveryReport(ref, "SM" + "9" * 32, "delivered", CUSTOMER)

    record_delivery_report(world.store, world.clock, DeliveryReport(ref, "SM1", "sent", CUSTOMER))
    record_delivery_report(world.store, world.clock, report)
    record_delivery_report(world.store, world.clock, report)

    [event] = world.store.outbox
    assert event.type is EventType.MESSAGE_DELIVERED
    assert event.data["message_sid"] == "SM" + "9" * 32


def test_a_carrier_opt_out_callback_records_message_failed_and_recipient_opted_out(
    world: World,
) -> None:
    ref = _sent_confirmation(world)

    record_delivery_report(
        world.store, world.clock, DeliveryReport(ref, "SM1", "undelivered", CUSTOMER, 21610)
    )

    assert types(world) == [EventType.MESSAGE_FAILED, EventType.RECIPIENT_OPTED_OUT]
    assert world.store.outbox[0].data["error_code"] == 21610
    assert world.store.outbox[1].data["source"] == "carrier"


def test_a_suppressed_text_records_message_suppressed_with_its_reason(world: World) -> None:
    world.book()
    text(world, "STOP", "SM" + "1" * 32)

    assert world.send_queued() == [Outcome.SUPPRESSED]

    # v2: an opt-out with a visit coming also opens a flagged item for a person.
    assert types(world) == [
        EventType.RECIPIENT_OPTED_OUT,
        EventType.QUEUE_ITEM_OPENED,
        EventType.MESSAGE_SUPPRESSED,
    ]
    assert world.store.outbox[1].data["flags"] == ["opted_out_with_appointment"]
    assert world.store.outbox[2].data["reason"] == "opted_out"


def test_a_text_twilio_refuses_records_message_failed(world: World) -> None:
    world.book()
    world.gateway.failure = SmsRejected("invalid number", error_code=21211)

    assert world.send_queued() == [Outcome.FAILED]

    [event] = world.store.outbox
    assert (event.type, event.data["error_code"]) == (EventType.MESSAGE_FAILED, 21211)


def test_a_text_refused_as_opted_out_records_the_opt_out_too(world: World) -> None:
    world.book()
    world.gateway.failure = RecipientOptedOut("opted out", error_code=21610)

    world.send_queued()

    assert types(world) == [EventType.MESSAGE_FAILED, EventType.RECIPIENT_OPTED_OUT]


def test_resolving_records_queue_item_resolved_once(world: World) -> None:
    text(world, "Can I bring my dog?", "SM" + "1" * 32)
    [item] = world.queue.items.values()
    world.staff.claim(MARIA, item.item_id)

    world.staff.resolve(MARIA, item.item_id)

    assert types(world) == [EventType.QUEUE_ITEM_OPENED, EventType.QUEUE_ITEM_RESOLVED]
    assert world.store.outbox[1].data["resolved_by"] == MARIA.staff_id


def test_resolving_after_a_customer_text_landed_meanwhile_still_resolves(world: World) -> None:
    text(world, "Can I bring my dog?", "SM" + "1" * 32)
    [item] = world.queue.items.values()
    world.staff.claim(MARIA, item.item_id)
    stale = world.queue.items[("clinic-1", item.item_id)]
    text(world, "And my cat?", "SM" + "2" * 32)

    late = queue_item_resolved(stale, MARIA.staff_id, world.clock.now())
    assert world.queue.resolve(stale, MARIA.staff_id, world.clock.now(), late) is None
    resolved = world.staff.resolve(MARIA, item.item_id)

    assert resolved.message_count == 2
    assert types(world)[-1] is EventType.QUEUE_ITEM_RESOLVED


def test_r_with_no_appointment_to_move_is_only_a_conversation(world: World) -> None:
    text(world, "R", "SM" + "1" * 32)

    assert types(world) == [EventType.QUEUE_ITEM_OPENED]


def test_a_text_the_watcher_gives_up_on_records_message_failed(world: World) -> None:
    world.book()
    world.outbound.sent.clear()  # its queue message was lost
    world.clock.advance(hours=3)

    assert mark_stuck(world.store, world.store, world.clock, "clinic-1") == 1

    [event] = world.store.outbox
    assert (event.type, event.data["reason"]) == (EventType.MESSAGE_FAILED, "retries_exhausted")


def test_a_held_text_too_late_at_resume_records_message_suppressed(world: World) -> None:
    world.oversight.pause(MARIA, "flooded")
    world.book(starts_at="2030-01-10T12:00:00-08:00")  # three hours away
    assert world.send_queued() == [Outcome.DEFERRED]
    world.clock.advance(hours=4)  # the appointment has begun

    world.oversight.resume(MARIA, "dry again")

    [event] = world.store.outbox
    assert (event.type, event.data["reason"]) == (EventType.MESSAGE_SUPPRESSED, "tenant_paused")


def test_events_about_an_appointment_name_it_by_id_not_by_the_customers_name_or_phone(
    world: World,
) -> None:
    world.book()

    text(world, "R", "SM" + "1" * 32)
    text(world, "C", "SM" + "2" * 32)
    text(world, "X", "SM" + "3" * 32)

    assert set(types(world)) >= {
        EventType.APPOINTMENT_RESCHEDULE_REQUESTED,
        EventType.APPOINTMENT_CONFIRMED,
        EventType.APPOINTMENT_CANCELLED,
        EventType.QUEUE_ITEM_OPENED,
    }
    for event in world.store.outbox:
        body = json.dumps(event.body(), ensure_ascii=False)
        assert event.data["appointment_id"] == "appt-1"
        assert CUSTOMER not in body, event.type
        assert "López" not in body, event.type


def test_a_conversation_with_no_appointment_keeps_the_phone_to_call_back(world: World) -> None:
    text(world, "Can I bring my dog?", "SM" + "1" * 32)

    [opened] = world.store.outbox
    assert opened.data["phone"] == CUSTOMER
