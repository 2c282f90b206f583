"""Every domain service through in-memory ports: no moto, no HTTP, milliseconds a test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.conversation import ConversationReader
from rendezvous.domain.errors import Conflict, StaleVersion
from rendezvous.domain.inbound import InboundService, InboundText
from rendezvous.domain.models import (
    AppointmentStatus,
    Customer,
    MessageStatus,
    QueueStatus,
)
from rendezvous.domain.oversight import OversightService
from rendezvous.domain.recipients import RecipientService
from rendezvous.domain.redrive import LateTexts, mark_stuck
from rendezvous.domain.sending import MessageSender, Outcome
from rendezvous.domain.staff import QueueService, StaffMember
from rendezvous.messages.render import SmsRenderer
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

CUSTOMER = "+14155550123"
CLINIC_NUMBER = "+14155550100"


@dataclass
class World:
    """The services as runtime wires them, on in-memory ports, at a Thursday 09:00 in LA."""

    clock: FixedClock = field(default_factory=lambda: FixedClock(at("2030-01-10T09:00:00-08:00")))
    store: MemoryStore = field(default_factory=MemoryStore)
    scheduler: MemoryScheduler = field(default_factory=MemoryScheduler)
    outbound: MemoryOutbound = field(default_factory=MemoryOutbound)
    gateway: MemoryGateway = field(default_factory=MemoryGateway)
    log: MemoryActivityLog = field(default_factory=MemoryActivityLog)

    def __post_init__(self) -> None:
        self.queue = MemoryQueue(self.store)
        self.conversations = MemoryConversations(self.store)
        reader = ConversationReader(self.conversations, self.queue)
        self.store.put_tenant(clinic())
        self.appointments = AppointmentService(
            self.store, self.scheduler, self.outbound, self.clock, activity=self.log
        )
        self.sender = MessageSender(
            self.store, self.gateway, self.scheduler, self.clock, SmsRenderer()
        )
        self.inbound = InboundService(
            self.store,
            self.queue,
            AppointmentService(self.store, self.scheduler, self.outbound, self.clock),
            self.clock,
            SmsRenderer(),
            self.log,
            self.conversations,
        )
        self.staff = QueueService(
            self.store, self.queue, self.gateway, self.log, self.clock, reader
        )
        self.recipients = RecipientService(self.store, reader, self.clock)
        self.late = LateTexts(self.store, self.store, self.outbound, self.clock)
        self.oversight = OversightService(
            self.store, self.store, self.queue, self.log, self.clock, lambda: self.late
        )

    def book(
        self, appointment_id: str = "appt-1", starts_at: str = "2030-01-15T10:30:00-08:00"
    ) -> None:
        draft = AppointmentDraft(
            customer=Customer(phone=CUSTOMER, name="Ana María López"),
            starts_at=datetime.fromisoformat(starts_at),
        )
        self.appointments.upsert("clinic-1", appointment_id, draft)

    def send_queued(self) -> list[Outcome]:
        requests, self.outbound.sent = self.outbound.sent, []
        return [self.sender.deliver(r).outcome for r in requests]

    def record(self, appointment_id: str, kind: str) -> tuple[MessageStatus, str | None]:
        found = self.store.get_appointment("clinic-1", appointment_id)
        assert found is not None
        [message] = [m for m in found[1] if m.kind == kind]
        return message.status, message.reason

    def text_in(self, body: str, sender: str = CUSTOMER) -> list[str]:
        sid = f"SM{len(self.queue.threads):032d}{body[:1].encode().hex()}"
        return self.inbound.handle(InboundText(sid, sender, CLINIC_NUMBER, body)).replies


MARIA = StaffMember("clinic-1", "staff-maria")
JO = StaffMember("clinic-1", "staff-jo")


@pytest.fixture
def world() -> World:
    return World()


# -- planning ------------------------------------------------------------------------------


def test_a_booking_queues_its_confirmation_and_schedules_each_reminder(world: World) -> None:
    world.book()

    assert [r.kind for r in world.outbound.sent] == ["confirmation"]
    kinds = sorted(request.kind for _, request in world.scheduler.schedules.values())
    assert kinds == ["reminder_2h", "reminder_48h"]


def test_moving_a_booking_cancels_the_old_reminders_and_schedules_new_ones(world: World) -> None:
    world.book()
    old = set(world.scheduler.schedules)

    world.book(starts_at="2030-01-16T10:30:00-08:00")

    assert old.isdisjoint(world.scheduler.schedules)
    assert len(world.scheduler.schedules) == 2


# -- sending rules -------------------------------------------------------------------------


def test_a_confirmation_is_texted_once_with_the_stop_line(world: World) -> None:
    world.book()
    request = world.outbound.sent[0]

    first = world.sender.deliver(request)
    again = world.sender.deliver(request)

    assert (first.outcome, again.outcome) == (Outcome.SENT, Outcome.DUPLICATE)
    [sms] = world.gateway.sent
    assert (sms.to, sms.from_) == (CUSTOMER, CLINIC_NUMBER)
    assert "STOP" in sms.body


def test_an_opted_out_number_gets_nothing_automated(world: World) -> None:
    world.book()
    world.store.mark_recipient("clinic-1", CUSTOMER, now=world.clock.now(), opted_out=True)

    assert world.send_queued() == [Outcome.SUPPRESSED]
    assert world.gateway.sent == []
    assert world.record("appt-1", "confirmation") == (MessageStatus.SUPPRESSED, "opted_out")


def test_the_fourth_automated_text_of_a_day_is_held_back_by_the_cap(world: World) -> None:
    for n in range(4):
        world.book(f"appt-{n}", starts_at=f"2030-01-2{n}T10:30:00-08:00")

    outcomes = world.send_queued()

    assert outcomes.count(Outcome.SENT) == 3
    assert len(world.gateway.sent) == 3
    reasons = [world.record(f"appt-{n}", "confirmation")[1] for n in range(4)]
    assert reasons.count("frequency_cap") == 1


def test_a_reminder_due_at_night_is_deferred_to_the_morning(world: World) -> None:
    world.book()
    [(_, reminder)] = [v for v in world.scheduler.schedules.values() if v[1].kind.endswith("48h")]
    world.clock.set(at("2030-01-13T23:30:00-08:00"))

    result = world.sender.deliver(reminder)

    assert result.outcome is Outcome.DEFERRED
    assert world.record("appt-1", "reminder_48h") == (MessageStatus.DEFERRED, "quiet_hours")
    deferred = [when for name, (when, _) in world.scheduler.schedules.items() if "-d1" in name]
    assert deferred == [at("2030-01-14T08:00:00-08:00")]


def test_a_reminder_for_a_cancelled_appointment_is_not_sent(world: World) -> None:
    world.book()
    [reminder] = [r for _, r in world.scheduler.schedules.values() if r.kind == "reminder_2h"]
    world.appointments.cancel("clinic-1", "appt-1", source="booking")

    result = world.sender.deliver(reminder)

    assert result.outcome is not Outcome.SENT
    assert world.gateway.sent == []


# -- inbound intents -----------------------------------------------------------------------


def test_c_confirms_the_next_appointment_and_answers(world: World) -> None:
    world.book()

    replies = world.text_in("C")

    found = world.store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    assert found[0].status is AppointmentStatus.CONFIRMED
    assert len(replies) == 1


def test_x_cancels_the_next_appointment_and_frees_the_slot_for_staff(world: World) -> None:
    world.book()

    world.text_in("X")

    found = world.store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    assert found[0].status is AppointmentStatus.CANCELLED
    [slot] = world.queue.items.values()
    assert slot.preview.startswith("Slot freed: ")


def test_stop_opts_the_number_out(world: World) -> None:
    world.text_in("STOP")

    recipient = world.store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.opted_out


def test_a_question_opens_one_conversation_that_later_texts_join(world: World) -> None:
    world.text_in("Can I bring my dog?")
    world.text_in("He is small.")

    [item] = world.queue.items.values()
    assert item.message_count == 2
    assert item.preview == "He is small."


def test_an_unknown_number_gets_no_answer(world: World) -> None:
    result = world.inbound.handle(InboundText("SM1", CUSTOMER, "+15005550006", "hello"))

    assert (result.intent, result.replies) == (None, [])


# -- staff transitions ---------------------------------------------------------------------


def test_a_claimed_item_refuses_a_second_claimer(world: World) -> None:
    world.text_in("Can I bring my dog?")
    [item] = world.queue.items.values()

    world.staff.claim(MARIA, item.item_id)

    with pytest.raises(Conflict):
        world.staff.claim(JO, item.item_id)
    assert world.queue.items[("clinic-1", item.item_id)].claimed_by == "staff-maria"


def test_a_stale_version_is_refused(world: World) -> None:
    world.text_in("Can I bring my dog?")
    [item] = world.queue.items.values()

    with pytest.raises(StaleVersion):
        world.staff.claim(MARIA, item.item_id, expected_version=item.version + 1)


def test_a_reply_is_texted_and_resolve_lets_the_next_text_open_a_new_conversation(
    world: World,
) -> None:
    world.text_in("Can I bring my dog?")
    [item] = world.queue.items.values()
    world.staff.claim(MARIA, item.item_id)

    world.staff.reply(MARIA, item.item_id, "Yes, of course.")
    world.staff.resolve(MARIA, item.item_id)
    world.text_in("One more thing: is there parking?")

    assert [sms.body for sms in world.gateway.sent] == ["Harbor Clinic: Yes, of course."]
    statuses = sorted(i.status for i in world.queue.items.values())
    assert statuses == sorted([QueueStatus.RESOLVED, QueueStatus.OPEN])
    assert {ActivityEvent.CLAIM, ActivityEvent.RESOLVE} <= set(world.log.events())


def test_release_gives_the_item_back(world: World) -> None:
    world.text_in("Can I bring my dog?")
    [item] = world.queue.items.values()
    world.staff.claim(MARIA, item.item_id)

    released = world.staff.release(MARIA, item.item_id)

    assert (released.status, released.claimed_by) == (QueueStatus.OPEN, None)


# -- oversight, resume and redrive -----------------------------------------------------


def test_a_paused_tenant_holds_texts_and_the_resume_sends_them(world: World) -> None:
    world.oversight.pause(MARIA, "flooded")
    world.book()
    assert world.send_queued() == [Outcome.DEFERRED]
    assert world.record("appt-1", "confirmation") == (MessageStatus.DEFERRED, "tenant_paused")

    tenant, released = world.oversight.resume(MARIA, "dry again")

    assert not tenant.paused
    assert released.queued == 1
    assert world.send_queued() == [Outcome.SENT]
    assert len(world.gateway.sent) == 1


def test_stats_count_sent_texts_and_confirmations(world: World) -> None:
    world.book()
    world.send_queued()
    world.text_in("C")
    world.clock.advance(minutes=5)

    stats = world.oversight.stats("clinic-1", 1)

    assert stats.sent + stats.delivered == 1
    assert stats.confirmed == 1


def test_a_text_lost_past_its_retries_is_marked_failed_and_a_redrive_sends_it_once(
    world: World,
) -> None:
    world.book()
    lost = world.outbound.sent.pop()
    world.clock.advance(hours=3)

    marked = mark_stuck(world.store, world.store, world.clock, "clinic-1")
    released = world.oversight.redrive(MARIA)

    assert marked == 1
    assert released.queued == 1
    assert world.outbound.sent == [lost]
    assert world.send_queued() == [Outcome.SENT]
    assert world.send_queued() == []
