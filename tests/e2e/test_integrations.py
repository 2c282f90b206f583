"""Cal.com and FHIR bookings through the running local stack: each texts its confirmation
to the sandbox phone, and its cancellation cancels what was still to come."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from twilio.rest import Client

from tests.e2e.conftest import Api, in_days, texts_to, wait_for_texts
from tests.e2e.test_messaging import messages_of
from tests.support.events import sample
from tests.support.local_stack import Tenant


def calcom_delivery(trigger: str, uid: str, phone: str, starts_at: datetime) -> bytes:
    body = sample(f"calcom_{trigger}.json")
    payload = body["payload"]
    start = starts_at.astimezone(UTC)
    payload.update(
        uid=uid,
        startTime=start.isoformat().replace("+00:00", "Z"),
        endTime=(start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
    )
    payload["attendees"][0]["phoneNumber"] = phone
    payload["responses"]["attendeePhoneNumber"]["value"] = phone
    return json.dumps(body).encode()


def post_calcom(api: Api, tenant: Tenant, raw: bytes, signature: str | None = None) -> Any:
    sign = hmac.new(tenant.calcom_secret.encode(), raw, hashlib.sha256).hexdigest()
    return api.request(
        "POST",
        f"/integrations/calcom/{tenant.calcom_integration_id}",
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-Cal-Signature-256": sign if signature is None else signature,
        },
    )


def test_a_calcom_booking_texts_its_confirmation_and_its_cancellation_cancels_it(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    uid = uuid.uuid4().hex[:22]
    starts_at = in_days(morning, clinic, 3)

    created = post_calcom(api, clinic, calcom_delivery("booking_created", uid, customer, starts_at))
    assert created.status_code == 200, created.text
    assert created.json()["result"] == "created"
    [confirmation] = wait_for_texts(twilio, customer, 1)
    assert confirmation.body.startswith(clinic.name)

    cancelled = post_calcom(
        api, clinic, calcom_delivery("booking_cancelled", uid, customer, starts_at)
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["result"] == "cancelled"
    api.advance_to(starts_at + timedelta(hours=1))

    assert len(texts_to(twilio, customer)) == 1
    messages = messages_of(api, clinic, uid)
    reminders = {k: m["status"] for k, m in messages.items() if k.startswith("reminder_")}
    assert reminders, messages
    assert set(reminders.values()) <= {"cancelled", "suppressed"}, reminders


def test_a_calcom_delivery_signed_with_another_secret_is_refused_at_the_function(
    api: Api, twilio: Client, clinic: Tenant, salon: Tenant, customer: str, morning: datetime
) -> None:
    raw = calcom_delivery(
        "booking_created", uuid.uuid4().hex[:22], customer, in_days(morning, clinic, 3)
    )
    forged = hmac.new(salon.calcom_secret.encode(), raw, hashlib.sha256).hexdigest()

    answer = post_calcom(api, clinic, raw, signature=forged)

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert texts_to(twilio, customer) == []


def fhir_appointment(
    appointment_id: str, phone: str, starts_at: datetime, status: str
) -> dict[str, Any]:
    resource = sample("fhir_appointment_booked.json")
    resource.update(
        id=appointment_id,
        status=status,
        start=starts_at.isoformat(),
        end=(starts_at + timedelta(minutes=30)).isoformat(),
    )
    resource["contained"][0]["telecom"][0]["value"] = phone
    return resource


def put_fhir(api: Api, tenant: Tenant, resource: dict[str, Any]) -> Any:
    return api.request(
        "PUT",
        f"/fhir/r4/Appointment/{resource['id']}",
        tenant.booking_token,
        data=json.dumps(resource),
        headers={"Content-Type": "application/fhir+json"},
    )


def test_a_fhir_appointment_texts_its_confirmation_and_its_cancellation_cancels_it(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    appointment_id = f"fhir-{uuid.uuid4().hex[:12]}"
    starts_at = in_days(morning, clinic, 3)

    booked = put_fhir(api, clinic, fhir_appointment(appointment_id, customer, starts_at, "booked"))
    assert booked.status_code == 201, booked.text
    assert booked.headers["Content-Type"] == "application/fhir+json"
    assert booked.json()["meta"]["versionId"] == "1"
    [confirmation] = wait_for_texts(twilio, customer, 1)
    assert confirmation.body.startswith(clinic.name)

    cancelled = put_fhir(
        api, clinic, fhir_appointment(appointment_id, customer, starts_at, "cancelled")
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["meta"]["versionId"] == "2"
    api.advance_to(starts_at + timedelta(hours=1))

    assert len(texts_to(twilio, customer)) == 1
    messages = messages_of(api, clinic, appointment_id)
    reminders = {k: m["status"] for k, m in messages.items() if k.startswith("reminder_")}
    assert reminders, messages
    assert set(reminders.values()) <= {"cancelled", "suppressed"}, reminders
    read = api.request("GET", f"/fhir/r4/Appointment/{appointment_id}", clinic.staff_token)
    assert read.status_code == 200
    assert read.json() == cancelled.json()


def test_an_invalid_fhir_resource_answers_an_operation_outcome(api: Api, clinic: Tenant) -> None:
    answer = put_fhir(api, clinic, {"resourceType": "Appointment", "id": "fhir-bad", "status": 7})

    assert answer.status_code == 400
    assert answer.json()["resourceType"] == "OperationOutcome"


def test_a_manager_makes_an_integration_and_others_may_not(api: Api, clinic: Tenant) -> None:
    integration_id = f"calcom-{uuid.uuid4().hex[:8]}"
    path = f"/v1/integrations/calcom/{integration_id}"

    refused = api.request("PUT", path, clinic.booking_token)
    made = api.request("PUT", path, clinic.manager_token)

    assert refused.status_code == 403
    assert made.status_code == 201, made.text
    assert len(made.json()["secret"]) == 64
    assert made.json()["url_path"] == f"/integrations/calcom/{integration_id}"
