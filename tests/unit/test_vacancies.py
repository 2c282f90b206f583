"""The waitlist, openings, and the opening a cancellation frees, through in-memory ports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from rendezvous.api.http import RESOURCE_ID_PATTERN
from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import (
    ConcurrentModification,
    Conflict,
    InvalidFields,
    InvalidRequest,
    NotFound,
)
from rendezvous.domain.inbound import InboundService, InboundText
from rendezvous.domain.models import Customer
from rendezvous.domain.vacancies import EntryDraft, OpeningDraft, VacancyService
from rendezvous.domain.vacancy import (
    OpeningSource,
    OpeningStatus,
    WaitlistStatus,
    fill_appointment_id,
)
from rendezvous.messages.render import SmsRenderer
from tests.support.aws import at, clinic
from tests.support.memory import (
    MemoryActivityLog,
    MemoryConversations,
    MemoryOutbound,
    MemoryQueue,
    MemoryScheduler,
    MemoryStore,
    MemoryVacancies,
    RecordingStarter,
)

NOW = at("2030-01-10T09:00:00-08:00")
ANA = Customer(phone="+14155550123", name="Ana")
BEA = Customer(phone="+14155550124", name="Bea")


@dataclass
class World:
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    store: MemoryStore = field(default_factory=MemoryStore)
    starter: RecordingStarter = field(default_factory=RecordingStarter)
    log: MemoryActivityLog = field(default_factory=MemoryActivityLog)

    def __post_init__(self) -> None:
        self.store.put_tenant(clinic())
        self.vacancies = MemoryVacancies(self.store)
        self.service = VacancyService(self.vacancies, self.store, self.clock, self.starter)
        self.appointments = AppointmentService(
            self.store,
            MemoryScheduler(),
            MemoryOutbound(),
            self.clock,
            starter=self.starter,
            activity=self.log,
        )
        self.inbound = InboundService(
            self.store,
            MemoryQueue(self.store),
            self.appointments,
            self.clock,
            SmsRenderer(),
            MemoryActivityLog(),
            MemoryConversations(self.store),
        )

    def book(self, starts_at: datetime, appointment_id: str = "appt-1") -> None:
        draft = AppointmentDraft(customer=ANA, starts_at=starts_at, service="Cleaning")
        self.appointments.upsert("clinic-1", appointment_id, draft)

    def later(self, minutes: int) -> None:
        self.clock.set(self.clock.now() + timedelta(minutes=minutes))


@pytest.fixture
def world() -> World:
    return World()


# -- the opening a cancellation frees --------------------------------------------------------


def test_a_cancellation_far_enough_ahead_opens_the_slot_with_the_cancel_and_starts_it(
    world: World,
) -> None:
    world.book(NOW + timedelta(days=2))

    world.appointments.cancel("clinic-1", "appt-1", source="staff")

    [opening] = world.store.openings.values()
    assert opening.opening_id == "op-appt-1-v2"  # the cancelled version
    assert (opening.source, opening.replaces, opening.status) == (
        OpeningSource.CANCELLATION,
        "appt-1",
        OpeningStatus.OPEN,
    )
    assert (opening.starts_at, opening.service, opening.created_at) == (
        NOW + timedelta(days=2),
        "Cleaning",
        NOW,
    )
    assert world.starter.started == [opening]


def test_a_repeated_cancel_opens_nothing_twice_and_starts_it_only_if_it_never_was(
    world: World,
) -> None:
    world.book(NOW + timedelta(days=2))
    world.appointments.cancel("clinic-1", "appt-1", source="booking")
    world.later(30)

    world.appointments.cancel("clinic-1", "appt-1", source="booking")

    assert list(world.store.openings) == [("clinic-1", "op-appt-1-v2")]
    [first] = world.starter.started
    [again] = world.starter.ensured
    assert again == first  # the same opening: started again only if no wave of it ran
    assert world.log.events().count(ActivityEvent.OPENING_CREATED) == 1


@pytest.mark.parametrize(("ahead", "opens"), [(120, True), (119, False)])
def test_only_a_cancellation_at_least_the_notice_ahead_opens_the_slot(
    world: World, ahead: int, opens: bool
) -> None:
    world.book(NOW + timedelta(minutes=ahead))

    world.appointments.cancel("clinic-1", "appt-1", source="staff")

    assert bool(world.store.openings) is opens
    assert bool(world.starter.started) is opens


def test_no_opening_when_the_tenant_turned_fill_off(world: World) -> None:
    world.store.put_tenant(clinic(fill_enabled=False))
    world.book(NOW + timedelta(days=2))

    world.appointments.cancel("clinic-1", "appt-1", source="staff")

    assert world.store.openings == {}
    assert world.starter.started == []


def test_a_customers_x_opens_the_slot_through_the_same_cancel(world: World) -> None:
    world.book(NOW + timedelta(days=2))

    world.inbound.handle(InboundText("SM" + "1" * 32, ANA.phone, "+14155550100", "X"))

    assert list(world.store.openings) == [("clinic-1", "op-appt-1-v2")]
    assert [o.replaces for o in world.starter.started] == ["appt-1"]


def test_a_cancel_that_loses_a_race_writes_no_opening(world: World) -> None:
    world.book(NOW + timedelta(days=2))

    original = world.store.save_appointment
    calls: list[int] = []

    def racing(*args: object, **kwargs: object) -> None:  # every save loses
        calls.append(1)
        raise ConcurrentModification("someone else saved first")

    world.store.save_appointment = racing  # type: ignore[method-assign]
    with pytest.raises(ConcurrentModification):
        world.appointments.cancel("clinic-1", "appt-1", source="staff")
    world.store.save_appointment = original  # type: ignore[method-assign]

    assert len(calls) == 3
    assert world.store.openings == {}
    assert world.starter.started == []


# -- the waitlist ---------------------------------------------------------------------------


def test_listing_someone_then_the_same_put_again_writes_once(world: World) -> None:
    first = world.service.put_entry("clinic-1", "w-1", EntryDraft(ANA, service="Cleaning"))
    world.later(5)
    again = world.service.put_entry("clinic-1", "w-1", EntryDraft(ANA, service="Cleaning"))

    assert (first.created, again.created) == (True, False)
    assert again.value == first.value
    assert again.value.version == 1


def test_a_change_keeps_the_entrys_place_on_the_list(world: World) -> None:
    world.service.put_entry("clinic-1", "w-1", EntryDraft(ANA, service="Cleaning"))
    world.later(5)

    changed = world.service.put_entry("clinic-1", "w-1", EntryDraft(ANA, service="Whitening"))

    assert (changed.value.service, changed.value.listed_at, changed.value.version) == (
        "Whitening",
        NOW,
        2,
    )


def test_a_national_number_is_kept_in_e164(world: World) -> None:
    local = Customer(phone="(415) 555-0133", name="Cy")

    saved = world.service.put_entry("clinic-1", "w-1", EntryDraft(local))

    assert saved.value.customer.phone == "+14155550133"


@pytest.mark.parametrize(
    ("draft", "field_name"),
    [
        (EntryDraft(Customer(phone="12", name="Cy")), "customer.phone"),
        (
            EntryDraft(ANA, earliest=NOW + timedelta(days=2), latest=NOW + timedelta(days=1)),
            "latest",
        ),
        (EntryDraft(ANA, latest=NOW - timedelta(minutes=1)), "latest"),
    ],
)
def test_a_bad_entry_names_its_field_and_writes_nothing(
    world: World, draft: EntryDraft, field_name: str
) -> None:
    with pytest.raises(InvalidFields) as refusal:
        world.service.put_entry("clinic-1", "w-1", draft)

    assert [f for f, _ in refusal.value.problems] == [field_name]
    assert world.vacancies.waitlist == {}


def test_removing_is_once_and_listing_again_goes_to_the_end(world: World) -> None:
    world.service.put_entry("clinic-1", "w-1", EntryDraft(ANA))
    removed = world.service.remove_entry("clinic-1", "w-1")
    again = world.service.remove_entry("clinic-1", "w-1")
    world.later(10)

    relisted = world.service.put_entry("clinic-1", "w-1", EntryDraft(ANA))

    assert (removed.status, again.version) == (WaitlistStatus.REMOVED, removed.version)
    assert (relisted.value.status, relisted.value.listed_at) == (
        WaitlistStatus.WAITING,
        NOW + timedelta(minutes=10),
    )
    assert relisted.value.version == removed.version + 1


def test_removing_an_unknown_entry_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.service.remove_entry("clinic-1", "nobody")


def test_the_list_pages_by_status_then_time_listed(world: World) -> None:
    for n in range(5):
        world.service.put_entry("clinic-1", f"w-{n}", EntryDraft(ANA))
        world.later(1)
    world.service.remove_entry("clinic-1", "w-1")

    pages, cursor = [], None
    while True:
        page, cursor = world.service.entries("clinic-1", None, 2, cursor)
        pages.append([e.entry_id for e in page])
        if cursor is None:
            break

    assert pages == [["w-0", "w-2"], ["w-3", "w-4"], ["w-1"]]
    removed, _ = world.service.entries("clinic-1", WaitlistStatus.REMOVED, 10, None)
    assert [e.entry_id for e in removed] == ["w-1"]


def test_matching_lists_those_who_want_the_service_and_those_with_no_preference(
    world: World,
) -> None:
    wants = {"w-0": "Cleaning", "w-1": "whitening", "w-2": None, "w-3": " cleaning"}
    for entry_id, service in wants.items():
        world.service.put_entry("clinic-1", entry_id, EntryDraft(ANA, service=service))
        world.later(1)

    first, cursor = world.vacancies.waiting_for("clinic-1", "CLEANING", 2, None)
    rest, end = world.vacancies.waiting_for("clinic-1", "CLEANING", 2, cursor)

    assert [e.entry_id for e in first + rest] == ["w-0", "w-2", "w-3"]
    assert end is None


# -- openings -------------------------------------------------------------------------------


def slot(**changes: object) -> OpeningDraft:
    values: dict[str, object] = {"starts_at": NOW + timedelta(days=1), "service": "Cleaning"}
    return OpeningDraft(**{**values, **changes})  # type: ignore[arg-type]


def test_a_published_slot_is_one_opening_however_often_it_is_posted(world: World) -> None:
    first = world.service.publish("clinic-1", slot(), None)
    again = world.service.publish("clinic-1", slot(), None)

    assert (first.created, again.created) == (True, False)
    assert again.value.opening_id == first.value.opening_id
    assert first.value.opening_id.startswith("op-b-")
    assert world.starter.started == [first.value]


def test_another_slot_under_an_id_already_used_is_a_conflict(world: World) -> None:
    world.service.publish("clinic-1", slot(), "slot-9")

    with pytest.raises(Conflict):
        world.service.publish("clinic-1", slot(service="Whitening"), "slot-9")

    assert world.service.get_opening("clinic-1", "slot-9").opening.service == "Cleaning"


def test_a_slot_too_close_to_offer_is_refused_and_not_written(world: World) -> None:
    with pytest.raises(InvalidFields) as refusal:
        world.service.publish("clinic-1", slot(starts_at=NOW + timedelta(minutes=119)), None)

    assert refusal.value.problems[0][0] == "starts_at"
    assert world.store.openings == {}


def test_openings_list_by_status_and_range_soonest_first(world: World) -> None:
    for day in (3, 1, 2):
        world.service.publish("clinic-1", slot(starts_at=NOW + timedelta(days=day)), f"s-{day}")
    filled = world.store.openings[("clinic-1", "s-2")]
    world.vacancies.save_opening(
        filled.model_copy(update={"status": OpeningStatus.FILLED, "version": 2}),
        expected_version=1,
    )

    first, cursor = world.service.openings(
        "clinic-1", status=None, start=None, end=None, limit=2, cursor=None
    )
    rest, end = world.service.openings(
        "clinic-1", status=None, start=None, end=None, limit=2, cursor=cursor
    )
    still_open, _ = world.service.openings(
        "clinic-1", status=OpeningStatus.OPEN, start=None, end=None, limit=10, cursor=None
    )

    assert [o.opening_id for o in first + rest] == ["s-1", "s-2", "s-3"]
    assert end is None
    assert [o.opening_id for o in still_open] == ["s-1", "s-3"]
    with pytest.raises(InvalidRequest):
        world.service.openings(
            "clinic-1", status=OpeningStatus.OPEN, start=None, end=None, limit=2, cursor=cursor
        )


@pytest.mark.parametrize(("days", "field_name"), [(0, "to"), (32, "to")])
def test_an_openings_range_must_run_forward_at_most_a_month(
    world: World, days: int, field_name: str
) -> None:
    with pytest.raises(InvalidFields) as refusal:
        world.service.openings(
            "clinic-1",
            status=None,
            start=NOW,
            end=NOW + timedelta(days=days),
            limit=10,
            cursor=None,
        )

    assert refusal.value.problems[0][0] == field_name


@pytest.mark.parametrize("length", [59, 60, 70, 100])
def test_the_winner_s_appointment_id_is_a_valid_one_for_any_opening_id(length: int) -> None:
    opening_id = "op-" + "a" * (length - 3)
    other = opening_id[:-1] + "b"

    made = fill_appointment_id(opening_id)

    assert len(made) <= 64
    assert re.fullmatch(RESOURCE_ID_PATTERN, made)
    assert made == fill_appointment_id(opening_id)
    assert made != fill_appointment_id(other)
    if length <= 59:
        assert made == f"fill-{opening_id}"  # readable as it was
    else:
        assert made.startswith(f"fill.{opening_id[:38]}.")
