"""GET / PATCH /v1/settings through the staff API's handler, on moto: the document, the
merge patch, If-Match, refusals that write nothing, the audit entry in the same
transaction, and a changed setting taking effect."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.runtime import Runtime
from tests.integration.test_message_sender import book, sqs_event, texts_to
from tests.support.events import appointment_event, invoke, response_json, staff_event

STAFF = "StaffApiFunction"


def settings_call(
    method: str,
    body: Any = None,
    *,
    if_match: str | None = None,
    tenant: str = "clinic-1",
    manager: str = "manager-ines",
) -> tuple[int, Any, dict[str, str]]:
    event = staff_event(method, "/v1/settings", body, tenant=tenant, staff=manager)
    # A manager's token (CONTRACT.md, Roles: settings are for managers only).
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[manager]"
    if if_match is not None:
        event["headers"]["if-match"] = if_match
    response = invoke(STAFF, event)
    return response["statusCode"], response_json(response), response.get("headers") or {}


def change(body: Any, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    """A PATCH made on the version stored now."""
    _, _, headers = settings_call("GET", **kwargs)
    return settings_call("PATCH", body, if_match=headers["ETag"], **kwargs)


def settings_log(runtime: Runtime, clock: FixedClock) -> list[ActivityEntry]:
    log = runtime.activity_log()
    day = clock.now().date().isoformat()
    return [e for e in log.day("clinic-1", day) if e.event is ActivityEvent.SETTINGS_CHANGED]


def test_get_answers_the_settings_with_effective_templates_and_an_etag(
    store: DynamoAppointmentStore,
) -> None:
    store.put_tenant(
        store.get_tenant("clinic-1").model_copy(  # type: ignore[union-attr]
            update={"templates": {"en": {"reminder": "{business}: see you {when}. C to confirm"}}}
        )
    )

    status, body, headers = settings_call("GET")

    assert status == 200
    assert headers["ETag"] == '"0"'
    assert body["version"] == 0
    assert body["tenant_id"] == "clinic-1"
    assert body["phone_number"] == "+14155550100"
    assert body["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    assert body["opening_hours"]["days"]["1"] == ["09:00", "17:00"]
    assert "6" not in body["opening_hours"]["days"]
    assert body["reminder_offsets_minutes"] == [2880, 120]
    assert body["answer_stop"] is False
    assert body["include_service_details"] is False
    assert body["effective_templates"]["en"]["reminder"] == {
        "text": "{business}: see you {when}. C to confirm",
        "overridden": True,
    }
    assert body["effective_templates"]["fr"]["reminder"]["overridden"] is False
    assert body["effective_templates"]["fr"]["reminder"]["text"].startswith("{business}: Bonjour")
    assert set(body["read_only"]) == {"tenant_id", "phone_number", "version"}


def test_a_patch_changes_what_it_names_bumps_the_version_and_is_audited(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    status, body, headers = settings_call(
        "PATCH",
        {"daily_cap": 2, "quiet_hours": {"start": "20:00"}, "answer_stop": True},
        if_match='"0"',
    )

    assert status == 200
    assert headers["ETag"] == '"1"'
    assert body["version"] == 1
    assert body["daily_cap"] == 2
    assert body["quiet_hours"] == {"start": "20:00", "end": "08:00"}
    stored = store.get_tenant("clinic-1")
    assert stored is not None
    assert stored.daily_cap == 2
    assert stored.answer_stop is True
    assert stored.settings_version == 1
    [entry] = settings_log(runtime, clock)
    assert entry.actor == "manager-ines"
    assert entry.at == clock.now()
    assert entry.settings_version == 1
    assert {path: (c.before, c.after) for path, c in (entry.changes or {}).items()} == {
        "daily_cap": (3, 2),
        "quiet_hours.start": ("21:00:00", "20:00:00"),
        "answer_stop": (False, True),
    }


def test_null_restores_a_default_and_template_overrides_merge_per_locale(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    mine = "{business}: Hi {first_name}, see you {when}. Reply C to confirm."
    change(
        {
            "templates": {"en": {"reminder": mine}, "fr": {"reminder": "{business}: RDV {when}."}},
            "daily_cap": 5,
        }
    )

    clock.advance(minutes=1)
    status, body, _ = change({"templates": {"fr": None}, "daily_cap": None})

    assert status == 200
    assert body["templates"] == {"en": {"reminder": mine}}
    assert body["effective_templates"]["fr"]["reminder"]["overridden"] is False
    assert body["daily_cap"] == 3
    last = settings_log(runtime, clock)[-1]
    assert set(last.changes or {}) == {"templates.fr.reminder", "daily_cap"}


def test_a_stale_version_is_412_and_writes_nothing(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    first, _, _ = settings_call("PATCH", {"daily_cap": 5}, if_match='"0"')
    # A second manager read version 0 too, before the first change.
    second, body, _ = settings_call(
        "PATCH", {"daily_cap": 1}, if_match='"0"', manager="manager-joe"
    )

    assert (first, second) == (200, 412)
    assert body["error"]["code"] == "precondition_failed"
    assert store.get_tenant("clinic-1").daily_cap == 5  # type: ignore[union-attr]
    assert [e.actor for e in settings_log(runtime, clock)] == ["manager-ines"]


@pytest.mark.parametrize("if_match", [None, "*"])
def test_a_change_without_a_version_is_428(
    store: DynamoAppointmentStore, if_match: str | None
) -> None:
    status, body, _ = settings_call("PATCH", {"daily_cap": 5}, if_match=if_match)

    assert status == 428
    assert body["error"]["code"] == "precondition_required"
    assert store.get_tenant("clinic-1").daily_cap == 3  # type: ignore[union-attr]


def test_the_stored_version_is_the_write_condition_of_settings_and_audit_together(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    """Two writes made on the same read: the second fails its condition, and its audit
    entry, in the same transaction, is not written either."""
    settings = runtime.settings_store()

    def entry(by: str) -> ActivityEntry:
        return ActivityEntry(event=ActivityEvent.SETTINGS_CHANGED, actor=by, at=clock.now())

    settings.save_settings("clinic-1", {"daily_cap": 7}, expected_version=0, audit=entry("a"))
    with pytest.raises(ConcurrentModification):
        settings.save_settings("clinic-1", {"daily_cap": 2}, expected_version=0, audit=entry("b"))

    stored = store.get_tenant("clinic-1")
    assert stored is not None
    assert (stored.daily_cap, stored.settings_version) == (7, 1)
    assert [e.actor for e in settings_log(runtime, clock)] == ["a"]


def test_a_settings_write_leaves_the_pause_switch_alone(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    store.set_pause("clinic-1", paused=True, by="manager-joe", reason="flood", at=clock.now())

    status, _, _ = change({"daily_cap": 4})

    stored = store.get_tenant("clinic-1")
    assert status == 200
    assert stored is not None
    assert stored.paused
    assert stored.paused_reason == "flood"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        (
            {"templates": {"en": {"reminder": "{business}: Reply STOP to confirm."}}},
            "templates.en.reminder",
        ),
        (
            {
                "templates": {
                    "en": {"confirmation": "{business}: {when}. Text CANCEL to cancel your visit."}
                }
            },
            "templates.en.confirmation",
        ),
        (
            {"templates": {"es": {"reminder": "{business}: {when} con {doctor}."}}},
            "templates.es.reminder",
        ),
        ({"quiet_hours": {"start": "08:30", "end": "08:00"}}, "quiet_hours"),
        ({"reminder_offsets_minutes": [120, 120]}, "reminder_offsets_minutes"),
        ({"reminder_offsets_minutes": [2880, 1440, 240, 120]}, "reminder_offsets_minutes"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"locale": "de"}, "locale"),
        ({"tenant_id": "clinic-2"}, "tenant_id"),
        ({"colour": "blue"}, "colour"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"quiet_hours": {"start": "21:00:00Z"}}, "quiet_hours.start"),
        ({"opening_hours": {"days": {"8": ["09:00", "17:00"]}}}, "opening_hours.days.8.[key]"),
    ],
)
def test_a_change_that_breaks_a_rule_is_422_naming_the_field_and_writes_nothing(
    store: DynamoAppointmentStore,
    runtime: Runtime,
    clock: FixedClock,
    patch: dict[str, Any],
    field: str,
) -> None:
    before = store.get_tenant("clinic-1")

    status, body, _ = settings_call("PATCH", patch, if_match='"0"')

    assert status == 422, body
    assert body["error"]["code"] == "validation_failed"
    assert field in [d["field"] for d in body["error"]["details"]]
    assert store.get_tenant("clinic-1") == before
    assert settings_log(runtime, clock) == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"quiet_hours": {"start": "25:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"end": "8am"}}, "quiet_hours.end"),
        ({"opening_hours": {"days": {"1": ["9:00", "17:00"]}}}, "opening_hours.days.1.0"),
    ],
)
def test_a_clock_time_not_written_hh_mm_is_refused_in_words_a_manager_reads(
    store: DynamoAppointmentStore, patch: dict[str, Any], field: str
) -> None:
    status, body, _ = settings_call("PATCH", patch, if_match='"0"')

    assert status == 422, body
    problems = {d["field"]: d["problem"] for d in body["error"]["details"]}
    assert problems[field] == "a local time written HH:MM, from 00:00 to 23:59"


def test_a_patch_that_changes_nothing_writes_nothing_and_answers_200(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    status, body, headers = settings_call(
        "PATCH", {"daily_cap": 3, "quiet_hours": {"start": "21:00"}}, if_match='"0"'
    )

    assert status == 200
    assert headers["ETag"] == '"0"'
    assert body["version"] == 0
    assert settings_log(runtime, clock) == []


def test_a_changed_reminder_offset_plans_appointments_booked_after_it_only(
    store: DynamoAppointmentStore,
) -> None:
    booking = {
        "customer": {"phone": "+14155550123", "name": "Ana López"},
        "starts_at": "2030-01-14T10:30:00-08:00",
    }
    invoke("AppointmentsFunction", appointment_event("PUT", "before-change", booking))

    status, _, _ = change({"reminder_offsets_minutes": [1440]})
    invoke("AppointmentsFunction", appointment_event("PUT", "after-change", booking))

    assert status == 200

    def kinds(appointment_id: str) -> set[str]:
        _, messages = store.get_appointment("clinic-1", appointment_id)  # type: ignore[misc]
        return {m.kind for m in messages}

    assert kinds("before-change") == {"confirmation", "reminder_48h", "reminder_2h"}
    assert kinds("after-change") == {"confirmation", "reminder_24h"}


def test_another_tenants_settings_are_its_own(store: DynamoAppointmentStore) -> None:
    change({"daily_cap": 9}, tenant="salon-1")

    _, clinic_settings, _ = settings_call("GET")
    _, salon_settings, _ = settings_call("GET", tenant="salon-1")

    assert (clinic_settings["daily_cap"], salon_settings["daily_cap"]) == (3, 9)


def test_a_changed_template_is_what_the_sender_texts_next(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client
) -> None:
    mine = "{business}: Hi {first_name}, we have you on {when}. Reply C to confirm."
    status, _, _ = change({"templates": {"en": {"confirmation": mine}}})

    book("after-change")
    result = invoke("MessageSenderFunction", sqs_event(outbound()))

    assert status == 200
    assert result == {"batchItemFailures": []}
    [text] = texts_to(twilio)
    assert text.body.startswith("Harbor Clinic: Hi Ana, we have you on Tue 15 Jan 10:30am.")


def test_a_patch_sent_as_rfc_7396s_media_type_is_taken(store: DynamoAppointmentStore) -> None:
    event = staff_event("PATCH", "/v1/settings", {"daily_cap": 2}, staff="manager-ines")
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[manager]"
    event["headers"].update({"if-match": '"0"', "content-type": "application/merge-patch+json"})

    response = invoke(STAFF, event)

    assert response["statusCode"] == 200, response_json(response)
    stored = store.get_tenant("clinic-1")
    assert stored is not None
    assert stored.daily_cap == 2
