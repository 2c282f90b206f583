"""Nothing lost: texts whose retries run out in a Twilio outage, redriven by the operator's
command and the tenant's route; texts held while paused, sent on resume."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import requests
from twilio.rest import Client

from infra.template import ROOT
from tests.e2e.conftest import (
    HTTP_TIMEOUT,
    Api,
    book,
    in_days,
    texts_to,
    wait_for_texts,
)
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = pytest.mark.e2e

HANDED_OFF = {"queued", "sent", "delivered"}
# Each receive tries Twilio three times (the local stack pauses 10 ms between tries, not
# 0.25 s): five receives of ten texts, a bound with room for a slow machine.
OUTAGE_TIMEOUT = 180.0


def faults(stack: LocalStackProcess, method: str, spec: dict[str, Any] | None = None) -> None:
    answer = requests.request(
        method, f"{stack.twilio_base_url}/sandbox/faults", json=spec, timeout=HTTP_TIMEOUT
    )
    answer.raise_for_status()


def advance_slowly(stack: LocalStackProcess, minutes: float) -> dict[str, Any]:
    answer = requests.post(
        stack.url("/_local/clock/advance"), json={"minutes": minutes}, timeout=OUTAGE_TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def records(api: Api, tenant: Tenant, appointment_id: str) -> dict[str, dict[str, Any]]:
    answer = api.request("GET", f"/v1/appointments/{appointment_id}", tenant.booking_token)
    assert answer.status_code == 200, answer.text
    return {m["kind"]: m for m in answer.json()["messages"]}


def dead_letters(stack: LocalStackProcess) -> int:
    sqs = boto3.client(
        "sqs",
        endpoint_url=stack.credentials["aws_endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.get_queue_url(QueueName="rendezvous-local-OutboundDeadLetterQueue")["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def failed_count(api: Api, tenant: Tenant) -> int:
    answer = api.request("GET", "/v1/stats?days=1", tenant.staff_token)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["failed"])


@pytest.fixture
def outage(stack: LocalStackProcess) -> Iterator[None]:
    """Twilio answers 503 to every send until the test ends it (or ends)."""
    faults(stack, "POST", {"status": 503, "count": 100_000})
    yield
    faults(stack, "DELETE")


def test_ten_texts_through_an_outage_reach_the_dlq_then_redrive_sends_each_once(
    api: Api,
    twilio: Client,
    clinic: Tenant,
    stack: LocalStackProcess,
    morning: datetime,
    outage: None,
) -> None:
    zone = ZoneInfo(clinic.timezone)
    tomorrow = morning.astimezone(zone).date() + timedelta(days=1)
    soon = datetime.combine(tomorrow, time(11, 30), zone)
    phones = [f"+14155550{800 + n:03d}" for n in range(7)]
    # Other tests' reminders falling due meanwhile fail too: the counts below are at least.
    failed_before = failed_count(api, clinic)
    # Three visits tomorrow at 11:30 (a confirmation now, the 24-hour reminder at 11:30
    # today) and four in three days (a confirmation now; their 72-hour reminder would come
    # within the hour, so it is dropped): ten texts, every send refused with a 503.
    booked = [book(api, clinic, phone, soon) for phone in phones[:3]] + [
        book(api, clinic, phone, in_days(morning, clinic, 3)) for phone in phones[3:]
    ]
    texts = [(a["appointment_id"], "confirmation") for a in booked] + [
        (a["appointment_id"], "reminder_24h") for a in booked[:3]
    ]

    # Past the reminders' time and every retry of every text (5 receives, 90 s apart).
    advance_slowly(stack, 100)

    for appointment_id, kind in texts:
        record = records(api, clinic, appointment_id)[kind]
        assert (record["status"], record["reason"], record["error_code"]) == (
            "failed",
            "retries_exhausted",
            20503,
        )
    assert failed_count(api, clinic) >= failed_before + 10
    assert dead_letters(stack) >= 10
    assert all(texts_to(twilio, phone) == [] for phone in phones)

    # The outage ends; one visit is cancelled meanwhile: its texts make no sense any more.
    faults(stack, "DELETE")
    cancelled = booked[0]["appointment_id"]
    gone = api.request("DELETE", f"/v1/appointments/{cancelled}", clinic.booking_token)
    assert gone.status_code == 200, gone.text

    # The tenant's route first, then the operator's command: both reach every text.
    route = api.request("POST", "/v1/outbox/redrive", clinic.manager_token)
    assert route.status_code == 200, route.text
    for phone in phones[1:3]:
        wait_for_texts(twilio, phone, 2)
    for phone in phones[3:]:
        wait_for_texts(twilio, phone, 1)
    credentials = str(stack.local_dir / "credentials.json")
    command = subprocess.run(
        [sys.executable, "-m", "infra.redrive", "--credentials", credentials],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    api.advance(1)  # the moved messages reach the sender

    redriven = route.json()["redrive"]
    assert redriven["queued"] >= 8
    assert redriven["suppressed"].get("appointment_cancelled", 0) >= 2
    assert command.returncode == 0, command.stderr
    moved = re.search(r"COMPLETED: (\d+) message\(s\) moved", command.stdout)
    assert moved is not None, command.stdout
    assert int(moved.group(1)) >= 10
    wait_for(lambda: dead_letters(stack) == 0 or None, timeout=10, what="an empty DLQ")
    lost = 0
    for appointment_id, kind in texts:
        record = records(api, clinic, appointment_id)[kind]
        sent = record["status"] in HANDED_OFF
        explained = record["status"] == "suppressed" and bool(record.get("reason"))
        lost += not (sent or explained)
    assert lost == 0
    received = {phone: [t.body for t in texts_to(twilio, phone)] for phone in phones}
    assert [len(received[p]) for p in phones] == [0, 2, 2, 1, 1, 1, 1]
    assert all(len(set(bodies)) == len(bodies) for bodies in received.values())


def test_a_confirmation_booked_while_paused_arrives_once_after_the_resume(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    paused = api.request("POST", "/v1/pause", clinic.manager_token, json={"reason": "Audit"})
    assert paused.status_code == 200, paused.text
    appointment = book(api, clinic, customer, in_days(morning, clinic, 3))

    def held_confirmation() -> dict[str, Any] | None:
        record = records(api, clinic, appointment["appointment_id"])["confirmation"]
        return record if record["status"] == "deferred" else None

    held = wait_for(held_confirmation, timeout=10, what="the confirmation held")

    resumed = api.request("POST", "/v1/resume", clinic.manager_token, json={"reason": "Done"})
    [text] = wait_for_texts(twilio, customer, 1)
    api.advance(5)

    assert held["reason"] == "tenant_paused"
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["held"]["queued"] >= 1
    assert clinic.name in text.body
    assert len(texts_to(twilio, customer)) == 1
    status = api.request("GET", "/v1/status", clinic.staff_token).json()
    assert (status["paused"], status.get("paused_reason"), status["resumed_reason"]) == (
        False,
        None,
        "Done",
    )
