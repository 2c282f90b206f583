"""The front desk's appointment routes through the real handler on moto: the day list,
the outcome, the cancel that texts, and the appointment's last text on the table."""

from __future__ import annotations

import base64
import contextlib
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import appointment_key
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import GatewayUnavailable
from rendezvous.domain.events import EventType
from rendezvous.domain.last_text import last_text_order
from rendezvous.domain.models import (
    Appointment,
    Customer,
    LastText,
    MessageStatus,
    SendRequest,
)
from rendezvous.runtime import Runtime
from tests.integration.test_appointments_api import booking, put
from tests.support.aws import at
from tests.support.events import appointment_event, invoke, response_json, staff_event

FN = "AppointmentsFunction"
DAY = "2030-01-15"


def listing(query: dict[str, str], *, tenant: str = "clinic-1", role: str = "staff") -> Any:
    event = staff_event("GET", "/v1/appointments", tenant=tenant, role=role, query=query)
    response = invoke(FN, event)
    return response["statusCode"], response_json(response)


def day_query(**more: str) -> dict[str, str]:
    return {"from": f"{DAY}T00:00:00-08:00", "to": "2030-01-16T00:00:00-08:00", **more}


def seed(store: DynamoAppointmentStore, count: int, *, tenant: str = "clinic-1") -> None:
    """`count` appointments on the 15th from 08:00 (LA) a minute apart, through the real
    repository (the writes every save makes), with a number each."""
    base = at(f"{DAY}T08:00:00-08:00")
    for n in range(count):
        now = at("2030-01-10T09:00:00-08:00")
        store.create_appointment(
            Appointment(
                tenant_id=tenant,
                appointment_id=f"a{n:04d}",
                customer=Customer(phone=f"+1415555{n:04d}", name=f"Person {n}"),
                starts_at=base + timedelta(minutes=n),
                created_at=now,
                updated_at=now,
            ),
            [],
        )


def outcome(appointment_id: str, value: Any, role: str = "staff") -> tuple[int, Any]:
    path = f"/v1/appointments/{appointment_id}/outcome"
    event = staff_event("POST", path, {"outcome": value}, role=role)
    event["pathParameters"] = {"appointment_id": appointment_id}
    response = invoke(FN, event)
    return response["statusCode"], response_json(response)


def events_of(store: DynamoAppointmentStore, type_: EventType) -> list[dict[str, Any]]:
    items = store._db.scan(TableName=store._table)["Items"]
    return [
        {k: next(iter(v.values())) for k, v in i.items()}
        for i in items
        if i.get("type", {}).get("S") == type_.value
    ]


# -- the day list ----------------------------------------------------------------------------


def test_a_page_of_200_costs_one_query_and_four_batch_gets(store: DynamoAppointmentStore) -> None:
    seed(store, 250)
    store.mark_recipient(
        "clinic-1", "+14155550003", now=at("2030-01-10T09:00:00-08:00"), opted_out=True
    )
    calls: Counter[str] = Counter()
    store._db.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.update([model.name])
    )

    status, first = listing(day_query())

    assert status == 200
    # 200 distinct numbers: 2 BatchGetItem for the appointments, 2 for their numbers.
    assert dict(calls) == {"Query": 1, "BatchGetItem": 4}
    listed = [a["appointment_id"] for a in first["appointments"]]
    assert listed == [f"a{n:04d}" for n in range(200)]
    assert [a["opted_out"] for a in first["appointments"][:5]] == [False] * 3 + [True, False]
    assert first["next_cursor"]

    calls.clear()
    _, second = listing(day_query(cursor=first["next_cursor"]))

    # The rest of the 15th's UTC day, then the 16th's (LA's day runs to 08:00 UTC): one
    # Query each, though the second finds nothing; the cursor's own item is not re-read.
    assert dict(calls) == {"Query": 2, "BatchGetItem": 2}

    assert [a["appointment_id"] for a in second["appointments"]] == [
        f"a{n:04d}" for n in range(200, 250)
    ]
    assert "next_cursor" not in second


def test_the_list_reads_each_utc_day_of_a_week_and_includes_cancelled(
    store: DynamoAppointmentStore,
) -> None:
    # 16:00 in LA is 00:00 UTC the next day: the two fall in different UTC partitions.
    put("early", booking(starts_at=f"{DAY}T15:30:00-08:00"))
    put("late", booking(starts_at=f"{DAY}T16:30:00-08:00"))
    put("next-week", booking(starts_at="2030-01-22T10:00:00-08:00"))
    invoke(FN, appointment_event("DELETE", "late"))

    status, body = listing(
        {"from": f"{DAY}T00:00:00-08:00", "to": "2030-01-22T00:00:00-08:00", "limit": "10"}
    )

    assert status == 200
    assert [(a["appointment_id"], a["status"]) for a in body["appointments"]] == [
        ("early", "scheduled"),
        ("late", "cancelled"),
    ]
    late = body["appointments"][1]
    assert (late["cancelled_by"], late["customer"]["name"]) == ("booking", "Ana María López")
    assert "next_cursor" not in body


def test_another_tenants_appointments_are_never_listed_whatever_the_cursor(
    store: DynamoAppointmentStore,
) -> None:
    seed(store, 3, tenant="salon-1")
    seed(store, 2)
    forged = base64.urlsafe_b64encode(
        json.dumps([f"{DAY}T16:00:00+00:00", "a0000"]).encode()
    ).decode()

    _, mine = listing(day_query())
    _, with_forged = listing(day_query(cursor=forged))

    assert [a["appointment_id"] for a in mine["appointments"]] == ["a0000", "a0001"]
    assert [a["customer"]["name"] for a in with_forged["appointments"]] == ["Person 1"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"from": f"{DAY}T00:00:00-08:00", "to": f"{DAY}T00:00:00-08:00"}, 422, "to"),
        ({"from": f"{DAY}T00:00:00-08:00", "to": "2030-02-16T00:00:01-08:00"}, 422, "to"),
        (
            day_query(
                cursor=base64.urlsafe_b64encode(b'["2030-03-01T00:00:00+00:00","x"]').decode()
            ),
            422,
            "cursor",
        ),
        (day_query(cursor="not-a-cursor"), 400, None),
        (day_query(limit="501"), 400, None),
        ({"from": f"{DAY}T00:00:00", "to": "2030-01-16T00:00:00-08:00"}, 400, None),
        ({"to": "2030-01-16T00:00:00-08:00"}, 400, None),
    ],
)
def test_bad_ranges_and_cursors_are_refused_clearly(
    store: DynamoAppointmentStore, query: dict[str, str], status: int, field: str | None
) -> None:
    code, body = listing(query)

    assert code == status, body
    if field is not None:
        assert [d["field"] for d in body["error"]["details"]] == [field]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        # The calendar's last day: the day-by-day read must stop, not step past year 9999.
        ({"from": "9999-12-30T00:00:00+00:00", "to": "9999-12-31T23:00:00+00:00"}, 200, None),
        # Instants that exist with their offset but not in UTC.
        ({"from": "0001-01-01T00:00:00+01:00", "to": "0001-01-02T00:00:00+00:00"}, 422, "from"),
        ({"from": "9999-12-31T20:00:00-05:00", "to": "9999-12-31T22:00:00-05:00"}, 422, "from"),
        ({"from": "9999-12-31T12:00:00+00:00", "to": "9999-12-31T22:00:00-05:00"}, 422, "to"),
    ],
)
def test_ranges_at_the_ends_of_the_calendar_answer_without_a_crash(
    store: DynamoAppointmentStore, query: dict[str, str], status: int, field: str | None
) -> None:
    code, body = listing(query)

    assert code == status, body
    if field is None:
        assert body["appointments"] == []
    else:
        assert [d["field"] for d in body["error"]["details"]] == [field]


# -- outcomes --------------------------------------------------------------------------------


def test_a_no_show_is_recorded_after_the_start_with_its_event_and_audit(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    put("appt-1", booking())
    early, refused = outcome("appt-1", "no_show")
    clock.set(at("2030-01-15T10:40:00-08:00"))

    code, body = outcome("appt-1", "no_show")
    again, _ = outcome("appt-1", "no_show")
    unknown, bad = outcome("appt-1", "maybe")
    missing, _ = outcome("nope", "late_cancel")

    assert (early, refused["error"]["details"][0]["field"]) == (422, "outcome")
    assert (code, body["outcome"], body["outcome_at"]) == (200, "no_show", "2030-01-15T18:40:00Z")
    assert (again, unknown, missing) == (200, 422, 404)
    assert bad["error"]["details"][0]["field"] == "outcome"
    told = events_of(store, EventType.APPOINTMENT_OUTCOME_RECORDED)
    assert [json.loads(e["data"]) for e in told] == [
        {"appointment_id": "appt-1", "outcome": "no_show", "by": "staff"}
    ]
    entries = runtime.activity_log().day("clinic-1", DAY)
    assert [(e.event.value, e.actor, e.reason) for e in entries] == [
        ("outcome_recorded", "staff-maria", "no_show")
    ]
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    assert found[0].outcome_by == "staff-maria"


def test_an_outcome_is_never_kept_without_its_audit_entry(
    store: DynamoAppointmentStore,
    runtime: Runtime,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put("appt-1", booking())
    clock.set(at("2030-01-15T10:40:00-08:00"))

    def stopped(*_: object, **__: object) -> None:
        raise RuntimeError("the function stopped before its next write")

    # The function dies after the outcome's write: a separate audit write never happens,
    # and the retry finds the same outcome and records nothing. One write must hold both.
    with monkeypatch.context() as patch:
        patch.setattr(runtime.activity_log(), "append", stopped)
        with contextlib.suppress(RuntimeError):
            outcome("appt-1", "no_show")
    retried, _ = outcome("appt-1", "no_show")

    assert retried == 200
    entries = runtime.activity_log().day("clinic-1", DAY)
    assert [(e.event.value, e.actor, e.reason) for e in entries] == [
        ("outcome_recorded", "staff-maria", "no_show")
    ]
    assert len(events_of(store, EventType.APPOINTMENT_OUTCOME_RECORDED)) == 1


def test_a_booking_system_records_an_outcome_as_booking(
    store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    put("appt-1", booking())
    clock.set(at("2030-01-15T10:40:00-08:00"))

    code, _ = outcome("appt-1", "attended", role="booking")

    assert code == 200
    [told] = events_of(store, EventType.APPOINTMENT_OUTCOME_RECORDED)
    assert json.loads(told["data"])["by"] == "booking"
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    assert found[0].outcome_by == "booking"


# -- cancel with a text ----------------------------------------------------------------------


def test_delete_with_notify_plans_one_cancelled_text_and_says_who_cancelled(
    store: DynamoAppointmentStore, outbound: Any
) -> None:
    put("appt-1", booking())
    outbound()
    event = staff_event("DELETE", "/v1/appointments/appt-1", query={"notify": "true"})
    event["pathParameters"] = {"appointment_id": "appt-1"}

    first = response_json(invoke(FN, event))
    second = response_json(invoke(FN, event))

    assert (first["status"], first["cancelled_by"]) == ("cancelled", "staff")
    queued = [json.loads(m["Body"]) for m in outbound()]
    # The repeat hands the still unsent text off again (the sender's claim sends it once).
    assert {(q["kind"], q["version"]) for q in queued} == {("cancelled", 2)}
    planned = [m for m in second["messages"] if m["kind"] == "cancelled"]
    assert [m["status"] for m in planned] == ["planned"], "one text planned, not two"


# -- last_text on the table ------------------------------------------------------------------


def test_a_save_never_drops_the_last_text_and_an_older_write_never_wins(
    store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    put("appt-1", booking())
    read_before = store.get_appointment("clinic-1", "appt-1")
    assert read_before is not None
    now = clock.now()
    text = LastText(kind="confirmation", status="delivered", at=now)
    order = last_text_order("confirmation", 1, MessageStatus.DELIVERED, now)
    assert store.note_last_text("clinic-1", "appt-1", text, order=order)
    stale = LastText(kind="confirmation", status="sent", at=now - timedelta(seconds=1))
    stale_order = last_text_order("confirmation", 1, MessageStatus.SENT, stale.at)

    assert not store.note_last_text("clinic-1", "appt-1", stale, order=stale_order)
    # A save that read the appointment before the text was noted (same version).
    store.save_appointment(
        read_before[0].model_copy(update={"provider": "Dr Who"}),
        expected_version=1,
        retire=[],
        retire_as=MessageStatus.SUPERSEDED,
        new_messages=[],
        now=now,
    )
    put("appt-1", booking(location="Room 4"))  # a save of the same version
    put("appt-1", booking(starts_at="2030-01-16T10:30:00-08:00"))  # a move: a new version

    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    assert found[0].last_text == text
    _, body = listing({"from": "2030-01-16T00:00:00-08:00", "to": "2030-01-17T00:00:00-08:00"})
    assert body["appointments"][0]["last_text"] == {
        "kind": "confirmation",
        "status": "delivered",
        "at": "2030-01-10T17:00:00Z",
    }
    # The move left the 15th's list: the day keys moved with the appointment.
    _, old_day = listing(day_query())
    assert old_day["appointments"] == []


def test_the_sender_writes_the_last_text_on_the_table(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    put("appt-1", booking())
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    request = SendRequest(
        tenant_id="clinic-1",
        appointment_id="appt-1",
        kind="confirmation",
        version=1,
        recipient_key=found[0].recipient_key,
    )

    # No sandbox here: the gateway's port refuses, so the text waits for a retry.
    with pytest.raises(GatewayUnavailable):
        runtime.sender().deliver(request)

    item = store._get(appointment_key("clinic-1", "appt-1"))
    assert item is not None
    assert {k: item["last_text"][k] for k in ("kind", "status", "reason")} == {
        "kind": "confirmation",
        "status": "deferred",
        "reason": "gateway_unavailable",
    }


def test_a_save_that_read_before_an_outcome_keeps_the_outcome(
    store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    put("appt-1", booking())
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    read_before = found[0]
    outcome("appt-1", "late_cancel")

    # What a wording-level PUT that read before the outcome writes (same version).
    store.save_appointment(
        read_before.model_copy(update={"location": "Room 4"}),
        expected_version=read_before.version,
        retire=[],
        retire_as=MessageStatus.SUPERSEDED,
        new_messages=[],
        now=clock.now(),
    )

    after = store.get_appointment("clinic-1", "appt-1")
    assert after is not None
    assert (after[0].location, after[0].outcome) == ("Room 4", "late_cancel")
