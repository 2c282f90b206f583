"""Which texts an appointment gets and when."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from rendezvous.domain.models import (
    Appointment,
    Customer,
    MessageKind,
    MessageStatus,
    QuietHours,
    Tenant,
    reminder_kind,
    reminder_lead,
)
from rendezvous.domain.planning import plan_notice, plan_reminders, still_timely

TENANT = Tenant(
    tenant_id="clinic-1",
    name="Harbor Clinic",
    phone_number="+14155550100",
    timezone="America/Los_Angeles",
    quiet_hours=QuietHours(start=time(21, 0), end=time(8, 0)),
    reminder_offsets_minutes=(2880, 120),
)


def appointment(starts_at: str) -> Appointment:
    now = datetime.fromisoformat("2030-01-10T09:00:00-08:00")
    return Appointment(
        tenant_id="clinic-1",
        appointment_id="a1",
        customer=Customer(phone="+14155550123", name="Ana"),
        starts_at=datetime.fromisoformat(starts_at),
        created_at=now,
        updated_at=now,
    )


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_reminder_kinds_name_their_offset() -> None:
    assert [reminder_kind(m) for m in (2880, 120, 90)] == [
        "reminder_48h",
        "reminder_2h",
        "reminder_90m",
    ]


def test_reminders_land_at_each_offset_before_the_start() -> None:
    now = t("2030-01-10T09:00:00-08:00")

    plan = plan_reminders(appointment("2030-01-15T10:30:00-08:00"), TENANT, now, now)

    assert [(p.kind, p.send_at) for p in plan] == [
        ("reminder_48h", t("2030-01-13T10:30:00-08:00")),
        ("reminder_2h", t("2030-01-15T08:30:00-08:00")),
    ]


def test_a_reminder_falling_in_quiet_hours_moves_to_the_evening_before() -> None:
    now = t("2030-01-10T09:00:00-08:00")

    plan = plan_reminders(appointment("2030-01-15T08:30:00-08:00"), TENANT, now, now)

    assert plan[-1].kind == "reminder_2h"
    assert plan[-1].send_at == t("2030-01-14T20:59:00-08:00")


def test_no_reminder_is_planned_in_the_past() -> None:
    now = t("2030-01-10T09:00:00-08:00")

    plan = plan_reminders(appointment("2030-01-11T12:00:00-08:00"), TENANT, now, now)

    assert [p.kind for p in plan] == ["reminder_2h"]


def test_a_reminder_within_an_hour_of_the_confirmation_is_dropped() -> None:
    now = t("2030-01-10T09:00:00-08:00")

    plan = plan_reminders(appointment("2030-01-10T11:30:00-08:00"), TENANT, now, now)

    assert plan == []


def test_a_confirmation_at_night_is_deferred_to_the_morning_with_its_reason() -> None:
    night = t("2030-01-10T23:10:00-08:00")

    notice = plan_notice(
        MessageKind.CONFIRMATION, appointment("2030-01-15T10:30:00-08:00"), TENANT, night
    )

    assert notice.status is MessageStatus.DEFERRED
    assert notice.reason == "quiet_hours"
    assert notice.send_at == t("2030-01-11T08:00:00-08:00")
    assert not notice.immediate


def test_a_confirmation_by_day_goes_now() -> None:
    now = t("2030-01-10T09:00:00-08:00")

    notice = plan_notice(
        MessageKind.CONFIRMATION, appointment("2030-01-15T10:30:00-08:00"), TENANT, now
    )

    assert (notice.status, notice.send_at, notice.immediate) == (MessageStatus.PLANNED, now, True)


# -- whether a late text still makes sense (redrive, resume, deferral) ----------------------

STARTS = datetime.fromisoformat("2030-01-15T10:30:00-08:00")


def test_a_late_confirmation_makes_sense_until_the_appointment_begins() -> None:
    assert still_timely("confirmation", STARTS, STARTS - timedelta(minutes=1))
    assert not still_timely("confirmation", STARTS, STARTS)


def test_a_late_reminder_makes_sense_until_half_its_lead_time_before_the_appointment() -> None:
    assert still_timely("reminder_48h", STARTS, STARTS - timedelta(hours=24, minutes=1))
    assert not still_timely("reminder_48h", STARTS, STARTS - timedelta(hours=24))
    assert still_timely("reminder_90m", STARTS, STARTS - timedelta(minutes=46))
    assert not still_timely("reminder_90m", STARTS, STARTS - timedelta(minutes=45))


def test_a_reminder_kind_names_its_lead_time() -> None:
    assert [reminder_lead(reminder_kind(m)) for m in (2880, 120, 90)] == [
        timedelta(hours=48),
        timedelta(hours=2),
        timedelta(minutes=90),
    ]
    assert reminder_lead("confirmation") is None


# --- the default cadence: 72 h and 24 h, between 10:00 and 18:00 -------------------------

DEFAULT = Tenant(
    tenant_id="clinic-2",
    name="Harbor Clinic",
    phone_number="+14155550100",
    timezone="America/Los_Angeles",
)
SHORT = DEFAULT.model_copy(update={"reminder_offsets_minutes": (4320, 1440, 120)})
BOOKED = t("2030-01-10T12:00:00-08:00")


def _plan(tenant: Tenant, ahead: timedelta) -> list[tuple[str, datetime]]:
    return [
        (p.kind, p.send_at)
        for p in plan_reminders(appointment((BOOKED + ahead).isoformat()), tenant, BOOKED, BOOKED)
    ]


def test_the_default_cadence_is_three_days_and_one_day_before() -> None:
    assert DEFAULT.reminder_offsets_minutes == (4320, 1440)


def test_booked_five_days_ahead_gets_both_reminders() -> None:
    assert _plan(DEFAULT, timedelta(days=5)) == [
        ("reminder_72h", t("2030-01-12T12:00:00-08:00")),
        ("reminder_24h", t("2030-01-14T12:00:00-08:00")),
    ]


def test_booked_two_days_ahead_gets_only_the_day_before_reminder() -> None:
    assert _plan(DEFAULT, timedelta(days=2)) == [("reminder_24h", t("2030-01-11T12:00:00-08:00"))]


def test_booked_twenty_hours_ahead_gets_the_confirmation_alone() -> None:
    assert _plan(DEFAULT, timedelta(hours=20)) == []
    assert _plan(SHORT, timedelta(hours=20)) == []


def test_booked_three_hours_ahead_gets_the_confirmation_alone() -> None:
    assert _plan(SHORT, timedelta(hours=3)) == []


def test_a_reminder_due_before_ten_moves_into_the_window_the_day_before() -> None:
    # Visit Tue 15 09:00: the 24 h reminder, due Mon 09:00 before the window opens, goes
    # at the last minute of the window before, Sun 13 17:59; never after the visit.
    plan = _plan(DEFAULT, t("2030-01-15T09:00:00-08:00") - BOOKED)

    assert plan == [
        ("reminder_72h", t("2030-01-11T17:59:00-08:00")),
        ("reminder_24h", t("2030-01-13T17:59:00-08:00")),
    ]


def test_a_reminder_due_after_six_moves_earlier_the_same_day() -> None:
    plan = _plan(DEFAULT, t("2030-01-15T19:30:00-08:00") - BOOKED)

    assert [at for _, at in plan] == [
        t("2030-01-12T17:59:00-08:00"),
        t("2030-01-14T17:59:00-08:00"),
    ]


def test_the_window_is_the_recipients_own_time() -> None:
    # A Paris number of a Los Angeles clinic: 12:00 in LA is 21:00 in Paris, outside the
    # window, so the reminder goes at 17:59 Paris time (08:59 in LA).
    ana = appointment("2030-01-15T12:00:00-08:00")
    paris = ana.model_copy(update={"customer": Customer(phone="+33612345678", name="Ana")})

    plan = plan_reminders(paris, DEFAULT, BOOKED, BOOKED)

    assert plan[-1].send_at == t("2030-01-14T17:59:00+01:00")


def test_the_short_reminder_keeps_to_quiet_hours_only() -> None:
    plan = _plan(SHORT, t("2030-01-15T09:00:00-08:00") - BOOKED)

    assert plan[-1] == ("reminder_2h", t("2030-01-14T20:59:00-08:00"))


def test_a_short_reminder_is_not_sent_once_the_visit_is_confirmed() -> None:
    from rendezvous.domain.models import AppointmentStatus, MessageRecord, SuppressionReason
    from rendezvous.domain.planning import late_verdict

    visit = appointment("2030-01-15T12:00:00-08:00")
    confirmed = visit.model_copy(update={"status": AppointmentStatus.CONFIRMED})

    def verdict(kind: str, of: Appointment) -> SuppressionReason | None:
        sent = of.starts_at - (reminder_lead(kind) or timedelta())
        message = MessageRecord(
            tenant_id=of.tenant_id,
            appointment_id=of.appointment_id,
            kind=kind,
            version=of.version,
            status=MessageStatus.PLANNED,
            send_at=sent,
            created_at=BOOKED,
            updated_at=BOOKED,
        )
        return late_verdict(of, message, sent, SuppressionReason.TOO_LATE)

    assert verdict("reminder_2h", confirmed) is SuppressionReason.APPOINTMENT_CONFIRMED
    assert verdict("reminder_2h", visit) is None
    # The day-ahead reminders still go: they thank a confirmed customer instead of asking.
    assert verdict("reminder_24h", confirmed) is None
