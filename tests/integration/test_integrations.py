"""Cal.com's webhook and FHIR R4 Appointment through the IntegrationsFunction's real
handler, against moto (tables and the KMS key made from template.yaml)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import boto3
import pytest

from rendezvous.adapters.dynamodb.integrations import calcom_key
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import deserialize, event_key, serialize
from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.events import EventType, event_id, outcome_recorded
from rendezvous.domain.models import AppointmentStatus, MessageStatus
from rendezvous.runtime import Runtime
from tests.support.aws import at
from tests.support.events import invoke, response_json, sample, set_role

FN = "IntegrationsFunction"
INTEGRATION = "calcom-main"
CREATED_UID = "bFJeNb2uX8ANpT3JL5EfXw"
RESCHEDULED_UID = "kP3xQ7Rn2VdYt9LmZa4HcE"


def manager_event(
    method: str, path: str, *, tenant: str = "clinic-1", role: str = "manager"
) -> dict[str, Any]:
    event = sample("integrations_fhir_put.json")
    event["rawPath"] = path
    event["routeKey"] = f"{method} {path}"
    event["requestContext"]["http"].update({"method": method, "path": path})
    event["headers"] = {"host": "api.example.test"}
    event.pop("body", None)
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    claims["custom:tenant_id"] = tenant
    claims["email"] = f"boss@{tenant}.example"
    set_role(claims, role)
    return event


def register(
    integration_id: str = INTEGRATION, tenant: str = "clinic-1", role: str = "manager"
) -> tuple[int, Any]:
    response = invoke(
        FN,
        manager_event("PUT", f"/v1/integrations/calcom/{integration_id}", tenant=tenant, role=role),
    )
    return response["statusCode"], response_json(response)


def signed(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    payload: dict[str, Any] | bytes,
    secret: str | None,
    *,
    integration_id: str = INTEGRATION,
    signature: str | None = None,
    base64_body: bool = False,
) -> tuple[int, Any]:
    event = sample("integrations_calcom.json")
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    path = f"/integrations/calcom/{integration_id}"
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"integration_id": integration_id}
    if signature is None and secret is not None:
        signature = signed(secret, raw)
    if signature is None:
        event["headers"].pop("x-cal-signature-256")
    else:
        event["headers"]["x-cal-signature-256"] = signature
    if base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    else:
        event["body"] = raw.decode()
    response = invoke(FN, event)
    return response["statusCode"], response_json(response)


def calcom(name: str, **payload_changes: Any) -> dict[str, Any]:
    body = sample(f"calcom_{name}.json")
    body["payload"].update(payload_changes)
    return body


def cancellation_told(store: DynamoAppointmentStore, appointment_id: str) -> Any:
    """Who the `appointment.cancelled` webhook event says cancelled (None: no event). The
    event item is written by the cancel's own transaction (AppointmentService.cancel)."""
    type_ = EventType.APPOINTMENT_CANCELLED
    item = store._get(event_key("clinic-1", event_id("clinic-1", type_, appointment_id)))
    return None if item is None else json.loads(item["data"])["by"]


@pytest.fixture
def secret(store: DynamoAppointmentStore) -> str:
    status, body = register()
    assert status == 201
    return str(body["secret"])


# -- the manager route ----------------------------------------------------------------------


def test_registering_answers_the_secret_once_and_stores_it_sealed(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    status, first = register()
    again_status, again = register()

    assert status == 201
    assert len(first["secret"]) == 64
    assert first["url_path"] == f"/integrations/calcom/{INTEGRATION}"
    assert again_status == 200
    assert "secret" not in again
    raw = boto3.client("dynamodb").get_item(
        TableName=runtime.settings.table_name, Key=serialize(calcom_key(INTEGRATION))
    )["Item"]
    stored = json.dumps(deserialize(raw))
    assert first["secret"] not in stored, "the secret is stored only as KMS ciphertext"
    assert deserialize(raw)["tenant_id"] == "clinic-1"


def test_another_tenant_cannot_take_or_read_an_integration_id(
    store: DynamoAppointmentStore,
) -> None:
    register()

    taken, _ = register(tenant="salon-1")
    read = invoke(
        FN, manager_event("GET", f"/v1/integrations/calcom/{INTEGRATION}", tenant="salon-1")
    )

    assert taken == 409
    assert read["statusCode"] == 404


@pytest.mark.parametrize("role", ["staff", "booking"])
def test_only_managers_create_integrations(store: DynamoAppointmentStore, role: str) -> None:
    status, body = register(role=role)

    assert status == 403
    assert body["error"]["code"] == "forbidden"
    assert (
        invoke(FN, manager_event("GET", f"/v1/integrations/calcom/{INTEGRATION}"))["statusCode"]
        == 404
    )


def remove(integration_id: str = INTEGRATION, tenant: str = "clinic-1") -> int:
    path = f"/v1/integrations/calcom/{integration_id}"
    return int(invoke(FN, manager_event("DELETE", path, tenant=tenant))["statusCode"])


def test_a_removed_integration_signs_nothing_and_a_new_put_rotates_its_secret(
    store: DynamoAppointmentStore, secret: str
) -> None:
    # A leaked secret is revoked by removing the integration, and replaced by putting it again.
    removed = remove()
    refused, _ = deliver(calcom("booking_created"), secret)
    nothing_booked = store.get_appointment("clinic-1", CREATED_UID) is None
    again = remove()
    status, remade = register()
    booked, _ = deliver(calcom("booking_created"), str(remade["secret"]))

    assert removed == 204
    assert refused == 403
    assert nothing_booked
    assert again == 404
    assert status == 201
    assert remade["secret"] != secret
    assert booked == 200


def test_another_tenant_cannot_remove_an_integration(
    store: DynamoAppointmentStore, secret: str
) -> None:
    refused = remove(tenant="salon-1")
    status, _ = deliver(calcom("booking_created"), secret)

    assert refused == 404
    assert status == 200


# -- signatures -------------------------------------------------------------------------------


def test_a_signed_booking_created_books_the_appointment(
    store: DynamoAppointmentStore, secret: str, outbound: Any
) -> None:
    status, body = deliver(calcom("booking_created"), secret)

    assert status == 200
    assert body == {
        "trigger": "BOOKING_CREATED",
        "result": "created",
        "appointment_id": CREATED_UID,
    }
    found = store.get_appointment("clinic-1", CREATED_UID)
    assert found is not None
    appointment, messages = found
    assert appointment.customer.phone == "+14155550123"
    assert appointment.customer.name == "Ana López"
    assert appointment.starts_at == at("2030-01-15T10:30:00-08:00")
    assert appointment.duration_minutes == 30
    assert appointment.location == "Harbor Clinic, 2nd floor"
    assert {m.kind for m in messages} == {"confirmation", "reminder_48h", "reminder_2h"}
    assert [json.loads(m["Body"])["kind"] for m in outbound()] == ["confirmation"]


def test_a_base64_body_is_verified_on_its_raw_bytes(
    store: DynamoAppointmentStore, secret: str
) -> None:
    status, _ = deliver(calcom("booking_created"), secret, base64_body=True)

    assert status == 200
    assert store.get_appointment("clinic-1", CREATED_UID) is not None


@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 64, "sha256=abc", "not hex at all"],
    ids=["missing", "empty", "wrong", "prefixed", "garbage"],
)
def test_a_bad_or_missing_signature_is_403_and_writes_nothing(
    store: DynamoAppointmentStore, secret: str, signature: str | None
) -> None:
    event_body = json.dumps(calcom("booking_created")).encode()
    status, body = deliver(event_body, None, signature=signature)

    assert status == 403
    assert body["error"]["code"] == "forbidden"
    assert store.get_appointment("clinic-1", CREATED_UID) is None


def test_a_body_changed_after_signing_is_403(store: DynamoAppointmentStore, secret: str) -> None:
    original = json.dumps(calcom("booking_created")).encode()
    tampered = original.replace(b"+14155550123", b"+14155550199")

    status, _ = deliver(tampered, None, signature=signed(secret, original))

    assert status == 403
    assert store.get_appointment("clinic-1", CREATED_UID) is None


def test_another_integrations_secret_and_an_unknown_id_are_403(
    store: DynamoAppointmentStore, secret: str
) -> None:
    _, other = register("calcom-salon", tenant="salon-1")

    wrong_secret, _ = deliver(calcom("booking_created"), other["secret"])
    unknown_id, _ = deliver(calcom("booking_created"), secret, integration_id="nobody")

    assert (wrong_secret, unknown_id) == (403, 403)
    assert store.get_appointment("clinic-1", CREATED_UID) is None


# -- triggers ---------------------------------------------------------------------------------


def test_the_same_delivery_twice_changes_nothing(
    store: DynamoAppointmentStore, secret: str, outbound: Any, schedules: Any
) -> None:
    deliver(calcom("booking_created"), secret)
    before, first_schedules = store.get_appointment("clinic-1", CREATED_UID), set(schedules())
    status, body = deliver(calcom("booking_created"), secret)

    assert status == 200
    assert body["result"] == "unchanged"
    assert store.get_appointment("clinic-1", CREATED_UID) == before
    assert set(schedules()) == first_schedules
    # A repeat hands the due confirmation off again, as a repeated PUT does (a lost
    # hand-off is recovered so); it is the same send, which the sender's claim sends once.
    sends = {(m["Body"]) for m in outbound()}
    assert [json.loads(m)["kind"] for m in sends] == ["confirmation"]


def test_booking_cancelled_cancels_and_a_repeat_changes_nothing(
    store: DynamoAppointmentStore, secret: str
) -> None:
    deliver(calcom("booking_created"), secret)

    status, body = deliver(calcom("booking_cancelled"), secret)
    repeat_status, repeat = deliver(calcom("booking_cancelled"), secret)

    assert (status, body["result"]) == (200, "cancelled")
    assert (repeat_status, repeat["result"]) == (200, "already_cancelled")
    assert cancellation_told(store, CREATED_UID) == "booking"
    found = store.get_appointment("clinic-1", CREATED_UID)
    assert found is not None
    appointment, messages = found
    assert appointment.status is AppointmentStatus.CANCELLED
    assert all(
        m.status is MessageStatus.CANCELLED for m in messages if m.kind.startswith("reminder")
    )


def test_booking_cancelled_frees_the_slot_as_an_opening_once(
    store: DynamoAppointmentStore, secret: str, runtime: Runtime
) -> None:
    deliver(calcom("booking_created"), secret)

    deliver(calcom("booking_cancelled"), secret)
    deliver(calcom("booking_cancelled"), secret)

    found = runtime.vacancy_store().get_opening("clinic-1", f"op-{CREATED_UID}-v2")
    assert found is not None
    assert (found.opening.source, found.opening.replaces) == ("cancellation", CREATED_UID)
    logged = runtime.activity_log().day("clinic-1", "2030-01-10")
    assert [e.opening_id for e in logged if e.event is ActivityEvent.OPENING_CREATED] == [
        f"op-{CREATED_UID}-v2"
    ]


def test_cancelling_a_booking_we_never_had_is_200_unknown(
    store: DynamoAppointmentStore, secret: str
) -> None:
    status, body = deliver(calcom("booking_cancelled"), secret)

    assert (status, body["result"]) == (200, "unknown")


def test_booking_rescheduled_books_the_new_uid_and_cancels_the_old(
    store: DynamoAppointmentStore, secret: str
) -> None:
    deliver(calcom("booking_created"), secret)

    status, body = deliver(calcom("booking_rescheduled"), secret)
    repeat_status, repeat = deliver(calcom("booking_rescheduled"), secret)

    assert status == 200
    assert body == {
        "trigger": "BOOKING_RESCHEDULED",
        "result": "created",
        "appointment_id": RESCHEDULED_UID,
        "replaced": CREATED_UID,
    }
    assert (repeat_status, repeat["result"]) == (200, "unchanged")
    old = store.get_appointment("clinic-1", CREATED_UID)
    new = store.get_appointment("clinic-1", RESCHEDULED_UID)
    assert old is not None
    assert old[0].status is AppointmentStatus.CANCELLED
    assert new is not None
    assert new[0].starts_at == at("2030-01-16T10:30:00-08:00")


def test_a_reschedule_under_the_same_uid_moves_the_appointment(
    store: DynamoAppointmentStore, secret: str
) -> None:
    deliver(calcom("booking_created"), secret)

    status, body = deliver(
        calcom("booking_rescheduled", uid=CREATED_UID, rescheduleUid=CREATED_UID), secret
    )

    assert (status, body["result"]) == (200, "updated")
    found = store.get_appointment("clinic-1", CREATED_UID)
    assert found is not None
    assert found[0].status is AppointmentStatus.SCHEDULED
    assert found[0].starts_at == at("2030-01-16T10:30:00-08:00")


def test_other_triggers_are_200_and_ignored(store: DynamoAppointmentStore, secret: str) -> None:
    status, body = deliver(sample("calcom_booking_no_show_updated.json"), secret)

    assert (status, body) == (200, {"trigger": "BOOKING_NO_SHOW_UPDATED", "result": "ignored"})


def test_a_booking_without_a_phone_is_422_naming_the_field(
    store: DynamoAppointmentStore, secret: str
) -> None:
    body = calcom("booking_created")
    body["payload"]["attendees"][0].pop("phoneNumber")
    body["payload"]["responses"].pop("attendeePhoneNumber")

    status, answer = deliver(body, secret)

    assert status == 422
    assert [d["field"] for d in answer["error"]["details"]] == ["customer.phone"]
    assert store.get_appointment("clinic-1", CREATED_UID) is None


def _with_phone(written: str) -> dict[str, Any]:
    body = calcom("booking_created")
    body["payload"]["attendees"][0]["phoneNumber"] = written
    body["payload"]["responses"]["attendeePhoneNumber"]["value"] = written
    return body


def test_a_national_attendee_number_is_read_in_the_tenants_country(
    store: DynamoAppointmentStore, secret: str
) -> None:
    status, _ = deliver(_with_phone("(415) 555-0133"), secret)

    assert status == 200
    found = store.get_appointment("clinic-1", CREATED_UID)
    assert found is not None
    assert found[0].customer.phone == "+14155550133"


def test_an_attendee_number_foreign_to_the_tenants_country_is_422_naming_the_field(
    store: DynamoAppointmentStore, secret: str
) -> None:
    status, answer = deliver(_with_phone("06 12 34 56 78"), secret)

    assert status == 422
    assert [d["field"] for d in answer["error"]["details"]] == ["customer.phone"]
    assert store.get_appointment("clinic-1", CREATED_UID) is None


def test_a_signed_body_that_is_not_json_is_400(store: DynamoAppointmentStore, secret: str) -> None:
    status, body = deliver(b"{not json", secret)

    assert status == 400
    assert body["error"]["code"] == "invalid_request"


def test_a_delivery_books_for_its_integrations_tenant_only(
    store: DynamoAppointmentStore, secret: str
) -> None:
    _, salon = register("calcom-salon", tenant="salon-1")

    deliver(calcom("booking_created"), salon["secret"], integration_id="calcom-salon")

    assert store.get_appointment("salon-1", CREATED_UID) is not None
    assert store.get_appointment("clinic-1", CREATED_UID) is None


# -- FHIR R4 Appointment ----------------------------------------------------------------------


def fhir_put(
    resource: Any,
    appointment_id: str = "fhir-appt-1",
    *,
    tenant: str = "clinic-1",
    content_type: str = "application/fhir+json",
    role: str = "booking",
) -> tuple[int, Any, dict[str, Any]]:
    event = sample("integrations_fhir_put.json")
    path = f"/fhir/r4/Appointment/{appointment_id}"
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"appointment_id": appointment_id}
    event["headers"]["content-type"] = content_type
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    claims["custom:tenant_id"] = tenant
    set_role(claims, role)
    event["body"] = resource if isinstance(resource, str) else json.dumps(resource)
    response = invoke(FN, event)
    return response["statusCode"], response_json(response), response


def fhir_get(appointment_id: str = "fhir-appt-1", tenant: str = "clinic-1") -> tuple[int, Any]:
    event = manager_event(
        "GET", f"/fhir/r4/Appointment/{appointment_id}", tenant=tenant, role="booking"
    )
    event["pathParameters"] = {"appointment_id": appointment_id}
    response = invoke(FN, event)
    return response["statusCode"], response_json(response)


def fhir_resource(**changes: Any) -> dict[str, Any]:
    resource = sample("fhir_appointment_booked.json")
    resource.update(changes)
    return resource


def test_a_booked_fhir_appointment_books_and_answers_the_stored_resource(
    store: DynamoAppointmentStore, outbound: Any, clock: FixedClock
) -> None:
    status, body, response = fhir_put(fhir_resource())

    assert status == 201
    assert response["headers"]["Content-Type"] == "application/fhir+json"
    assert body["resourceType"] == "Appointment"
    assert body["id"] == "fhir-appt-1"
    assert body["meta"] == {"versionId": "1", "lastUpdated": "2030-01-10T17:00:00Z"}
    assert body["contained"][0]["telecom"][0]["value"] == "+14155550123"
    found = store.get_appointment("clinic-1", "fhir-appt-1")
    assert found is not None
    appointment = found[0]
    assert (appointment.customer.name, appointment.customer.locale) == ("Ana María López", "es")
    assert appointment.service == "Follow-up visit"
    assert [json.loads(m["Body"])["kind"] for m in outbound()] == ["confirmation"]
    assert fhir_get() == (200, body)


def test_the_same_fhir_put_twice_keeps_one_version_and_one_text(
    store: DynamoAppointmentStore, outbound: Any
) -> None:
    fhir_put(fhir_resource())
    status, body, _ = fhir_put(fhir_resource())

    assert status == 200
    assert body["meta"]["versionId"] == "1"
    assert [json.loads(m)["kind"] for m in {m["Body"] for m in outbound()}] == ["confirmation"]


@pytest.mark.parametrize("status", ["pending", "proposed"])
def test_pending_and_proposed_plan_texts_too(store: DynamoAppointmentStore, status: str) -> None:
    code, _body, _ = fhir_put(fhir_resource(status=status))

    assert code == 201
    found = store.get_appointment("clinic-1", "fhir-appt-1")
    assert found is not None
    assert {m.kind for m in found[1]} >= {"confirmation", "reminder_2h"}


def test_cancelled_cancels_the_appointment_and_bumps_the_version(
    store: DynamoAppointmentStore,
) -> None:
    fhir_put(fhir_resource())
    assert cancellation_told(store, "fhir-appt-1") is None

    status, body, response = fhir_put(fhir_resource(status="cancelled"))

    assert status == 200
    assert cancellation_told(store, "fhir-appt-1") == "booking"
    assert body["meta"]["versionId"] == "2"
    assert body["status"] == "cancelled"
    assert response["headers"]["ETag"] == 'W/"2"'
    found = store.get_appointment("clinic-1", "fhir-appt-1")
    assert found is not None
    assert found[0].status is AppointmentStatus.CANCELLED


def test_a_cancelled_fhir_appointment_frees_its_slot_as_an_opening(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    fhir_put(fhir_resource())

    fhir_put(fhir_resource(status="cancelled"))

    found = runtime.vacancy_store().get_opening("clinic-1", "op-fhir-appt-1-v2")
    assert found is not None
    assert found.opening.replaces == "fhir-appt-1"


@pytest.mark.parametrize(("status", "outcome"), [("noshow", "no_show"), ("fulfilled", "attended")])
def test_noshow_and_fulfilled_record_the_outcome(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock, status: str, outcome: str
) -> None:
    fhir_put(fhir_resource())
    too_soon, _, _ = fhir_put(fhir_resource(status=status))
    when = at("2030-01-15T11:00:00-08:00")
    clock.set(when)

    code, body, _ = fhir_put(fhir_resource(status=status))

    assert too_soon == 422, "as POST .../outcome: not before the visit has started"
    assert code == 200
    assert body["status"] == status
    entries = runtime.activity_log().day("clinic-1", "2030-01-15")
    assert [
        (e.event.value, e.appointment_id, e.reason)
        for e in entries
        if e.event.value == "outcome_recorded"
    ] == [("outcome_recorded", "fhir-appt-1", outcome)]
    found = store.get_appointment("clinic-1", "fhir-appt-1")
    assert found is not None
    assert found[0].status is AppointmentStatus.SCHEDULED
    assert (found[0].outcome, found[0].outcome_at) == (outcome, when)
    # The event's id comes from what happened (the resource's version 2), not the time.
    told = outcome_recorded("clinic-1", "fhir-appt-1", outcome, "booking", "fhir/v2", when)
    item = store._get(event_key("clinic-1", told.event_id))
    assert item is not None
    assert (item["type"], json.loads(item["data"])) == (
        "appointment.outcome_recorded",
        {"appointment_id": "fhir-appt-1", "by": "booking", "outcome": outcome},
    )


def operation_outcome(body: Any) -> list[dict[str, Any]]:
    assert body["resourceType"] == "OperationOutcome"
    return list(body["issue"])


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ({"resourceType": "Patient", "id": "fhir-appt-1"}, 400),
        ({"resourceType": "Appointment", "id": "other-id", "status": "booked"}, 400),
        (
            {
                "resourceType": "Appointment",
                "id": "fhir-appt-1",
                "status": "booked",
                "start": "tomorrow",
            },
            400,
        ),
        (
            {
                "resourceType": "Appointment",
                "id": "fhir-appt-1",
                "status": "bogus",
                "participant": [],
            },
            400,
        ),
        (
            {
                "resourceType": "Appointment",
                "id": "fhir-appt-1",
                "status": "booked",
                "unknownField": 1,
            },
            400,
        ),
        ("[1, 2", 400),
    ],
    ids=[
        "not-an-appointment",
        "id-mismatch",
        "bad-start",
        "unknown-status",
        "unknown-element",
        "not-json",
    ],
)
def test_invalid_resources_answer_an_operation_outcome(
    store: DynamoAppointmentStore, resource: Any, status: int
) -> None:
    code, body, response = fhir_put(resource)

    assert code == status
    assert response["headers"]["Content-Type"] == "application/fhir+json"
    issues = operation_outcome(body)
    assert issues[0]["severity"] == "error"
    assert issues[0]["diagnostics"]
    assert store.get_appointment("clinic-1", "fhir-appt-1") is None
    assert fhir_get()[0] == 404


def test_a_booked_appointment_without_a_contained_patient_phone_is_422(
    store: DynamoAppointmentStore,
) -> None:
    resource = fhir_resource()
    resource["contained"][0]["telecom"] = [{"system": "email", "value": "ana@example.com"}]
    referenced = fhir_resource(contained=[])
    referenced["participant"][0]["actor"] = {"reference": "Patient/123"}

    no_phone, body, _ = fhir_put(resource)
    not_contained, other, _ = fhir_put(referenced)

    assert (no_phone, not_contained) == (422, 422)
    assert "telecom" in operation_outcome(body)[0]["diagnostics"]
    assert "contained Patient" in operation_outcome(other)[0]["diagnostics"]
    assert store.get_appointment("clinic-1", "fhir-appt-1") is None


def _fhir_with_phone(written: str) -> dict[str, Any]:
    resource = fhir_resource()
    resource["contained"][0]["telecom"][0]["value"] = written
    return resource


def test_a_national_patient_number_is_read_in_the_tenants_country(
    store: DynamoAppointmentStore,
) -> None:
    status, _, _ = fhir_put(_fhir_with_phone("(415) 555-0133"))

    assert status == 201
    found = store.get_appointment("clinic-1", "fhir-appt-1")
    assert found is not None
    assert found[0].customer.phone == "+14155550133"


def test_a_patient_number_foreign_to_the_tenants_country_is_422_on_patient_telecom(
    store: DynamoAppointmentStore,
) -> None:
    status, body, _ = fhir_put(_fhir_with_phone("06 12 34 56 78"))

    assert status == 422
    issues = operation_outcome(body)
    assert "Patient.telecom" in issues[0]["diagnostics"]
    assert [i.get("expression") for i in issues[1:]] == [["Patient.telecom"]]
    assert store.get_appointment("clinic-1", "fhir-appt-1") is None


def test_a_booked_appointment_in_the_past_is_422_with_nothing_stored(
    store: DynamoAppointmentStore,
) -> None:
    code, body, _ = fhir_put(fhir_resource(start="2029-01-15T10:30:00-08:00", end=None))

    assert code == 422
    assert operation_outcome(body)[0]["code"] == "processing"
    assert fhir_get()[0] == 404


def test_fhir_json_only(store: DynamoAppointmentStore) -> None:
    code, body, _ = fhir_put(fhir_resource(), content_type="text/plain")

    assert code == 415
    assert operation_outcome(body)[0]["code"] == "not-supported"


def test_another_tenants_fhir_appointment_is_404(store: DynamoAppointmentStore) -> None:
    fhir_put(fhir_resource())

    status, body = fhir_get(tenant="salon-1")

    assert status == 404
    assert operation_outcome(body)[0]["code"] == "not-found"


def test_a_role_without_a_group_gets_a_forbidden_operation_outcome(
    store: DynamoAppointmentStore,
) -> None:
    event = sample("integrations_fhir_put.json")
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[nobody]"

    response = invoke(FN, event)

    assert response["statusCode"] == 403
    assert operation_outcome(response_json(response))[0]["code"] == "forbidden"
