"""The digit's move (CONTRACT.md, Vacancy fill): the opening is taken in the same write that
moves the appointment and opens its old slot, so nothing is ever half done. In-memory
ports; the world of test_reschedule.py."""

from __future__ import annotations

from datetime import timedelta
from itertools import product
from typing import Any

import pytest

from benchmarks.segments import TENANTS
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.events import EventType
from rendezvous.domain.models import Appointment, Customer, FillMatch, QueueStatus
from rendezvous.domain.ports import OpeningDetail
from rendezvous.domain.reschedule import MAX_PAGES, PAGE, fits
from rendezvous.domain.vacancy import Opening, OpeningSource, OpeningStatus, WaitlistEntry
from rendezvous.messages.gsm import segment_count
from rendezvous.messages.render import SmsRenderer
from tests.support.aws import at, clinic
from tests.unit.test_reschedule import VISIT, RWorld, _choice
from tests.unit.test_reschedule_texts import LONGEST

SOONEST = "2030-01-11T09:00:00-08:00"
NEXT = "2030-01-12T14:15:00-08:00"


@pytest.fixture
def world() -> RWorld:
    world = RWorld()
    world.book_service()
    world.opening("op-a", SOONEST)
    world.opening("op-b", NEXT)
    world.text_in("R")
    return world


def fill_by_the_waitlist(world: RWorld, opening_id: str) -> None:
    """A waitlist taker's Y fills the opening (as OfferService's fill writes it)."""
    opening = world.store.openings[("clinic-1", opening_id)]
    world.vacancies.save_opening(
        opening.model_copy(
            update={
                "status": OpeningStatus.FILLED,
                "filled_by_entry": "e1",
                "filled_appointment_id": f"fill-{opening_id}",
                "version": opening.version + 1,
            }
        ),
        expected_version=opening.version,
    )


def nothing_moved(world: RWorld) -> None:
    assert world.appointment().starts_at == at(VISIT)
    assert world.appointment().version == 1
    assert ("clinic-1", "op-appt-1-v1") not in world.store.openings  # no old slot opened
    assert not world.store.events_of(EventType.OPENING_FILLED)
    assert not world.starts.started
    # No text of a version that never was is left scheduled.
    versions = {
        getattr(request, "version", None) for _, request in world.scheduler.schedules.values()
    }
    assert versions == {1}


def test_a_failure_in_the_moves_write_leaves_the_slot_open_and_the_visit_where_it_was(
    world: RWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: Any, **__: Any) -> None:
        raise RuntimeError("DynamoDB is not answering")

    monkeypatch.setattr(world.store, "save_appointment", down)

    with pytest.raises(RuntimeError):
        world.text_in("1")

    # The take is part of the write that failed: the slot was never filled.
    assert world.status_of("op-a") is OpeningStatus.OPEN
    assert world.appointment().starts_at == at(VISIT)
    assert ("clinic-1", "op-appt-1-v1") not in world.store.openings


def test_a_slot_taken_in_the_way_of_the_moves_write_is_just_taken_and_nothing_is_written(
    world: RWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    save = world.store.save_appointment

    def the_waitlist_first(*args: Any, **kwargs: Any) -> None:
        fill_by_the_waitlist(world, "op-a")
        save(*args, **kwargs)

    monkeypatch.setattr(world.store, "save_appointment", the_waitlist_first)

    [reply] = world.text_in("1")

    assert reply.startswith("Harbor Clinic: sorry, just taken. Reply 1 for Sat 12 Jan 2:15pm")
    nothing_moved(world)
    taken = world.store.openings[("clinic-1", "op-a")]
    assert (taken.filled_by_entry, taken.filled_appointment_id) == ("e1", "fill-op-a")
    choice = _choice(world)
    assert choice is not None
    assert choice.digits == {"1": "op-b"}


def test_a_slot_taken_before_the_digit_is_read_goes_to_a_person_when_nothing_is_left(
    world: RWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_by_the_waitlist(world, "op-b")
    reads = world.vacancies.get_opening

    def taken_after_reading(tenant_id: str, opening_id: str) -> OpeningDetail | None:
        detail = reads(tenant_id, opening_id)
        fill_by_the_waitlist(world, opening_id)
        return detail

    monkeypatch.setattr(world.vacancies, "get_opening", taken_after_reading)

    [reply] = world.text_in("1")

    assert reply.startswith("Harbor Clinic: sorry, just taken. A person will")
    nothing_moved(world)
    [item] = world.queue.items.values()
    assert item.status is QueueStatus.OPEN
    assert _choice(world) is None


# -- a change by someone else between the R and the digit (R14) --------------------------

STAFF_TIME = "2030-01-17T08:00:00-08:00"


def staff_move(world: RWorld) -> None:
    """The front desk moves Ana's visit by phone, as a PUT does."""
    current = world.appointment()
    world.appointments.upsert(
        "clinic-1",
        "appt-1",
        AppointmentDraft(
            customer=current.customer, starts_at=at(STAFF_TIME), service=current.service
        ),
    )


def left_for_a_person(world: RWorld, reply: str) -> None:
    assert reply.startswith(
        "Harbor Clinic: your visit was just changed to Thu 17 Jan 8:00am. A person will reply by "
    ), reply
    assert (world.appointment().starts_at, world.appointment().version) == (at(STAFF_TIME), 2)
    assert world.status_of("op-a") is OpeningStatus.OPEN
    assert ("clinic-1", "op-appt-1-v1") not in world.store.openings
    assert ("clinic-1", "op-appt-1-v2") not in world.store.openings
    assert not world.store.events_of(EventType.OPENING_FILLED)
    assert _choice(world) is None
    [item] = world.queue.items.values()
    assert item.status is QueueStatus.OPEN
    assert [m.body for m in world.queue.messages("clinic-1", item.item_id)][-1] == "1"


def test_the_options_keep_the_version_of_the_appointment_they_were_offered_for(
    world: RWorld,
) -> None:
    choice = _choice(world)

    assert choice is not None
    assert (choice.appointment_id, choice.appointment_version) == ("appt-1", 1)


def test_a_staff_move_after_the_options_is_not_overridden_by_the_digit(world: RWorld) -> None:
    staff_move(world)

    [reply] = world.text_in("1")

    left_for_a_person(world, reply)


def test_a_staff_move_landing_before_the_digits_write_is_not_overridden(
    world: RWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    save = world.store.save_appointment
    moved: list[bool] = []

    def the_desk_first(*args: Any, **kwargs: Any) -> None:
        if not moved:
            moved.append(True)
            staff_move(world)
        save(*args, **kwargs)

    monkeypatch.setattr(world.store, "save_appointment", the_desk_first)

    [reply] = world.text_in("1")

    left_for_a_person(world, reply)


@pytest.mark.parametrize("locale", sorted(TENANTS))
def test_the_changed_answer_is_one_gsm7_segment(locale: str) -> None:
    tenant = TENANTS[locale]
    visit = Appointment(
        tenant_id=tenant.tenant_id,
        appointment_id="appt-1",
        customer=Customer(phone="+14155550123", name="Ana"),
        starts_at=LONGEST[0],
        created_at=LONGEST[0],
        updated_at=LONGEST[0],
    )

    body = SmsRenderer().reply("reschedule_changed", tenant, visit, due=LONGEST[1])

    assert segment_count(body) == ("GSM-7", 1), body


# -- options found behind many openings that do not fit (R16) ----------------------------


def whitening_every_minute(world: RWorld, count: int) -> None:
    """`count` openings of another service, a minute apart, before any that fits."""
    first = at("2030-01-11T00:00:00-08:00")
    for n in range(count):
        world.opening(f"op-w{n:04d}", (first + timedelta(minutes=n)).isoformat(), "Whitening")


def test_an_opening_that_fits_behind_many_that_do_not_is_offered() -> None:
    world = RWorld()
    world.book_service()
    whitening_every_minute(world, 150)
    world.opening("op-fit", "2030-01-13T10:00:00-08:00")

    [reply] = world.text_in("R")

    assert reply.startswith("Harbor Clinic: free times: reply 1 for Sun 13 Jan 10:00am, or")


def test_the_search_for_options_reads_a_bounded_number_of_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = RWorld()
    world.book_service()
    whitening_every_minute(world, PAGE * MAX_PAGES + 10)
    world.opening("op-fit", "2030-01-13T10:00:00-08:00")  # behind more than are read
    listings = world.vacancies.openings
    pages: list[object] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        pages.append(kwargs["status"])
        return listings(*args, **kwargs)

    monkeypatch.setattr(world.vacancies, "openings", counted)

    [reply] = world.text_in("R")

    assert reply.startswith("Harbor Clinic: thanks, we will find you a new time")
    assert pages == [OpeningStatus.OPEN] * MAX_PAGES + [OpeningStatus.OFFERED]


# -- one matching rule for R and the waitlist (R18) ---------------------------------------


@pytest.mark.parametrize("match", list(FillMatch))
def test_r_and_the_waitlist_match_an_opening_by_the_same_rule(match: FillMatch) -> None:
    tenant = clinic(fill_match=match)
    names = (None, "Cleaning", " cleaning", "Whitening")
    for service, provider, offered_service, offered_provider in product(names, repeat=4):
        opening = Opening(
            tenant_id="clinic-1",
            opening_id="op-1",
            starts_at=at(NEXT),
            service=offered_service,
            provider=offered_provider,
            source=OpeningSource.BOOKING,
            created_at=at(SOONEST),
        )
        visit = Appointment(
            tenant_id="clinic-1",
            appointment_id="appt-1",
            customer=Customer(phone="+14155550123", name="Ana"),
            starts_at=at(VISIT),
            service=service,
            provider=provider,
            created_at=at(SOONEST),
            updated_at=at(SOONEST),
        )
        entry = WaitlistEntry(
            tenant_id="clinic-1",
            entry_id="e1",
            customer=visit.customer,
            service=service,
            provider=provider,
            listed_at=at(SOONEST),
        )

        assert fits(tenant, visit, opening) is entry.suits(opening, match)
