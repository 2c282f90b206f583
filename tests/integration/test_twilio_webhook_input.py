"""Twilio webhooks under hostile input: re-split signatures, oversized bodies, odd senders.

Twilio signs the URL followed by every parameter's key and value, sorted by key, with no
separator. A captured request can therefore be re-split at a key/value boundary (one
parameter swallows the next) and keep its signature. Only the formats of the identifiers
tell such a forgery from what Twilio sends.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from twilio.request_validator import RequestValidator

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.identity import status_callback_ref
from tests.integration.test_twilio_inbound import (
    CLINIC_NUMBER,
    CUSTOMER,
    INBOUND,
    appointment,
    book,
    open_items,
    replies,
)
from tests.integration.test_twilio_status import STATUS, callback, sent_confirmation, status_of
from tests.support.aws import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL
from tests.support.events import invoke, sample

INBOUND_URL = f"{PUBLIC_BASE_URL}/twilio/inbound"
__all__ = ["sent_confirmation"]  # a fixture, used by name


def inbound_params(body: str, sid: str = "SM" + "1" * 32, **overrides: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": CUSTOMER,
        "FromCountry": "US",
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": CLINIC_NUMBER,
        **overrides,
    }


def signed_event(params: dict[str, str], signature: str | None = None) -> dict[str, Any]:
    event = sample("twilio_inbound.json")
    event["body"] = base64.b64encode(urlencode(params).encode()).decode()
    event["headers"]["x-twilio-signature"] = signature or RequestValidator(
        AUTH_TOKEN
    ).compute_signature(INBOUND_URL, params)
    return event


def resplit(params: dict[str, str], key: str) -> dict[str, str]:
    """`key` swallows the parameter sorted after it: same signed string, new values."""
    keys = sorted(params)
    swallowed = keys[keys.index(key) + 1]
    forged = {k: v for k, v in params.items() if k != swallowed}
    forged[key] = params[key] + swallowed + params[swallowed]
    return forged


def test_a_resplit_message_sid_keeps_the_signature_but_is_refused(
    store: DynamoAppointmentStore,
) -> None:
    # Given two appointments and a captured, correctly signed "X" that cancelled the first
    book("appt-1", "2030-01-15T10:30:00-08:00")
    book("appt-2", "2030-01-22T10:30:00-08:00")
    captured = inbound_params("X")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(INBOUND_URL, captured)
    assert replies(invoke(INBOUND, signed_event(captured, signature)))
    assert appointment("appt-1")["status"] == "cancelled"
    # When the request is re-split so that MessageSid swallows NumMedia
    forged = resplit(captured, "MessageSid")
    assert forged["MessageSid"] != captured["MessageSid"]
    assert RequestValidator(AUTH_TOKEN).validate(INBOUND_URL, forged, signature)
    response = invoke(INBOUND, signed_event(forged, signature))

    # Then it is refused and the second appointment stands
    assert response["statusCode"] == 403
    assert appointment("appt-2")["status"] == "scheduled"


@pytest.mark.parametrize(
    "key",
    # Each of these, swallowing its neighbour, still signs; none of them may be believed.
    ["AccountSid", "From", "NumSegments", "SmsMessageSid", "SmsSid", "SmsStatus", "ApiVersion"],
)
def test_any_resplit_identifier_is_refused(key: str, store: DynamoAppointmentStore) -> None:
    captured = inbound_params("where do I park?")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(INBOUND_URL, captured)
    forged = resplit(captured, key)
    assert RequestValidator(AUTH_TOKEN).validate(INBOUND_URL, forged, signature)

    response = invoke(INBOUND, signed_event(forged, signature))

    assert response["statusCode"] == 403 or replies(response) == []
    assert open_items(store) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("MessageSid", "SM123"),
        ("MessageSid", "XX" + "1" * 32),
        ("AccountSid", "AC" + "2" * 32),  # well formed, but not our account
        ("AccountSid", "ACnot-an-account"),
        ("To", "Harbor Clinic"),
        ("NumMedia", "zero"),
    ],
)
def test_a_signed_request_whose_identifiers_are_not_twilios_is_refused(
    field: str, value: str, store: DynamoAppointmentStore
) -> None:
    response = invoke(INBOUND, signed_event(inbound_params("hello", **{field: value})))

    assert response["statusCode"] == 403
    assert open_items(store) == []


@pytest.mark.parametrize("sender", ["abc", "<script>alert(1)</script>", "+1", "12345"])
def test_a_sender_that_is_not_a_phone_number_is_dropped_with_empty_twiml(
    sender: str, store: DynamoAppointmentStore, caplog: pytest.LogCaptureFixture
) -> None:
    response = invoke(INBOUND, signed_event(inbound_params("hello", From=sender)))

    assert replies(response) == []
    assert open_items(store) == []


def test_a_signed_body_longer_than_twilio_allows_is_stored_truncated_and_still_queued(
    store: DynamoAppointmentStore,
) -> None:
    long_body = "where do I park? " + "x" * 5_000

    response = invoke(INBOUND, signed_event(inbound_params(long_body)))

    assert len(replies(response)) == 1
    (item,) = open_items(store)
    assert len(item["preview"]) <= 1_600
    conversation = store._db.query(
        TableName=store._table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": item["pk"]}},
    )["Items"]
    bodies = [i["body"]["S"] for i in conversation if "body" in i]
    assert bodies
    assert all(len(b) <= 1_600 for b in bodies)
    assert any(b.endswith("[truncated]") for b in bodies)


def test_a_signed_one_megabyte_webhook_is_refused_as_too_large(
    store: DynamoAppointmentStore,
) -> None:
    response = invoke(INBOUND, signed_event(inbound_params("x" * 1_000_000)))

    assert response["statusCode"] == 413
    assert open_items(store) == []


@pytest.mark.parametrize("key", ["MessageSid", "MessageStatus", "From", "AccountSid"])
def test_a_resplit_status_callback_is_refused_and_records_nothing(
    key: str, store: DynamoAppointmentStore, sent_confirmation: Any
) -> None:
    captured = callback(status_callback_ref(sent_confirmation), "failed", error_code="30008")
    params = dict(parse_qsl(base64.b64decode(captured["body"]).decode(), keep_blank_values=True))
    forged = resplit(params, key)
    signature = captured["headers"]["x-twilio-signature"]
    url = f"{PUBLIC_BASE_URL}/twilio/status?{captured['rawQueryString']}"
    assert RequestValidator(AUTH_TOKEN).validate(url, forged, signature)
    captured["body"] = base64.b64encode(urlencode(forged).encode()).decode()

    response = invoke(STATUS, captured)

    assert response["statusCode"] == 403
    assert status_of(store) == ("queued", None)


def test_a_status_twilio_never_sends_is_refused(
    store: DynamoAppointmentStore, sent_confirmation: Any
) -> None:
    response = invoke(STATUS, callback(status_callback_ref(sent_confirmation), "exploded"))

    assert response["statusCode"] == 403
    assert status_of(store) == ("queued", None)
