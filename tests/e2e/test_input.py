"""Hostile input through the local gateway: deep JSON, over-long ids, the open document."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.support.local_stack import Tenant

DEEP = "[" * 5_000 + "]" * 5_000


@pytest.mark.parametrize("path", ["/_local/clock/advance", "/_local/token"])
def test_the_local_stacks_own_endpoints_answer_deep_json_with_a_400(api: Api, path: str) -> None:
    answer = api.request("POST", path, data=DEEP, headers={"Content-Type": "application/json"})

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"


def test_a_deep_booking_through_the_gateway_is_a_400(api: Api, clinic: Tenant) -> None:
    answer = api.request(
        "PUT",
        "/v1/appointments/e2e-deep",
        clinic.booking_token,
        data='{"customer": ' + DEEP + "}",
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 400, answer.text
    assert api.request("GET", "/v1/appointments/e2e-deep", clinic.booking_token).status_code == 404


def test_an_id_longer_than_a_dynamodb_key_is_a_400_with_the_rule(api: Api, clinic: Tenant) -> None:
    answer = api.request("GET", "/v1/queue/" + "q" * 2_049, clinic.staff_token)

    assert answer.status_code == 400, answer.text
    assert "item_id" in answer.json()["error"]["message"]


def test_the_api_document_is_open_and_names_every_route(api: Api) -> None:
    answer = api.request("GET", "/v1/openapi.json")

    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["openapi"] == "3.1.0"
    assert "/v1/appointments/{appointment_id}" in document["paths"]
    assert "/twilio/inbound" in document["paths"]
