"""The Appointments API through its real handler, against moto tables made from template.yaml."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import appointment_key, serialize
from rendezvous.domain.clock import FixedClock
from tests.support.aws import at
from tests.support.events import appointment_event, invoke, response_json

FN = "AppointmentsFunction"


def booking(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"phone": "+14155550123", "name": "Ana María López"},
        "starts_at": "2030-01-15T10:30:00-08:00",
        "duration_minutes": 30,
        "location": "Harbor Clinic, 2nd floor",
    }
    body.update(changes)
    return body


def put(appointment_id: str, body: Any, tenant: str = "clinic-1") -> tuple[int, Any]:
    response = invoke(FN, appointment_event("PUT", appointment_id, body, tenant=tenant))
    return response["statusCode"], response_json(response)


def stored_items(store: DynamoAppointmentStore, appointment_id: str) -> list[dict[str, Any]]:
    key = appointment_key("clinic-1", appointment_id)
    page = store._db.query(
        TableName=store._table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=serialize({":pk": key["pk"]}),
    )
    return list(page["Items"])


def test_new_appointment_answers_201_with_confirmation_now_and_two_reminders(
    store: DynamoAppointmentStore, schedules: Any, outbound: Any
) -> None:
    status, body = put("appt-1", booking())

    assert status == 201
    planned = {p["kind"]: p["send_at"] for p in body["planned_messages"]}
    assert planned == {
        "confirmation": "2030-01-10T17:00:00Z",
        "reminder_48h": "2030-01-13T18:30:00Z",
        "reminder_2h": "2030-01-15T16:30:00Z",
    }
    queued = [json.loads(m["Body"]) for m in outbound()]
    assert [(q["kind"], q["version"]) for q in queued] == [("confirmation", 1)]
    assert "+1415" not in json.dumps(queued), "queue messages carry no phone numbers"


def test_each_reminder_gets_one_self_deleting_schedule_onto_the_outbound_queue(
    store: DynamoAppointmentStore, schedules: Any, runtime: Any, stack: Any
) -> None:
    put("appt-1", booking())

    made = schedules()
    assert len(made) == 2
    for schedule in made.values():
        assert schedule["ActionAfterCompletion"] == "DELETE"
        assert schedule["ScheduleExpression"] in {
            "at(2030-01-13T18:30:00)",
            "at(2030-01-15T16:30:00)",
        }
        target = schedule["Target"]
        # The queue, not the function: reminders share the queue's retries and its DLQ.
        assert target["Arn"] == stack.resolver.attributes[("OutboundQueue", "Arn")]
        assert target["DeadLetterConfig"]["Arn"] == runtime.settings.scheduler_dlq_arn
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert json.loads(target["Input"])["appointment_id"] == "appt-1"


def test_the_same_put_twice_keeps_one_appointment_and_answers_200(
    store: DynamoAppointmentStore, schedules: Any
) -> None:
    first, _ = put("appt-1", booking())
    second, body = put("appt-1", booking())

    assert (first, second) == (201, 200)
    assert body["version"] == 1
    assert len(stored_items(store, "appt-1")) == 4  # the appointment and three messages
    assert len(schedules()) == 2


def test_get_returns_status_and_message_history(store: DynamoAppointmentStore) -> None:
    put("appt-1", booking())

    response = invoke(FN, appointment_event("GET", "appt-1"))

    assert response["statusCode"] == 200
    body = response_json(response)
    assert body["status"] == "scheduled"
    assert [m["kind"] for m in body["messages"]] == ["confirmation", "reminder_48h", "reminder_2h"]


def test_moving_an_appointment_replaces_its_reminders(
    store: DynamoAppointmentStore, schedules: Any
) -> None:
    put("appt-1", booking())
    before = set(schedules())

    status, body = put("appt-1", booking(starts_at="2030-01-16T14:00:00-08:00"))

    assert status == 200
    assert body["version"] == 2
    after = schedules()
    assert not before & set(after), "old reminder schedules are deleted"
    assert {s["ScheduleExpression"] for s in after.values()} == {
        "at(2030-01-14T22:00:00)",
        "at(2030-01-16T20:00:00)",
    }
    old = [m for m in body["messages"] if m["version"] == 1 and m["kind"].startswith("reminder")]
    assert {m["status"] for m in old} == {"superseded"}


def test_moving_to_a_time_whose_reminders_have_passed_plans_none_in_the_past(
    store: DynamoAppointmentStore, schedules: Any, clock: FixedClock
) -> None:
    put("appt-1", booking())

    # Tomorrow 11:00: the 48 h reminder would be in the past.
    status, body = put("appt-1", booking(starts_at="2030-01-11T11:00:00-08:00"))

    assert status == 200
    kinds = {p["kind"] for p in body["planned_messages"]}
    assert "reminder_48h" not in kinds
    assert all(at(p["send_at"]) >= clock.now() for p in body["planned_messages"])


def test_a_changed_location_keeps_the_plan_and_the_version(
    store: DynamoAppointmentStore, schedules: Any
) -> None:
    put("appt-1", booking())

    status, body = put("appt-1", booking(location="Annex, room 4"))

    assert status == 200
    assert body["version"] == 1
    assert body["location"] == "Annex, room 4"
    assert len(schedules()) == 2


def test_delete_cancels_and_removes_every_schedule(
    store: DynamoAppointmentStore, schedules: Any
) -> None:
    put("appt-1", booking())

    response = invoke(FN, appointment_event("DELETE", "appt-1"))

    assert response["statusCode"] == 200
    body = response_json(response)
    assert body["status"] == "cancelled"
    assert schedules() == {}
    pending = [m for m in body["messages"] if m["status"] in {"planned", "deferred"}]
    assert pending == []


def test_booking_during_quiet_hours_defers_the_confirmation_to_the_morning(
    store: DynamoAppointmentStore, schedules: Any, outbound: Any, clock: FixedClock
) -> None:
    clock.set(at("2030-01-10T22:15:00-08:00"))

    status, body = put("appt-1", booking())

    assert status == 201
    confirmation = next(p for p in body["planned_messages"] if p["kind"] == "confirmation")
    assert confirmation == {
        "kind": "confirmation",
        "send_at": "2030-01-11T16:00:00Z",
        "status": "deferred",
        "reason": "quiet_hours",
    }
    assert outbound() == []
    assert "at(2030-01-11T16:00:00)" in {s["ScheduleExpression"] for s in schedules().values()}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (booking(starts_at="2030-01-09T10:00:00-08:00"), 422, "unprocessable"),
        (booking(starts_at="2030-01-15T10:30:00"), 422, "validation_failed"),
        (booking(customer={"phone": "06 12 34 56 78", "name": "Ana"}), 422, "validation_failed"),
        (booking(customer={"phone": "+1415555", "name": "Ana"}), 422, "validation_failed"),
        (booking(customer={"phone": "+14155550123", "name": ""}), 422, "validation_failed"),
        (
            booking(customer={"phone": "+14155550123", "name": "A", "locale": "de"}),
            422,
            "validation_failed",
        ),
        (booking(color="blue"), 422, "validation_failed"),
        (booking(duration_minutes=0), 422, "validation_failed"),
        ({"customer": {"phone": "+14155550123", "name": "A"}}, 422, "validation_failed"),
    ],
    ids=[
        "past",
        "naive-time",
        "national-number-of-another-country",
        "short-number",
        "empty-name",
        "locale",
        "unknown-field",
        "zero-duration",
        "missing-start",
    ],
)
def test_bad_bookings_get_a_clear_4xx_and_write_nothing(
    store: DynamoAppointmentStore, schedules: Any, outbound: Any, body: Any, status: int, code: str
) -> None:
    got_status, got = put("appt-bad", body)

    assert got_status == status
    assert got["error"]["code"] == code
    assert got["error"]["message"]
    assert stored_items(store, "appt-bad") == []
    assert schedules() == {}
    assert outbound() == []


@pytest.mark.parametrize(
    ("tenant", "written", "e164"),
    [
        ("clinic-1", "(415) 555-0133", "+14155550133"),
        ("clinic-1", "415-555-0133", "+14155550133"),
        ("clinic-1", "4155550133", "+14155550133"),
        ("salon-1", "06 12 34 56 78", "+33612345678"),
        ("salon-1", "06.12.34.56.78", "+33612345678"),
        ("salon-1", "+1 415 555 0133", "+14155550133"),
    ],
)
def test_a_national_number_is_read_in_the_tenants_country_and_stored_e164(
    store: DynamoAppointmentStore, tenant: str, written: str, e164: str
) -> None:
    # clinic-1 sends from a US number, salon-1 from a French one.
    status, body = put("appt-n", booking(customer={"phone": written, "name": "Ana"}), tenant)

    assert status == 201
    assert body["customer"]["phone"] == e164
    stored = store.get_appointment(tenant, "appt-n")
    assert stored is not None
    assert stored[0].customer.phone == e164


@pytest.mark.parametrize("written", ["06 12 34 56 78", "555-01", "call me", "+33 6 12"])
def test_an_unreadable_number_is_a_422_naming_customer_phone(
    store: DynamoAppointmentStore, schedules: Any, written: str
) -> None:
    status, body = put("appt-bad", booking(customer={"phone": written, "name": "Ana"}))

    assert status == 422
    assert [d["field"] for d in body["error"]["details"]] == ["customer.phone"]
    assert written not in json.dumps(body), "the rejected number is not echoed"
    assert stored_items(store, "appt-bad") == []
    assert schedules() == {}


@pytest.mark.parametrize(
    ("raw", "status"),
    [("{not json", 400), ("", 400), ("x" * 20_000, 413)],
    ids=["malformed", "empty", "too-large"],
)
def test_unreadable_bodies_are_refused(
    store: DynamoAppointmentStore, raw: str, status: int
) -> None:
    response = invoke(FN, appointment_event("PUT", "appt-raw", raw_body=raw))

    assert response["statusCode"] == status
    assert stored_items(store, "appt-raw") == []


def test_an_appointment_id_with_odd_characters_is_a_400(store: DynamoAppointmentStore) -> None:
    response = invoke(FN, appointment_event("GET", "appt 1;drop"))

    assert response["statusCode"] == 400


def test_a_token_without_a_tenant_is_refused(store: DynamoAppointmentStore) -> None:
    response = invoke(FN, appointment_event("PUT", "appt-1", booking(), tenant=None))

    assert response["statusCode"] == 401
    assert stored_items(store, "appt-1") == []


def test_another_tenants_appointment_answers_404_like_a_missing_one(
    store: DynamoAppointmentStore,
) -> None:
    put("appt-1", booking())

    other = invoke(FN, appointment_event("GET", "appt-1", tenant="salon-1"))
    missing = invoke(FN, appointment_event("GET", "appt-404"))
    cancel_other = invoke(FN, appointment_event("DELETE", "appt-1", tenant="salon-1"))

    assert other["statusCode"] == missing["statusCode"] == cancel_other["statusCode"] == 404
    assert response_json(other) == response_json(missing)


def test_a_cancelled_appointment_cannot_be_put_back(store: DynamoAppointmentStore) -> None:
    put("appt-1", booking())
    invoke(FN, appointment_event("DELETE", "appt-1"))

    status, body = put("appt-1", booking(starts_at="2030-01-20T10:00:00-08:00"))

    assert status == 409
    assert body["error"]["code"] == "conflict"


def test_a_start_at_the_edge_of_the_calendar_is_a_422_not_a_crash(
    store: DynamoAppointmentStore,
) -> None:
    status, body = put("appt-far", booking(starts_at="9999-12-31T23:00:00-05:00"))

    assert status == 422
    assert body["error"]["code"] == "validation_failed"


def test_a_body_that_is_not_utf8_is_a_400(store: DynamoAppointmentStore) -> None:
    event = appointment_event("PUT", "appt-bin", raw_body="/w==")
    event["isBase64Encoded"] = True

    response = invoke(FN, event)

    assert response["statusCode"] == 400
    assert stored_items(store, "appt-bin") == []


def test_a_cancel_by_a_token_without_a_subject_is_refused_before_anything_changes(
    store: DynamoAppointmentStore,
) -> None:
    put("appt-1", booking())
    event = appointment_event("DELETE", "appt-1")
    del event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]

    response = invoke(FN, event)

    assert response["statusCode"] == 401
    after = response_json(invoke(FN, appointment_event("GET", "appt-1")))
    assert after["status"] == "scheduled"


def test_a_location_too_long_for_two_segments_is_warned_about_in_the_answer(
    store: DynamoAppointmentStore,
) -> None:
    from tests.support.aws import clinic

    store.put_tenant(clinic(include_service_details=True))
    long_place = ("Harbor Clinic, Pier 39, Building C, " + "North Wing, " * 8)[:120].strip()
    details = {"service": "Consultation " * 9, "provider": "Dr Alexandra Whitfield"}

    status, body = put("long-place", booking(location=long_place, **details))
    _, short = put("short-place", booking(**details))

    assert status == 201
    [warning] = body["warnings"]
    assert "confirmation text would take 3 SMS segments" in warning
    assert "without the location" in warning
    assert body["location"] == long_place  # the booking keeps it; only the text drops it
    assert short["warnings"] == []
