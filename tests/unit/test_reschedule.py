"""R with free slots (CONTRACT.md, Vacancy fill): up to three fitting openings by digit, the
digit that moves the appointment (its old slot opens), the slot just taken, and everything
else for a person as before. In-memory ports; the clinic's Thursday 09:00 in Los Angeles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from rendezvous.domain.activity import ActivityEvent, opening_entry
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.events import EventType
from rendezvous.domain.inbound import InboundService, InboundText
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    Appointment,
    Customer,
    FillMatch,
    MessageKind,
    QueueIntent,
    QueueStatus,
    RescheduleOptions,
)
from rendezvous.domain.reschedule import RescheduleService
from rendezvous.domain.vacancy import (
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
)
from rendezvous.messages.render import SmsRenderer
from tests.support.aws import at, clinic
from tests.support.memory import MemoryVacancies
from tests.unit.test_services import CUSTOMER, World

VISIT = "2030-01-15T10:30:00-08:00"
OTHER = "+14155550177"


@dataclass
class Starts:
    started: list[Opening] = field(default_factory=list)
    filled_by: list[tuple[str, str]] = field(default_factory=list)

    def start(self, opening: Opening) -> None:
        self.started.append(opening)

    def filled(self, opening: Opening, by: str) -> None:
        self.filled_by.append((opening.opening_id, by))

    def ensure_started(self, opening: Opening) -> None:
        self.started.append(opening)

    def entry_waiting(self, entry: WaitlistEntry) -> None:
        pass


class RWorld(World):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.vacancies = MemoryVacancies(self.store)
        self.starts = Starts()
        self.reschedule = RescheduleService(
            self.vacancies, self.store, self.appointments, self.log, starter=self.starts
        )
        self.inbound = InboundService(
            self.store,
            self.queue,
            self.appointments,
            self.clock,
            SmsRenderer(),
            self.log,
            self.conversations,
            reschedule=self.reschedule,
        )

    def book_service(
        self, appointment_id: str = "appt-1", phone: str = CUSTOMER, service: str = "Cleaning"
    ) -> None:
        draft = AppointmentDraft(
            customer=Customer(phone=phone, name="Ana María López"),
            starts_at=datetime.fromisoformat(VISIT),
            service=service,
        )
        self.appointments.upsert("clinic-1", appointment_id, draft)
        self.send_queued()  # the confirmation went out: a move is then told as "moved"

    def opening(self, opening_id: str, starts_at: str, service: str | None = "Cleaning") -> None:
        self.vacancies.create_opening(
            Opening(
                tenant_id="clinic-1",
                opening_id=opening_id,
                starts_at=at(starts_at),
                service=service,
                source=OpeningSource.BOOKING,
                created_at=self.clock.now() - timedelta(hours=1),
            )
        )

    def appointment(self, appointment_id: str = "appt-1") -> Appointment:
        found = self.store.get_appointment("clinic-1", appointment_id)
        assert found is not None
        return found[0]

    def status_of(self, opening_id: str) -> OpeningStatus:
        return self.store.openings[("clinic-1", opening_id)].status


@pytest.fixture
def world() -> RWorld:
    return RWorld()


def _four_that_fit_and_four_that_do_not(world: RWorld) -> None:
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.opening("op-b", "2030-01-12T14:15:00-08:00")
    world.opening("op-c", "2030-01-14T10:30:00-08:00")
    world.opening("op-d", "2030-01-16T11:00:00-08:00")  # a fourth: not offered
    world.opening("op-soon", "2030-01-10T10:30:00-08:00")  # inside the 120-minute notice
    world.opening("op-far", "2030-02-10T10:30:00-08:00")  # past the 14-day horizon
    world.opening("op-other", "2030-01-11T08:00:00-08:00", service="Whitening")
    world.opening("op-same", VISIT)  # the customer's own time


def test_r_with_fitting_openings_offers_the_three_soonest_by_digit(world: RWorld) -> None:
    world.book_service()
    _four_that_fit_and_four_that_do_not(world)

    [reply] = world.text_in("R")

    assert reply == (
        "Harbor Clinic: free times: reply 1 for Fri 11 Jan 9:00am, 2 for Sat 12 Jan 2:15pm, "
        "3 for Mon 14 Jan 10:30am, or tell us what suits you."
    )
    choice = _choice(world)
    assert choice is not None
    assert choice.digits == {"1": "op-a", "2": "op-b", "3": "op-c"}
    assert choice.appointment_id == "appt-1"
    assert choice.expires_at == world.clock.now() + timedelta(hours=2)
    # A person still sees the R, with what was offered as its acknowledgement.
    [item] = world.queue.items.values()
    assert item.intent is QueueIntent.RESCHEDULE
    assert [m.body for m in world.queue.messages("clinic-1", item.item_id)] == ["R", reply]
    assert world.store.events_of(EventType.APPOINTMENT_RESCHEDULE_REQUESTED)


def test_r_without_a_fitting_opening_goes_to_a_person_as_before(world: RWorld) -> None:
    world.book_service()
    world.opening("op-other", "2030-01-11T08:00:00-08:00", service="Whitening")

    [reply] = world.text_in("R")

    assert reply.startswith("Harbor Clinic: thanks, we will find you a new time")
    assert _choice(world) is None
    [item] = world.queue.items.values()
    assert item.intent is QueueIntent.RESCHEDULE


def test_matching_any_offers_other_services_too(world: RWorld) -> None:
    world.store.put_tenant(clinic(fill_match=FillMatch.ANY))
    world.book_service()
    world.opening("op-other", "2030-01-11T08:00:00-08:00", service="Whitening")

    [reply] = world.text_in("R")

    assert "reply 1 for Fri 11 Jan 8:00am, or tell" in reply


def test_the_digit_moves_the_appointment_and_its_old_slot_opens(world: RWorld) -> None:
    world.book_service()
    _four_that_fit_and_four_that_do_not(world)
    world.text_in("R")
    world.clock.advance(minutes=5)

    replies = world.text_in("2")

    assert replies == []  # the moved text comes from the sender, under its rules
    moved = world.appointment()
    assert moved.starts_at == at("2030-01-12T14:15:00-08:00")
    assert world.status_of("op-b") is OpeningStatus.FILLED
    assert world.store.openings[("clinic-1", "op-b")].filled_appointment_id == "appt-1"
    freed = world.store.openings[("clinic-1", "op-appt-1-v1")]
    assert (freed.starts_at, freed.source, freed.replaces, freed.service) == (
        at(VISIT),
        OpeningSource.RESCHEDULE,
        "appt-1",
        "Cleaning",
    )
    assert world.starts.started == [freed]
    # The slot taken ends as a fill does: its offers close, its "Slot freed" item settles.
    assert world.starts.filled_by == [("op-b", "by rescheduling Ana María López")]
    assert [r.kind for r in world.outbound.sent] == [MessageKind.MOVED]
    [filled] = world.store.events_of(EventType.OPENING_FILLED)
    assert filled.data["appointment_id"] == "appt-1"
    assert filled.data["freed_opening_id"] == "op-appt-1-v1"
    assert _choice(world) is None
    # Nothing is left for a person: the R's conversation is resolved by automation.
    [item] = world.queue.items.values()
    assert (item.status, item.resolved_by) == (QueueStatus.RESOLVED, "automation")
    logged = [
        (e.event, e.opening_id, e.waited_minutes) for _, e in world.log.entries if e.opening_id
    ]
    assert logged == [
        (ActivityEvent.OPENING_FILLED, "op-b", 65.0),
        (ActivityEvent.OPENING_CREATED, "op-appt-1-v1", None),
    ]


def test_a_digit_for_a_slot_just_taken_offers_what_is_left(world: RWorld) -> None:
    world.book_service()
    _four_that_fit_and_four_that_do_not(world)
    world.text_in("R")
    taken = world.store.openings[("clinic-1", "op-a")]
    world.vacancies.save_opening(
        taken.model_copy(update={"status": OpeningStatus.FILLED, "version": 2}),
        expected_version=1,
    )

    [reply] = world.text_in("1")

    assert reply.startswith("Harbor Clinic: sorry, just taken. Reply 1 for Sat 12 Jan 2:15pm")
    assert world.appointment().starts_at == at(VISIT)
    choice = _choice(world)
    assert choice is not None
    assert choice.digits["1"] == "op-b"


def test_a_digit_when_nothing_is_left_says_so_and_a_person_takes_it(world: RWorld) -> None:
    world.book_service()
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.text_in("R")
    taken = world.store.openings[("clinic-1", "op-a")]
    world.vacancies.save_opening(
        taken.model_copy(update={"status": OpeningStatus.FILLED, "version": 2}),
        expected_version=1,
    )

    [reply] = world.text_in("1")

    assert reply.startswith("Harbor Clinic: sorry, just taken. A person will reply by ")
    [item] = world.queue.items.values()
    assert item.status is QueueStatus.OPEN
    assert [m.body for m in world.queue.messages("clinic-1", item.item_id)][-1] == "1"
    assert _choice(world) is None


def test_a_digit_after_the_choice_expired_is_text_for_a_person(world: RWorld) -> None:
    world.book_service()
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.text_in("R")
    world.clock.advance(hours=2)

    result = world.inbound.handle(_text("1"))

    assert result.intent is Intent.FREE_TEXT
    assert world.appointment().starts_at == at(VISIT)
    assert world.status_of("op-a") is OpeningStatus.OPEN


def test_words_while_the_choice_is_open_go_to_the_person(world: RWorld) -> None:
    world.book_service()
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.text_in("R")

    replies = world.text_in("Do you have anything on Saturday?")

    assert replies == []  # joins the R's conversation quietly
    [item] = world.queue.items.values()
    assert item.status is QueueStatus.OPEN
    assert world.appointment().starts_at == at(VISIT)


def test_two_customers_choosing_one_slot_one_moves_the_other_hears_it_is_taken(
    world: RWorld,
) -> None:
    world.book_service()
    world.book_service("appt-2", phone=OTHER)
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.opening("op-b", "2030-01-12T14:15:00-08:00")
    world.text_in("R")
    world.text_in("R", sender=OTHER)

    first = world.text_in("1")
    [second] = world.text_in("1", sender=OTHER)

    assert first == []
    assert world.appointment("appt-1").starts_at == at("2030-01-11T09:00:00-08:00")
    assert world.appointment("appt-2").starts_at == at(VISIT)
    # The slot appt-1 left and op-b fit appt-2: the soonest first, its own slot never.
    assert second.startswith("Harbor Clinic: sorry, just taken. Reply 1 for Sat 12 Jan 2:15pm")
    assert len(world.store.events_of(EventType.OPENING_FILLED)) == 1


def test_an_appointment_cancelled_meanwhile_moves_nowhere(world: RWorld) -> None:
    world.book_service()
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.text_in("R")
    world.appointments.cancel("clinic-1", "appt-1", source="staff")

    world.text_in("1")

    assert world.status_of("op-a") is OpeningStatus.OPEN
    assert not world.store.events_of(EventType.OPENING_FILLED)


def _text(body: str) -> InboundText:
    return InboundText(f"SM{'9' * 31}{body[:1].encode().hex()}", CUSTOMER, "+14155550100", body)


def _choice(world: RWorld) -> RescheduleOptions | None:
    recipient = world.store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    return recipient.reschedule_options


def test_stats_count_the_move_s_fill_and_freed_opening_from_the_log(world: RWorld) -> None:
    world.book_service()
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.text_in("R")
    world.clock.advance(minutes=30)
    world.text_in("1")  # op-a filled 90 minutes after it opened; appt-1's old slot opens
    now = world.clock.now()
    for event in [ActivityEvent.OFFER_SENT] * 2 + [ActivityEvent.OPENING_EXPIRED]:
        world.log.append("clinic-1", opening_entry(event, "op-y", now))
    world.log.append(
        "clinic-1",
        opening_entry(ActivityEvent.OPENING_FILLED, "op-x", now, waited_minutes=30.0),
    )
    # Before the period: not counted.
    for _ in range(5):
        earlier = now - timedelta(days=7, minutes=1)
        world.log.append("clinic-1", opening_entry(ActivityEvent.OPENING_CREATED, "op-z", earlier))

    fill = world.oversight.stats("clinic-1", 7).fill

    # The move's fill and the opening it freed, and what the log holds besides.
    assert (fill.openings, fill.offers_sent, fill.filled, fill.expired_unfilled) == (1, 2, 2, 1)
    assert fill.median_time_to_fill_minutes == 60.0  # the median of 90 and 30


def test_a_wave_between_reading_and_taking_the_slot_does_not_lose_it(world: RWorld) -> None:
    world.book_service()
    world.opening("op-a", "2030-01-11T09:00:00-08:00")
    world.text_in("R")
    reads = world.vacancies.get_opening

    def a_wave_goes_out_after_the_first_read(tenant_id: str, opening_id: str) -> object:
        detail = reads(tenant_id, opening_id)
        if detail is not None and detail.opening.waves_sent == 0:
            offered = detail.opening.model_copy(
                update={
                    "status": OpeningStatus.OFFERED,
                    "waves_sent": 1,
                    "version": detail.opening.version + 1,
                }
            )
            world.vacancies.save_opening(offered, expected_version=detail.opening.version)
        return detail

    world.vacancies.get_opening = a_wave_goes_out_after_the_first_read  # type: ignore[method-assign,assignment]

    assert world.text_in("1") == []
    assert world.appointment().starts_at == at("2030-01-11T09:00:00-08:00")
    assert world.status_of("op-a") is OpeningStatus.FILLED
