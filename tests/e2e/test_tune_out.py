"""The tune-out alarm through the local stack: confirmations go out to the sandbox phone,
enough of their numbers text STOP from it, the queue watcher's first run of the next hour
writes TenantsTunedOut 1 (EMF, what TuneOutAlarm reads), and GET /v1/tune-out fires for
the clinic's manager naming the confirmation as the text that drew the opt-outs.

It runs on a local stack of its own: a hundred visits and a tenant firing would slow every
clock advance of the tests sharing the session's stack (each hourly check would read the
clinic whole, on moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from twilio.rest import Client

from tests.e2e.conftest import Api, book, in_days
from tests.e2e.test_replies import phone_sends
from tests.support import local_stack
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = pytest.mark.e2e

# Numbers no other test texts: +1 415 555 3xxx.
FIRST_NUMBER = 14155553000
MIN_TEXTS = 100  # domain/tune_out.py: fewer texts in 7 days are not judged
MIN_OPT_OUTS = 3
ADVANCE_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    running = local_stack.start(Path(tmp_path_factory.mktemp("rendezvous-tune-out")))
    yield running
    assert local_stack.stop(running) == 0, running.output()


@pytest.fixture
def own(own_stack: LocalStackProcess) -> tuple[LocalStackProcess, Api, Client, Tenant]:
    """The stack, its API, the sandbox, and the clinic at its next 10:00 (clear of quiet
    hours), as the session's fixtures give them."""
    api, clinic = Api(own_stack), own_stack.tenants[0]
    zone = ZoneInfo(clinic.timezone)
    local = api.clock().astimezone(zone)
    target = datetime.combine(local.date() + timedelta(days=1), time(10, 0), tzinfo=zone)
    api.advance_to(target)
    return own_stack, api, own_stack.twilio(), clinic


def _tune_out(api: Api, tenant: Tenant) -> dict[str, Any]:
    answer = api.request("GET", "/v1/tune-out", tenant.manager_token)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _stops_needed(texts: int, opt_outs: int, threshold: int) -> int:
    """STOPs that put the 7 days above the threshold (and at the minimum), at least 3."""
    above = texts * threshold // 1000 + 1
    return max(MIN_OPT_OUTS, above - opt_outs)


def _emitted_after(stack: LocalStackProcess, offset: int, name: str) -> list[float]:
    """Values of the EMF metric `name` the stack's functions printed after `offset`."""
    values: list[float] = []
    for line in stack.output()[offset:].splitlines():
        if f'"{name}"' not in line or not line.startswith("{"):
            continue
        blob = json.loads(line)
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
            if any(m["Name"] == name for m in directive["Metrics"]):
                assert directive["Dimensions"] == [["service"]]  # no tenant dimension
                values.extend(blob[name])
    return values


def test_opt_outs_from_the_phone_fire_the_alarm_and_name_the_text_that_drew_them(
    own: tuple[LocalStackProcess, Api, Client, Tenant],
) -> None:
    stack, api, twilio, clinic = own
    before = _tune_out(api, clinic)
    threshold = before["threshold_per_1000"]
    # Enough texts to be judged, and enough customers to send the STOPs that are needed.
    customers = max(MIN_TEXTS - before["texts_7d"], 0) + 5
    while _stops_needed(before["texts_7d"] + customers, before["opt_outs_7d"], threshold) > (
        customers
    ):
        customers += 5
    numbers = [f"+{FIRST_NUMBER + n}" for n in range(customers)]
    starts = in_days(api.clock(), clinic, 3)
    for n, phone in enumerate(numbers):
        book(api, clinic, phone, starts + timedelta(minutes=5 * (n % 60)))

    # Every confirmation reaches the sandbox phone (the sender texts them off the queue).
    def all_texted() -> bool:
        reached = {m.to for m in twilio.messages.list(from_=clinic.phone_number, limit=1000)}
        return set(numbers) <= reached

    wait_for(all_texted, timeout=120, interval=0.5, what=f"{customers} confirmations")
    texts = wait_for(
        lambda: found if (found := _tune_out(api, clinic)["texts_7d"]) >= MIN_TEXTS else None,
        timeout=30,
        interval=0.5,
        what="the texts in the time index",
    )
    stops = _stops_needed(texts, before["opt_outs_7d"], threshold)
    for phone in numbers[:stops]:
        phone_sends(stack, phone, clinic, "STOP")

    # The watcher's first run of the next hour checks every tenant and tells CloudWatch.
    offset = len(stack.output())
    now = api.clock()
    next_hour = now.replace(minute=1, second=0, microsecond=0) + timedelta(hours=1)
    # The advance answers once everything due on the way ran, the hourly check with it
    # (36 days of two tenants on moto): longer than an ordinary call.
    advanced = requests.post(
        stack.url("/_local/clock/advance"),
        json={"minutes": (next_hour - now).total_seconds() / 60},
        timeout=ADVANCE_TIMEOUT,
    )
    assert advanced.status_code == 200, advanced.text
    tuned_out = wait_for(
        lambda: _emitted_after(stack, offset, "TenantsTunedOut"),
        timeout=30,
        interval=0.2,
        what="the watcher's hourly TenantsTunedOut",
    )

    assert tuned_out == [1.0]
    assert '"tenants_tuned_out":["' + clinic.tenant_id + '"]' in stack.output()[offset:]
    [highest] = _emitted_after(stack, offset, "OptOutsPer1000Texts")
    assert highest > threshold

    after = _tune_out(api, clinic)
    assert after["firing"] is True
    assert after["reason"] == "threshold"
    assert after["opt_outs_7d"] == before["opt_outs_7d"] + stops
    assert after["per_1000_7d"] > threshold
    drawn = {d["kind"]: d for d in after["drawn_by"]}
    assert drawn["confirmation"]["opt_outs"] >= stops
    assert "{business}" in drawn["confirmation"]["body"]

    # Staff see the numbers, not the alarm: managers only.
    refused = api.request("GET", "/v1/tune-out", clinic.staff_token)
    assert refused.status_code == 403
