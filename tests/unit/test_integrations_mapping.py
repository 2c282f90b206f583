"""Cal.com's and FHIR's formats read into changes, and Cal.com's signature: pure functions,
no AWS. The samples are the files in events/ (see README, Integrations, for their source)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from rendezvous.api.calcom import CalcomEnvelope, calcom_change
from rendezvous.api.fhir import InvalidResource, fhir_change
from rendezvous.domain.errors import Unprocessable
from rendezvous.domain.integrations import (
    CalcomAction,
    FhirAction,
    Outcome,
    calcom_signature_valid,
)
from tests.support.events import sample


def calcom(name: str) -> dict[str, Any]:
    return sample(f"calcom_{name}.json")


def change_of(body: dict[str, Any]) -> Any:
    return calcom_change(CalcomEnvelope.model_validate(body))


def test_booking_created_books_its_uid_with_the_attendee_and_time() -> None:
    change = change_of(calcom("booking_created"))

    assert change.action is CalcomAction.BOOK
    assert change.appointment_id == "bFJeNb2uX8ANpT3JL5EfXw"
    assert change.replaces is None
    draft = change.draft
    assert draft.customer.phone == "+14155550123"
    assert draft.customer.name == "Ana López"
    assert draft.customer.locale == "en"
    assert draft.starts_at == datetime(2030, 1, 15, 18, 30, tzinfo=UTC)
    assert draft.duration_minutes == 30
    assert draft.location == "Harbor Clinic, 2nd floor"
    assert draft.service == "30 Min Meeting"


def test_booking_rescheduled_books_the_new_uid_replacing_reschedule_uid() -> None:
    change = change_of(calcom("booking_rescheduled"))

    assert change.action is CalcomAction.BOOK
    assert change.appointment_id == "kP3xQ7Rn2VdYt9LmZa4HcE"
    assert change.replaces == "bFJeNb2uX8ANpT3JL5EfXw"
    assert change.draft.starts_at == datetime(2030, 1, 16, 18, 30, tzinfo=UTC)


def test_booking_cancelled_cancels_its_uid() -> None:
    change = change_of(calcom("booking_cancelled"))

    assert (change.action, change.appointment_id) == (CalcomAction.CANCEL, "bFJeNb2uX8ANpT3JL5EfXw")


@pytest.mark.parametrize("trigger", ["BOOKING_NO_SHOW_UPDATED", "MEETING_ENDED", "PING"])
def test_other_triggers_are_ignored_whatever_their_payload(trigger: str) -> None:
    change = change_of({"triggerEvent": trigger, "payload": {"anything": True}})

    assert change.action is CalcomAction.IGNORE


def test_the_phone_comes_from_responses_when_the_attendee_has_none() -> None:
    body = calcom("booking_created")
    body["payload"]["attendees"][0].pop("phoneNumber")
    body["payload"]["responses"]["attendeePhoneNumber"]["value"] = "+14155550177"

    assert change_of(body).draft.customer.phone == "+14155550177"


def test_the_phone_comes_from_an_attendee_phone_location() -> None:
    body = calcom("booking_created")
    body["payload"]["attendees"][0].pop("phoneNumber")
    body["payload"]["responses"].pop("attendeePhoneNumber")
    body["payload"]["responses"]["location"]["value"] = {
        "value": "phone",
        "optionValue": "+14155550188",
    }

    assert change_of(body).draft.customer.phone == "+14155550188"


def test_the_organizers_phone_location_is_not_the_customers() -> None:
    body = calcom("booking_created")
    body["payload"]["attendees"][0].pop("phoneNumber")
    body["payload"]["responses"].pop("attendeePhoneNumber")
    body["payload"]["responses"]["location"]["value"] = {
        "value": "userPhone",
        "optionValue": "+14155550100",
    }

    with pytest.raises(ValidationError) as raised:
        change_of(body)
    assert [e["loc"] for e in raised.value.errors()] == [("customer", "phone")]


def test_a_video_link_is_not_kept_as_the_location() -> None:
    body = calcom("booking_created")
    body["payload"]["location"] = "https://cal.com/video/abc"

    assert change_of(body).draft.location is None


def test_a_split_name_field_is_joined_when_the_attendee_has_no_name() -> None:
    body = calcom("booking_created")
    body["payload"]["attendees"][0]["name"] = ""
    body["payload"]["responses"]["name"]["value"] = {"firstName": "Ana", "lastName": "López"}

    assert change_of(body).draft.customer.name == "Ana López"


def test_a_uid_the_api_cannot_keep_is_unprocessable() -> None:
    body = calcom("booking_cancelled")
    body["payload"]["uid"] = "../../etc"

    with pytest.raises(Unprocessable):
        change_of(body)


SECRET = "a1" * 32
BODY = b'{"triggerEvent":"BOOKING_CREATED"}'


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_signature_is_the_hex_hmac_of_the_raw_body() -> None:
    assert calcom_signature_valid(SECRET, BODY, hex_hmac(SECRET, BODY))
    assert calcom_signature_valid(SECRET, BODY, hex_hmac(SECRET, BODY).upper())


@pytest.mark.parametrize(
    "signature",
    [None, "", hex_hmac("b2" * 32, BODY), hex_hmac(SECRET, BODY + b" "), "no-secret-provided"],
    ids=["missing", "empty", "other-secret", "other-body", "cal-without-secret"],
)
def test_any_other_signature_is_refused(signature: str | None) -> None:
    assert not calcom_signature_valid(SECRET, BODY, signature)


def fhir(**changes: Any) -> dict[str, Any]:
    resource = sample("fhir_appointment_booked.json")
    resource.update(changes)
    return resource


@pytest.mark.parametrize("status", ["booked", "pending", "proposed"])
def test_fhir_booked_pending_proposed_book_the_contained_patient(status: str) -> None:
    change, kept = fhir_change("fhir-appt-1", fhir(status=status))

    assert change.action is FhirAction.BOOK
    assert change.draft is not None
    assert change.draft.customer.phone == "+14155550123"
    assert change.draft.customer.name == "Ana María López"
    assert change.draft.customer.locale == "es"
    assert change.draft.starts_at == datetime(2030, 1, 15, 18, 30, tzinfo=UTC)
    assert change.draft.duration_minutes == 30
    assert change.draft.service == "Follow-up visit"
    assert kept["status"] == status


@pytest.mark.parametrize(
    ("status", "action", "outcome"),
    [
        ("cancelled", FhirAction.CANCEL, None),
        ("entered-in-error", FhirAction.CANCEL, None),
        ("noshow", FhirAction.OUTCOME, Outcome.NO_SHOW),
        ("fulfilled", FhirAction.OUTCOME, Outcome.ATTENDED),
        ("arrived", FhirAction.KEEP, None),
        ("checked-in", FhirAction.KEEP, None),
        ("waitlist", FhirAction.KEEP, None),
    ],
)
def test_fhir_status_mapping(status: str, action: FhirAction, outcome: Outcome | None) -> None:
    change, _ = fhir_change("fhir-appt-1", fhir(status=status))

    assert (change.action, change.outcome) == (action, outcome)


def test_the_servers_meta_replaces_the_clients() -> None:
    _, kept = fhir_change("fhir-appt-1", fhir(meta={"versionId": "99"}))

    assert "meta" not in kept


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Patient", "id": "fhir-appt-1"},
        fhir(id="another"),
        fhir(start="not a time"),
        fhir(status="bogus"),
        fhir(participant="not a list"),
        [],
    ],
    ids=[
        "not-an-appointment",
        "id-mismatch",
        "bad-start",
        "unknown-status",
        "bad-shape",
        "not-an-object",
    ],
)
def test_invalid_fhir_resources_are_invalid(resource: Any) -> None:
    with pytest.raises(InvalidResource):
        fhir_change("fhir-appt-1", resource)


def test_a_booked_fhir_appointment_needs_a_contained_patient_with_a_phone() -> None:
    no_phone = fhir()
    no_phone["contained"][0]["telecom"] = []
    external = fhir(contained=[])
    external["participant"][0]["actor"] = {"reference": "Patient/123"}
    unnamed = fhir()
    unnamed["contained"][0]["name"] = []

    for resource in (no_phone, external, unnamed):
        with pytest.raises(Unprocessable):
            fhir_change("fhir-appt-1", resource)
