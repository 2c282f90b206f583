"""Vacancy fill through the local stack: the calls the race and the walk share (waitlist,
fill settings, finding the opening a cancellation made, the texts each number got)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import requests
from twilio.rest import Client

from tests.e2e.conftest import HTTP_TIMEOUT, Api, booking, new_appointment_id
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

OFFER_TIMEOUT = 30.0  # a wave of 20 goes through the outbound queue one send at a time


def isolated_service() -> str:
    """A service no other test books or waits for: with fill_match `service`, an opening
    of this test's cancellation is offered to this test's waitlist only."""
    return f"svc-{uuid.uuid4().hex[:10]}"


def phones(first: int, count: int) -> list[str]:
    """`count` numbers +1 415 555 7xxx from `first`: a block no other test texts."""
    assert first >= 0
    assert first + count <= 1000
    return [f"+14155557{first + n:03d}" for n in range(count)]


@contextmanager
def fill_settings(api: Api, tenant: Tenant, **fields: Any) -> Iterator[dict[str, Any]]:
    """The tenant's settings with `fields` changed (as its manager, with If-Match), put
    back afterwards so tests that rely on the defaults are not touched."""
    read = api.request("GET", "/v1/settings", tenant.manager_token)
    assert read.status_code == 200, read.text
    before = {name: read.json()[name] for name in fields}
    changed = api.request(
        "PATCH",
        "/v1/settings",
        tenant.manager_token,
        headers={"If-Match": read.headers["ETag"]},
        json=fields,
    )
    assert changed.status_code == 200, changed.text
    try:
        yield changed.json()
    finally:
        again = api.request("GET", "/v1/settings", tenant.manager_token)
        restored = api.request(
            "PATCH",
            "/v1/settings",
            tenant.manager_token,
            headers={"If-Match": again.headers["ETag"]},
            json=before,
        )
        assert restored.status_code == 200, restored.text


def waitlist(api: Api, tenant: Tenant, phone: str, service: str, name: str = "Wait Listed") -> str:
    """A waitlist entry for `phone` wanting `service` at any time; its id."""
    entry_id = f"wl-{uuid.uuid4().hex[:12]}"
    answer = api.request(
        "PUT",
        f"/v1/waitlist/{entry_id}",
        tenant.booking_token,
        json={"customer": {"phone": phone, "name": name}, "service": service},
    )
    assert answer.status_code == 201, answer.text
    return entry_id


def book_with_service(
    api: Api, tenant: Tenant, phone: str, starts_at: datetime, service: str
) -> dict[str, Any]:
    body = {**booking(phone, starts_at), "service": service}
    answer = api.request(
        "PUT", f"/v1/appointments/{new_appointment_id()}", tenant.booking_token, json=body
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def listed_around(api: Api, tenant: Tenant, starts_at: datetime) -> list[dict[str, Any]]:
    """Every appointment starting within a minute of `starts_at` (GET /v1/appointments)."""
    window = {
        "from": (starts_at - timedelta(minutes=1)).isoformat(),
        "to": (starts_at + timedelta(minutes=1)).isoformat(),
    }
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**window, **({"cursor": cursor} if cursor else {})}
        page = api.request("GET", "/v1/appointments", tenant.staff_token, params=query)
        assert page.status_code == 200, page.text
        found.extend(page.json()["appointments"])
        cursor = page.json().get("next_cursor")
        if not cursor:
            return found


def opening_replacing(api: Api, tenant: Tenant, cancelled: dict[str, Any]) -> dict[str, Any]:
    """The opening the cancellation of the appointment `cancelled` made (GET /v1/openings
    around its start, every page), read again by id so it carries its offers."""
    appointment_id = cancelled["appointment_id"]
    starts_at = datetime.fromisoformat(cancelled["starts_at"])
    window = {
        "from": (starts_at - timedelta(minutes=1)).isoformat(),
        "to": (starts_at + timedelta(minutes=1)).isoformat(),
    }

    def find() -> str | None:
        cursor: str | None = None
        while True:
            query = {**window, **({"cursor": cursor} if cursor else {})}
            page = api.request("GET", "/v1/openings", tenant.staff_token, params=query)
            assert page.status_code == 200, page.text
            body = page.json()
            for opening in body["openings"]:
                if opening.get("replaces") == appointment_id:
                    found: str = opening["opening_id"]
                    return found
            cursor = body.get("next_cursor")
            if not cursor:
                return None

    opening_id = wait_for(find, timeout=OFFER_TIMEOUT, what=f"the opening of {appointment_id}")
    return opening(api, tenant, opening_id)


def opening(api: Api, tenant: Tenant, opening_id: str) -> dict[str, Any]:
    answer = api.request("GET", f"/v1/openings/{opening_id}", tenant.staff_token)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def texts_by_number(twilio: Client, numbers: list[str]) -> dict[str, list[Any]]:
    """Every text the sandbox took for each number, oldest first."""
    return {n: sorted(twilio.messages.list(to=n), key=lambda m: m.date_created) for n in numbers}


def first_wave(api: Api, twilio: Client, numbers: list[str]) -> None:
    """Nothing offered yet when the opening is written: its first wave's one-time schedule
    is a minute ahead (EventBridge Scheduler runs no at() already past). Then the clock
    goes past that minute and the local stack fires it, as AWS would."""
    assert all(not t for t in texts_by_number(twilio, numbers).values())
    api.advance(1.1)


def wait_for_each(twilio: Client, numbers: list[str], count: int) -> dict[str, list[Any]]:
    """Until every number has at least `count` texts; then all of them."""

    def probe() -> dict[str, list[Any]] | None:
        got = texts_by_number(twilio, numbers)
        return got if all(len(t) >= count for t in got.values()) else None

    return wait_for(
        probe,
        timeout=OFFER_TIMEOUT,
        interval=0.2,
        what=f"{count} text(s) to each of {len(numbers)} numbers",
    )


def reply(stack: LocalStackProcess, tenant: Tenant, phone: str, body: str) -> dict[str, Any]:
    sent = requests.post(
        f"{stack.twilio_base_url}/sandbox/phone/send",
        json={"from": phone, "to": tenant.phone_number, "body": body},
        timeout=HTTP_TIMEOUT * 3,  # 20 at once wait for each other in the stack
    )
    assert sent.status_code == 200, sent.text
    answer: dict[str, Any] = sent.json()
    return answer


def all_reply_at_once(
    stack: LocalStackProcess, tenant: Tenant, numbers: list[str], body: str
) -> list[dict[str, Any] | BaseException]:
    """Every number texts `body` at the same moment: one thread each, released together by
    a barrier. What each send answered (or raised), in the order of `numbers`."""
    barrier = threading.Barrier(len(numbers))
    results: list[dict[str, Any] | BaseException] = [RuntimeError("never ran") for _ in numbers]

    def send(index: int, phone: str) -> None:
        try:
            barrier.wait(timeout=HTTP_TIMEOUT)
            results[index] = reply(stack, tenant, phone, body)
        except BaseException as exc:  # reported by the caller, with the others
            results[index] = exc

    threads = [
        threading.Thread(target=send, args=(i, phone), name=f"taker-{i}")
        for i, phone in enumerate(numbers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HTTP_TIMEOUT * 6)
        assert not thread.is_alive(), f"{thread.name} is still sending"
    return results
