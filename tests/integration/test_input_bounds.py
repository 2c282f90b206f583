"""No 5xx on any input: JSON nested past any recursion limit, and ids longer than a key.

Each of these was a 502 (RecursionError) or would be a 5xx in AWS (DynamoDB refuses a key
over 2,048 bytes, though moto accepts it). Each must be a 4xx in the contract's shape,
with nothing written.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from infra.local.sandbox import SandboxServer
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from tests.integration.test_appointments_api import booking, stored_items
from tests.integration.test_message_sender import sqs_event
from tests.integration.test_staff_api import call, text_in
from tests.support.events import appointment_event, invoke, response_json, staff_event

DEEP = 5_000
DEEP_ARRAY = "[" * DEEP + "]" * DEEP
LONG_ID = "a" * 2_049


def error_of(response: dict[str, Any]) -> dict[str, str]:
    body = response_json(response)
    assert set(body) == {"error"}, body
    error: dict[str, str] = body["error"]
    assert error["code"]
    assert error["message"]
    return error


def test_a_booking_nested_thousands_deep_is_a_400_and_writes_nothing(
    store: DynamoAppointmentStore,
) -> None:
    raw = json.dumps(booking())[:-1] + f', "location": {DEEP_ARRAY}}}'

    response = invoke("AppointmentsFunction", appointment_event("PUT", "appt-deep", raw_body=raw))

    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "invalid_request"
    assert stored_items(store, "appt-deep") == []


@pytest.mark.parametrize("path", ["/v1/queue/item-1/reply", "/v1/queue/item-1/claim", "/v1/pause"])
def test_a_staff_body_nested_thousands_deep_is_a_400(
    path: str, store: DynamoAppointmentStore
) -> None:
    event = staff_event("POST", path, '{"body": ' + DEEP_ARRAY + "}", role="manager")
    response = invoke("StaffApiFunction", event)

    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "invalid_request"


def test_a_cursor_nested_thousands_deep_is_a_400(store: DynamoAppointmentStore) -> None:
    cursor = base64.urlsafe_b64encode(DEEP_ARRAY.encode()).decode().rstrip("=")

    response = invoke("StaffApiFunction", staff_event("GET", "/v1/queue", query={"cursor": cursor}))

    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "invalid_request"


def test_a_queue_message_nested_thousands_deep_fails_alone_in_its_batch(
    store: DynamoAppointmentStore,
) -> None:
    event = sqs_event([{"MessageId": "deep", "Body": DEEP_ARRAY}])

    result = invoke("MessageSenderFunction", event)

    assert result == {"batchItemFailures": [{"itemIdentifier": "deep"}]}


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_an_appointment_id_longer_than_the_rule_is_a_400_and_writes_nothing(
    method: str, store: DynamoAppointmentStore
) -> None:
    event = appointment_event(method, LONG_ID, booking() if method == "PUT" else None)

    response = invoke("AppointmentsFunction", event)

    assert response["statusCode"] == 400
    assert "appointment_id" in error_of(response)["message"]
    assert stored_items(store, LONG_ID) == []


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("POST", "/claim"), ("POST", "/release"), ("POST", "/resolve")],
)
def test_a_queue_item_id_longer_than_the_rule_is_a_400(
    method: str, suffix: str, store: DynamoAppointmentStore
) -> None:
    response = invoke("StaffApiFunction", staff_event(method, f"/v1/queue/{LONG_ID}{suffix}"))

    assert response["statusCode"] == 400
    assert "item_id" in error_of(response)["message"]


def test_a_reply_to_an_item_id_longer_than_the_rule_is_a_400(
    store: DynamoAppointmentStore,
) -> None:
    response = invoke(
        "StaffApiFunction", staff_event("POST", f"/v1/queue/{LONG_ID}/reply", {"body": "hi"})
    )

    assert response["statusCode"] == 400
    assert "item_id" in error_of(response)["message"]


@pytest.mark.filterwarnings("ignore:Received multipart/form-data:UserWarning")
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ],
)
def test_a_body_of_another_media_type_is_a_415_and_writes_nothing(
    content_type: str, store: DynamoAppointmentStore
) -> None:
    event = appointment_event("PUT", "appt-media", raw_body=json.dumps(booking()))
    event["headers"]["content-type"] = content_type

    response = invoke("AppointmentsFunction", event)

    assert response["statusCode"] == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    assert stored_items(store, "appt-media") == []


@pytest.mark.parametrize("action", ["claim", "release", "resolve", "reply"])
def test_a_version_past_what_dynamodb_can_compare_is_a_422_and_changes_nothing(
    action: str, store: DynamoAppointmentStore, sandbox: SandboxServer
) -> None:
    # 45 digits: DynamoDB numbers hold 38, and boto3 refuses to serialize more (a 500).
    item_id = text_in()
    version = "123456789012345678901234567890123456789012345"
    body = (
        f'{{"version": {version}, "body": "hi"}}'
        if action == "reply"
        else f'{{"version": {version}}}'
    )

    response = invoke(
        "StaffApiFunction", staff_event("POST", f"/v1/queue/{item_id}/{action}", body)
    )

    assert response["statusCode"] == 422
    assert error_of(response)["code"] == "validation_failed"
    _, item = call("GET", f"/v1/queue/{item_id}")
    assert (item["item"]["status"], item["item"]["version"]) == ("open", 1)


def test_a_cursor_with_an_empty_key_is_a_400(store: DynamoAppointmentStore) -> None:
    # moto takes it; DynamoDB refuses an empty string in a key attribute (a 5xx in AWS).
    key = {"pk": "T#clinic-1#Q#", "sk": "", "qpk": "T#clinic-1#QS#open", "qsk": ""}
    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")

    response = invoke("StaffApiFunction", staff_event("GET", "/v1/queue", query={"cursor": cursor}))

    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", '{"reason": "Storm"}'),  # no boundary: Powertools' ValueError
        ("multipart/form-data; boundary=x", "€"),  # not latin-1: UnicodeEncodeError
        ("application/x-www-form-urlencoded", "reason=Storm"),
    ],
)
def test_a_form_body_on_a_json_route_is_a_415_and_changes_nothing(
    content_type: str, body: str, store: DynamoAppointmentStore
) -> None:
    event = staff_event("POST", "/v1/pause", body, role="manager")
    event["headers"]["content-type"] = content_type

    response = invoke("StaffApiFunction", event)

    assert response["statusCode"] == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.paused is False
