"""The virtual clock: read it, move it, and refuse nonsense."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from infra.local.triggers import recurring_schedules
from infra.template import load_template
from tests.e2e.conftest import Api
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = pytest.mark.e2e


def test_the_clock_reads_and_advances(api: Api) -> None:
    before = api.clock()

    advanced = api.advance(90)

    after = api.clock()
    assert after - before >= timedelta(minutes=90)
    assert after - before < timedelta(minutes=91)
    assert set(advanced) >= {"now", "fired", "count"}
    assert advanced["count"] == len(advanced["fired"])


@pytest.mark.parametrize(
    "body",
    [
        {"minutes": 0},
        {"minutes": -5},
        {"minutes": "10"},
        {"minutes": True},
        {"minutes": 10**9},
        {"hours": 1},
        [10],
        None,
    ],
)
def test_a_bad_advance_is_a_400_in_the_contracts_shape(api: Api, body: Any) -> None:
    before = api.clock()

    answer = api.request("POST", "/_local/clock/advance", json=body)

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"]
    assert api.clock() - before < timedelta(minutes=1)


def test_an_advance_that_is_not_json_is_a_400(api: Api) -> None:
    answer = api.request(
        "POST", "/_local/clock/advance", data="minutes=5", headers={"Content-Type": "text/plain"}
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_request"


def test_an_advance_runs_the_templates_rate_schedules_once(api: Api) -> None:
    expected = {
        s.rule_name
        for s in recurring_schedules(load_template(), datetime.now(UTC))
        if s.period <= timedelta(days=1)
    }

    advanced = api.advance(60 * 24)

    fired = [f for f in advanced["fired"] if f["group"] == "template"]
    assert sorted(f["name"] for f in fired) == sorted(expected)
    assert all(f["outcome"] == "invoked" for f in fired), fired


def test_the_date_header_of_the_api_and_the_sandbox_follows_the_virtual_clock(
    api: Api, stack: LocalStackProcess, clinic: Tenant
) -> None:
    api.advance(3 * 24 * 60)
    now = api.clock()

    answers = [
        api.request("GET", "/_local/clock"),
        api.request("GET", "/v1/queue", token=clinic.staff_token, params={"status": "open"}),
        api.request("GET", "/console"),
        api.request("GET", "/v1/nothing-here"),
        requests.get(f"{stack.twilio_base_url}/sandbox/phone", timeout=10),
    ]

    for answer in answers:
        dates = answer.raw.headers.getlist("Date")
        assert len(dates) == 1, (answer.url, dates)
        assert abs(parsedate_to_datetime(dates[0]) - now) < timedelta(seconds=30), answer.url


def test_the_stacks_logs_are_stamped_with_the_virtual_clock(
    api: Api, stack: LocalStackProcess, clinic: Tenant
) -> None:
    api.advance(3 * 24 * 60)
    marker = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    sent = requests.post(
        f"{stack.twilio_base_url}/sandbox/phone/send",
        json={"from": marker, "to": clinic.phone_number, "body": "HELP"},
        timeout=10,
    )
    assert sent.status_code < 300, sent.text
    now = api.clock()

    def logged() -> dict[str, Any] | None:
        for line in reversed(stack.output().splitlines()):
            if line.startswith("{") and '"inbound text"' in line:
                entry: dict[str, Any] = json.loads(line)
                return entry
        return None

    entry = wait_for(logged, timeout=10, what="the inbound function's log line")
    stamped = datetime.strptime(entry["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z")
    # The wall clock is three days behind: a wall-clock stamp would be far outside this.
    assert abs(stamped - now) < timedelta(minutes=5), (entry["timestamp"], now)
