"""Appointment.cadence: the reminders an appointment was planned with, written whenever it
is planned (a booking, a move, a waitlist fill), so results compare cadences."""

from __future__ import annotations

from datetime import datetime, timedelta

from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.models import Appointment, Customer, MessageStatus
from rendezvous.domain.planning import PlannedMessage, cadence_of
from rendezvous.domain.vacancy import fill_appointment_id
from tests.unit import test_offers
from tests.unit.test_offers import OPENING, phone
from tests.unit.test_services import CUSTOMER, World

NOW = datetime.fromisoformat("2030-01-10T09:00:00-08:00")


def stored(world: World, appointment_id: str = "appt-1") -> Appointment:
    found = world.store.get_appointment("clinic-1", appointment_id)
    assert found is not None
    return found[0]


def book(world: World, starts_at: datetime, appointment_id: str = "appt-1") -> None:
    draft = AppointmentDraft(customer=Customer(phone=CUSTOMER, name="Ana"), starts_at=starts_at)
    world.appointments.upsert("clinic-1", appointment_id, draft)


def test_the_cadence_lists_the_planned_reminders_longest_first() -> None:
    plan = [
        PlannedMessage("confirmation", NOW, MessageStatus.PLANNED),
        PlannedMessage("reminder_2h", NOW, MessageStatus.PLANNED),
        PlannedMessage("reminder_90m", NOW, MessageStatus.PLANNED),
        PlannedMessage("reminder_48h", NOW, MessageStatus.PLANNED),
    ]

    assert cadence_of(plan) == "48h+2h+90m"
    assert cadence_of(plan[:1]) == ""


def test_a_booking_days_ahead_gets_the_tenant_cadence() -> None:
    world = World()  # the clinic reminds 48 h and 2 h ahead

    book(world, NOW + timedelta(days=5))

    assert stored(world).cadence == "48h+2h"


def test_a_booking_whose_longer_reminder_has_passed_records_what_it_gets() -> None:
    world = World()

    book(world, NOW + timedelta(hours=30))

    assert stored(world).cadence == "2h"


def test_a_booking_under_a_day_ahead_gets_no_reminders_an_empty_cadence() -> None:
    world = World()

    book(world, NOW + timedelta(hours=3))

    assert stored(world).cadence == ""


def test_the_tenant_offsets_in_force_when_it_was_planned_are_recorded() -> None:
    world = World()
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    world.store.put_tenant(tenant.model_copy(update={"reminder_offsets_minutes": (1440, 4320)}))

    book(world, NOW + timedelta(days=5))

    assert stored(world).cadence == "72h+24h"


def test_a_move_plans_again_and_records_the_new_cadence() -> None:
    world = World()
    book(world, NOW + timedelta(days=5))

    book(world, NOW + timedelta(hours=30))

    assert (stored(world).version, stored(world).cadence) == (2, "2h")


def test_a_waitlist_fill_records_its_cadence_with_the_appointment() -> None:
    world = test_offers.World()
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()

    world.reply(phone(1), "Y", "1")

    found = world.store.get_appointment("clinic-1", fill_appointment_id(OPENING))
    assert found is not None
    # The slot is 25.5 hours away: the 48-hour reminder has passed, the 2-hour one is ahead.
    assert [m.kind for m in found[1]] == ["confirmation", "reminder_2h"]
    assert found[0].cadence == "2h"
