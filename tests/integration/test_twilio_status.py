"""POST /twilio/status through its handler: signatures, monotonic statuses, failure codes."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.identity import status_callback_ref
from rendezvous.domain.models import MessageStatus
from tests.support.aws import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.support.events import appointment_event, invoke, response_json, sample

STATUS = "TwilioStatusFunction"
CUSTOMER = "+14155550123"


@pytest.fixture
def sent_confirmation(store: DynamoAppointmentStore, clock: FixedClock) -> Any:
    """An appointment whose confirmation was handed to Twilio (status `queued`)."""
    invoke(
        "AppointmentsFunction",
        appointment_event(
            "PUT",
            "appt-1",
            {
                "customer": {"phone": CUSTOMER, "name": "Ana"},
                "starts_at": "2030-01-15T10:30:00-08:00",
            },
        ),
    )
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    confirmation = next(m for m in found[1] if m.kind == "confirmation")
    store.update_message(
        confirmation, status=MessageStatus.QUEUED, now=clock.now(), sid="SM" + "a" * 32
    )
    return confirmation


def callback(
    ref: str,
    status: str,
    *,
    error_code: str | None = None,
    to: str = CUSTOMER,
    signature: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    params = {
        "AccountSid": "AC" + "0" * 31 + "1",
        "ApiVersion": "2010-04-01",
        "From": "+14155550100",
        "MessageSid": "SM" + "a" * 32,
        "MessageStatus": status,
        "SmsSid": "SM" + "a" * 32,
        "SmsStatus": status,
        "To": to,
    }
    if error_code is not None:
        params["ErrorCode"] = error_code
    query = urlencode({"ref": ref})
    signed_url = url or f"{PUBLIC_BASE_URL}/twilio/status?{query}"
    event = sample("twilio_status.json")
    event["rawQueryString"] = query
    event["queryStringParameters"] = {"ref": ref}
    event["body"] = base64.b64encode(urlencode(params).encode()).decode()
    event["headers"]["x-twilio-signature"] = signature or RequestValidator(
        AUTH_TOKEN
    ).compute_signature(signed_url, params)
    return event


def status_of(store: DynamoAppointmentStore) -> tuple[str, int | None]:
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    confirmation = next(m for m in found[1] if m.kind == "confirmation")
    return confirmation.status.value, confirmation.error_code


def test_a_signed_delivered_callback_is_recorded(
    store: DynamoAppointmentStore, sent_confirmation: Any
) -> None:
    response = invoke(STATUS, callback(status_callback_ref(sent_confirmation), "delivered"))

    assert response["statusCode"] == 204
    assert status_of(store) == ("delivered", None)


def test_a_late_sent_never_overwrites_delivered(
    store: DynamoAppointmentStore, sent_confirmation: Any
) -> None:
    ref = status_callback_ref(sent_confirmation)
    invoke(STATUS, callback(ref, "delivered"))

    response = invoke(STATUS, callback(ref, "sent"))

    assert response["statusCode"] == 204
    assert status_of(store) == ("delivered", None)


def test_a_final_failure_stays_final(store: DynamoAppointmentStore, sent_confirmation: Any) -> None:
    ref = status_callback_ref(sent_confirmation)
    invoke(STATUS, callback(ref, "failed", error_code="30008"))

    invoke(STATUS, callback(ref, "delivered"))

    assert status_of(store) == ("failed", 30008)


def test_an_undelivered_landline_marks_the_number_undeliverable(
    store: DynamoAppointmentStore, sent_confirmation: Any
) -> None:
    invoke(
        STATUS, callback(status_callback_ref(sent_confirmation), "undelivered", error_code="30006")
    )

    assert status_of(store) == ("undelivered", 30006)
    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.undeliverable_code == 30006


@pytest.mark.parametrize(
    "forge",
    [
        {"signature": "bm90IGEgc2lnbmF0dXJl"},
        {"url": "https://attacker.example/twilio/status?ref=x"},
    ],
    ids=["wrong-signature", "signed-for-another-url"],
)
def test_a_forged_callback_is_refused_and_changes_nothing(
    store: DynamoAppointmentStore, sent_confirmation: Any, forge: dict[str, str]
) -> None:
    response = invoke(
        STATUS, callback(status_callback_ref(sent_confirmation), "delivered", **forge)
    )

    assert response["statusCode"] == 403
    assert response_json(response)["error"]["code"] == "forbidden"
    assert status_of(store) == ("queued", None)


def test_a_callback_without_a_signature_is_refused(
    store: DynamoAppointmentStore, sent_confirmation: Any
) -> None:
    event = callback(status_callback_ref(sent_confirmation), "delivered")
    del event["headers"]["x-twilio-signature"]

    assert invoke(STATUS, event)["statusCode"] == 403


def test_a_signed_callback_with_an_unknown_reference_is_a_400(
    store: DynamoAppointmentStore,
) -> None:
    response = invoke(STATUS, callback("bm9wZQ", "delivered"))

    assert response["statusCode"] == 400


def test_a_signed_callback_with_a_status_we_do_not_track_is_answered_204(
    store: DynamoAppointmentStore, sent_confirmation: Any
) -> None:
    response = invoke(
        STATUS, callback(status_callback_ref(sent_confirmation), "partially_delivered")
    )

    assert response["statusCode"] == 204
    assert status_of(store) == ("queued", None)
