"""GET /v1/tune-out through the staff API on moto: the shape the console builds on, its
figures from texts in the time index and opt-outs through POST /twilio/inbound, managers
only, read with indexed Queries (no Scan), counted."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.activity import ALREADY_OPTED_OUT
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.keywords import Intent
from rendezvous.domain.last_text import last_text_order
from rendezvous.domain.models import (
    Appointment,
    Customer,
    LastText,
    MessageRecord,
    MessageStatus,
)
from rendezvous.runtime import Runtime
from tests.integration.test_twilio_inbound import inbound
from tests.support.events import invoke, response_json, staff_event

STAFF = "StaffApiFunction"


def _text_sent(
    store: DynamoAppointmentStore, n: int, sent_at: datetime, kind: str = "reminder_48h"
) -> str:
    """Appointment n with one text Twilio took at `sent_at`, its last text: returns its
    customer's number."""
    phone = f"+1415555{n:04d}"
    appointment = Appointment(
        tenant_id="clinic-1",
        appointment_id=f"appt-{n}",
        customer=Customer(phone=phone, name="Ana López"),
        starts_at=sent_at + timedelta(days=2),
        created_at=sent_at,
        updated_at=sent_at,
    )
    record = MessageRecord(
        tenant_id="clinic-1",
        appointment_id=appointment.appointment_id,
        version=1,
        kind=kind,
        status=MessageStatus.DELIVERED,
        send_at=sent_at,
        created_at=sent_at,
        updated_at=sent_at,
    )
    store.create_appointment(appointment, [record])
    last = LastText(kind=kind, status="delivered", at=sent_at)
    order = last_text_order(kind, 1, MessageStatus.DELIVERED, sent_at)
    assert store.note_last_text("clinic-1", appointment.appointment_id, last, order=order)
    return phone


def _tune_out(role: str = "manager") -> tuple[int, Any]:
    response = invoke(STAFF, staff_event("GET", "/v1/tune-out", role=role))
    return response["statusCode"], response_json(response)


@pytest.fixture
def firing(store: DynamoAppointmentStore, clock: FixedClock) -> list[str]:
    """120 texts this week and 100 three weeks ago; 4 of this week's drew a STOP."""
    now = clock.now()
    phones = [_text_sent(store, n, now - timedelta(days=2)) for n in range(120)]
    for n in range(120, 220):
        _text_sent(store, n, now - timedelta(days=21), kind="confirmation")
    for phone in phones[:4]:
        assert invoke("TwilioInboundFunction", inbound("STOP", sender=phone))["statusCode"] == 200
    return phones


def test_a_tenant_whose_customers_opt_out_sees_the_alarm_and_the_texts_that_drew_it(
    firing: list[str],
) -> None:
    status, body = _tune_out()

    assert status == 200
    assert body == {
        "firing": True,
        "threshold_per_1000": 10,
        "texts_7d": 120,
        "opt_outs_7d": 4,
        "per_1000_7d": 33.3,
        "texts_prior_28d": 100,
        "opt_outs_prior_28d": 0,
        "per_1000_prior_28d": 0.0,
        "reason": "threshold",
        "drawn_by": [
            {
                "kind": "reminder_48h",
                "variant": None,
                "body": body["drawn_by"][0]["body"],
                "opt_outs": 4,
            }
        ],
    }
    assert body["drawn_by"][0]["body"].startswith("{business}: Hi {first_name}, your visit")


def test_a_quiet_tenant_gets_every_member_with_nulls(store: DynamoAppointmentStore) -> None:
    status, body = _tune_out()

    assert status == 200
    assert body == {
        "firing": False,
        "threshold_per_1000": 10,
        "texts_7d": 0,
        "opt_outs_7d": 0,
        "per_1000_7d": None,
        "texts_prior_28d": 0,
        "opt_outs_prior_28d": 0,
        "per_1000_prior_28d": None,
        "reason": None,
        "drawn_by": [],
    }


@pytest.mark.parametrize("role", ["staff", "booking"])
def test_only_managers_see_it(store: DynamoAppointmentStore, role: str) -> None:
    status, body = _tune_out(role)

    assert status == 403
    assert body["error"]["code"] == "forbidden"


def test_a_tenant_not_configured_is_404(store: DynamoAppointmentStore) -> None:
    response = invoke(STAFF, staff_event("GET", "/v1/tune-out", role="manager", tenant="gone-1"))

    assert response["statusCode"] == 404


def test_one_computation_reads_35_days_with_queries_only(
    runtime: Runtime, store: DynamoAppointmentStore, firing: list[str]
) -> None:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    store._db.meta.events.register("before-call.dynamodb", count)
    try:
        found = runtime.tune_out_service().tune_out("clinic-1")
    finally:
        store._db.meta.events.unregister("before-call.dynamodb", count)

    assert found.firing
    # The tenant, then 36 UTC days (35 back, and today) of the time index and of the log.
    assert dict(calls) == {"GetItem": 1, "Query": 72}


def test_stop_sent_again_by_an_opted_out_number_is_no_new_opt_out(
    store: DynamoAppointmentStore,
    clock: FixedClock,
    runtime: Runtime,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One customer sending STOP three times is one opt-out, not the three that can fire;
    the dashboard's OptOuts counts it once too."""
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    now = clock.now()
    phones = [_text_sent(store, n, now - timedelta(days=1)) for n in range(100)]
    capsys.readouterr()
    for _ in range(3):
        assert (
            invoke("TwilioInboundFunction", inbound("STOP", sender=phones[0]))["statusCode"] == 200
        )
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    assert sum(sum(b.get("OptOuts", [])) for b in blobs) == 1
    assert sum(sum(b.get("RepliesReceived", [])) for b in blobs if "Intent" not in b) == 3

    status, body = _tune_out()
    hourly = runtime.tune_out_service().hourly(["clinic-1"])

    assert status == 200
    assert (body["opt_outs_7d"], body["reason"]) == (1, None)
    assert hourly is not None
    assert (hourly.judged, hourly.firing) == ((), [])
    # Logged all three (at one instant, so in no order): the first as the opt-out.
    logged = Counter(
        e.reason
        for e in runtime.activity_log().day("clinic-1", now.date().isoformat())
        if e.intent is Intent.OPT_OUT
    )
    assert logged == {None: 1, ALREADY_OPTED_OUT: 2}
