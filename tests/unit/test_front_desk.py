"""The front desk's appointment rules on in-memory ports: outcomes, the cancellation text,
the appointment's last text, and the day list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.delivery import DeliveryReport, record_delivery_report
from rendezvous.domain.errors import InvalidFields, NotFound
from rendezvous.domain.events import EventType
from rendezvous.domain.identity import status_callback_ref
from rendezvous.domain.last_text import last_text_order
from rendezvous.domain.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    LastText,
    MessageStatus,
)
from rendezvous.domain.sending import Outcome
from tests.support.aws import at
from tests.unit.test_services import CUSTOMER, World


@pytest.fixture
def world() -> World:
    return World()


def appointment(world: World, appointment_id: str = "appt-1") -> Appointment:
    found = world.store.get_appointment("clinic-1", appointment_id)
    assert found is not None
    return found[0]


def outcome_events(world: World) -> list[tuple[str, str]]:
    return [
        (e.data["outcome"], e.data["by"])
        for e in world.store.events_of(EventType.APPOINTMENT_OUTCOME_RECORDED)
    ]


# -- outcomes --------------------------------------------------------------------------------


def test_a_no_show_is_recorded_once_the_visit_started_with_its_event_and_audit(
    world: World,
) -> None:
    world.book()
    world.clock.set(at("2030-01-15T10:45:00-08:00"))

    view = world.appointments.record_outcome(
        "clinic-1", "appt-1", AppointmentOutcome.NO_SHOW, source="staff", by="maria@clinic"
    )

    a = view.appointment
    assert (a.outcome, a.outcome_by, a.outcome_at) == (
        AppointmentOutcome.NO_SHOW,
        "maria@clinic",
        world.clock.now(),
    )
    assert appointment(world).outcome is AppointmentOutcome.NO_SHOW
    assert outcome_events(world) == [("no_show", "staff")]
    audit = [e for _, e in world.store.audit if e.event is ActivityEvent.OUTCOME_RECORDED]
    assert [(e.actor, e.appointment_id, e.reason) for e in audit] == [
        ("maria@clinic", "appt-1", "no_show")
    ]


def test_the_same_outcome_again_changes_nothing_and_a_different_one_is_a_new_event(
    world: World,
) -> None:
    world.book()
    world.clock.set(at("2030-01-15T10:45:00-08:00"))
    record = world.appointments.record_outcome

    record("clinic-1", "appt-1", AppointmentOutcome.NO_SHOW, source="staff", by="maria")
    world.clock.advance(minutes=5)
    again = record("clinic-1", "appt-1", AppointmentOutcome.NO_SHOW, source="staff", by="jo")
    world.clock.advance(minutes=5)
    record("clinic-1", "appt-1", AppointmentOutcome.ATTENDED, source="booking", by="booking")
    world.clock.advance(minutes=5)
    record("clinic-1", "appt-1", AppointmentOutcome.NO_SHOW, source="staff", by="maria")

    assert again.appointment.outcome_by == "maria"
    assert outcome_events(world) == [
        ("no_show", "staff"),
        ("attended", "booking"),
        ("no_show", "staff"),
    ]
    ids = [e.event_id for e in world.store.events_of(EventType.APPOINTMENT_OUTCOME_RECORDED)]
    assert len(set(ids)) == 3


@pytest.mark.parametrize("outcome", [AppointmentOutcome.ATTENDED, AppointmentOutcome.NO_SHOW])
def test_attended_or_no_show_before_the_visit_is_refused_naming_outcome(
    world: World, outcome: AppointmentOutcome
) -> None:
    world.book()
    world.clock.set(at("2030-01-15T10:29:59-08:00"))

    with pytest.raises(InvalidFields) as refused:
        world.appointments.record_outcome("clinic-1", "appt-1", outcome, source="staff", by="m")

    assert [field for field, _ in refused.value.problems] == ["outcome"]
    assert appointment(world).outcome is None
    assert outcome_events(world) == []


def test_a_cancelled_appointment_takes_a_late_cancel_but_not_a_no_show(world: World) -> None:
    world.book()
    world.appointments.cancel("clinic-1", "appt-1", source="staff", by="maria")
    world.clock.set(at("2030-01-15T11:00:00-08:00"))

    with pytest.raises(InvalidFields):
        world.appointments.record_outcome(
            "clinic-1", "appt-1", AppointmentOutcome.NO_SHOW, source="staff", by="maria"
        )
    view = world.appointments.record_outcome(
        "clinic-1", "appt-1", AppointmentOutcome.LATE_CANCEL, source="staff", by="maria"
    )

    assert view.appointment.outcome is AppointmentOutcome.LATE_CANCEL
    assert view.appointment.status is AppointmentStatus.CANCELLED


def test_an_outcome_for_an_unknown_appointment_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.appointments.record_outcome(
            "clinic-1", "nope", AppointmentOutcome.LATE_CANCEL, source="staff", by="maria"
        )


# -- cancelling, with a text -----------------------------------------------------------------


def test_cancel_says_who_cancelled(world: World) -> None:
    world.book("a")
    world.book("b")

    world.appointments.cancel("clinic-1", "a", source="staff", by="maria")
    world.appointments.cancel("clinic-1", "b", source="booking", by="ehr")
    world.appointments.cancel("clinic-1", "b", source="staff", by="maria")

    assert appointment(world, "a").cancelled_by == "staff"
    assert appointment(world, "b").cancelled_by == "booking", "the cancel that won says who"


def test_a_cancel_with_notify_texts_the_customer_once_through_the_sender(world: World) -> None:
    world.book()
    world.send_queued()  # the confirmation
    world.clock.advance(hours=2)

    world.appointments.cancel("clinic-1", "appt-1", source="staff", by="maria", notify=True)
    # A repeat plans nothing new; it hands the unsent text off again, as a repeated PUT
    # does (a crash may have lost the first hand-off), and the sender drops the copy.
    world.appointments.cancel("clinic-1", "appt-1", source="staff", by="maria", notify=True)

    assert [r.kind for r in world.outbound.sent] == ["cancelled", "cancelled"]
    assert world.send_queued() == [Outcome.SENT, Outcome.DUPLICATE]
    world.appointments.cancel("clinic-1", "appt-1", source="staff", by="maria", notify=True)
    assert world.outbound.sent == [], "once sent, a repeat hands nothing off"
    assert [s.body for s in world.gateway.sent].count(world.gateway.sent[-1].body) == 1
    body = world.gateway.sent[-1].body
    assert "Ana" not in body, "no patient details in a cancellation"
    assert "cancel" in body.lower()
    assert world.record("appt-1", "cancelled") == (MessageStatus.QUEUED, None)


def test_a_cancel_without_notify_texts_nothing(world: World) -> None:
    world.book()
    world.send_queued()

    world.appointments.cancel("clinic-1", "appt-1", source="staff", by="maria")

    assert world.outbound.sent == []


def test_the_cancellation_text_keeps_the_senders_rules_opt_out_and_quiet_hours(
    world: World,
) -> None:
    world.book("a")
    world.book("b", starts_at="2030-01-16T10:30:00-08:00")
    world.send_queued()
    world.store.mark_recipient("clinic-1", CUSTOMER, now=world.clock.now(), opted_out=True)
    world.appointments.cancel("clinic-1", "a", source="staff", by="maria", notify=True)
    assert world.send_queued() == [Outcome.SUPPRESSED]

    world.store.mark_recipient("clinic-1", CUSTOMER, now=world.clock.now(), opted_out=False)
    world.clock.set(at("2030-01-10T23:00:00-08:00"))
    world.appointments.cancel("clinic-1", "b", source="staff", by="maria", notify=True)

    assert world.outbound.sent == [], "held for the morning by a schedule"
    status, reason = world.record("b", "cancelled")
    assert (status, reason) == (MessageStatus.DEFERRED, "quiet_hours")


# -- the appointment's last text -----------------------------------------------------------


def test_the_sender_and_the_status_callback_keep_the_last_text(world: World) -> None:
    world.book()
    world.send_queued()
    assert appointment(world).last_text == LastText(
        kind="confirmation", status="queued", at=world.clock.now()
    )
    found = world.store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    [confirmation] = [m for m in found[1] if m.kind == "confirmation"]
    world.clock.advance(seconds=3)

    record_delivery_report(
        world.store,
        world.clock,
        DeliveryReport(status_callback_ref(confirmation), "SM1", "undelivered", CUSTOMER, 30003),
    )

    assert appointment(world).last_text == LastText(
        kind="confirmation", status="undelivered", at=world.clock.now(), reason="twilio_30003"
    )


def test_a_late_callback_about_an_older_text_or_status_never_clobbers_a_newer_one(
    world: World,
) -> None:
    world.book()
    now = world.clock.now()
    newer = LastText(kind="reminder_48h", status="sent", at=now)
    world.store.note_last_text(
        "clinic-1",
        "appt-1",
        newer,
        order=last_text_order("reminder_48h", 1, MessageStatus.SENT, now),
    )
    later = now + timedelta(minutes=5)

    older_text = world.store.note_last_text(
        "clinic-1",
        "appt-1",
        LastText(kind="confirmation", status="delivered", at=later),
        order=last_text_order("confirmation", 1, MessageStatus.DELIVERED, later),
    )
    earlier_status = world.store.note_last_text(
        "clinic-1",
        "appt-1",
        LastText(kind="reminder_48h", status="queued", at=now - timedelta(seconds=1)),
        order=last_text_order("reminder_48h", 1, MessageStatus.QUEUED, now - timedelta(seconds=1)),
    )
    same_moment_further = world.store.note_last_text(
        "clinic-1",
        "appt-1",
        LastText(kind="reminder_48h", status="delivered", at=now),
        order=last_text_order("reminder_48h", 1, MessageStatus.DELIVERED, now),
    )

    assert (older_text, earlier_status, same_moment_further) == (False, False, True)
    assert appointment(world).last_text == LastText(kind="reminder_48h", status="delivered", at=now)


def test_an_appointment_save_keeps_the_last_text(world: World) -> None:
    world.book()
    world.send_queued()
    kept = appointment(world).last_text

    world.book(starts_at="2030-01-16T10:30:00-08:00")  # a move: a new version is saved
    world.appointments.cancel("clinic-1", "appt-1", source="staff", by="maria")

    assert kept is not None
    assert appointment(world).last_text == kept


# -- the day list ----------------------------------------------------------------------------


def test_the_list_takes_a_range_of_at_most_31_days_from_before_to(world: World) -> None:
    start = at("2030-01-15T00:00:00-08:00")
    between = world.appointments.between

    with pytest.raises(InvalidFields) as backwards:
        between("clinic-1", start, start, limit=10)
    with pytest.raises(InvalidFields) as too_long:
        between("clinic-1", start, start + timedelta(days=31, seconds=1), limit=10)
    with pytest.raises(InvalidFields) as foreign:
        between(
            "clinic-1",
            start,
            start + timedelta(days=1),
            limit=10,
            after=(start - timedelta(days=3), "x"),
        )

    assert [p[0][0] for p in (backwards.value.problems, too_long.value.problems)] == ["to", "to"]
    assert foreign.value.problems[0][0] == "cursor"
    assert between("clinic-1", start, start + timedelta(days=31), limit=10).appointments == []


def test_the_list_pages_soonest_first_with_flags_of_the_number(world: World) -> None:
    for n in range(5):
        world.book(f"appt-{n}", starts_at=f"2030-01-15T1{n}:00:00-08:00")
    world.appointments.cancel("clinic-1", "appt-2", source="staff", by="maria")
    world.store.mark_recipient("clinic-1", CUSTOMER, now=world.clock.now(), opted_out=True)
    start, end = at("2030-01-15T00:00:00-08:00"), at("2030-01-16T00:00:00-08:00")

    first = world.appointments.between("clinic-1", start, end, limit=3)
    assert first.next_after is not None
    second = world.appointments.between("clinic-1", start, end, limit=3, after=first.next_after)

    listed = [e.appointment.appointment_id for e in first.appointments + second.appointments]
    assert listed == [f"appt-{n}" for n in range(5)]
    assert second.next_after is None
    assert first.appointments[2].appointment.status is AppointmentStatus.CANCELLED
    assert all(e.opted_out and not e.undeliverable for e in first.appointments)
