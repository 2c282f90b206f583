"""The settings service through in-memory ports, with the real template rules: the merge
patch, every validation rule (a change that breaks it is refused, naming the field, and
writes nothing), versions and the audit entry."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from rendezvous.api.settings import version_of
from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import (
    InvalidSettings,
    PreconditionFailed,
    PreconditionRequired,
)
from rendezvous.domain.models import Appointment, Customer, MessageKind, OpeningHours, Tenant
from rendezvous.domain.staff import StaffMember
from rendezvous.domain.tenant_settings import SettingsService, changed_paths, merge_patch
from rendezvous.messages.render import render_message
from rendezvous.messages.rules import SmsTemplateRules
from tests.support.aws import at, clinic
from tests.support.memory import MemoryActivityLog, MemorySettings, MemoryStore

MANAGER = StaffMember("clinic-1", "manager-ines")
NOW = at("2030-01-10T09:00:00-08:00")


class Setup:
    def __init__(self, tenant: Tenant) -> None:
        self.store = MemoryStore()
        self.store.put_tenant(tenant)
        self.log = MemoryActivityLog()
        self.service = SettingsService(
            MemorySettings(self.store, self.log), SmsTemplateRules(), FixedClock(NOW)
        )

    def change(self, patch: dict[str, Any]) -> Tenant:
        version = self.store.tenants["clinic-1"].settings_version
        return self.service.change(MANAGER, patch, version).tenant

    def refused(self, patch: dict[str, Any]) -> dict[str, str]:
        """The problems of a refused change, by field; asserts nothing was written."""
        before, logged = self.store.tenants["clinic-1"], list(self.log.entries)
        with pytest.raises(InvalidSettings) as refusal:
            self.change(patch)
        assert self.store.tenants["clinic-1"] == before
        assert self.log.entries == logged
        problems: dict[str, str] = {}
        for detail in refusal.value.details:
            problems[detail["field"]] = " | ".join(
                filter(None, [problems.get(detail["field"]), detail["problem"]])
            )
        return problems


@pytest.fixture
def setup() -> Setup:
    return Setup(clinic())


# -- the merge patch (RFC 7396, appendix A) ------------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_changed_paths_name_each_changed_leaf_with_before_and_after() -> None:
    changes = changed_paths(
        {"cap": 3, "quiet": {"start": "21:00", "end": "08:00"}, "t": {"fr": {"r": "x"}}},
        {"cap": 3, "quiet": {"start": "20:00", "end": "08:00"}, "t": {}},
    )

    assert {p: (c.before, c.after) for p, c in changes.items()} == {
        "quiet.start": ("21:00", "20:00"),
        "t.fr.r": ("x", None),
    }


# -- templates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "{business}: {when}. Reply STOP to confirm.",
        "{business}: {when}. Text CANCEL to cancel your visit.",
        "{business}: {when}. Reply YES to confirm.",
        "{business}: {when}. Reply END when done.",
    ],
)
def test_a_template_asking_for_a_carrier_keyword_for_another_purpose_is_refused(
    setup: Setup, text: str
) -> None:
    problems = setup.refused({"templates": {"en": {"reminder": text}}})

    assert "for another purpose" in problems["templates.en.reminder"]


def test_a_template_that_says_stop_without_offering_the_opt_out_is_refused(
    setup: Setup,
) -> None:
    # Written in capitals, STOP replaces the STOP line: "STOP by" would leave a first
    # text with no way out named.
    problems = setup.refused(
        {"templates": {"en": {"confirmation": "{business}: {when}. STOP by the desk first."}}}
    )

    assert "without offering it to opt out" in problems["templates.en.confirmation"]


def test_a_template_that_offers_stop_to_opt_out_is_taken(setup: Setup) -> None:
    text = "{business}: Hi {first_name}, {when}. Reply C to confirm. Reply STOP to opt out."

    tenant = setup.change({"templates": {"en": {"confirmation": text}}})

    assert tenant.templates == {"en": {"confirmation": text}}


def test_an_unknown_placeholder_is_refused(setup: Setup) -> None:
    problems = setup.refused({"templates": {"es": {"reminder": "{business}: {when} {doctor}"}}})

    assert "unknown placeholder {doctor}" in problems["templates.es.reminder"]


def test_old_when_outside_a_moved_template_is_refused(setup: Setup) -> None:
    problems = setup.refused(
        {"templates": {"en": {"reminder": "{business}: was {old_when}, now {when}"}}}
    )

    assert "{old_when}" in problems["templates.en.reminder"]


def test_a_template_that_does_not_start_with_the_business_name_is_refused(
    setup: Setup,
) -> None:
    problems = setup.refused({"templates": {"fr": {"reminder": "Rappel: RDV {when}."}}})

    assert "start with {business}" in problems["templates.fr.reminder"]


def test_a_template_over_two_segments_in_the_worst_case_is_refused(setup: Setup) -> None:
    text = "{business}: Hi {first_name}, at {location} on {when}. " + "Please come early. " * 11
    # For "Ana Ruiz" at the clinic, already texted, it fits two segments (GSM-7, 306)...
    short = render_message(
        MessageKind.REMINDER,
        clinic(templates={"en": {"reminder": text}}),
        Appointment(
            tenant_id="clinic-1",
            appointment_id="a-1",
            customer=Customer(phone="+14155550123", name="Ana Ruiz"),
            starts_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        ),
        first_contact=False,
    )
    assert short.segments == 2

    # ...but not for a long first name at a long place, with the STOP line of a first text.
    problems = setup.refused({"templates": {"en": {"reminder": text}}})

    assert "the en reminder text takes 3 SMS segments" in problems["templates.en.reminder"]


def test_a_business_name_that_pushes_a_tenant_text_past_two_segments_is_refused() -> None:
    # The defaults are sized for one segment, so even a 60-character name leaves them at
    # two in the worst case; a tenant's own longer text is what the name can push over.
    long_name = "Centre dentaire et orthodontique du Vieux-Port, Marseille 2e"
    text = (
        "{business}: Hi {first_name}, your appointment has moved from {old_when} to {when} "
        "at {location} {details}. Reply C to confirm, R to reschedule, X to cancel. "
    )
    setup = Setup(clinic(include_service_details=True))
    setup.change({"templates": {"en": {"moved": text}}})

    problems = setup.refused({"name": long_name})

    assert "moved text takes 3 SMS segments" in problems["templates.en.moved"]


def test_the_longest_business_name_keeps_every_default_text_within_two_segments() -> None:
    setup = Setup(clinic(include_service_details=True))

    changed = setup.change({"name": "Centre dentaire et orthodontique du Vieux-Port, Marseille 2e"})

    assert len(changed.name) == 60


def test_a_template_for_an_unknown_locale_or_kind_is_refused(setup: Setup) -> None:
    problems = setup.refused(
        {
            "templates": {
                "de": {"reminder": "{business}: Termin {when}"},
            }
        }
    )
    kinds = Setup(clinic()).refused({"templates": {"en": {"thanks": "{business}: merci"}}})

    assert "locales are en, fr, es" in problems["templates.de"]
    assert "template kinds are" in kinds["templates.en.thanks"]


def test_a_blank_template_is_refused_and_null_restores_the_default(setup: Setup) -> None:
    setup.change({"templates": {"en": {"reminder": "{business}: see you {when}."}}})
    problems = setup.refused({"templates": {"en": {"reminder": "   "}}})

    restored = setup.change({"templates": {"en": {"reminder": None}}})

    assert "null removes it" in problems["templates.en.reminder"]
    assert restored.templates == {"en": {}}


# -- hours --------------------------------------------------------------------------------


def test_quiet_hours_that_leave_under_an_hour_a_day_are_refused(setup: Setup) -> None:
    problems = setup.refused({"quiet_hours": {"start": "08:30:00", "end": "08:00:00"}})

    assert "leave 30 minutes a day" in problems["quiet_hours"]


@pytest.mark.parametrize(
    ("start", "end"), [("08:00:00", "08:00:00"), ("02:00:00", "03:00:00"), ("22:00:00", "05:00:00")]
)
def test_quiet_hours_always_cover_the_night(setup: Setup, start: str, end: str) -> None:
    # Equal start and end used to mean no quiet hours at all: texts at 3 am.
    problems = setup.refused({"quiet_hours": {"start": start, "end": end}})

    assert "must cover the night, 00:00 to 06:00" in problems["quiet_hours"]


def test_quiet_hours_that_leave_no_sending_inside_opening_hours_are_refused(
    setup: Setup,
) -> None:
    # Two hours a day to send, 07:00-09:00, all of them while the clinic (9-17) is closed.
    problems = setup.refused({"quiet_hours": {"start": "09:00:00", "end": "07:00:00"}})

    assert "inside Monday's opening hours (09:00-17:00)" in problems["quiet_hours"]


def test_a_short_day_needs_only_its_own_length_outside_quiet_hours() -> None:
    setup = Setup(clinic(opening_hours=OpeningHours(days={6: (time(20, 30), time(21, 0))})))

    tenant = setup.change({"quiet_hours": {"start": "21:00:00", "end": "08:00:00"}, "daily_cap": 4})

    assert tenant.daily_cap == 4


def test_opening_hours_that_close_before_they_open_are_refused(setup: Setup) -> None:
    problems = setup.refused({"opening_hours": {"days": {"3": ["17:00:00", "09:00:00"]}}})

    assert "opens before it closes" in problems["opening_hours.days.3"]


def test_an_opening_day_can_be_added_and_closed_by_merge_patch(setup: Setup) -> None:
    tenant = setup.change({"opening_hours": {"days": {"6": ["10:00:00", "14:00:00"], "1": None}}})

    assert sorted(tenant.opening_hours.days) == [2, 3, 4, 5, 6]
    assert tenant.opening_hours.days[6] == (time(10, 0), time(14, 0))


# -- numbers and names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets", "problem"),
    [
        ([120, 120], "distinct"),
        ([2880, 1440, 240, 120], "at most 3 reminders"),
        ([10], "10 is outside 30 to 20160 minutes"),
        ([30240], "30240 is outside"),
    ],
)
def test_reminder_offsets_out_of_range_duplicated_or_too_many_are_refused(
    setup: Setup, offsets: list[int], problem: str
) -> None:
    problems = setup.refused({"reminder_offsets_minutes": offsets})

    assert problem in problems["reminder_offsets_minutes"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("daily_cap", 0),
        ("daily_cap", 21),
        ("queue_lease_minutes", 0),
        ("queue_lease_minutes", 241),
        ("response_minutes", 4),
        ("queue_retention_days", 0),
        ("fill_min_notice_minutes", 29),
        ("fill_min_notice_minutes", 10_081),
        ("fill_wave_size", 0),
        ("fill_wave_size", 51),
        ("fill_wave_interval_minutes", 4),
        ("fill_wave_interval_minutes", 1441),
        ("fill_horizon_days", 0),
        ("fill_horizon_days", 61),
        ("fill_match", "provider"),
        ("fill_enabled", "sometimes"),
        ("locale", "de"),
        ("name", None),
        ("timezone", None),
    ],
)
def test_bounds_and_required_settings_are_kept(setup: Setup, field: str, value: Any) -> None:
    assert field in setup.refused({field: value})


def test_fill_settings_have_their_defaults_and_change_by_merge_patch(setup: Setup) -> None:
    before = setup.store.tenants["clinic-1"]
    assert (
        before.fill_enabled,
        before.fill_min_notice_minutes,
        before.fill_wave_size,
        before.fill_wave_interval_minutes,
        before.fill_match,
        before.fill_horizon_days,
    ) == (True, 120, 5, 15, "service", 14)

    tenant = setup.change({"fill_wave_size": 50, "fill_match": "any", "fill_enabled": False})

    assert (tenant.fill_wave_size, tenant.fill_match, tenant.fill_enabled) == (50, "any", False)
    assert setup.change({"fill_wave_size": None}).fill_wave_size == 5


def test_a_horizon_no_longer_than_the_notice_is_refused(setup: Setup) -> None:
    problems = setup.refused({"fill_horizon_days": 1, "fill_min_notice_minutes": 1440})

    assert "further ahead than fill_min_notice_minutes" in problems["fill_horizon_days"]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "Europe", "localtime"])
def test_a_time_zone_must_be_an_iana_zone(setup: Setup, zone: str) -> None:
    assert "IANA" in setup.refused({"timezone": zone})["timezone"]


def test_a_name_on_two_lines_is_refused(setup: Setup) -> None:
    assert "one line" in setup.refused({"name": "Harbor\nClinic"})["name"]


@pytest.mark.parametrize(("field", "problem"), [("tenant_id", "read-only"), ("colour", "not a")])
def test_read_only_and_unknown_members_are_refused(setup: Setup, field: str, problem: str) -> None:
    assert problem in setup.refused({field: "x"})[field]


# -- versions, no-ops and the audit -----------------------------------------------------------


def test_a_change_is_saved_with_the_next_version_and_one_audit_entry(setup: Setup) -> None:
    tenant = setup.change({"daily_cap": 2, "quiet_hours": {"end": "07:30:00"}})

    assert (tenant.daily_cap, tenant.quiet_hours.end, tenant.settings_version) == (
        2,
        time(7, 30),
        1,
    )
    [(tenant_id, entry)] = setup.log.entries
    assert (tenant_id, entry.event, entry.actor, entry.at) == (
        "clinic-1",
        ActivityEvent.SETTINGS_CHANGED,
        "manager-ines",
        NOW,
    )
    assert entry.settings_version == 1
    assert {p: (c.before, c.after) for p, c in (entry.changes or {}).items()} == {
        "daily_cap": (3, 2),
        "quiet_hours.end": ("08:00:00", "07:30:00"),
    }


def test_a_change_that_changes_nothing_writes_nothing(setup: Setup) -> None:
    tenant = setup.change({"daily_cap": 3, "templates": {"en": None}})

    assert tenant.settings_version == 0
    assert setup.log.entries == []


def test_a_change_made_on_an_older_version_is_refused(setup: Setup) -> None:
    setup.change({"daily_cap": 2})

    with pytest.raises(PreconditionFailed):
        setup.service.change(MANAGER, {"daily_cap": 5}, 0)

    assert setup.store.tenants["clinic-1"].daily_cap == 2
    assert len(setup.log.entries) == 1


def test_a_change_overtaken_between_read_and_write_is_refused(setup: Setup) -> None:
    class Overtaken(MemorySettings):
        def save_settings(self, tenant_id: str, values: dict[str, Any], **kw: Any) -> None:
            stored = self.store.tenants[tenant_id]
            self.store.tenants[tenant_id] = stored.model_copy(update={"settings_version": 1})
            super().save_settings(tenant_id, values, **kw)

    service = SettingsService(
        Overtaken(setup.store, setup.log), SmsTemplateRules(), FixedClock(NOW)
    )

    with pytest.raises(PreconditionFailed):
        service.change(MANAGER, {"daily_cap": 5}, 0)

    assert setup.log.entries == []


def test_a_problem_the_stored_settings_already_had_does_not_block_an_unrelated_change() -> None:
    legacy = "{business}: Reply YES to confirm."  # written before settings were validated
    setup = Setup(clinic(templates={"en": {"reminder": legacy}}))

    tenant = setup.change({"daily_cap": 4})
    still = setup.refused({"templates": {"en": {"reminder": legacy + " Thanks"}}})

    assert tenant.daily_cap == 4
    assert "for another purpose" in still["templates.en.reminder"]


def test_the_view_marks_overridden_templates_and_shows_the_defaults() -> None:
    mine = "{business}: see you {when}."
    setup = Setup(clinic(templates={"en": {"reminder": mine}}))

    view = setup.service.view("clinic-1")

    assert view.effective["en"]["reminder"].text == mine
    assert view.effective["en"]["reminder"].overridden
    assert not view.effective["en"]["confirmation"].overridden
    assert view.effective["es"]["reminder"].text.startswith("{business}: Hola")


# -- If-Match ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "version"), [('"0"', 0), (' "17" ', 17)])
def test_if_match_names_a_version(header: str, version: int) -> None:
    assert version_of(header) == version


@pytest.mark.parametrize("header", [None, "", "*"])
def test_a_change_without_a_version_is_a_precondition_required(header: str | None) -> None:
    with pytest.raises(PreconditionRequired):
        version_of(header)


@pytest.mark.parametrize("header", ['W/"3"', "3", '"x"', '"1", "2"'])
def test_an_if_match_that_names_no_version_of_ours_fails(header: str) -> None:
    with pytest.raises(PreconditionFailed):
        version_of(header)
