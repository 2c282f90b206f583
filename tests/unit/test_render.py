"""render_message: the exact SMS a customer gets, and what it costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from benchmarks.segments import CASES, TENANTS, render_all
from rendezvous.domain.models import (
    Appointment,
    AppointmentStatus,
    Customer,
    MessageKind,
    Tenant,
)
from rendezvous.domain.ports import RenderedSms
from rendezvous.domain.tenant_settings import MAX_SEGMENTS
from rendezvous.messages.gsm import segment_count
from rendezvous.messages.render import format_when, render_message

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# 15:30 UTC is 10:30 in New York, 16:30 in Paris, Tuesday 24 November 2026.
STARTS_AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def make_tenant(**overrides: Any) -> Tenant:
    fields: dict[str, Any] = {
        "tenant_id": "t1",
        "name": "Smile Dental",
        "phone_number": "+15550100001",
        "timezone": "America/New_York",
        "locale": "en",
    }
    fields.update(overrides)
    return Tenant(**fields)


def make_appointment(
    *, name: str = "Ann Lee", locale: str | None = None, **overrides: Any
) -> Appointment:
    fields: dict[str, Any] = {
        "tenant_id": "t1",
        "appointment_id": "a1",
        "customer": Customer(phone="+15550109999", name=name, locale=locale),
        "starts_at": STARTS_AT,
        "location": "12 Main St",
        "provider": "Dr Jones",
        "service": "Root canal",
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(overrides)
    return Appointment(**fields)


def reminder(
    tenant: Tenant | None = None, appointment: Appointment | None = None, *, first: bool = False
) -> RenderedSms:
    return render_message(
        MessageKind.REMINDER,
        tenant or make_tenant(),
        appointment or make_appointment(),
        first_contact=first,
    )


def test_given_a_usual_reminder_when_rendered_then_body_is_exactly_the_english_default() -> None:
    sms = reminder()
    assert sms.body == (
        "Smile Dental: Hi Ann, your visit is Tue 24 Nov 10:30am, 12 Main St. "
        "Reply C to confirm, R to rebook, X to cancel."
    )
    assert (sms.encoding, sms.segments, sms.characters) == ("GSM-7", 1, len(sms.body))


# The longest dates: a two-digit day and hour, and the four-letter French month "sept".
LATE_SEPTEMBER = datetime(2026, 9, 30, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
def test_given_a_20_char_name_and_30_char_place_when_reminded_then_it_fits_one_segment(
    locale: str,
) -> None:
    appointment = make_appointment(
        name="Maximilian-Alexander Berg",
        location="Suite 450, 1234 Longwood Avenue"[:30],
        starts_at=LATE_SEPTEMBER,
    )
    sms = reminder(make_tenant(name="Northside Dental Care", locale=locale), appointment)
    assert "Maximilian-Alexander," in sms.body
    assert (sms.encoding, sms.segments) == ("GSM-7", 1)


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
def test_given_a_12_char_name_and_25_char_place_when_confirmed_first_then_it_fits_one_segment(
    locale: str,
) -> None:
    appointment = make_appointment(
        name="Christophers Lee", location="Westgate Health Centre, 3", starts_at=LATE_SEPTEMBER
    )
    sms = render_message(
        MessageKind.CONFIRMATION,
        make_tenant(name="Northside Dental", locale=locale),
        appointment,
        first_contact=True,
    )
    assert "Christophers," in sms.body
    assert "STOP" in sms.body
    assert (sms.encoding, sms.segments) == ("GSM-7", 1)


def test_given_a_first_contact_when_rendered_then_the_stop_line_ends_the_text() -> None:
    assert reminder(first=True).body.endswith(" X to cancel. STOP to opt out.")


def test_given_a_later_contact_when_rendered_then_there_is_no_stop_line() -> None:
    assert "STOP" not in reminder(first=False).body


@pytest.mark.parametrize(
    ("locale", "stop_line"),
    [("fr", " STOP pour se désabonner."), ("es", " STOP para baja.")],
)
def test_given_a_first_contact_in_another_locale_when_rendered_then_the_stop_line_is_translated(
    locale: str, stop_line: str
) -> None:
    assert reminder(make_tenant(locale=locale), first=True).body.endswith(stop_line)


def test_given_default_settings_when_rendered_then_provider_and_service_are_hidden() -> None:
    body = reminder().body
    assert "Dr Jones" not in body
    assert "Root canal" not in body
    assert "  " not in body
    assert "St." in body  # no " ." left by the empty {details}


def test_given_service_details_enabled_when_rendered_then_provider_and_service_are_shown() -> None:
    body = reminder(make_tenant(include_service_details=True)).body
    assert ", 12 Main St (Root canal, Dr Jones). Reply" in body


@pytest.mark.parametrize("name", ["Zoë🌸 Martin", "王芳", "Αλέξανδρος Παπαδόπουλος"])
def test_given_a_name_with_no_gsm7_spelling_when_rendered_then_it_is_left_out(name: str) -> None:
    sms = reminder(appointment=make_appointment(name=name))
    assert sms.body == (
        "Smile Dental: Hi, your visit is Tue 24 Nov 10:30am, 12 Main St. "
        "Reply C to confirm, R to rebook, X to cancel."
    )
    assert (sms.encoding, sms.segments) == ("GSM-7", 1)


@pytest.mark.parametrize(
    ("locale", "greeting"),
    [("fr", "Smile Dental: Bonjour, rappel:"), ("es", "Smile Dental: Hola,")],
)
def test_given_a_name_with_no_gsm7_spelling_in_another_locale_then_the_greeting_stays_tidy(
    locale: str, greeting: str
) -> None:
    sms = reminder(make_tenant(locale=locale), make_appointment(name="李 小龙"), first=True)
    assert sms.body.startswith(greeting)
    assert sms.encoding == "GSM-7"


def test_given_a_name_that_smart_encoding_can_spell_when_rendered_then_it_is_kept() -> None:
    sms = reminder(appointment=make_appointment(name="Nguyễn Văn An"))
    assert "Hi Nguyen, your visit" in sms.body
    assert sms.encoding == "GSM-7"


def test_given_a_place_with_no_gsm7_spelling_when_rendered_then_the_business_stands_in() -> None:
    sms = reminder(appointment=make_appointment(name="Ann Lee", location="東京都港区 1-2-3"))
    assert "Hi Ann, your visit is Tue 24 Nov 10:30am, Smile Dental. Reply" in sms.body
    assert (sms.encoding, sms.segments) == ("GSM-7", 1)


def test_given_a_non_gsm7_tenant_template_when_rendered_then_the_name_is_kept() -> None:
    tenant = make_tenant(
        templates={"en": {"reminder": "{business} 🦷 {first_name}: {when}. C/R/X"}}
    )
    sms = reminder(tenant, make_appointment(name="王芳"))
    assert sms.body == "Smile Dental 🦷 王芳: Tue 24 Nov 10:30am. C/R/X"
    assert sms.encoding == "UCS-2"


def test_given_a_non_gsm7_business_name_when_rendered_then_name_and_place_are_kept() -> None:
    tenant = make_tenant(name="笑顔歯科")
    sms = reminder(tenant, make_appointment(name="王芳", location="東京都港区"))
    assert sms.body.startswith("笑顔歯科: Hi 王芳, your visit is Tue 24 Nov 10:30am, 東京都港区.")
    assert sms.encoding == "UCS-2"
    assert sms.segments == segment_count(sms.body)[1] >= 2


def test_given_a_typographic_place_when_rendered_then_the_body_is_made_gsm7() -> None:
    sms = reminder(appointment=make_appointment(location="Rue de l’Église – Bât. A"))
    assert ", Rue de l'Église - Bat. A." in sms.body
    assert sms.encoding == "GSM-7"


@pytest.mark.parametrize("hostile", ["{0}", "%s", "{business}", "{{x}}", "{when}", "\\g<0>"])
def test_given_a_name_that_looks_like_template_syntax_when_rendered_then_it_appears_literally(
    hostile: str,
) -> None:
    sms = reminder(appointment=make_appointment(name=f"{hostile} Smith"))
    assert sms.body.startswith(f"Smile Dental: Hi {hostile}, your visit is Tue 24 Nov 10:30am")


def test_given_a_long_first_word_when_rendered_then_the_first_name_is_cut_to_20_chars() -> None:
    body = reminder(appointment=make_appointment(name="  Bartholomew-Maximilian  Jones ")).body
    assert "Hi Bartholomew-Maximili, your visit" in body


def test_given_an_empty_name_when_rendered_then_the_greeting_stays_tidy() -> None:
    assert reminder(appointment=make_appointment(name=" ")).body.startswith(
        "Smile Dental: Hi, your visit is"
    )


def test_given_no_location_when_rendered_then_the_business_name_stands_in() -> None:
    body = reminder(appointment=make_appointment(location=None)).body
    assert "10:30am, Smile Dental." in body


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "en",
            "Smile Dental: Hi Ann, your visit is Tue 24 Nov 10:30am, 12 Main St. "
            "Reply C to confirm, R to rebook, X to cancel.",
        ),
        (
            "fr",
            "Smile Dental: Bonjour Ann, rappel: RDV mar 24 nov 10h30, 12 Main St. "
            "Rép. C confirmer, R reporter, X annuler.",
        ),
        (
            "es",
            "Smile Dental: Hola Ann, su cita es mar 24 nov 10:30, 12 Main St. "
            "Resp. C confirmar, R cambiar, X cancelar.",
        ),
    ],
)
def test_given_each_locale_when_a_reminder_is_rendered_then_it_is_in_that_language(
    locale: str, expected: str
) -> None:
    sms = reminder(make_tenant(locale=locale))
    assert sms.body == expected
    assert sms.encoding == "GSM-7"


def test_given_a_customer_locale_when_rendered_then_it_wins_over_the_tenant_locale() -> None:
    body = reminder(make_tenant(locale="en"), make_appointment(locale="es")).body
    assert "su cita es" in body


def test_given_a_tenant_in_paris_when_rendered_then_the_time_is_shown_in_the_tenant_zone() -> None:
    body = reminder(make_tenant(timezone="Europe/Paris", locale="fr")).body
    assert "mar 24 nov 16h30" in body


def test_given_a_start_near_midnight_utc_when_rendered_then_the_local_date_is_used() -> None:
    appointment = make_appointment(starts_at=datetime(2026, 11, 25, 2, 15, tzinfo=UTC))
    assert "Tue 24 Nov 9:15pm" in reminder(appointment=appointment).body


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
@pytest.mark.parametrize("kind", list(MessageKind))
def test_given_each_kind_and_locale_when_rendered_then_the_body_has_no_leftover_placeholder(
    locale: str, kind: MessageKind
) -> None:
    sms = render_message(
        kind,
        make_tenant(locale=locale),
        make_appointment(),
        first_contact=True,
        previous_starts_at=NOW,
    )
    assert "{" not in sms.body
    assert sms.body.startswith("Smile Dental: ")
    assert sms.segments == segment_count(sms.body)[1]


def test_given_a_moved_appointment_when_rendered_then_old_and_new_times_are_shown() -> None:
    sms = render_message(
        MessageKind.MOVED,
        make_tenant(),
        make_appointment(),
        first_contact=False,
        previous_starts_at=datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
    )
    assert "moved: Tue 24 Nov 10:30am (was Mon 9:00am), 12 Main St." in sms.body


def test_given_a_moved_appointment_when_no_time_passed_then_stored_previous_is_used() -> None:
    appointment = make_appointment(previous_starts_at=datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    sms = render_message(MessageKind.MOVED, make_tenant(), appointment, first_contact=False)
    assert "moved: Tue 24 Nov 10:30am (was Mon 9:00am)" in sms.body


def test_given_a_moved_text_without_any_previous_time_then_the_confirmation_is_sent() -> None:
    sms = render_message(MessageKind.MOVED, make_tenant(), make_appointment(), first_contact=False)
    assert sms == render_message(
        MessageKind.CONFIRMATION, make_tenant(), make_appointment(), first_contact=False
    )


def test_given_a_reminder_offset_kind_when_rendered_then_the_reminder_template_is_used() -> None:
    sms = render_message("reminder_48h", make_tenant(), make_appointment(), first_contact=False)
    assert sms == reminder()


def test_given_a_tenant_override_when_rendered_then_the_tenant_text_is_used() -> None:
    tenant = make_tenant(
        templates={"en": {"reminder": "{business}: See you {when}, {first_name}! C=ok X=cancel"}}
    )
    assert reminder(tenant).body == "Smile Dental: See you Tue 24 Nov 10:30am, Ann! C=ok X=cancel"


def test_given_an_override_for_another_locale_when_rendered_then_the_default_is_used() -> None:
    tenant = make_tenant(templates={"fr": {"reminder": "{business}: A bientot {first_name}"}})
    assert reminder(tenant) == reminder()


def test_given_override_misusing_a_carrier_keyword_when_rendered_then_default_is_used() -> None:
    tenant = make_tenant(templates={"en": {"reminder": "{business}: Reply CANCEL to cancel."}})
    assert reminder(tenant) == reminder()


def test_given_override_with_own_stop_line_when_first_contact_then_it_is_not_doubled() -> None:
    tenant = make_tenant(
        templates={"en": {"reminder": "{business}: {when}. Reply C/X. Reply STOP to opt out."}}
    )
    assert reminder(tenant, first=True).body.count("STOP") == 1


# --- times as each locale writes them, and when the visit is -------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "en", "fr", "es"),
    [
        (0, 5, "12:05am", "0h05", "0:05"),
        (9, 0, "9:00am", "9h00", "9:00"),
        (12, 0, "12:00pm", "12h00", "12:00"),
        (13, 30, "1:30pm", "13h30", "13:30"),
        (23, 59, "11:59pm", "23h59", "23:59"),
    ],
)
def test_times_follow_the_locale_with_the_same_padding(
    hour: int, minute: int, en: str, fr: str, es: str
) -> None:
    moment = datetime(2026, 11, 24, hour, minute, tzinfo=UTC)
    assert format_when(moment, "UTC", "en") == f"Tue 24 Nov {en}"
    assert format_when(moment, "UTC", "fr") == f"mar 24 nov {fr}"
    assert format_when(moment, "UTC", "es") == f"mar 24 nov {es}"


def at_send(
    before: timedelta,
    locale: str = "en",
    *,
    status: AppointmentStatus = AppointmentStatus.SCHEDULED,
    phone: str = "+15550109999",
) -> str:
    appointment = make_appointment(
        locale=locale, status=status, customer=Customer(phone=phone, name="Ann", locale=locale)
    )
    return render_message(
        "reminder_24h",
        make_tenant(),
        appointment,
        first_contact=False,
        now=STARTS_AT - before,
    ).body


@pytest.mark.parametrize(
    ("locale", "in_3_days", "tomorrow", "today"),
    [
        ("en", "in 3 days, Tue 10:30am", "tomorrow at 10:30am", "today at 10:30am"),
        ("fr", "dans 3 jours, mar 10h30", "demain à 10h30", "aujourd'hui à 10h30"),
        ("es", "en 3 dias, mar 10:30", "mañana a las 10:30", "hoy a las 10:30"),
    ],
)
def test_each_reminder_says_when_the_visit_is(
    locale: str, in_3_days: str, tomorrow: str, today: str
) -> None:
    assert in_3_days in at_send(timedelta(days=3), locale)
    assert tomorrow in at_send(timedelta(days=1), locale)
    assert today in at_send(timedelta(hours=2), locale)


def test_today_and_tomorrow_are_judged_in_the_recipients_zone() -> None:
    # 10:30 in New York on Tue 24 is 16:30 in Paris; at 23:30 Paris time on Mon 23 (17:30
    # in New York), the visit is tomorrow for a Paris number, and still tomorrow in NY.
    now = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)
    body = at_send(STARTS_AT - now, phone="+33612345678")
    assert "tomorrow at 10:30am" in body
    # At 00:30 Paris time on Tue 24 (18:30 Monday in New York) it is today in Paris.
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert "today at 10:30am" in at_send(STARTS_AT - now, phone="+33612345678")
    assert "tomorrow at 10:30am" in at_send(STARTS_AT - now)


@pytest.mark.parametrize(
    ("locale", "thanks", "asks"),
    [
        ("en", "Thanks for confirming, Ann! See you tomorrow at 10:30am", "C to confirm"),
        ("fr", "Merci d'avoir confirmé, Ann! RDV demain à 10h30", "C confirmer"),
        ("es", "¡Gracias por confirmar, Ann! Su cita es mañana a las 10:30", "C confirmar"),
    ],
)
def test_a_reminder_after_a_confirmation_thanks_instead_of_asking(
    locale: str, thanks: str, asks: str
) -> None:
    confirmed = at_send(timedelta(days=1), locale, status=AppointmentStatus.CONFIRMED)
    unconfirmed = at_send(timedelta(days=1), locale)

    assert confirmed.startswith(f"Smile Dental: {thanks}")
    assert asks not in confirmed
    assert asks in unconfirmed


def test_a_long_place_gives_way_before_the_text_grows_past_two_segments() -> None:
    place = "Building " + "West " * 40
    appointment = make_appointment(location=place)
    tenant = make_tenant(include_service_details=True)

    whole = render_message(
        MessageKind.CONFIRMATION, tenant, appointment, first_contact=True, fit=False
    )
    fitted = render_message(MessageKind.CONFIRMATION, tenant, appointment, first_contact=True)

    assert whole.segments > MAX_SEGMENTS
    assert fitted.segments == 1
    assert "West" not in fitted.body
    assert "10:30am, Smile Dental (Root canal, Dr Jones)." in fitted.body


def test_details_give_way_after_the_place() -> None:
    tenant = make_tenant(include_service_details=True, name="Smile " * 9)
    appointment = make_appointment(location="West " * 30, service="Cleaning " * 20)

    fitted = render_message(MessageKind.CONFIRMATION, tenant, appointment, first_contact=True)

    assert fitted.segments <= MAX_SEGMENTS
    assert "Cleaning" not in fitted.body
    assert "West" not in fitted.body


def test_every_default_text_is_one_segment_for_the_benchmark_names_and_places() -> None:
    worst = {
        (label, locale): max(
            r.segments
            for r in render_all(
                locale, kind, first_contact=first, status=status, days_before=days_before
            )
        )
        for label, kind, first, status, days_before in CASES
        for locale in TENANTS
    }

    assert set(worst.values()) == {1}, worst
    assert {label for label, _ in worst} >= {"confirmation", "moved", "reminder_72h"}
