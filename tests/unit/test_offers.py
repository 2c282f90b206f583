"""Waves of offers, the texts they send through the sender, and the reply that takes an
opening: through in-memory ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.conversation import ConversationReader
from rendezvous.domain.delivery import DeliveryReport, record_delivery_report
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import EventType
from rendezvous.domain.identity import status_callback_ref
from rendezvous.domain.inbound import InboundResult, InboundService, InboundText
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    AppointmentStatus,
    Customer,
    MessageStatus,
    OfferSendRequest,
    Recipient,
    SendRequest,
)
from rendezvous.domain.offers import OfferService, TakeOutcome, WaveOutcome
from rendezvous.domain.redrive import LateTexts
from rendezvous.domain.sending import MessageSender, Outcome, SendResult
from rendezvous.domain.vacancy import (
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.messages.render import SmsRenderer
from rendezvous.phone import recipient_key
from tests.support.aws import at, clinic
from tests.support.memory import (
    MemoryActivityLog,
    MemoryConversations,
    MemoryGateway,
    MemoryOutbound,
    MemoryQueue,
    MemoryScheduler,
    MemoryStore,
)
from tests.support.offers_memory import MemoryVacancies, MemoryWaves

CLINIC_NUMBER = "+14155550100"
NOW = at("2030-01-10T09:00:00-08:00")  # a Thursday morning in Los Angeles
SLOT = at("2030-01-11T10:30:00-08:00")
OPENING = "op-visit-1-v2"


def phone(n: int) -> str:
    return f"+1415555{n:04d}"


@dataclass
class World:
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    store: MemoryStore = field(default_factory=MemoryStore)
    scheduler: MemoryScheduler = field(default_factory=MemoryScheduler)
    outbound: MemoryOutbound = field(default_factory=MemoryOutbound)
    gateway: MemoryGateway = field(default_factory=MemoryGateway)
    waves: MemoryWaves = field(default_factory=MemoryWaves)
    log: MemoryActivityLog = field(default_factory=MemoryActivityLog)

    def __post_init__(self) -> None:
        self.store.put_tenant(clinic(fill_wave_size=2))
        self.vacancies = MemoryVacancies(self.store)
        self.appointments = AppointmentService(
            self.store, self.scheduler, self.outbound, self.clock
        )
        self.offers = OfferService(
            self.store,
            self.vacancies,
            self.vacancies,
            self.waves,
            self.outbound,
            self.appointments,
            self.clock,
            activity=self.log,
        )
        self.sender = MessageSender(
            self.store,
            self.gateway,
            self.scheduler,
            self.clock,
            SmsRenderer(),
            offers=self.vacancies,
            activity=self.log,
        )
        queue = MemoryQueue(self.store)
        conversations = MemoryConversations(self.store)
        ConversationReader(conversations, queue)
        self.inbound = InboundService(
            self.store,
            queue,
            self.appointments,
            self.clock,
            SmsRenderer(),
            self.log,
            conversations,
            offers=self.offers,
        )

    def wait(self, n: int, *, service: str | None = None, minutes_ago: int = 0) -> WaitlistEntry:
        entry = WaitlistEntry(
            tenant_id="clinic-1",
            entry_id=f"e{n}",
            customer=Customer(phone=phone(n), name=f"Customer {n}"),
            service=service,
            listed_at=NOW - timedelta(days=1) + timedelta(minutes=n + minutes_ago),
        )
        self.vacancies.put_entry(entry, expected_version=None)
        return entry

    def open(self, starts_at: datetime = SLOT) -> Opening:
        opening = Opening(
            tenant_id="clinic-1",
            opening_id=OPENING,
            starts_at=starts_at,
            service=None,
            source=OpeningSource.CANCELLATION,
            replaces="visit-1",
            created_at=self.clock.now(),
        )
        assert self.vacancies.create_opening(opening)
        return opening

    def send_all(self) -> list[SendResult]:
        results = []
        while self.outbound.sent:
            results.append(self.sender.deliver(self.outbound.sent.pop(0)))
        return results

    def texts_to(self, number: str) -> list[str]:
        return [sms.body for sms in self.gateway.sent if sms.to == number]

    def reply(self, number: str, body: str, sid: str) -> InboundResult:
        return self.inbound.handle(InboundText(f"SM{sid:0>32}", number, CLINIC_NUMBER, body))

    def opening(self) -> Opening:
        detail = self.vacancies.get_opening("clinic-1", OPENING)
        assert detail is not None
        return detail.opening


@pytest.fixture
def world() -> World:
    return World()


def test_a_wave_offers_the_slot_to_the_first_listed_entries_and_plans_the_next(
    world: World,
) -> None:
    for n in (3, 1, 2):
        world.wait(n)
    world.open()

    result = world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()

    assert result.outcome is WaveOutcome.OFFERED
    assert result.offers_sent == 2
    assert world.log.events().count(ActivityEvent.OFFER_SENT) == 2
    assert world.texts_to(phone(1))
    assert world.texts_to(phone(2))
    assert not world.texts_to(phone(3))
    assert world.texts_to(phone(1))[0].startswith(
        "Harbor Clinic: a slot opened tomorrow at 10:30am. Reply Y to take it"
    )
    assert world.waves.planned[("clinic-1", OPENING, 2)] == NOW + timedelta(minutes=15)
    assert world.opening().status is OpeningStatus.OFFERED
    assert world.vacancies.entries_by_id[("clinic-1", "e1")].status is WaitlistStatus.OFFERED


def test_an_offer_text_is_one_segment_and_names_no_one(world: World) -> None:
    world.wait(1)
    world.open()

    world.offers.run_wave("clinic-1", OPENING, 1)
    [result] = world.send_all()

    assert result.outcome is Outcome.SENT
    assert result.segments == 1
    assert "Customer" not in world.texts_to(phone(1))[0]


def test_the_same_wave_run_twice_sends_nothing_twice(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()

    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    again = world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()

    assert again.outcome is WaveOutcome.REPEATED
    assert len(world.gateway.sent) == 2


def test_the_next_wave_skips_entries_offered_and_numbers_opted_out(world: World) -> None:
    for n in (1, 2, 3, 4):
        world.wait(n)
    rkey = recipient_key("clinic-1", phone(3))
    world.store.recipients[("clinic-1", rkey)] = Recipient(
        tenant_id="clinic-1", recipient_key=rkey, phone=phone(3), opted_out=True
    )
    world.open()

    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=15)
    second = world.offers.run_wave("clinic-1", OPENING, 2)
    world.send_all()

    assert second.offers_sent == 1
    assert [len(world.texts_to(phone(n))) for n in (1, 2, 3, 4)] == [1, 1, 0, 1]


def test_an_offer_text_keeps_to_quiet_hours_as_every_text_does(world: World) -> None:
    world.clock.set(at("2030-01-10T20:59:00-08:00"))
    world.wait(1)
    world.open(at("2030-01-11T15:00:00-08:00"))

    world.offers.run_wave("clinic-1", OPENING, 1)
    world.clock.advance(minutes=2)  # the sender's turn comes as quiet hours begin
    [result] = world.send_all()

    assert result.outcome is Outcome.DEFERRED
    assert result.reason == "quiet_hours"
    assert not world.gateway.sent
    [(_, request)] = world.scheduler.schedules.values()
    assert isinstance(request, OfferSendRequest)


def test_an_offer_text_is_held_while_the_tenant_is_paused(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.store.set_pause("clinic-1", paused=True, by="owner", reason="test", at=NOW)

    [result] = world.send_all()

    assert result.outcome is Outcome.DEFERRED
    assert result.reason == "tenant_paused"
    assert not world.gateway.sent


def test_y_takes_the_opening_and_books_the_winner_with_its_events(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=5)

    answered = world.reply(phone(2), "Y", "1")
    world.send_all()

    assert answered.intent is Intent.TAKE_OFFER
    assert answered.replies == []
    assert answered.take is not None
    assert answered.take.outcome is TakeOutcome.WON
    assert answered.take.time_to_fill_seconds == 300
    appointment = world.store.appointments_by_id[("clinic-1", f"fill-{OPENING}")]
    assert (appointment.starts_at, appointment.replaces) == (SLOT, "visit-1")
    assert appointment.customer.phone == phone(2)
    created = world.store.events_of(EventType.APPOINTMENT_CREATED)
    assert [e.data["replaces"] for e in created] == ["visit-1"]
    assert [e.data["entry_id"] for e in world.store.events_of(EventType.OPENING_FILLED)] == ["e2"]
    opening = world.opening()
    assert (opening.status, opening.filled_by_entry) == (OpeningStatus.FILLED, "e2")
    assert world.vacancies.entries_by_id[("clinic-1", "e2")].status is WaitlistStatus.FILLED
    assert world.texts_to(phone(2))[-1].startswith("Harbor Clinic: Customer, booked tomorrow")
    assert (
        world.store.recipients[("clinic-1", recipient_key("clinic-1", phone(2)))].waitlist_offer
        is None
    )


def test_a_later_taker_is_told_once_that_it_is_gone_and_stays_on_the_list(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.reply(phone(1), "Y", "1")

    late = world.reply(phone(2), "y", "2")
    again = world.reply(phone(2), "Y", "3")
    world.send_all()

    assert late.take is not None
    assert late.take.outcome is TakeOutcome.TAKEN
    assert again.take is None or again.take.outcome is not TakeOutcome.TAKEN
    taken = [t for t in world.texts_to(phone(2)) if "is taken. You stay on the waitlist" in t]
    assert taken == [
        "Harbor Clinic: sorry, tomorrow at 10:30am is taken. You stay on the waitlist. "
        "Questions? Reply."
    ]
    assert world.vacancies.entries_by_id[("clinic-1", "e2")].status is WaitlistStatus.WAITING
    offer = world.vacancies.offers[("clinic-1", OPENING, "e2")]
    assert offer.status is OfferStatus.LOST
    assert len(world.store.appointments_by_id) == 1


def test_y_answers_the_offer_before_a_pending_confirmation(world: World) -> None:
    world.appointments.upsert(
        "clinic-1",
        "own-visit",
        AppointmentDraft(Customer(phone=phone(1), name="Customer 1"), NOW + timedelta(days=3)),
    )
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()

    answered = world.reply(phone(1), "Y", "1")

    assert answered.intent is Intent.TAKE_OFFER
    own = world.store.appointments_by_id[("clinic-1", "own-visit")]
    assert own.status is AppointmentStatus.SCHEDULED
    assert own.confirmed_at is None


def test_a_digit_does_not_take_a_waitlist_offer_its_text_asks_for_y(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()

    answered = world.reply(phone(1), "1", "1")

    assert answered.intent is Intent.FREE_TEXT
    assert ("clinic-1", f"fill-{OPENING}") not in world.store.appointments_by_id
    assert world.vacancies.offers[("clinic-1", OPENING, "e1")].status is OfferStatus.SENT


def test_a_y_once_the_offer_would_have_expired_is_no_answer_to_it(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.set(SLOT - timedelta(minutes=119))

    answered = world.reply(phone(1), "Y", "1")

    assert answered.intent is Intent.CONFIRM  # a confirm word, with nothing to confirm
    assert answered.take is None
    assert ("clinic-1", f"fill-{OPENING}") not in world.store.appointments_by_id


def test_a_wave_too_close_to_the_slot_marks_it_expired_and_frees_its_offers(
    world: World,
) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.set(SLOT - timedelta(minutes=100))

    result = world.offers.run_wave("clinic-1", OPENING, 2)

    assert result.outcome is WaveOutcome.EXPIRED
    assert result.expired_now
    assert world.log.events().count(ActivityEvent.OPENING_EXPIRED) == 1
    assert world.opening().status is OpeningStatus.EXPIRED
    assert world.vacancies.entries_by_id[("clinic-1", "e1")].status is WaitlistStatus.WAITING
    rkey = recipient_key("clinic-1", phone(1))
    choice = world.store.recipients[("clinic-1", rkey)].waitlist_offer
    assert choice is not None
    assert choice.ended_at == SLOT - timedelta(minutes=100)
    assert not choice.is_open(SLOT - timedelta(minutes=100))


def test_an_offer_whose_opening_was_filled_before_it_went_out_is_suppressed(
    world: World,
) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    first, second = world.outbound.sent
    world.sender.deliver(first)
    world.reply(phone(1), "Y", "1")

    result = world.sender.deliver(second)

    assert result.outcome is Outcome.SUPPRESSED
    assert result.reason == "opening_filled"
    text = world.vacancies.texts[("clinic-1", OPENING, "e2", "offer")]
    assert text.status is MessageStatus.SUPPRESSED
    assert world.vacancies.offers[("clinic-1", OPENING, "e2")].message_status == "suppressed"


def test_starting_an_opening_plans_its_first_wave_a_minute_ahead(world: World) -> None:
    opening = world.open()

    world.offers.start(opening)

    # Not "now": a Scheduler at() in the current minute is already past when AWS reads it.
    assert world.waves.planned == {("clinic-1", OPENING, 1): NOW + timedelta(minutes=1)}


def test_a_wave_near_the_notice_limit_plans_the_last_one_a_minute_ahead_too(
    world: World,
) -> None:
    world.wait(1)
    world.open()
    world.clock.set(SLOT - timedelta(minutes=120, seconds=30))

    result = world.offers.run_wave("clinic-1", OPENING, 1)

    assert result.outcome is WaveOutcome.OFFERED
    assert result.next_wave_at == world.clock.now() + timedelta(minutes=1)
    assert world.waves.planned[("clinic-1", OPENING, 2)] == result.next_wave_at
    world.clock.set(result.next_wave_at)
    assert world.offers.run_wave("clinic-1", OPENING, 2).outcome is WaveOutcome.EXPIRED


def test_an_appointment_text_still_goes_through_its_own_identity(world: World) -> None:
    world.appointments.upsert(
        "clinic-1",
        "own-visit",
        AppointmentDraft(Customer(phone=phone(1), name="Customer 1"), NOW + timedelta(days=3)),
    )

    [result] = world.send_all()

    assert result.outcome is Outcome.SENT
    planned = [request for _, request in world.scheduler.schedules.values()]
    assert planned
    assert all(isinstance(request, SendRequest) for request in planned)


def test_a_status_callback_for_an_offer_text_moves_its_record_and_its_offer(
    world: World,
) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    [request] = world.outbound.sent
    world.send_all()
    text = world.vacancies.texts[("clinic-1", OPENING, "e1", "offer")]
    report = DeliveryReport(status_callback_ref(text), "SM1", "delivered", phone(1))

    first = record_delivery_report(world.store, world.clock, report, world.vacancies)
    again = record_delivery_report(world.store, world.clock, report, world.vacancies)

    assert isinstance(request, OfferSendRequest)
    assert (first.applied, again.applied) == (True, False)
    stored = world.vacancies.texts[("clinic-1", OPENING, "e1", "offer")]
    assert stored.status is MessageStatus.DELIVERED
    assert world.vacancies.offers[("clinic-1", OPENING, "e1")].message_status == "delivered"
    [event] = world.store.events_of(EventType.MESSAGE_DELIVERED)
    assert event.data == {
        "opening_id": OPENING,
        "entry_id": "e1",
        "kind": "offer",
        "message_sid": "SM1",
    }
    assert event.appointment_id is None


def test_a_wave_that_meets_a_take_mid_way_offers_nothing_and_is_retried(
    world: World,
) -> None:
    world.wait(1)
    opening = world.open()
    stale = world.vacancies.get_opening("clinic-1", OPENING)
    world.vacancies.save_opening(
        opening.model_copy(update={"version": 2}), expected_version=opening.version
    )
    world.vacancies.get_opening = lambda tenant_id, opening_id: stale  # type: ignore[method-assign]

    with pytest.raises(ConcurrentModification):
        world.offers.run_wave("clinic-1", OPENING, 1)

    assert world.outbound.sent == []


def test_a_pause_holds_the_waves_and_the_resume_sends_what_it_held_once(
    world: World,
) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.store.set_pause("clinic-1", paused=True, by="owner", reason="test", at=NOW)
    [held] = world.send_all()
    world.clock.advance(minutes=15)

    paused = world.offers.run_wave("clinic-1", OPENING, 2)
    world.store.set_pause("clinic-1", paused=False, by="owner", reason="test", at=NOW)
    late = LateTexts(world.store, world.store, world.outbound, world.clock, world.vacancies)
    released = late.release_held("clinic-1")
    [result] = world.send_all()
    world.clock.advance(minutes=15)
    # The resume is the held text's one home: the next wave hands it to nobody again.
    world.offers.run_wave("clinic-1", OPENING, 3)

    assert held.reason == "tenant_paused"
    assert paused.outcome is WaveOutcome.STOPPED
    assert ("clinic-1", OPENING, 3) in world.waves.planned
    assert released.queued == 1
    assert result.outcome is Outcome.SENT
    assert world.outbound.sent == []
    assert len(world.texts_to(phone(1))) == 1


def test_waves_that_find_nobody_look_again_less_and_less_often(world: World) -> None:
    world.open(NOW + timedelta(days=14))

    first = world.offers.run_wave("clinic-1", OPENING, 1)
    world.clock.advance(minutes=30)
    second = world.offers.run_wave("clinic-1", OPENING, 2)

    assert first.next_wave_at == NOW + timedelta(minutes=30)
    assert second.next_wave_at == NOW + timedelta(minutes=30 + 60)


def test_a_y_after_the_next_wave_closed_the_offers_is_told_once_that_it_is_gone(
    world: World,
) -> None:
    # The benchmark's late taker: offered in wave 1, someone else takes it, wave 2 runs
    # and closes the offers, then the Y comes (three times, one a webhook retry).
    world.appointments.upsert(
        "clinic-1",
        "own-visit",
        AppointmentDraft(Customer(phone=phone(2), name="Customer 2"), NOW + timedelta(days=3)),
    )
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.reply(phone(1), "Y", "1")
    world.clock.advance(minutes=15)
    assert world.offers.run_wave("clinic-1", OPENING, 2).outcome is WaveOutcome.FILLED
    assert world.vacancies.offers[("clinic-1", OPENING, "e2")].status is OfferStatus.EXPIRED
    world.clock.advance(minutes=30)

    late = world.reply(phone(2), "Y", "2")
    again = world.reply(phone(2), "y", "3")
    retried = world.reply(phone(2), "y", "3")
    world.send_all()

    assert [r.intent for r in (late, again, retried)] == [Intent.TAKE_OFFER] * 3
    assert late.take is not None
    assert late.take.outcome is TakeOutcome.TAKEN
    assert again.take is not None
    assert again.take.outcome is TakeOutcome.REPEATED
    assert retried.take is not None
    assert retried.take.outcome is TakeOutcome.REPEATED
    assert [r.replies for r in (late, again, retried)] == [[], [], []]
    taken = [t for t in world.texts_to(phone(2)) if "is taken. You stay" in t]
    assert taken == [
        "Harbor Clinic: sorry, tomorrow at 10:30am is taken. You stay on the waitlist. "
        "Questions? Reply."
    ]
    # The Y was the offer's: the number's own pending visit stays unconfirmed.
    own = world.store.appointments_by_id[("clinic-1", "own-visit")]
    assert own.confirmed_at is None
    assert world.vacancies.offers[("clinic-1", OPENING, "e2")].status is OfferStatus.LOST
    assert world.vacancies.entries_by_id[("clinic-1", "e2")].status is WaitlistStatus.WAITING
    assert len([a for a in world.store.appointments_by_id if a[1].startswith("fill-")]) == 1


def test_once_the_ended_offer_would_have_expired_y_confirms_as_usual(world: World) -> None:
    world.appointments.upsert(
        "clinic-1",
        "own-visit",
        AppointmentDraft(Customer(phone=phone(2), name="Customer 2"), NOW + timedelta(days=3)),
    )
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.reply(phone(1), "Y", "1")
    world.offers.run_wave("clinic-1", OPENING, 2)
    world.clock.set(SLOT - timedelta(minutes=120))  # the offer's own expiry

    answered = world.reply(phone(2), "Y", "2")

    assert answered.intent is Intent.CONFIRM
    assert answered.take is None
    own = world.store.appointments_by_id[("clinic-1", "own-visit")]
    assert own.confirmed_at == SLOT - timedelta(minutes=120)
    assert ("clinic-1", OPENING, "e2", "offer_taken") not in world.vacancies.texts


def test_an_ended_offer_does_not_hold_the_number_back_from_the_next_one(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.reply(phone(1), "Y", "1")
    world.offers.run_wave("clinic-1", OPENING, 2)
    rkey = recipient_key("clinic-1", phone(2))
    ended = world.store.recipients[("clinic-1", rkey)].waitlist_offer
    assert ended is not None
    assert ended.ended_at == NOW
    later = Opening(
        tenant_id="clinic-1",
        opening_id="op-later",
        starts_at=SLOT + timedelta(hours=2),
        source=OpeningSource.BOOKING,
        created_at=NOW,
    )
    assert world.vacancies.create_opening(later)

    result = world.offers.run_wave("clinic-1", "op-later", 1)

    assert result.offers_sent == 1
    choice = world.store.recipients[("clinic-1", rkey)].waitlist_offer
    assert choice is not None
    assert (choice.opening_id, choice.ended_at) == ("op-later", None)


def test_a_y_after_a_newer_appointment_text_answers_that_text_not_the_ended_offer(
    world: World,
) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.reply(phone(1), "Y", "1")
    world.offers.run_wave("clinic-1", OPENING, 2)
    world.clock.advance(hours=3)
    # The ended offer's number is booked a visit of its own: its confirmation goes out.
    world.appointments.upsert(
        "clinic-1",
        "own-visit",
        AppointmentDraft(Customer(phone=phone(2), name="Customer 2"), NOW + timedelta(days=3)),
    )
    world.send_all()

    answered = world.reply(phone(2), "Y", "2")

    assert answered.intent is Intent.CONFIRM
    assert answered.take is None
    own = world.store.appointments_by_id[("clinic-1", "own-visit")]
    assert own.confirmed_at == NOW + timedelta(hours=3)
    assert ("clinic-1", OPENING, "e2", "offer_taken") not in world.vacancies.texts
