"""The front desk's appointment routes on the local stack: the demo day it starts with,
and a cancel that texts the customer through the sender and the sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from twilio.rest import Client

from tests.e2e.conftest import Api, book, in_days, wait_for_texts
from tests.support.local_stack import Tenant


def listed(api: Api, tenant: Tenant, start: datetime, end: datetime) -> list[dict[str, object]]:
    query = urlencode({"from": start.isoformat(), "to": end.isoformat(), "limit": "500"})
    answer = api.request("GET", f"/v1/appointments?{query}", tenant.staff_token)
    assert answer.status_code == 200, answer.text
    appointments: list[dict[str, object]] = answer.json()["appointments"]
    return appointments


def test_each_demo_business_starts_with_a_day_to_show(
    api: Api, clinic: Tenant, salon: Tenant
) -> None:
    now = api.clock()
    # Other tests move the clock on: a month around now still holds the day it started on.
    start, end = now - timedelta(days=20), now + timedelta(days=11)

    for tenant in (clinic, salon):
        demo = [
            a
            for a in listed(api, tenant, start, end)
            if str(a["appointment_id"]).startswith("demo-")
        ]
        statuses = [a["status"] for a in demo]
        assert len(demo) == 7, tenant.tenant_id
        assert statuses.count("confirmed") == 3
        assert statuses.count("scheduled") == 3
        assert [a["cancelled_by"] for a in demo if a["status"] == "cancelled"] == ["customer"]
        assert sum(bool(a["undeliverable"]) for a in demo) == 1
        assert all(a.get("last_text") for a in demo)


def test_a_cancel_with_notify_reaches_the_phone_once(
    api: Api, clinic: Tenant, twilio: Client, customer: str, morning: datetime
) -> None:
    booked = book(api, clinic, customer, in_days(morning, clinic, 3))
    wait_for_texts(twilio, customer, 1)
    path = f"/v1/appointments/{booked['appointment_id']}?notify=true"

    first = api.request("DELETE", path, clinic.staff_token)
    again = api.request("DELETE", path, clinic.staff_token)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["cancelled_by"] == "staff"
    texts = wait_for_texts(twilio, customer, 2)
    bodies = sorted(t.body for t in texts)
    assert sum("cancelled" in b for b in bodies) == 1, bodies
    api.advance(5)
    assert len(wait_for_texts(twilio, customer, 2)) == 2
