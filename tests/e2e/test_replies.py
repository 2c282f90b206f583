"""A customer's question through the sandbox phone, answered by a person through the API."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from twilio.rest import Client

from tests.e2e.conftest import HTTP_TIMEOUT, Api, wait_for_texts
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e


def phone_sends(stack: LocalStackProcess, sender: str, tenant: Tenant, body: str) -> Any:
    sent = requests.post(
        f"{stack.twilio_base_url}/sandbox/phone/send",
        json={"from": sender, "to": tenant.phone_number, "body": body},
        timeout=HTTP_TIMEOUT,
    )
    assert sent.status_code == 200, sent.text
    return sent.json()


def test_a_question_is_acknowledged_once_queued_and_answered_by_a_person(
    stack: LocalStackProcess, api: Api, twilio: Client, clinic: Tenant, customer: str
) -> None:
    first = phone_sends(stack, customer, clinic, "Is there parking nearby?")
    second = phone_sends(stack, customer, clinic, "Also, can I bring my son?")

    assert len(first["replies"]) == 1
    assert "will reply by" in first["replies"][0]["body"]
    assert second["replies"] == []
    page = api.request("GET", "/v1/queue?status=open&limit=100", clinic.staff_token).json()
    [item] = [i for i in page["items"] if i["phone"] == customer]
    assert item["message_count"] == 2

    claimed = api.request("POST", f"/v1/queue/{item['item_id']}/claim", clinic.staff_token)
    answered = api.request(
        "POST",
        f"/v1/queue/{item['item_id']}/reply",
        clinic.staff_token,
        json={"body": "Yes to both. See you soon!"},
    )
    resolved = api.request("POST", f"/v1/queue/{item['item_id']}/resolve", clinic.staff_token)

    assert (claimed.status_code, answered.status_code, resolved.status_code) == (200, 200, 200)
    texts = wait_for_texts(twilio, customer, 2)
    signed = f"{clinic.name}: Yes to both. See you soon!"
    assert any(t.body == signed and t.from_ == clinic.phone_number for t in texts)

    # A closing after the answer joins the resolved conversation: no text, no new item.
    thanks = phone_sends(stack, customer, clinic, "Thanks!")

    assert thanks["replies"] == []
    page = api.request("GET", "/v1/queue?status=open&limit=100", clinic.staff_token).json()
    assert [i for i in page["items"] if i["phone"] == customer] == []


@pytest.mark.parametrize("word", ["HELP", "START"])
def test_help_and_start_get_one_answer_from_twilio_not_two(
    stack: LocalStackProcess, clinic: Tenant, customer: str, word: str
) -> None:
    sent = phone_sends(stack, customer, clinic, word)

    # The sandbox answers as Twilio's Advanced Opt-Out does; the app stays silent.
    assert len(sent["replies"]) == 1


def test_stop_from_the_phone_opts_out_and_a_staff_reply_is_refused(
    stack: LocalStackProcess, api: Api, clinic: Tenant, customer: str
) -> None:
    phone_sends(stack, customer, clinic, "When do you open on Saturday?")
    page = api.request("GET", "/v1/queue?status=open&limit=100", clinic.staff_token).json()
    [item] = [i for i in page["items"] if i["phone"] == customer]
    api.request("POST", f"/v1/queue/{item['item_id']}/claim", clinic.staff_token)

    phone_sends(stack, customer, clinic, "STOP")
    refused = api.request(
        "POST",
        f"/v1/queue/{item['item_id']}/reply",
        clinic.staff_token,
        json={"body": "We open at 9."},
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "opted_out"


def test_a_second_staff_member_cannot_take_a_claimed_item(
    api: Api, stack: LocalStackProcess, clinic: Tenant, customer: str
) -> None:
    phone_sends(stack, customer, clinic, "Can I pay by card?")
    page = api.request("GET", "/v1/queue?status=open&limit=100", clinic.staff_token).json()
    [item] = [i for i in page["items"] if i["phone"] == customer]
    other = requests.post(
        f"{stack.api_base_url}/_local/token",
        timeout=HTTP_TIMEOUT,
        json={"tenant_id": clinic.tenant_id, "role": "staff", "sub": "staff-second"},
    ).json()["token"]

    mine = api.request("POST", f"/v1/queue/{item['item_id']}/claim", clinic.staff_token)
    theirs = api.request("POST", f"/v1/queue/{item['item_id']}/claim", other)

    assert (mine.status_code, theirs.status_code) == (200, 409)
