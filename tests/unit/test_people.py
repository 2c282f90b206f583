"""People and their texts, through in-memory ports: staff opt a number out or in on the
customer's spoken wish, and a conversation shows every text both ways, once, in order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.conversation import assemble
from rendezvous.domain.errors import InvalidFields
from rendezvous.domain.events import EventType
from rendezvous.domain.inbound import InboundText
from rendezvous.domain.keywords import keyword_of
from rendezvous.domain.models import (
    AppointmentStatus,
    ConversationMessage,
    MessageStatus,
    TextKind,
)
from rendezvous.domain.ports import AppointmentHistory
from rendezvous.domain.sending import Outcome
from tests.support.aws import at
from tests.unit.test_services import CLINIC_NUMBER, CUSTOMER, MARIA, World


@pytest.fixture
def world() -> World:
    return World()


def text(world: World, sid: str, body: str) -> list[str]:
    return world.inbound.handle(InboundText(sid, CUSTOMER, CLINIC_NUMBER, body)).replies


# -- staff opt a number out or in ----------------------------------------------------------


def test_a_staff_opt_out_is_recorded_once_with_its_event_and_audit_entry(world: World) -> None:
    first = world.recipients.opt(MARIA, CUSTOMER, opted_out=True, reason="called the desk")
    world.clock.advance(minutes=1)
    again = world.recipients.opt(MARIA, CUSTOMER, opted_out=True, reason=None)

    assert (first.opted_out, first.changed, first.carrier_block) == (True, True, False)
    assert (again.opted_out, again.changed) == (True, False)
    [event] = world.store.events_of(EventType.RECIPIENT_OPTED_OUT)
    assert event.data == {"phone": CUSTOMER, "source": "staff", "by": "staff"}
    [(tenant, entry)] = world.store.audit
    assert (tenant, entry.event, entry.actor) == (
        "clinic-1",
        ActivityEvent.OPTED_OUT_BY_STAFF,
        "staff-maria",
    )
    assert entry.reason == "on the customer's request by phone: called the desk"
    recipient = world.store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.opted_out_by == "staff"


def test_a_staff_opt_out_stops_pending_automated_texts_as_stop_does(world: World) -> None:
    world.book()
    world.recipients.opt(MARIA, CUSTOMER, opted_out=True, reason=None)

    assert world.send_queued() == [Outcome.SUPPRESSED]
    assert world.gateway.sent == []
    assert world.record("appt-1", "confirmation") == (MessageStatus.SUPPRESSED, "opted_out")


def test_a_staff_opt_in_after_the_customers_stop_says_the_carrier_still_blocks(
    world: World,
) -> None:
    text(world, "SM-stop", "STOP")

    change = world.recipients.opt(MARIA, CUSTOMER, opted_out=False, reason=None)

    assert (change.opted_out, change.changed, change.carrier_block) == (False, True, True)
    [event] = world.store.events_of(EventType.RECIPIENT_OPTED_IN)
    assert event.data["by"] == "staff"
    assert world.store.audit[0][1].event is ActivityEvent.OPTED_IN_BY_STAFF


def test_the_customers_own_start_lifts_the_carrier_block(world: World) -> None:
    text(world, "SM-stop", "STOP")
    text(world, "SM-start", "START")

    change = world.recipients.opt(MARIA, CUSTOMER, opted_out=True, reason=None)

    assert (change.changed, change.carrier_block) == (True, False)


def test_a_stop_after_a_staff_opt_out_still_sets_the_carrier_block(world: World) -> None:
    world.recipients.opt(MARIA, CUSTOMER, opted_out=True, reason=None)
    text(world, "SM-stop", "STOP")

    change = world.recipients.opt(MARIA, CUSTOMER, opted_out=False, reason=None)

    assert (change.changed, change.carrier_block) == (True, True)


def test_a_start_after_a_staff_opt_in_still_lifts_the_carrier_block(world: World) -> None:
    text(world, "SM-stop", "STOP")
    world.recipients.opt(MARIA, CUSTOMER, opted_out=False, reason=None)
    text(world, "SM-start", "START")

    change = world.recipients.opt(MARIA, CUSTOMER, opted_out=False, reason=None)

    assert (change.changed, change.carrier_block) == (False, False)


def test_a_staff_opt_out_sets_no_carrier_block(world: World) -> None:
    world.recipients.opt(MARIA, CUSTOMER, opted_out=True, reason=None)

    change = world.recipients.opt(MARIA, CUSTOMER, opted_out=False, reason=None)

    assert (change.opted_out, change.changed, change.carrier_block) == (False, True, False)


def test_opting_in_a_number_never_opted_out_changes_nothing(world: World) -> None:
    change = world.recipients.opt(MARIA, CUSTOMER, opted_out=False, reason=None)

    assert (change.opted_out, change.changed) == (False, False)
    assert world.store.outbox == []
    assert world.store.audit == []


def test_national_digits_are_read_in_the_country_of_the_tenants_number(world: World) -> None:
    change = world.recipients.opt(MARIA, "(415) 555-0123", opted_out=True, reason=None)

    assert change.phone == CUSTOMER


@pytest.mark.parametrize("phone", ["12", "+1", "not a number", "+999999999999999"])
def test_a_bad_number_names_the_phone_and_records_nothing(world: World, phone: str) -> None:
    with pytest.raises(InvalidFields) as raised:
        world.recipients.opt(MARIA, phone, opted_out=True, reason=None)

    assert raised.value.problems[0][0] == "phone"
    assert world.store.recipients == {}
    assert world.store.outbox == []


# -- every text both ways ------------------------------------------------------------------


def test_keyword_replies_and_their_answers_are_kept_under_the_number(world: World) -> None:
    world.book()
    world.send_queued()
    world.clock.advance(minutes=5)

    replies = text(world, "SM-c", "C")

    profile = world.recipients.profile("clinic-1", CUSTOMER)
    shown = [(m.kind, m.keyword or m.message_kind, m.body) for m in profile.messages]
    assert shown[0][:2] == (TextKind.AUTOMATED, "confirmation")
    assert shown[1:] == [(TextKind.KEYWORD, "C", "C"), (TextKind.AUTO_REPLY, None, replies[0])]
    assert profile.messages[0].status == "queued"


def test_a_retried_webhook_keeps_its_text_once(world: World) -> None:
    text(world, "SM-q", "Is there parking?")

    kept = world.conversations.record_texts(
        "clinic-1",
        world.store.get_recipient("clinic-1", CUSTOMER).recipient_key,  # type: ignore[union-attr]
        "SM-q",
        [
            ConversationMessage(
                item_id="", at=world.clock.now(), direction="inbound", body="x", author="customer"
            )
        ],
        90,
    )

    assert kept is False
    assert [m.body for m in world.recipients.profile("clinic-1", CUSTOMER).messages][:1] == [
        "Is there parking?"
    ]


def test_a_queue_item_shows_the_question_its_acknowledgement_and_the_staff_answer_once(
    world: World,
) -> None:
    world.book()
    world.send_queued()
    world.clock.advance(minutes=5)
    text(world, "SM-q", "Can I bring my dog?")
    [item] = world.queue.items.values()
    world.staff.claim(MARIA, item.item_id)
    world.clock.advance(minutes=1)
    world.staff.reply(MARIA, item.item_id, "Yes, of course.")

    detail = world.staff.detail("clinic-1", item.item_id)

    kinds = [m.kind for m in detail.messages]
    assert kinds == [TextKind.AUTOMATED, TextKind.TEXT, TextKind.AUTO_REPLY, TextKind.STAFF]
    assert detail.messages[1].sid == "SM-q"
    assert detail.messages[3].author == "staff-maria"
    assert detail.item.customer_name == "Ana María López"


def test_a_text_to_a_closed_item_is_shown_with_the_item_that_holds_it(world: World) -> None:
    text(world, "SM-q", "Can I bring my dog?")
    [item] = world.queue.items.values()
    world.staff.claim(MARIA, item.item_id)
    world.staff.reply(MARIA, item.item_id, "Yes, of course.")
    world.staff.resolve(MARIA, item.item_id)
    world.clock.advance(minutes=1)
    text(world, "SM-t", "thanks")

    profile = world.recipients.profile("clinic-1", CUSTOMER)

    assert [m.body for m in profile.messages][-2:] == ["Harbor Clinic: Yes, of course.", "thanks"]


def test_a_new_item_and_the_history_show_the_answers_of_the_numbers_earlier_items(
    world: World,
) -> None:
    # Three questions days apart, each its own item, each answered and closed but the last.
    for day, question in enumerate(("Can I bring my dog?", "Is there parking?", "Card ok?")):
        text(world, f"SM-{day}", question)
        item = next(i for i in world.queue.items.values() if i.status.value == "open")
        world.staff.claim(MARIA, item.item_id)
        world.staff.reply(MARIA, item.item_id, f"Answer {day}")
        if day < 2:
            world.staff.resolve(MARIA, item.item_id)
        world.clock.advance(minutes=60 * 24)

    detail = world.staff.detail("clinic-1", item.item_id)
    profile = world.recipients.profile("clinic-1", CUSTOMER)

    # Every text both ways with the number: a person's earlier answers too, not only the
    # customer's earlier questions (which would then read as never answered).
    answers = ["Harbor Clinic: Answer 0", "Harbor Clinic: Answer 1", "Harbor Clinic: Answer 2"]
    assert [m.body for m in detail.messages if m.kind is TextKind.STAFF] == answers
    assert [m.body for m in profile.messages if m.kind is TextKind.STAFF] == answers


def test_assembly_keeps_the_newest_hundred_oldest_first_each_once() -> None:
    start = at("2030-01-10T09:00:00-08:00")
    kept = [
        ConversationMessage(
            item_id="i",
            at=start + timedelta(minutes=n),
            direction="inbound",
            body=f"t{n}",
            author="customer",
            sid=f"SM{n}",
            kind=TextKind.TEXT,
        )
        for n in range(120)
    ]
    ack = ConversationMessage(
        item_id="i",
        at=kept[-1].at,
        direction="outbound",
        body="ack",
        author="automation",
        kind=TextKind.AUTO_REPLY,
    )
    thread = [
        kept[-1].model_copy(update={"kind": None}),
        ack.model_copy(update={"kind": None}),
        ConversationMessage(
            item_id="i",
            at=kept[-1].at + timedelta(seconds=1),
            direction="outbound",
            body="A person",
            author="staff-maria",
        ),
    ]

    merged = assemble([*kept, ack], thread, [])

    assert len(merged) == 100
    assert [m.body for m in merged][-4:] == ["t118", "t119", "ack", "A person"]
    assert merged[-1].kind is TextKind.STAFF
    assert [m.at for m in merged] == sorted(m.at for m in merged)


def test_assembly_shows_automated_texts_that_left_and_hides_planned_or_suppressed(
    world: World,
) -> None:
    world.book()
    world.send_queued()
    found = world.store.get_appointment("clinic-1", "appt-1")
    assert found is not None

    merged = assemble([], [], [AppointmentHistory(*found)])

    assert [(m.message_kind, m.status) for m in merged] == [("confirmation", "queued")]


# -- a number's profile --------------------------------------------------------------------


def test_an_unknown_number_has_an_empty_history(world: World) -> None:
    profile = world.recipients.profile("clinic-1", "+14155550999")

    assert (profile.opted_out, profile.undeliverable, profile.name) == (False, False, None)
    assert profile.appointments == []
    assert profile.messages == []


def test_a_profile_lists_the_next_then_the_last_appointments_and_who_opted_out(
    world: World,
) -> None:
    world.book("past", "2030-01-11T10:30:00-08:00")
    world.clock.advance(days=2)
    world.book("next", "2030-01-15T10:30:00-08:00")
    world.book("later", "2030-01-20T10:30:00-08:00")
    text(world, "SM-stop", "STOP")

    profile = world.recipients.profile("clinic-1", CUSTOMER)

    assert [a.appointment_id for a in profile.appointments] == ["next", "later", "past"]
    assert (profile.name, profile.opted_out, profile.opted_out_by) == (
        "Ana María López",
        True,
        "customer",
    )


def test_a_queue_page_carries_the_linked_appointments_as_they_are_now(world: World) -> None:
    world.book()
    text(world, "SM-q", "Can I bring my dog?")
    world.clock.advance(minutes=3)
    world.appointments.cancel("clinic-1", "appt-1", source="staff")

    page = world.staff.page(
        "clinic-1", world.queue.items[next(iter(world.queue.items))].status, 25, None
    )

    [item] = page.items
    appointment = page.appointments[item.appointment_id or ""]
    assert appointment.status is AppointmentStatus.CANCELLED
    assert appointment.updated_at > item.last_message_at


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("C", "C"),
        (" Stop! ", "STOP"),
        ("x", "X"),
        ("Oui", "OUI"),
        ("\N{THUMBS UP SIGN}", "\N{THUMBS UP SIGN}"),
        ("ok thanks", None),
        ("Can I come at 3?", None),
        ("\N{HEAVY BLACK HEART}", None),
    ],
)
def test_a_text_is_a_keyword_only_when_it_is_one_word_the_rules_know(
    body: str, keyword: str | None
) -> None:
    assert keyword_of(body) == keyword
