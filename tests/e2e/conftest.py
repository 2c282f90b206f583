"""One `python -m infra.local` for the whole session, driven over HTTP like a real client."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from twilio.rest import Client

from tests.support import local_stack
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

HTTP_TIMEOUT = 10.0
SEND_TIMEOUT = 10.0  # a text reaches the sandbox in well under a second; this bounds it

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    running = local_stack.start(Path(tmp_path_factory.mktemp("rendezvous-local")))
    print(  # shown with -s, and in the report of a failing test
        f"\nlocal stack ready: {running.ready_seconds:.2f} s from spawn "
        f"(stack says {running.stack_reported_ready_seconds()} s)"
    )
    yield running
    code = local_stack.stop(running)
    assert code == 0, f"the local stack exited with {code}:\n{running.output()}"


class Api:
    """requests against the local API, with a bounded timeout on every call."""

    def __init__(self, stack: LocalStackProcess) -> None:
        self.stack = stack

    def request(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(
            method, self.stack.url(path), headers=headers, timeout=HTTP_TIMEOUT, **kwargs
        )

    def clock(self) -> datetime:
        answer = self.request("GET", "/_local/clock")
        assert answer.status_code == 200, answer.text
        return datetime.fromisoformat(answer.json()["now"])

    def advance(self, minutes: float) -> dict[str, Any]:
        answer = self.request("POST", "/_local/clock/advance", json={"minutes": minutes})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def advance_to(self, instant: datetime) -> dict[str, Any]:
        minutes = (instant - self.clock()).total_seconds() / 60
        return self.advance(max(minutes, 0.01))


@pytest.fixture(scope="session")
def api(stack: LocalStackProcess) -> Api:
    return Api(stack)


@pytest.fixture(scope="session")
def twilio(stack: LocalStackProcess) -> Client:
    return stack.twilio()


@pytest.fixture(scope="session")
def clinic(stack: LocalStackProcess) -> Tenant:
    return stack.tenants[0]


@pytest.fixture(scope="session")
def salon(stack: LocalStackProcess) -> Tenant:
    return stack.tenants[1]


@pytest.fixture
def customer() -> str:
    """A number no other test texts: +1 415 555 02xx."""
    return f"+14155550{200 + next(_numbers):03d}"


@pytest.fixture
def morning(api: Api, clinic: Tenant) -> datetime:
    """Moves the virtual clock to the clinic's next 10:00, clear of quiet hours."""
    zone = ZoneInfo(clinic.timezone)
    local = api.clock().astimezone(zone)
    target = datetime.combine(local.date(), time(10, 0), tzinfo=zone)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), time(10, 0), tzinfo=zone)
    api.advance_to(target)
    return api.clock()


def texts_to(twilio: Client, phone: str) -> list[Any]:
    return list(twilio.messages.list(to=phone))


def wait_for_texts(twilio: Client, phone: str, count: int) -> list[Any]:
    return wait_for(
        lambda: found if len(found := texts_to(twilio, phone)) >= count else None,
        timeout=SEND_TIMEOUT,
        interval=0.05,
        what=f"{count} text(s) to {phone}",
    )


def new_appointment_id() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"


def booking(phone: str, starts_at: datetime, name: str = "Ana López") -> dict[str, Any]:
    return {
        "customer": {"phone": phone, "name": name},
        "starts_at": starts_at.isoformat(),
        "duration_minutes": 30,
        "location": "2nd floor",
    }


def in_days(now: datetime, tenant: Tenant, days: int, at: time = time(10, 30)) -> datetime:
    """`at` o'clock at the tenant's, `days` days after `now` (its local date)."""
    zone = ZoneInfo(tenant.timezone)
    day = now.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=zone)


def book(
    api: Api, tenant: Tenant, phone: str, starts_at: datetime, appointment_id: str | None = None
) -> dict[str, Any]:
    appointment_id = appointment_id or new_appointment_id()
    answer = api.request(
        "PUT",
        f"/v1/appointments/{appointment_id}",
        tenant.booking_token,
        json=booking(phone, starts_at),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body
