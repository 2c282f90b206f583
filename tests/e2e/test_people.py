"""A number through the running stack: the customer's keyword in its history, staff opting
it out and back in on a phone call, the number percent-encoded in the path as browsers
send it."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest
from twilio.rest import Client

from tests.e2e.conftest import Api, book, in_days, wait_for_texts
from tests.e2e.test_replies import phone_sends
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e


def test_a_keyword_shows_in_the_history_and_staff_opt_the_number_out_and_in(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: datetime,
) -> None:
    book(api, clinic, customer, in_days(morning, clinic, 3))
    wait_for_texts(twilio, customer, 1)
    confirmed = phone_sends(stack, customer, clinic, "C")
    path = f"/v1/recipients/{quote(customer, safe='')}"

    history = api.request("GET", path, clinic.staff_token).json()
    out = api.request("POST", f"{path}/opt-out", clinic.staff_token, json={"reason": "called"})
    again = api.request("POST", f"{path}/opt-out", clinic.staff_token)
    back = api.request("POST", f"{path}/opt-in", clinic.staff_token)

    shown = [(m["kind"], m.get("keyword") or m.get("message_kind")) for m in history["messages"]]
    assert shown == [("automated", "confirmation"), ("keyword", "C"), ("auto_reply", None)]
    assert history["messages"][2]["body"] == confirmed["replies"][0]["body"]
    assert history["appointments"][0]["status"] == "confirmed"
    assert (out.status_code, out.json()["changed"], again.json()["changed"]) == (200, True, False)
    assert back.json() == {
        "phone": customer,
        "opted_out": False,
        "changed": True,
        "carrier_block": False,
    }
